package dev.anewb.convert.coreml;

import dev.anewb.AnewbException;

import java.util.Locale;

/**
 * The deployment targets an export can declare, with the Core ML specification version and MIL opset each implies
 * (what coremltools writes for {@code minimum_deployment_target}): iOS 16 / macOS 13 → 7, "CoreML6"; iOS 17 /
 * macOS 14 → 8, "CoreML7"; iOS 18 / macOS 15 → 9, "CoreML8".
 */
public enum CoreMlTarget {
    IOS16("iOS16", "macOS 13", 7, "CoreML6"),
    IOS17("iOS17", "macOS 14", 8, "CoreML7"),
    IOS18("iOS18", "macOS 15", 9, "CoreML8");

    private final String label;
    private final String macOs;
    final int specificationVersion;
    final String opset;

    CoreMlTarget(String label, String macOs, int specificationVersion, String opset) {
        this.label = label;
        this.macOs = macOs;
        this.specificationVersion = specificationVersion;
        this.opset = opset;
    }

    /** "iOS16" etc., as the CLI takes it. */
    public String label() { return label; }

    /** The macOS release of the same Core ML version ("macOS 13"). */
    public String macOs() { return macOs; }

    public int specificationVersion() { return specificationVersion; }

    /** Parses "iOS16", "ios17", "18": a usage error names the valid values. */
    public static CoreMlTarget parse(String s) {
        String t = s.strip().toLowerCase(Locale.ROOT).replace("ios", "");
        for (CoreMlTarget v : values()) if (v.label.toLowerCase(Locale.ROOT).replace("ios", "").equals(t)) return v;
        throw AnewbException.usage("minimum OS \"" + s + "\": expected iOS16, iOS17 or iOS18");
    }

    static CoreMlTarget max(CoreMlTarget a, CoreMlTarget b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}

package dev.anewb.app.conversion;

import java.util.Locale;

/**
 * One per-layer override of the conversion panel: weights whose name matches {@code pattern} stay FP16
 * ({@code blockSize} null) or get their own INT8 block size.
 */
public record OverrideRule(String pattern, Integer blockSize) {
    public boolean keepFp16() { return blockSize == null; }

    /** "keep FP16" or "block 32". */
    public String settingText() { return keepFp16() ? "keep FP16" : "block " + blockSize; }

    /**
     * Parses the setting column: "fp16" / "keep FP16" keeps the weight in FP16, a number is a block size.
     *
     * @throws IllegalArgumentException with a message for the user
     */
    public static OverrideRule parse(String pattern, String setting) {
        if (pattern == null || pattern.isBlank()) throw new IllegalArgumentException("enter a weight-name pattern, "
                + "e.g. layers\\.0\\..*query");
        String s = setting == null ? "" : setting.trim().toLowerCase(Locale.ROOT);
        if (s.isEmpty() || s.contains("fp16")) return new OverrideRule(pattern.trim(), null);
        try {
            return new OverrideRule(pattern.trim(), Integer.parseInt(s.replace("block", "").trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("\"" + setting + "\" is neither \"keep FP16\" nor a block size");
        }
    }
}

package dev.anewb.cli;

import dev.anewb.AnewbException;
import dev.anewb.model.Conversion;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The conversion options of spec/cli.md, shared by run, drift, plan, layout, convert and export. Defaults
 * differ per command (run: none / fp32; convert: int8 / fp16), so unset options stay null here and
 * {@link #toConversion(boolean, Conversion.Precision, Conversion.Layout)} applies the command's defaults.
 */
public final class ConversionOptions {
    @Option(names = "--quant", paramLabel = "none|int8", description = "Projection weights: block INT8 or unquantized.")
    String quant;

    @Option(names = "--block-size", paramLabel = "N",
            description = "INT8 block size along each projection's input axis, any integer >= 8 (default 128; larger "
                    + "than the row = per-channel).")
    Integer blockSize;

    @Option(names = "--symmetric",
            description = "Symmetric INT8 (zero point 0, scale = max|w|/127) instead of asymmetric.")
    boolean symmetric;

    @Option(names = "--precision", paramLabel = "fp32|fp16", description = {
            "Compute precision. fp16 rounds to IEEE half precision exactly where the ANE stores values:",
            "  - float weights (embeddings, norms, biases, unquantized projections) are stored FP16;",
            "  - every op's output (embedding sum, projection, attention, norm, activation, residual add) is rounded "
                    + "to FP16;",
            "  - INT8 scales are FP16 in both precisions.",
            "Accumulation stays FP32 inside an op: matmul dot products, attention scores and softmax, LayerNorm "
                    + "statistics."})
    String precision;

    @Option(names = "--layout", paramLabel = "hf|bc1s",
            description = "hf: (B,S,C) as transformers; bc1s: (B,C,1,S) with 1x1-conv projections and attention "
                    + "split per head.")
    String layout;

    @Option(names = "--chunk-window", paramLabel = "W",
            description = "Attention chunk window W (keys one query block sees); 0 = off.")
    Integer chunkWindow;

    @Option(names = "--chunk-overlap", paramLabel = "O",
            description = "Chunk overlap O, 0 <= O < W (query block size S = W - O).")
    Integer chunkOverlap;

    @Option(names = "--keep-fp16", paramLabel = "REGEX",
            description = "Leave projection weights whose name matches unquantized (repeatable).")
    List<String> keepFp16 = new ArrayList<>();

    @Option(names = "--block-override", paramLabel = "REGEX=N",
            description = "Give weights whose name matches their own block size (repeatable).")
    List<String> blockOverrides = new ArrayList<>();

    @Option(names = "--activations", paramLabel = "none|int8", description = {
            "int8: W8A8 as coremltools' linear_quantize_activations: the input of every projection --quant chooses",
            "  (--keep-fp16 applies) becomes static per-tensor symmetric INT8, scale = max|x|/127 (FP16) calibrated",
            "  on the sample input's FP32 run; the INT8 x INT8 path of A17 Pro, M4 and later (default none)."})
    String activations;

    /** {@link #toConversion(boolean, Conversion.Precision, Conversion.Layout)} with a command's default conversion. */
    public Conversion toConversion(Conversion defaults) {
        return toConversion(defaults.int8(), defaults.precision(), defaults.layout(), defaults.activations());
    }

    /** The conversion these options describe, validated (usage errors name the option); float activations default. */
    public Conversion toConversion(boolean defaultInt8, Conversion.Precision defaultPrecision,
            Conversion.Layout defaultLayout) {
        return toConversion(defaultInt8, defaultPrecision, defaultLayout, Conversion.Activations.NONE);
    }

    private Conversion toConversion(boolean defaultInt8, Conversion.Precision defaultPrecision,
                                    Conversion.Layout defaultLayout, Conversion.Activations defaultActivations) {
        boolean int8 = defaultInt8;
        if (quant != null) {
            int8 = switch (quant.toLowerCase()) {
                case "int8" -> true;
                case "none" -> false;
                default -> throw AnewbException.usage("--quant must be none or int8, not \"" + quant + "\"");
            };
        }
        Conversion.Precision p = precision == null ? defaultPrecision : switch (precision.toLowerCase()) {
            case "fp32" -> Conversion.Precision.FP32;
            case "fp16" -> Conversion.Precision.FP16;
            default -> throw AnewbException.usage("--precision must be fp32 or fp16, not \"" + precision + "\"");
        };
        Conversion.Layout l = layout == null ? defaultLayout : switch (layout.toLowerCase()) {
            case "hf" -> Conversion.Layout.HF;
            case "bc1s" -> Conversion.Layout.BC1S;
            default -> throw AnewbException.usage("--layout must be hf or bc1s, not \"" + layout + "\"");
        };
        Conversion.Activations a = activations == null ? defaultActivations : switch (activations.toLowerCase()) {
            case "int8" -> Conversion.Activations.INT8;
            // fp16 is what `plan --activations` called float activations before the option was a conversion's
            case "none", "fp16" -> Conversion.Activations.NONE;
            default -> throw AnewbException.usage("--activations must be none or int8, not \"" + activations + "\"");
        };
        if ((blockSize != null || symmetric) && quant != null && !int8) {
            throw AnewbException.usage("--block-size and --symmetric need --quant int8");
        }
        Map<String, Integer> overrides = new LinkedHashMap<>();
        for (String o : blockOverrides) {
            int eq = o.lastIndexOf('=');
            if (eq <= 0) throw AnewbException.usage("--block-override must be REGEX=N, not \"" + o + "\"");
            try {
                overrides.put(o.substring(0, eq), Integer.parseInt(o.substring(eq + 1)));
            } catch (NumberFormatException e) {
                throw AnewbException.usage("--block-override \"" + o + "\": " + o.substring(eq + 1)
                        + " is not a whole number");
            }
        }
        Conversion c = new Conversion(l, p, int8, blockSize == null ? 128 : blockSize, symmetric, keepFp16, overrides,
                chunkWindow == null ? 0 : chunkWindow, chunkOverlap == null ? 0 : chunkOverlap, a);
        c.validate();
        return c;
    }

    /** One-line description for headers: "int8 B128 asym · fp16 · bc1s · chunk 512/128 · int8 activations". */
    public static String describe(Conversion c) {
        StringBuilder sb = new StringBuilder();
        sb.append(c.int8() ? "int8 B" + c.blockSize() + (c.symmetric() ? " sym" : " asym") : "no quant");
        sb.append(" · ").append(c.precision().name().toLowerCase())
                .append(" · ").append(c.layout().name().toLowerCase());
        sb.append(c.chunked() ? " · chunk " + c.chunkWindow() + "/" + c.chunkOverlap() : " · no chunking");
        if (c.quantizesActivations()) sb.append(" · int8 activations");
        return sb.toString();
    }
}

package dev.anewb.cli;

import dev.anewb.AnewbException;
import dev.anewb.model.Conversion;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The conversion options of spec/cli.md shared by run, drift, plan and convert. Unset options take the
 * command's own defaults ({@link #toConversion(Conversion)}).
 */
public final class ConversionOptions {
    @Option(names = "--quant", paramLabel = "none|int8", description = "Weight quantization: none or block INT8 of projections.")
    String quant;

    @Option(names = "--block-size", paramLabel = "N", description = "INT8 block size along the input axis (>= 8; default 128).")
    Integer blockSize;

    @Option(names = "--symmetric", description = "Symmetric INT8 (zero point 0).")
    boolean symmetric;

    @Option(names = "--precision", paramLabel = "fp32|fp16", description = "Float precision at op boundaries.")
    String precision;

    @Option(names = "--layout", paramLabel = "hf|bc1s", description = "HF (B,S,C) or ANE (B,C,1,S) with per-head attention.")
    String layout;

    @Option(names = "--chunk-window", paramLabel = "W", description = "Attention window W (0 = chunking off).")
    Integer chunkWindow;

    @Option(names = "--chunk-overlap", paramLabel = "O", description = "Chunk overlap O, 0 <= O < W.")
    Integer chunkOverlap;

    @Option(names = "--keep-fp16", paramLabel = "REGEX", description = "Weights (by name) left unquantized; repeatable.")
    List<String> keepFp16 = new ArrayList<>();

    public Conversion toConversion(Conversion defaults) {
        boolean int8 = defaults.int8();
        if (quant != null) {
            int8 = switch (quant.toLowerCase(Locale.ROOT)) {
                case "none" -> false;
                case "int8" -> true;
                default -> throw AnewbException.usage("--quant must be none or int8, got \"" + quant + "\"");
            };
        }
        int block = blockSize == null ? defaults.blockSize() : blockSize;
        if (block < 8) throw AnewbException.usage("--block-size must be at least 8, got " + block);
        Conversion.Precision p = defaults.precision();
        if (precision != null) {
            p = switch (precision.toLowerCase(Locale.ROOT)) {
                case "fp32" -> Conversion.Precision.FP32;
                case "fp16" -> Conversion.Precision.FP16;
                default -> throw AnewbException.usage("--precision must be fp32 or fp16, got \"" + precision + "\"");
            };
        }
        Conversion.Layout l = defaults.layout();
        if (layout != null) {
            l = switch (layout.toLowerCase(Locale.ROOT)) {
                case "hf" -> Conversion.Layout.HF;
                case "bc1s" -> Conversion.Layout.BC1S;
                default -> throw AnewbException.usage("--layout must be hf or bc1s, got \"" + layout + "\"");
            };
        }
        int w = chunkWindow == null ? defaults.chunkWindow() : chunkWindow;
        int o = chunkOverlap == null ? defaults.chunkOverlap() : chunkOverlap;
        if (w < 0) throw AnewbException.usage("--chunk-window must be >= 0, got " + w);
        if (w > 0 && (o < 0 || o >= w)) throw AnewbException.usage("--chunk-overlap must satisfy 0 <= O < W (W=" + w + ", O=" + o + ")");
        if (w == 0 && o != 0) throw AnewbException.usage("--chunk-overlap needs --chunk-window");
        for (String r : keepFp16) {
            try {
                java.util.regex.Pattern.compile(r);
            } catch (java.util.regex.PatternSyntaxException e) {
                throw AnewbException.usage("--keep-fp16: not a regular expression: " + r);
            }
        }
        List<String> keep = new ArrayList<>(defaults.keepFp16());
        keep.addAll(keepFp16);
        return new Conversion(l, p, int8, block, symmetric || defaults.symmetric(), keep, Map.copyOf(defaults.blockOverrides()), w, o);
    }
}

package dev.anewb.cli;

import dev.anewb.AnewbException;
import dev.anewb.convert.Converter;
import dev.anewb.model.Conversion;
import dev.anewb.model.Conversion.Precision;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The conversion options of spec/cli.md, shared by run, drift, plan, convert and export as one picocli mixin.
 * Defaults that differ per command (INT8 on for convert, off for run; FP16 for convert, FP32 for run) are passed
 * to {@link #toConversion}; an option the user did not give takes that default.
 */
public final class ConversionOptions {
    @Option(names = "--quant", paramLabel = "none|int8",
            description = "Projection weights: none (float) or int8 (block-wise INT8 along the input axis, spec/quantization.md). "
                    + "Default: none for run/drift, int8 for convert/export.")
    String quant;

    @Option(names = "--block-size", paramLabel = "N", defaultValue = "128",
            description = "INT8 block size along each projection's input axis, at least 8; a size >= the row length is per-channel. Default: ${DEFAULT-VALUE}.")
    int blockSize;

    @Option(names = "--symmetric", description = "Symmetric INT8 (zero point 0, scale max|w|/127) instead of asymmetric.")
    boolean symmetric;

    @Option(names = "--precision", paramLabel = "fp32|fp16",
            description = {"Storage precision at op boundaries. Default: fp32 for run/drift, fp16 for convert.",
                    "fp16 rounds in exactly these places: weights that stay float (not INT8: embeddings, norms, biases, kept "
                            + "projections) are stored as FP16; every op's output is rounded to FP16 before the next op reads it. "
                            + "Accumulation inside matmuls, softmax and norms stays FP32, as on the ANE."})
    String precision;

    @Option(names = "--layout", paramLabel = "hf|bc1s", defaultValue = "hf",
            description = "Activation layout: hf (batch, seq, channels) or bc1s (batch, channels, 1, seq) with 1x1-conv projections. "
                    + "The layout changes memory use on the ANE, not the numbers. Default: ${DEFAULT-VALUE}.")
    String layout;

    @Option(names = "--chunk-window", paramLabel = "W", defaultValue = "0",
            description = "Chunked attention: each query block sees a window of W keys (spec/chunked-attention.md); 0 = off.")
    int chunkWindow;

    @Option(names = "--chunk-overlap", paramLabel = "O", defaultValue = "0",
            description = "Overlap O of the attention windows, 0 <= O < W; query blocks are W - O long.")
    int chunkOverlap;

    @Option(names = "--keep-fp16", paramLabel = "REGEX",
            description = "Leave projection weights whose name matches REGEX unquantized (stored as float); repeatable.")
    List<String> keepFp16 = new ArrayList<>();

    @Option(names = "--block-override", paramLabel = "REGEX=N",
            description = "Give projection weights whose name matches REGEX their own INT8 block size N; repeatable.")
    Map<String, Integer> blockOverrides = new LinkedHashMap<>();

    /**
     * The conversion these options describe, validated by {@link Converter#validate}.
     *
     * @param defaultInt8      whether INT8 is on when --quant is not given
     * @param defaultPrecision the precision when --precision is not given
     */
    public Conversion toConversion(boolean defaultInt8, Precision defaultPrecision) {
        boolean int8 = quant == null ? defaultInt8 : switch (quant.toLowerCase(Locale.ROOT)) {
            case "none" -> false;
            case "int8" -> true;
            default -> throw AnewbException.usage("--quant " + quant + ": expected none or int8");
        };
        Precision p = precision == null ? defaultPrecision : switch (precision.toLowerCase(Locale.ROOT)) {
            case "fp32" -> Precision.FP32;
            case "fp16" -> Precision.FP16;
            default -> throw AnewbException.usage("--precision " + precision + ": expected fp32 or fp16");
        };
        Conversion.Layout l = switch (layout.toLowerCase(Locale.ROOT)) {
            case "hf" -> Conversion.Layout.HF;
            case "bc1s" -> Conversion.Layout.BC1S;
            default -> throw AnewbException.usage("--layout " + layout + ": expected hf or bc1s");
        };
        if (!int8 && (!keepFp16.isEmpty() || !blockOverrides.isEmpty())) {
            throw AnewbException.usage("--keep-fp16 and --block-override only apply with --quant int8");
        }
        Conversion c = new Conversion(l, p, int8, blockSize, symmetric, keepFp16, blockOverrides, chunkWindow, chunkOverlap);
        Converter.validate(c);
        return c;
    }
}

package dev.anewb.model;

import dev.anewb.AnewbException;

import java.util.List;
import java.util.Map;

/**
 * Every conversion setting that rewrote a graph (spec/cli.md "conversion options"). The original graph
 * carries {@link #ORIGINAL}. Defaults follow the CLI: block 128, asymmetric, chunking off.
 *
 * @param layout        HF (B,S,C) or BC1S (B,C,1,S) with 1x1-conv projections and per-head attention
 * @param precision     FP32 or FP16 storage at op boundaries
 * @param int8          block INT8 projection weights on/off
 * @param blockSize     INT8 block size along the input axis (>= 8; larger than the row = per-channel)
 * @param symmetric     symmetric INT8 (zp = 0) instead of asymmetric
 * @param keepFp16      regexes of weight names left unquantized
 * @param blockOverrides regex of weight name -> its own block size
 * @param chunkWindow   attention window W (0 = chunking off)
 * @param chunkOverlap  overlap O, 0 <= O < W
 * @param activations   INT8: static per-tensor symmetric INT8 inputs of the projections the quantization selects
 *                      (W8A8 with {@code int8}), calibrated on a sample input (see {@link Op.InputQuant})
 */
public record Conversion(Layout layout, Precision precision, boolean int8, int blockSize, boolean symmetric,
                         List<String> keepFp16, Map<String, Integer> blockOverrides, int chunkWindow, int chunkOverlap,
                         Activations activations) {

    public enum Layout { HF, BC1S }

    public enum Precision { FP32, FP16 }

    /** How the projections' inputs are stored: as the compute precision, or INT8 (coremltools' A8). */
    public enum Activations { NONE, INT8 }

    /** Float activations, as every conversion before W8A8 (and the app's conversion panel) builds it. */
    public Conversion(Layout layout, Precision precision, boolean int8, int blockSize, boolean symmetric,
                      List<String> keepFp16, Map<String, Integer> blockOverrides, int chunkWindow, int chunkOverlap) {
        this(layout, precision, int8, blockSize, symmetric, keepFp16, blockOverrides, chunkWindow, chunkOverlap,
                Activations.NONE);
    }

    public static final Conversion ORIGINAL =
            new Conversion(Layout.HF, Precision.FP32, false, 128, false, List.of(), Map.of(), 0, 0);

    /** What `anewb convert` does by default: BC1S layout, FP16 compute, INT8 block 128, no chunking. */
    public static final Conversion ANE_DEFAULT =
            new Conversion(Layout.BC1S, Precision.FP16, true, 128, false, List.of(), Map.of(), 0, 0);

    public Conversion {
        keepFp16 = List.copyOf(keepFp16);
        blockOverrides = Map.copyOf(blockOverrides);
        if (activations == null) throw new IllegalArgumentException("activations must be NONE or INT8, not null");
    }

    /** Smallest block size INT8 block quantization accepts (spec/quantization.md). */
    public static final int MIN_BLOCK_SIZE = 8;

    /** Block size meaning "one block per row" (per-channel) whatever the row length is. */
    public static final int PER_CHANNEL = Integer.MAX_VALUE;

    /** Usage errors for settings no conversion can honour; the one check every entry point (CLI, app, package) runs. */
    public Conversion validate() {
        if (int8 && blockSize < MIN_BLOCK_SIZE) {
            throw AnewbException.usage("block size " + blockSize + " is too small: it must be at least "
                    + MIN_BLOCK_SIZE);
        }
        for (var e : blockOverrides.entrySet()) {
            if (int8 && e.getValue() < MIN_BLOCK_SIZE) {
                throw AnewbException.usage("block size " + e.getValue() + " for \"" + e.getKey() + "\" is below "
                        + MIN_BLOCK_SIZE);
            }
        }
        if (chunkWindow < 0) throw AnewbException.usage("chunk window " + chunkWindow + " must be at least 1");
        if (chunkOverlap < 0) throw AnewbException.usage("chunk overlap " + chunkOverlap + " must not be negative");
        if (chunkWindow > 0 && chunkOverlap >= chunkWindow) {
            throw AnewbException.usage("chunk overlap " + chunkOverlap + " must be smaller than the window "
                    + chunkWindow);
        }
        if (chunkWindow == 0 && chunkOverlap > 0) throw AnewbException.usage("--chunk-overlap needs --chunk-window");
        return this;
    }

    public boolean chunked() { return chunkWindow > 0; }

    public boolean isOriginal() { return equals(ORIGINAL); }

    public boolean quantizesActivations() { return activations == Activations.INT8; }

    public Conversion withLayout(Layout l) {
        return new Conversion(l, precision, int8, blockSize, symmetric, keepFp16, blockOverrides, chunkWindow,
                chunkOverlap, activations);
    }

    public Conversion withPrecision(Precision p) {
        return new Conversion(layout, p, int8, blockSize, symmetric, keepFp16, blockOverrides, chunkWindow,
                chunkOverlap, activations);
    }

    public Conversion withInt8(boolean on, int block, boolean sym) {
        return new Conversion(layout, precision, on, block, sym, keepFp16, blockOverrides, chunkWindow, chunkOverlap,
                activations);
    }

    public Conversion withOverrides(List<String> keep, Map<String, Integer> blocks) {
        return new Conversion(layout, precision, int8, blockSize, symmetric, keep, blocks, chunkWindow, chunkOverlap,
                activations);
    }

    public Conversion withChunking(int window, int overlap) {
        return new Conversion(layout, precision, int8, blockSize, symmetric, keepFp16, blockOverrides, window, overlap,
                activations);
    }

    public Conversion withActivations(Activations a) {
        return new Conversion(layout, precision, int8, blockSize, symmetric, keepFp16, blockOverrides, chunkWindow,
                chunkOverlap, a);
    }
}

package dev.anewb.ane;

import java.util.Arrays;

/**
 * How one tensor sits in ANE memory (spec/ane-model.md rule 2): the last axis is contiguous and every row
 * starts 64-byte aligned, so a row of {@code x} bytes occupies {@code ceil(x/64)·64}. A row is one index of
 * every axis but the last. Knows the shape, the byte strides, the bytes used and allocated, and which head
 * or quantization block owns each row or each part of a row.
 *
 * @param shape       logical dims, last axis contiguous
 * @param elementBytes 1 (INT8), 2 (FP16) or 4 (FP32)
 * @param rowGroups   who owns whole rows (heads in BC1S / per-head tensors), or {@link Grouping#NONE}
 * @param columnGroups who owns parts of a row (heads along C in HF, quantization blocks along k), or NONE
 */
public record TensorLayout(String name, String description, long[] shape, int elementBytes, Grouping rowGroups,
                           Grouping columnGroups) {

    public static final int ROW_ALIGN = 64;

    /**
     * Rows (or elements along a row) belong to group {@code (index / period) % count}, labelled
     * {@code label + " " + group}; count 0 means no wrap-around.
     */
    public record Grouping(String label, long period, long count) {
        public static final Grouping NONE = new Grouping("", 0, 0);

        public boolean none() { return period <= 0; }

        public long groupOf(long index) {
            if (none()) return 0;
            long g = index / period;
            return count > 0 ? g % count : g;
        }

        public long groups(long extent) {
            if (none()) return 1;
            long g = (extent + period - 1) / period;
            return count > 0 ? Math.min(count, g) : g;
        }
    }

    public TensorLayout {
        if (shape.length == 0) throw new IllegalArgumentException("a tensor has at least one axis");
        shape = shape.clone();
    }

    @Override public long[] shape() { return shape.clone(); }

    public static long align(long bytes) { return (bytes + ROW_ALIGN - 1) / ROW_ALIGN * ROW_ALIGN; }

    public long lastAxis() { return shape[shape.length - 1]; }

    public long rows() {
        long r = 1;
        for (int i = 0; i < shape.length - 1; i++) r *= shape[i];
        return r;
    }

    public long rowBytesUsed() { return lastAxis() * elementBytes; }

    /** {@code ceil(bytes(last)/64)·64}. */
    public long rowBytesAllocated() { return align(rowBytesUsed()); }

    public long bytesUsed() { return rows() * rowBytesUsed(); }

    public long bytesAllocated() { return rows() * rowBytesAllocated(); }

    public long paddingBytes() { return bytesAllocated() - bytesUsed(); }

    /** Allocated / used: 1 when rows are a multiple of 64 bytes, 32 for a singleton FP16 last axis. */
    public double wasteFactor() { return bytesUsed() == 0 ? 1 : (double) bytesAllocated() / bytesUsed(); }

    /** Byte strides of every axis: the last is the element size, the one before it the aligned row. */
    public long[] strides() {
        long[] s = new long[shape.length];
        s[shape.length - 1] = elementBytes;
        if (shape.length > 1) s[shape.length - 2] = rowBytesAllocated();
        for (int i = shape.length - 3; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
        return s;
    }

    public long rowOwner(long row) { return rowGroups.groupOf(row); }

    /** Owner of the element at position {@code column} of a row (head along C, or quantization block). */
    public long columnOwner(long column) { return columnGroups.groupOf(column); }

    public String shapeText() {
        return Arrays.toString(shape).replace('[', '(').replace(']', ')');
    }

    // ---- factories: one per kind of tensor the planner and `anewb layout` show ----

    /** An activation [B, L, C] in HF order (B, S, C): rows are tokens, heads own slices of each row. */
    public static TensorLayout activationHf(String name, int batch, int length, int channels, int elementBytes,
            int headDim, int heads) {
        Grouping cols = headDim > 0 ? new Grouping("head", headDim, heads) : Grouping.NONE;
        return new TensorLayout(name, "activation, HF layout (B, S, C)", new long[]{batch, length, channels},
                elementBytes, Grouping.NONE, cols);
    }

    /** An activation in (B, C, 1, S): rows are channels, a head owns headDim consecutive rows. */
    public static TensorLayout activationBc1s(String name, int batch, int length, int channels, int elementBytes,
            int headDim, int heads) {
        Grouping rows = headDim > 0 ? new Grouping("head", headDim, heads) : Grouping.NONE;
        return new TensorLayout(name, "activation, ANE layout (B, C, 1, S)", new long[]{batch, channels, 1, length},
                elementBytes, rows, Grouping.NONE);
    }

    /** Per-head split for the ANE: heads × (B, d, 1, S), one tensor per head, rows owned by their head. */
    public static TensorLayout perHeadBc1s(String name, int batch, int heads, int headDim, int length,
            int elementBytes) {
        return new TensorLayout(name, "per-head split, ANE layout heads × (B, d, 1, S)",
                new long[]{heads, batch, headDim, 1, length},
                elementBytes, new Grouping("head", (long) batch * headDim, heads), Grouping.NONE);
    }

    /** Batched heads after HF's view + transpose: (B, h, S, d), rows owned by their head. */
    public static TensorLayout perHeadHf(String name, int batch, int heads, int headDim, int length, int elementBytes) {
        return new TensorLayout(name, "batched heads, HF layout (B, h, S, d) after transpose",
                new long[]{batch, heads, length, headDim},
                elementBytes, new Grouping("head", length, heads), Grouping.NONE);
    }

    /** A float weight [out, in]; rows are output channels (owned by heads for q/k/v projections). */
    public static TensorLayout weight(String name, long out, long in, int elementBytes, int headDim, int heads) {
        Grouping rows = headDim > 0 ? new Grouping("head", headDim, heads) : Grouping.NONE;
        return new TensorLayout(name, "weight [out, in], " + (elementBytes == 2 ? "FP16" : "FP32"),
                new long[]{out, in}, elementBytes, rows, Grouping.NONE);
    }

    /** INT8 codes W.q [out, in]: blocks of B along each row (spec/quantization.md). */
    public static TensorLayout int8Codes(String name, long out, long in, int blockSize) {
        return new TensorLayout(name, "INT8 codes [out, in], block " + blockSize + " along in", new long[]{out, in}, 1,
                Grouping.NONE, new Grouping("block", blockSize, 0));
    }

    /** W.scale [out, ceil(in/B)] FP16 (elementBytes 2) or W.zero_point (1): one entry per block. */
    public static TensorLayout blockParams(String name, long out, long in, int blockSize, int elementBytes) {
        long blocks = (in + blockSize - 1) / blockSize;
        return new TensorLayout(name, (elementBytes == 2 ? "FP16 scales" : "INT8 zero points") + " [out, ceil(in/"
                + blockSize + ")]",
                new long[]{out, blocks}, elementBytes, Grouping.NONE, new Grouping("block", 1, 0));
    }

    /**
     * Attention scores of one unit of work: (B, h, Sq, Sk). {@code lastAxis} other than Sk describes a layout
     * whose last axis is not the keys (the HF baseline assumption: a singleton last axis, see chips.json).
     */
    public static TensorLayout scores(String name, String description, int batch, int heads, long queries, long keys,
            int elementBytes, long lastAxis) {
        long[] shape = lastAxis == keys || lastAxis <= 0
                ? new long[]{batch, heads, queries, keys}
                : new long[]{batch, heads, queries, keys / lastAxis, lastAxis};
        return new TensorLayout(name, description, shape, elementBytes,
                new Grouping("head", shape.length == 4 ? queries : queries * (keys / lastAxis), heads), Grouping.NONE);
    }

    /** A KV cache of one layer: K and V, each (B, kvHeads, d, 1, maxLen) with the sequence last. */
    public static TensorLayout kvCache(String name, int batch, int kvHeads, int headDim, int maxLength,
            int elementBytes) {
        return new TensorLayout(name, "KV cache (K and V) 2 × (B, kv_heads, d, 1, L)",
                new long[]{2, batch, kvHeads, headDim, 1, maxLength},
                elementBytes, new Grouping("kv head", (long) headDim, kvHeads), Grouping.NONE);
    }
}

package dev.anewb.quant;

import java.util.Objects;

/**
 * A projection weight quantized block-wise to INT8 (spec/quantization.md), in the package orientation
 * {@code [rows = out, k = in]}: row {@code r} holds output channel {@code r}, blocks run along {@code k}.
 *
 * <p>Block {@code b} of a row covers columns {@code [b·B, min((b+1)·B, k))}; the last block may be shorter.
 * {@code scaleF16} and {@code zeroPoint} are {@code [rows, blocksPerRow()]} row-major. The dequantized weight is
 * {@code w' = (q − zp)·scale} in float32, which is exact in float32 (a 9-bit integer times an 11-bit FP16 mantissa).
 *
 * @param rows      output channels
 * @param k         input (reduction) dimension
 * @param blockSize B, ≥ 8; B ≥ k means one block per row (per-channel), stored as {@code max(8, k)}
 * @param symmetric true for the symmetric scheme (every zero point is 0)
 * @param q         quantized values, {@code [rows, k]} row-major
 * @param scaleF16  IEEE binary16 bits of each block's scale
 * @param zeroPoint each block's zero point
 */
public record Int8BlockWeight(int rows, int k, int blockSize, boolean symmetric, byte[] q, short[] scaleF16,
        byte[] zeroPoint) {

    public Int8BlockWeight {
        Objects.requireNonNull(q, "q");
        Objects.requireNonNull(scaleF16, "scaleF16");
        Objects.requireNonNull(zeroPoint, "zeroPoint");
        if (rows < 0 || k < 1 || blockSize < BlockQuantizer.MIN_BLOCK_SIZE) {
            throw new IllegalArgumentException("rows=" + rows + ", k=" + k + ", blockSize=" + blockSize);
        }
        // Any B >= k is the same single block per row; kernels size buffers by B, so B = 2^26 must not reach them.
        if (blockSize > k) blockSize = Math.max(BlockQuantizer.MIN_BLOCK_SIZE, k);
        int blocks = blocksPerRow(k, blockSize);
        if (q.length != (long) rows * k || scaleF16.length != (long) rows * blocks
                || zeroPoint.length != scaleF16.length) {
            throw new IllegalArgumentException("array lengths " + q.length + "/" + scaleF16.length + "/"
                    + zeroPoint.length
                    + " do not match rows=" + rows + ", k=" + k + ", blocks per row=" + blocks);
        }
    }

    /** ceil(k / B) without overflow for a huge B (per-channel may be given as Integer.MAX_VALUE). */
    static int blocksPerRow(int k, int blockSize) {
        return (k - 1) / blockSize + 1;
    }

    /** Number of blocks in one row: ceil(k / blockSize). */
    public int blocksPerRow() {
        return blocksPerRow(k, blockSize);
    }

    /** The scale of block {@code block} of row {@code row}, as the float32 the math uses. */
    public float scale(int row, int block) {
        return Float.float16ToFloat(scaleF16[row * blocksPerRow() + block]);
    }

    /** The zero point of block {@code block} of row {@code row}. */
    public int zeroPoint(int row, int block) {
        return zeroPoint[row * blocksPerRow() + block];
    }

    /** Storage in bits per weight element: 8 for q plus 16 + 8 bits (scale, zero point) per block. */
    public double bitsPerWeight() {
        return 8.0 + (16.0 + 8.0) * blocksPerRow() / k;
    }

    /** Writes row {@code row} of the dequantized weight, {@code (q − zp)·scale}, into {@code out[0..k)}. */
    public void dequantizeRow(int row, float[] out) {
        int blocks = blocksPerRow();
        int base = row * k;
        for (int b = 0; b < blocks; b++) {
            float scale = Float.float16ToFloat(scaleF16[row * blocks + b]);
            int zp = zeroPoint[row * blocks + b];
            int end = (int) Math.min((long) (b + 1) * blockSize, k);
            for (int c = b * blockSize; c < end; c++) out[c] = (q[base + c] - zp) * scale;
        }
    }

    /** The whole dequantized weight, {@code [rows, k]} row-major float32 (what the fixtures' INT8 references run). */
    public float[] dequantize() {
        float[] out = new float[Math.multiplyExact(rows, k)];
        float[] row = new float[k];
        for (int r = 0; r < rows; r++) {
            dequantizeRow(r, row);
            System.arraycopy(row, 0, out, r * k, k);
        }
        return out;
    }
}

package dev.anewb.quant;

import dev.anewb.AnewbException;
import dev.anewb.model.Conversion;
import dev.anewb.model.TensorData;
import dev.anewb.model.WeightInfo;

import java.util.stream.IntStream;

/**
 * Block-wise INT8 quantization of projection weights, exactly the math of spec/quantization.md. All arithmetic
 * is float32 as the spec states ({@code Math.rint} of a float is exact, so the double detour does not change it).
 *
 * <p>Asymmetric (default), per block of one row:
 * <pre>
 * lo = min(0, min(block)),  hi = max(0, max(block))
 * scale = (hi − lo) / 255;  if 0 → 1;  scale = fp16(scale)
 * zp = clamp(rint(−128 − lo / scale), −128, 127)
 * q  = clamp(rint(w / scale) + zp, −128, 127)
 * </pre>
 * Symmetric: {@code scale = max|w| / 127} (same 0 → 1 rule and FP16 rounding), {@code zp = 0},
 * {@code q = clamp(rint(w / scale), −127, 127)}.
 */
public final class BlockQuantizer {
    /** Smallest block size the converter accepts (spec/quantization.md). */
    public static final int MIN_BLOCK_SIZE = Conversion.MIN_BLOCK_SIZE;

    /** Block size meaning "one block per row" (per-channel) whatever k is. */
    public static final int PER_CHANNEL = Conversion.PER_CHANNEL;

    /** Smallest positive FP16 value (subnormal 2^-24). */
    private static final float MIN_F16_SCALE = Float.float16ToFloat((short) 1);


    private final int blockSize;
    private final boolean symmetric;

    /**
     * @param blockSize B ≥ 8 along the input dimension; any B ≥ k (e.g. {@link #PER_CHANNEL}) is per-channel
     * @param symmetric true for zp = 0, scale = max|w|/127
     * @throws AnewbException (usage) when the block size is below 8
     */
    public BlockQuantizer(int blockSize, boolean symmetric) {
        if (blockSize < MIN_BLOCK_SIZE) {
            throw AnewbException.usage("block size " + blockSize
                    + " is too small: INT8 block quantization needs a block size of at least "
                    + MIN_BLOCK_SIZE + " (use " + Integer.MAX_VALUE + " or per-channel for one block per row)");
        }
        this.blockSize = blockSize;
        this.symmetric = symmetric;
    }

    /** The quantizer for a weight's scheme as recorded in the graph. */
    public static BlockQuantizer of(WeightInfo.Quant quant) {
        return new BlockQuantizer(quant.blockSize(), quant.symmetric());
    }

    public int blockSize() { return blockSize; }

    public boolean symmetric() { return symmetric; }

    /**
     * Quantizes {@code w} seen as rows {@code W[r, 0..k)}, row-major {@code [rows, k]}. Parallel over rows.
     */
    public Int8BlockWeight quantize(float[] w, int rows, int k) {
        if (rows < 0 || k < 1 || w.length != (long) rows * k) {
            throw new IllegalArgumentException("weight of " + w.length + " floats is not [" + rows + ", " + k + "]");
        }
        int blocks = Int8BlockWeight.blocksPerRow(k, blockSize);
        byte[] q = new byte[w.length];
        short[] scales = new short[rows * blocks];
        byte[] zeroPoints = new byte[rows * blocks];
        IntStream.range(0, rows).parallel().forEach(r -> quantizeRow(w, r * k, k, q, r * k, scales, zeroPoints,
                r * blocks));
        return new Int8BlockWeight(rows, k, blockSize, symmetric, q, scales, zeroPoints);
    }

    /** The blocks of one row: {@code w[wFrom, wFrom + k)} into {@code q[qFrom, qFrom + k)}, block records from b0. */
    private void quantizeRow(float[] w, int wFrom, int k, byte[] q, int qFrom, short[] scales, byte[] zeroPoints,
            int b0) {
        for (int b = 0, c = 0; c < k; b++, c += blockSize) {
            int n = Math.min(blockSize, k - c);
            if (symmetric) quantizeSymmetricBlock(w, wFrom + c, q, qFrom + c, n, scales, b0 + b);
            else quantizeAsymmetricBlock(w, wFrom + c, q, qFrom + c, n, scales, zeroPoints, b0 + b);
        }
    }

    /**
     * A stored {@code [rows, k]} weight row by row, each row read (widened to float32) straight from the tensor's
     * memory: no float copy of the whole weight (a 128k-token embedding would be 1 GiB). Same blocks, same codes.
     */
    private Int8BlockWeight quantizeRows(TensorData weight, int rows, int k) {
        int blocks = Int8BlockWeight.blocksPerRow(k, blockSize);
        byte[] q = new byte[Math.toIntExact((long) rows * k)];
        short[] scales = new short[Math.toIntExact((long) rows * blocks)];
        byte[] zeroPoints = new byte[scales.length];
        int chunk = Math.max(1, Math.min(64, rows / (4 * Runtime.getRuntime().availableProcessors()) + 1));
        IntStream.range(0, (rows + chunk - 1) / chunk).parallel().forEach(ci -> {
            float[] row = new float[k];
            for (int r = ci * chunk; r < Math.min(rows, (ci + 1) * chunk); r++) {
                weight.readFloats((long) r * k, row, 0, k);
                quantizeRow(row, 0, k, q, r * k, scales, zeroPoints, r * blocks);
            }
        });
        return new Int8BlockWeight(rows, k, blockSize, symmetric, q, scales, zeroPoints);
    }

    /**
     * Quantizes a 2-D stored weight. {@code storedTransposed} means the file holds {@code [k, rows]} (GPT-2
     * {@code Conv1D}, {@code [in, out]}); otherwise {@code [rows, k]} ({@code nn.Linear}, {@code [out, in]}).
     * Either way blocks run along the input dimension and the result is in the {@code [out, in]} orientation.
     */
    public Int8BlockWeight quantize(TensorData weight, boolean storedTransposed) {
        if (weight.rank() != 2) {
            throw new AnewbException(weight.name()
                    + ": only 2-D projection weights are block-quantized, this one has shape " + weight.shapeString());
        }
        int rows = storedTransposed ? weight.dim(1) : weight.dim(0);
        int k = storedTransposed ? weight.dim(0) : weight.dim(1);
        try {
            if (!storedTransposed) {
                requireFloat(weight);
                return quantizeRows(weight, rows, k);
            }
            return quantize(transpose(readFloats(weight), k, rows), rows, k);
        } catch (ArithmeticException e) {
            throw new AnewbException(weight.name() + ": " + AnewbException.reason(e), e);
        }
    }

    /** Quantizes a weight with the orientation from its {@link WeightInfo}. */
    public Int8BlockWeight quantize(TensorData weight, WeightInfo info) {
        return quantize(weight, info.storedTransposed());
    }

    private static void quantizeAsymmetricBlock(float[] w, int from, byte[] q, int qFrom, int n, short[] scales,
            byte[] zeroPoints, int blockIndex) {
        float lo = 0f, hi = 0f;
        for (int i = from; i < from + n; i++) {
            float v = w[i];
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        float scale = storedScale((hi - lo) / 255f);
        int zp = clampInt8((int) Math.rint(-128f - lo / scale));
        for (int i = 0; i < n; i++) q[qFrom + i] = (byte) clampInt8((int) Math.rint(w[from + i] / scale) + zp);
        scales[blockIndex] = Float.floatToFloat16(scale);
        zeroPoints[blockIndex] = (byte) zp;
    }

    private static void quantizeSymmetricBlock(float[] w, int from, byte[] q, int qFrom, int n, short[] scales,
            int blockIndex) {
        float maxAbs = 0f;
        for (int i = from; i < from + n; i++) maxAbs = Math.max(maxAbs, Math.abs(w[i]));
        float scale = storedScale(maxAbs / 127f);
        // Clamp to −127..127, not −128..127: the grid stays symmetric, so negating a weight negates its code and
        // −128 (which dequantizes beyond −max|w|) never appears. FP16 rounding moves |w|/scale at most 127·2^-11 ≈ 0.06
        // past 127, so rint stays within ±127 anyway; the clamp is a guard that states the range.
        for (int i = 0; i < n; i++) q[qFrom + i] = (byte) Math.clamp((int) Math.rint(w[from + i] / scale), -127, 127);
        scales[blockIndex] = Float.floatToFloat16(scale);
    }

    /** The spec's "if 0 → 1, then fp16" plus the two cases the spec does not reach with real weights. */
    private static float storedScale(float scale) {
        if (scale == 0f) scale = 1f;
        float f16 = Float.float16ToFloat(Float.floatToFloat16(scale));
        // A block whose range is below ~7.6e-6 would round to an FP16 scale of 0 and divide by zero; the smallest
        // FP16 step is then the closest scale that can be stored (dequantization error stays ≤ half a step).
        if (f16 == 0f) return MIN_F16_SCALE;
        if (Float.isInfinite(f16) || Float.isNaN(scale)) {
            throw new ArithmeticException("a block spans " + scale * 255f
                    + ", beyond what an FP16 scale can hold (weights of magnitude > ~8e6 or NaN)");
        }
        return f16;
    }

    private static int clampInt8(int v) {
        return Math.clamp(v, -128, 127);
    }

    private static float[] readFloats(TensorData t) {
        requireFloat(t);
        return t.toFloatArray();
    }

    private static void requireFloat(TensorData t) {
        if (!t.dtype().isFloat()) throw new AnewbException(t.name() + ": cannot quantize a " + t.dtype()
                + " tensor, it is not a float weight");
    }

    /** [a, b] → [b, a], in tiles so both sides stay in cache for big matrices. */
    static float[] transpose(float[] src, int a, int b) {
        float[] dst = new float[src.length];
        final int tile = 64;
        IntStream.range(0, (a + tile - 1) / tile).parallel().forEach(ti -> {
            int i0 = ti * tile, i1 = Math.min(a, i0 + tile);
            for (int j0 = 0; j0 < b; j0 += tile) {
                int j1 = Math.min(b, j0 + tile);
                for (int i = i0; i < i1; i++) {
                    for (int j = j0; j < j1; j++) dst[j * a + i] = src[i * b + j];
                }
            }
        });
        return dst;
    }
}

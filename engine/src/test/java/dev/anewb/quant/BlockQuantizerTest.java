package dev.anewb.quant;

import dev.anewb.AnewbException;
import dev.anewb.model.DType;
import dev.anewb.model.TensorData;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class BlockQuantizerTest {

    /**
     * Worked by hand from spec/quantization.md: lo = −1, hi = 3, (hi−lo)/255 = 0.0156862745;
     * FP16 spacing in [2^-6, 2^-5) is 2^-16, (0.0156862745 − 2^-6)/2^-16 = 4.016 → 4, so scale = 1028·2^-16 =
     * 257·2^-14.
     * 1/scale = 16384/257 = 63.75097; zp = rint(−128 + 63.751) = rint(−64.249) = −64.
     * w/scale: −1 → −63.75 → −64; −0.5 → −31.88 → −32; 0 → 0; 0.25 → 15.94 → 16; 0.5 → 31.88 → 32; 1 → 63.75 → 64;
     * 1.5 → 95.63 → 96; 3 → 191.25 → 191; plus zp: −128, −96, −64, −48, −32, 0, 32, 127.
     */
    @Test
    void asymmetricBlockWorkedByHand() {
        float[] w = {-1f, -0.5f, 0f, 0.25f, 0.5f, 1f, 1.5f, 3f};
        Int8BlockWeight q = new BlockQuantizer(8, false).quantize(w, 1, 8);
        assertEquals(257f / 16384f, q.scale(0, 0));
        assertEquals(Float.floatToFloat16(257f / 16384f), q.scaleF16()[0]);
        assertEquals(-64, q.zeroPoint(0, 0));
        assertArrayEquals(new byte[]{-128, -96, -64, -48, -32, 0, 32, 127}, q.q());
        float s = 257f / 16384f;
        float[] expected = {-64 * s, -32 * s, 0, 16 * s, 32 * s, 64 * s, 96 * s, 191 * s};
        assertArrayEquals(expected, q.dequantize());
    }

    /**
     * hi = 255/256, lo = 0 → scale = (255/256)/255 = 2^-8 exactly (FP16 exact), zp = rint(−128 − 0) = −128.
     * w/scale = 0.5, 1.5, 2.5, 3.5 round half to even: 0, 2, 2, 4 → q = −128, −126, −126, −124; 255 → 127.
     */
    @Test
    void roundsHalfToEven() {
        float step = 1f / 256f;
        float[] w = {0.5f * step, 1.5f * step, 2.5f * step, 3.5f * step, 255 * step, 0f, 0f, 0f};
        Int8BlockWeight q = new BlockQuantizer(8, false).quantize(w, 1, 8);
        assertEquals(step, q.scale(0, 0));
        assertEquals(-128, q.zeroPoint(0, 0));
        assertArrayEquals(new byte[]{-128, -126, -126, -124, 127, -128, -128, -128}, q.q());
    }

    /** All-negative block: lo = −255/256, hi = 0 → scale 2^-8, zp = rint(−128 + 255) = 127; −0.5 rounds to −0 → q =
     * 127.
     */
    @Test
    void negativeOnlyBlockUsesTopZeroPoint() {
        float step = 1f / 256f;
        float[] w = {-255 * step, -0.5f * step, -1.5f * step, 0f, 0f, 0f, 0f, 0f};
        Int8BlockWeight q = new BlockQuantizer(8, false).quantize(w, 1, 8);
        assertEquals(127, q.zeroPoint(0, 0));
        assertArrayEquals(new byte[]{-128, 127, 125, 127, 127, 127, 127, 127}, q.q());
        assertEquals(-255 * step, q.dequantize()[0]);
    }

    /** An all-zero block has scale (0 − 0)/255 = 0 → 1, zp = −128, every q = −128, dequantized exactly 0. */
    @Test
    void zeroBlockGetsScaleOne() {
        Int8BlockWeight q = new BlockQuantizer(8, false).quantize(new float[8], 1, 8);
        assertEquals(1f, q.scale(0, 0));
        assertEquals(-128, q.zeroPoint(0, 0));
        for (byte b : q.q()) assertEquals(-128, b);
        assertArrayEquals(new float[8], q.dequantize());
    }

    /**
     * k = 20, B = 8: blocks [0,8), [8,16), [16,20). The short last block has its own range:
     * values 0..3 at columns 16..19 → lo = 0, hi = 3, scale = fp16(3/255), independent of the big values earlier.
     */
    @Test
    void shortLastBlockAndBlockBoundaries() {
        float[] w = new float[20];
        for (int c = 0; c < 16; c++) w[c] = 100f;
        for (int c = 16; c < 20; c++) w[c] = c - 16;
        Int8BlockWeight q = new BlockQuantizer(8, false).quantize(w, 1, 20);
        assertEquals(3, q.blocksPerRow());
        assertEquals(3, q.scaleF16().length);
        assertEquals(fp16(3f / 255f), q.scale(0, 2));
        assertEquals(fp16(100f / 255f), q.scale(0, 0));
        assertEquals(-128, q.zeroPoint(0, 2));
        // 3/scale ≈ 255 → q = 127, the largest value maps to the top code.
        assertEquals(127, q.q()[19]);
        // bits per weight: 8 + 24·3/20
        assertEquals(8 + 24.0 * 3 / 20, q.bitsPerWeight(), 1e-12);
    }

    @Test
    void blockLargerThanRowIsPerChannel() {
        float[] w = randomWeights(3 * 50, 1);
        Int8BlockWeight big = new BlockQuantizer(64, false).quantize(w, 3, 50);
        Int8BlockWeight perChannel = new BlockQuantizer(BlockQuantizer.PER_CHANNEL, false).quantize(w, 3, 50);
        assertEquals(1, big.blocksPerRow());
        assertEquals(1, perChannel.blocksPerRow());
        assertArrayEquals(big.q(), perChannel.q());
        assertArrayEquals(big.scaleF16(), perChannel.scaleF16());
        for (int r = 0; r < 3; r++) {
            float lo = 0, hi = 0;
            for (int c = 0; c < 50; c++) { lo = Math.min(lo, w[r * 50 + c]); hi = Math.max(hi, w[r * 50 + c]); }
            assertEquals(fp16((hi - lo) / 255f), big.scale(r, 0));
        }
    }

    /** Properties the spec implies for any data: FP16 scale of the block range, error ≤ scale/2, codes in range. */
    @Test
    void randomWeightsStayWithinHalfAStep() {
        int rows = 17, k = 100, b = 32;
        float[] w = randomWeights(rows * k, 7);
        Int8BlockWeight q = new BlockQuantizer(b, false).quantize(w, rows, k);
        float[] deq = q.dequantize();
        float[] row = new float[k];
        for (int r = 0; r < rows; r++) {
            q.dequantizeRow(r, row);
            for (int c = 0; c < k; c++) assertEquals(deq[r * k + c], row[c]);
            for (int blk = 0; blk < 4; blk++) {
                int from = blk * b, to = Math.min(k, from + b);
                float lo = 0, hi = 0;
                for (int c = from; c < to; c++) { lo = Math.min(lo, w[r * k + c]); hi = Math.max(hi, w[r * k + c]); }
                float s = q.scale(r, blk);
                assertEquals(fp16((hi - lo) / 255f), s);
                for (int c = from; c < to; c++) {
                    // FP16 rounding can shrink the scale by ≤ 2^-11 relative, so the top code may clip by a hair.
                    assertTrue(Math.abs(w[r * k + c] - deq[r * k + c]) <= s * 0.5f + Math.abs(w[r * k + c]) * 1e-3f,
                            "r=" + r + " c=" + c);
                }
            }
        }
    }

    /** max|w| = 1.27 → scale = fp16(0.01) = 1311·2^-17; codes rint(w/scale): 1.27 → 127, −1.27 → −127, 0.005 → 0. */
    @Test
    void symmetricScheme() {
        float[] w = {1.27f, -1.27f, 0.005f, -0.5f, 0f, 0f, 0f, 0f};
        Int8BlockWeight q = new BlockQuantizer(8, true).quantize(w, 1, 8);
        float s = 1311f / 131072f;
        assertEquals(s, q.scale(0, 0));
        assertEquals(0, q.zeroPoint(0, 0));
        assertTrue(q.symmetric());
        assertEquals(127, q.q()[0]);
        assertEquals(-127, q.q()[1]);
        assertEquals(0, q.q()[2]);
        assertEquals((int) Math.rint(-0.5f / s), q.q()[3]); // −49.99 → −50
        assertEquals(-50, q.q()[3]);
    }

    @Test
    void transposedStorageQuantizesAlongTheInputDimension() {
        int rows = 6, k = 40;
        float[] w = randomWeights(rows * k, 3);
        float[] stored = new float[k * rows]; // [k, rows] as GPT-2 Conv1D holds [in, out]
        for (int r = 0; r < rows; r++) for (int c = 0; c < k; c++) stored[c * rows + r] = w[r * k + c];
        BlockQuantizer quantizer = new BlockQuantizer(16, false);
        Int8BlockWeight direct = quantizer.quantize(w, rows, k);
        Int8BlockWeight fromConv1D = quantizer.quantize(TensorData.ofFloats("h.0.attn.c_attn.weight", stored, k, rows),
                true);
        Int8BlockWeight fromLinear = quantizer.quantize(TensorData.ofFloats("q.weight", w, rows, k), false);
        assertEquals(rows, fromConv1D.rows());
        assertEquals(k, fromConv1D.k());
        assertArrayEquals(direct.q(), fromConv1D.q());
        assertArrayEquals(direct.scaleF16(), fromConv1D.scaleF16());
        assertArrayEquals(direct.zeroPoint(), fromConv1D.zeroPoint());
        assertArrayEquals(direct.q(), fromLinear.q());
    }

    @Test
    void readsHalfPrecisionWeights() {
        int rows = 4, k = 24;
        float[] w = randomWeights(rows * k, 5);
        MemorySegment seg = MemorySegment.ofArray(new byte[w.length * 2]);
        float[] asF16 = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            short h = Float.floatToFloat16(w[i]);
            seg.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i * 2L, h);
            asF16[i] = Float.float16ToFloat(h);
        }
        BlockQuantizer quantizer = new BlockQuantizer(8, false);
        Int8BlockWeight fromF16 = quantizer.quantize(new TensorData("w", DType.F16, new long[]{rows, k}, seg), false);
        assertArrayEquals(quantizer.quantize(asF16, rows, k).q(), fromF16.q());
    }

    /** Rows read one by one from the mapped BF16 tensor give the codes and blocks of the whole widened array. */
    @Test
    void bf16RowsStreamedGiveTheWholeArraysBlocks() {
        int rows = 1000, k = 100; // k not a multiple of the block: a short last block per row
        float[] w = randomWeights(rows * k, 11);
        MemorySegment seg = MemorySegment.ofArray(new byte[w.length * 2]);
        float[] widened = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            short b = (short) (Float.floatToRawIntBits(w[i]) >>> 16);
            seg.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i * 2L, b);
            widened[i] = Float.intBitsToFloat((b & 0xffff) << 16);
        }
        TensorData t = new TensorData("w", DType.BF16, new long[]{rows, k}, seg);
        for (boolean symmetric : new boolean[]{false, true}) {
            BlockQuantizer quantizer = new BlockQuantizer(32, symmetric);
            Int8BlockWeight streamed = quantizer.quantize(t, false), whole = quantizer.quantize(widened, rows, k);
            assertArrayEquals(whole.q(), streamed.q(), "symmetric " + symmetric);
            assertArrayEquals(whole.scaleF16(), streamed.scaleF16());
            assertArrayEquals(whole.zeroPoint(), streamed.zeroPoint());
        }
    }

    @Test
    void blockSizeBelowEightIsAUsageError() {
        AnewbException e = assertThrows(AnewbException.class, () -> new BlockQuantizer(7, false));
        assertEquals(AnewbException.Kind.USAGE, e.kind());
        assertTrue(e.getMessage().contains("at least 8"), e.getMessage());
        assertDoesNotThrow(() -> new BlockQuantizer(8, false));
    }

    @Test
    void nonFloatTensorIsRejectedWithItsName() {
        TensorData ids = new TensorData("ids", DType.I32, new long[]{2, 8}, MemorySegment.ofArray(new byte[64]));
        AnewbException e = assertThrows(AnewbException.class, () -> new BlockQuantizer(8, false).quantize(ids, false));
        assertTrue(e.getMessage().startsWith("ids:"), e.getMessage());
    }

    private static float fp16(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }

    static float[] randomWeights(int n, long seed) {
        Random random = new Random(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float) (random.nextGaussian() * 0.05);
        return w;
    }

    /**
     * Issue 17 #7: a NaN found by a worker thread of the parallel quantizer came back as a copy without a message
     * ("...query.weight: null" in 1 of 8 runs). Only the last rows hold NaN, so the worker threads find it.
     */
    @Test
    void aNanFoundByAWorkerThreadKeepsItsMessage() {
        int rows = 4096, k = 64;
        float[] w = randomWeights(rows * k, 3);
        for (int r = rows - 64; r < rows; r++) w[r * k + 5] = Float.NaN;
        TensorData t = TensorData.ofFloats("encoder.layer.0.attention.self.query.weight", w, rows, k);
        for (int run = 0; run < 30; run++) {
            AnewbException e = assertThrows(AnewbException.class,
                    () -> new BlockQuantizer(32, false).quantize(t, false));
            assertTrue(e.getMessage().startsWith("encoder.layer.0.attention.self.query.weight: a block spans"),
                    "run " + run + ": " + e.getMessage());
        }
    }
}

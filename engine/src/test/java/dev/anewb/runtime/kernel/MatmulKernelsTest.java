package dev.anewb.runtime.kernel;

import dev.anewb.quant.BlockQuantizer;
import dev.anewb.quant.Int8BlockWeight;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Both kernel families (Vector API and scalar) against closed forms and double-precision references. */
class MatmulKernelsTest {

    private static void assumeAvailable(boolean vector) {
        if (vector) assumeTrue(VectorMath.floatLanes() >= 8, "Vector API kernels need ≥ 8 float lanes on this CPU");
    }

    /** x = [1, 2, 3], W rows [1,0,0], [0,1,0], [1,1,1], [−1,2,−3] → x·Wᵀ = [1, 2, 6, −6], plus bias [10, 20, 30, 40].
     *
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void fp32SmallCaseByHand(boolean vector) {
        assumeAvailable(vector);
        float[] x = {1, 2, 3};
        float[] w = {1, 0, 0, 0, 1, 0, 1, 1, 1, -1, 2, -3};
        float[] y = new float[4];
        Fp32Kernels.matmul(x, 1, 3, w, new float[]{10, 20, 30, 40}, y, vector);
        assertArrayEquals(new float[]{11, 22, 36, 34}, y);
    }

    /** Against a double-precision reference; float32 error bound per element: k·2^-24·Σ|x·w|. */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void fp32RandomAgainstDoubleReference(boolean vector) {
        assumeAvailable(vector);
        int k = 77, rows = 19;   // k not a multiple of the lane count; rows not a multiple of the tile
        // Token counts reaching the 8-, 4- and 1-token micro-kernels and more than one 64-token chunk.
        for (int tokens : new int[]{1, 5, 8, 13, 70}) {
            float[] x = gaussian(tokens * k, 1, 1f);
            float[] w = gaussian(rows * k, 2, 0.1f);
            float[] bias = gaussian(rows, 3, 1f);
            float[] y = new float[tokens * rows];
            Fp32Kernels.matmul(x, tokens, k, w, bias, y, vector);
            assertWithinFloatBound(x, w, bias, tokens, k, rows, y);
            float[] noBias = new float[tokens * rows];
            Fp32Kernels.matmul(x, tokens, k, w, null, noBias, vector);
            assertWithinFloatBound(x, w, null, tokens, k, rows, noBias);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void fp16WeightsEqualWidenedFp32(boolean vector) {
        assumeAvailable(vector);
        int tokens = 3, k = 50, rows = 13;
        float[] x = gaussian(tokens * k, 4, 1f);
        float[] wf = gaussian(rows * k, 5, 0.1f);
        short[] wh = new short[wf.length];
        float[] widened = new float[wf.length];
        for (int i = 0; i < wf.length; i++) {
            wh[i] = Float.floatToFloat16(wf[i]);
            widened[i] = Float.float16ToFloat(wh[i]);
        }
        float[] y16 = new float[tokens * rows];
        float[] y32 = new float[tokens * rows];
        Fp16Kernels.matmul(x, tokens, k, wh, null, y16, vector);
        Fp32Kernels.matmul(x, tokens, k, widened, null, y32, vector);
        assertArrayEquals(y32, y16); // same dot on the same float32 weights: identical
        assertWithinFloatBound(x, widened, null, tokens, k, rows, y16);
    }

    /**
     * The fixtures' INT8 references dequantize and then run FP32; the fused kernel must agree to ~1e-5 relative.
     * Cases: k = 100 with B = 32 (short last block of 4), B = 128 > k (one block per row), B = 8, symmetric, and
     * one-sided weights and activations (zp = −128 everywhere, the worst cancellation in s·(Σq·x − z·Σx)).
     */
    @ParameterizedTest
    @ValueSource(strings = {"32,false,false", "128,false,false", "8,false,false", "32,true,false", "24,false,true",
            "100,false,true"})
    void int8FusedEqualsDequantizedFp32(String params) {
        String[] p = params.split(",");
        int blockSize = Integer.parseInt(p[0]);
        boolean symmetric = Boolean.parseBoolean(p[1]);
        boolean oneSided = Boolean.parseBoolean(p[2]);
        // 1 token (decode, straight from the codes); 7, 13, 32 and 40 (block by block: 8-, 4- and 1-token kernels).
        for (int tokens : new int[]{1, 7, 13, 32, 40}) int8Case(params, blockSize, symmetric, oneSided, tokens);
    }

    private static void int8Case(String params, int blockSize, boolean symmetric, boolean oneSided, int tokens) {
        int k = 100, rows = 21;
        params = params + ", " + tokens + " tokens";
        float[] x = gaussian(tokens * k, 6, 1f);
        float[] w = gaussian(rows * k, 7, 0.05f);
        if (oneSided) {
            for (int i = 0; i < x.length; i++) x[i] = Math.abs(x[i]);
            for (int i = 0; i < w.length; i++) w[i] = Math.abs(w[i]);
        }
        float[] bias = gaussian(rows, 8, 0.5f);
        Int8BlockWeight q = new BlockQuantizer(blockSize, symmetric).quantize(w, rows, k);
        float[] dequantized = q.dequantize();
        double[] reference = referenceMatmul(x, dequantized, bias, tokens, k, rows);
        for (boolean vector : new boolean[]{false, true}) {
            if (vector && VectorMath.floatLanes() < 8) continue;
            float[] y = new float[tokens * rows];
            Int8Kernels.matmul(x, tokens, q, bias, y, vector);
            double maxAbsRef = 0, maxDiff = 0;
            for (int i = 0; i < y.length; i++) {
                maxAbsRef = Math.max(maxAbsRef, Math.abs(reference[i]));
                maxDiff = Math.max(maxDiff, Math.abs(y[i] - reference[i]));
            }
            assertTrue(maxDiff <= 1e-5 * maxAbsRef, params + (vector ? " vector" : " scalar") + ": max diff " + maxDiff
                    + " vs max |y| " + maxAbsRef);
            // And element by element against the FP32 matmul of the dequantized weight, as the fixtures run it.
            float[] yDequantized = new float[tokens * rows];
            Fp32Kernels.matmul(x, tokens, k, dequantized, bias, yDequantized, vector);
            for (int i = 0; i < y.length; i++) assertEquals(yDequantized[i], y[i], 1e-5 * maxAbsRef, params
                    + " element " + i);
            // Groups of 4 and 8 tokens continue the FP32 kernel's fma chains block by block over the dequantized
            // weights: exactly the bits of "dequantize, then FP32" (single leftover tokens split their chains).
            if (vector && tokens > 1 && tokens % 4 == 0) assertArrayEquals(yDequantized, y, params);
        }
    }

    /** A quantized weight whose codes and scales are chosen by hand: q = [1, 2, 3, ...], s = 0.5, zp = 1 → w' = (q −
     * 1)/2.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void int8HandBuiltWeight(boolean vector) {
        assumeAvailable(vector);
        int k = 20, blockSize = 8; // blocks [0,8), [8,16), [16,20)
        byte[] q = new byte[k];
        for (int c = 0; c < k; c++) q[c] = (byte) (c + 1);
        short half = Float.floatToFloat16(0.5f);
        Int8BlockWeight w = new Int8BlockWeight(1, k, blockSize, false, q, new short[]{half, half, half},
                new byte[]{1, 1, 1});
        float[] x = new float[k];
        Arrays.fill(x, 1f);
        float[] y = new float[1];
        Int8Kernels.matmul(x, 1, w, null, y, vector);
        // Σ_c (c+1−1)/2 for c = 0..19 = (0+1+…+19)/2 = 190/2 = 95
        assertEquals(95f, y[0]);
    }

    @Test
    void rejectsMismatchedShapes() {
        assertThrows(IllegalArgumentException.class, () ->
                Fp32Kernels.matmul(new float[6], 2, 3, new float[7], null, new float[4]));
        assertThrows(IllegalArgumentException.class, () ->
                Fp32Kernels.matmul(new float[6], 2, 3, new float[6], new float[3], new float[4]));
        assertThrows(IllegalArgumentException.class, () ->
                Fp32Kernels.matmul(new float[5], 2, 3, new float[6], null, new float[4]));
    }

    @Test
    void kernelChoiceIsNamed() {
        assertFalse(Fp32Kernels.kernelDescription().isBlank());
    }

    private static void assertWithinFloatBound(float[] x, float[] w, float[] bias, int tokens, int k, int rows,
            float[] y) {
        double[] reference = referenceMatmul(x, w, bias, tokens, k, rows);
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < rows; r++) {
                double magnitude = bias == null ? 0 : Math.abs(bias[r]);
                for (int c = 0; c < k; c++) magnitude += Math.abs((double) x[t * k + c] * w[r * k + c]);
                double bound = (k + 2) * 0x1p-24 * magnitude;
                assertEquals(reference[t * rows + r], y[t * rows + r], bound, "t=" + t + " r=" + r);
            }
        }
    }

    static double[] referenceMatmul(float[] x, float[] w, float[] bias, int tokens, int k, int rows) {
        double[] y = new double[tokens * rows];
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < rows; r++) {
                double sum = bias == null ? 0 : bias[r];
                for (int c = 0; c < k; c++) sum += (double) x[t * k + c] * w[r * k + c];
                y[t * rows + r] = sum;
            }
        }
        return y;
    }

    static float[] gaussian(int n, long seed, float sigma) {
        Random random = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (random.nextGaussian() * sigma);
        return a;
    }
}

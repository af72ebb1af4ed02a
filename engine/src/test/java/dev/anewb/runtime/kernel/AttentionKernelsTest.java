package dev.anewb.runtime.kernel;

import dev.anewb.model.ChunkPlan;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

class AttentionKernelsTest {
    private static final int HEADS = 4, KV_HEADS = 2, HEAD_DIM = 16;
    private static final float SCALE = (float) (1 / Math.sqrt(HEAD_DIM));

    /** The band of spec/chunked-attention.md written out independently of ChunkPlan: may query i see key j? */
    private static boolean[][] bandMask(int n, int window, int overlap, boolean causal) {
        int s = window - overlap;
        boolean[][] mask = new boolean[n][n];
        for (int i = 0; i < n; i++) {
            int block = i / s;
            int lo = causal ? block * s - overlap : block * s - overlap / 2;
            int hi = causal ? (block + 1) * s : (block + 1) * s + (overlap + 1) / 2;
            for (int j = Math.max(0, lo); j < Math.min(n, hi); j++) mask[i][j] = !causal || j <= i;
        }
        return mask;
    }

    private static boolean[][] fullMask(int n, boolean causal) {
        boolean[][] mask = new boolean[n][n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) mask[i][j] = !causal || j <= i;
        return mask;
    }

    /**
     * Textbook attention with an explicit n × n mask: scores, −inf where masked, softmax with max subtraction,
     * then P·V; GQA head h reads kv head h / (heads / kvHeads). A fully masked row is zero.
     */
    private static float[] referenceAttention(float[] q, float[] k, float[] v, int n, boolean[][] mask,
            boolean[] keyValid) {
        int qWidth = HEADS * HEAD_DIM, kvWidth = KV_HEADS * HEAD_DIM;
        float[] out = new float[n * qWidth];
        for (int h = 0; h < HEADS; h++) {
            int kvHead = h / (HEADS / KV_HEADS);
            for (int i = 0; i < n; i++) {
                float[] scores = new float[n];
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    if (!mask[i][j] || (keyValid != null
                            && !keyValid[j])) { scores[j] = Float.NEGATIVE_INFINITY; continue; }
                    float dot = 0f;
                    for (int d = 0; d < HEAD_DIM; d++) dot += q[i * qWidth + h * HEAD_DIM + d]
                            * k[j * kvWidth + kvHead * HEAD_DIM + d];
                    scores[j] = dot * SCALE;
                    max = Math.max(max, scores[j]);
                }
                if (max == Float.NEGATIVE_INFINITY) continue;
                float sum = 0f;
                for (int j = 0; j < n; j++) { scores[j] = (float) Math.exp(scores[j] - max); sum += scores[j]; }
                for (int j = 0; j < n; j++) {
                    float p = scores[j] / sum;
                    for (int d = 0; d < HEAD_DIM; d++) out[i * qWidth + h * HEAD_DIM + d] += p
                            * v[j * kvWidth + kvHead * HEAD_DIM + d];
                }
            }
        }
        return out;
    }

    private static float[] run(float[] q, float[] k, float[] v, ChunkPlan plan, boolean[] keyValid) {
        float[] out = new float[plan.length() * HEADS * HEAD_DIM];
        AttentionKernels.attend(q, k, v, HEADS, KV_HEADS, HEAD_DIM, SCALE, plan, keyValid, out);
        return out;
    }

    private static float[] run(float[] q, float[] k, float[] v, ChunkPlan plan, boolean[] keyValid, boolean vector) {
        float[] out = new float[plan.length() * HEADS * HEAD_DIM];
        AttentionKernels.attend(q, 0, plan.length(), k, v, plan.length(), HEADS, KV_HEADS, HEAD_DIM, SCALE, plan,
                keyValid, out, vector);
        return out;
    }

    private static float[][] qkv(int n, long seed) {
        return new float[][]{
                MatmulKernelsTest.gaussian(n * HEADS * HEAD_DIM, seed, 1f),
                MatmulKernelsTest.gaussian(n * KV_HEADS * HEAD_DIM, seed + 1, 1f),
                MatmulKernelsTest.gaussian(n * KV_HEADS * HEAD_DIM, seed + 2, 1f)};
    }

    private static void assertClose(float[] expected, float[] actual, double tolerance) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], actual[i], tolerance, "element " + i);
    }

    @Test
    void chunkedEncoderEqualsFullAttentionWithTheBandMask() {
        int n = 37;
        float[][] t = qkv(n, 11);
        float[] chunked = run(t[0], t[1], t[2], ChunkPlan.of(n, 8, 3, false), null);
        assertClose(referenceAttention(t[0], t[1], t[2], n, bandMask(n, 8, 3, false), null), chunked, 1e-6);
        // and the band really changes the result: it is not full attention
        assertFalse(Arrays.equals(referenceAttention(t[0], t[1], t[2], n, fullMask(n, false), null), chunked));
    }

    @Test
    void chunkedCausalEqualsFullAttentionWithBandAndCausalMask() {
        int n = 29;
        float[][] t = qkv(n, 21);
        float[] chunked = run(t[0], t[1], t[2], ChunkPlan.of(n, 6, 2, true), null);
        assertClose(referenceAttention(t[0], t[1], t[2], n, bandMask(n, 6, 2, true), null), chunked, 1e-6);
    }

    /**
     * spec: W ≥ n is exactly full attention, bit-for-bit in FP32. The scalar kernels follow the textbook order of
     * operations, so they equal the reference bit for bit; the Vector API kernels sum in lane order, so for them
     * W ≥ n must equal their own full attention bit for bit, and the reference to float rounding.
     */
    @Test
    void windowAtLeastLengthIsFullAttentionBitForBit() {
        int n = 23;
        float[][] t = qkv(n, 31);
        for (boolean causal : new boolean[]{false, true}) {
            float[] expected = referenceAttention(t[0], t[1], t[2], n, fullMask(n, causal), null);
            assertArrayEquals(expected, run(t[0], t[1], t[2], ChunkPlan.of(n, n, 5, causal), null, false));
            assertArrayEquals(expected, run(t[0], t[1], t[2], ChunkPlan.of(n, 4 * n, 0, causal), null, false));
            assertArrayEquals(expected, run(t[0], t[1], t[2], ChunkPlan.full(n, causal), null, false));
            if (VectorMath.floatLanes() < 8) continue;
            float[] full = run(t[0], t[1], t[2], ChunkPlan.full(n, causal), null, true);
            assertArrayEquals(full, run(t[0], t[1], t[2], ChunkPlan.of(n, n, 5, causal), null, true));
            assertArrayEquals(full, run(t[0], t[1], t[2], ChunkPlan.of(n, 4 * n, 0, causal), null, true));
            assertClose(expected, full, 1e-6);
        }
    }

    @Test
    void paddingKeysAreMaskedAndAFullyMaskedRowIsZero() {
        int n = 12;
        float[][] t = qkv(n, 41);
        boolean[] keyValid = new boolean[n];
        Arrays.fill(keyValid, true);
        keyValid[0] = false;
        keyValid[9] = keyValid[10] = keyValid[11] = false;
        float[] encoder = run(t[0], t[1], t[2], ChunkPlan.full(n, false), keyValid);
        assertClose(referenceAttention(t[0], t[1], t[2], n, fullMask(n, false), keyValid), encoder, 1e-6);
        // causal: query 0 may only see key 0, which is padding → zeros, not NaN
        float[] causal = run(t[0], t[1], t[2], ChunkPlan.of(n, 4, 1, true), keyValid);
        for (int c = 0; c < HEADS * HEAD_DIM; c++) assertEquals(0f, causal[c]);
        for (float value : causal) assertFalse(Float.isNaN(value));
        assertClose(referenceAttention(t[0], t[1], t[2], n, bandMask(n, 4, 1, true), keyValid), causal, 1e-6);
    }

    /**
     * Closed form: q = 0 makes every score 0, so softmax is uniform over the allowed keys and the output is their
     * mean value. n = 10, W = 4, O = 2 (S = 2), encoder: query 5 is in block 2, keys [3, 7) → mean of v[3..6].
     * Causal: query 5 → keys [2, 6) ∩ ≤ 5 = 2..5.
     */
    @Test
    void uniformScoresAverageTheBandsValues() {
        int n = 10;
        float[] q = new float[n * HEADS * HEAD_DIM];
        float[] k = MatmulKernelsTest.gaussian(n * KV_HEADS * HEAD_DIM, 51, 1f);
        float[] v = new float[n * KV_HEADS * HEAD_DIM];
        for (int j = 0; j < n; j++) for (int c = 0; c < KV_HEADS * HEAD_DIM; c++) v[j * KV_HEADS * HEAD_DIM
                + c] = j; // value = key position
        float[] encoder = run(q, k, v, ChunkPlan.of(n, 4, 2, false), null);
        float[] causal = run(q, k, v, ChunkPlan.of(n, 4, 2, true), null);
        int row5 = 5 * HEADS * HEAD_DIM;
        for (int c = 0; c < HEADS * HEAD_DIM; c++) {
            assertEquals((3 + 4 + 5 + 6) / 4f, encoder[row5 + c], 1e-6);
            assertEquals((2 + 3 + 4 + 5) / 4f, causal[row5 + c], 1e-6);
            assertEquals(0f, causal[c], 1e-6);                           // query 0 sees only key 0
            assertEquals((0 + 1 + 2) / 3f, encoder[c], 1e-6);            // block 0: keys [0, 3)
        }
    }

    /**
     * Encoder attention runs four queries at a time through shared key/value loads; each query must get exactly
     * the bits it gets alone (a call for one query takes the one-query kernel). Head sizes 32, 48 and 64 reach the
     * four-query loops and their tails, n up to 133 the 64-key groups and the scalar key tail; padding keys too.
     */
    @Test
    void fourQueriesAtOnceGiveTheBitsOfOneAtATime() {
        for (int headDim : new int[]{32, 48, 64}) {
            for (int n : new int[]{5, 37, 70, 133}) {
                int heads = 2, qWidth = heads * headDim;
                float scale = (float) (1 / Math.sqrt(headDim));
                float[] q = MatmulKernelsTest.gaussian(n * qWidth, 71 + n, 1f);
                float[] k = MatmulKernelsTest.gaussian(n * qWidth, 72 + n, 1f);
                float[] v = MatmulKernelsTest.gaussian(n * qWidth, 73 + n, 1f);
                boolean[] keyValid = new boolean[n];
                for (int j = 0; j < n; j++) keyValid[j] = j < n - 3;
                for (boolean[] valid : new boolean[][]{null, keyValid}) {
                    ChunkPlan plan = ChunkPlan.full(n, false);
                    float[] all = new float[n * qWidth];
                    AttentionKernels.attend(q, 0, n, k, v, n, heads, heads, headDim, scale, plan, valid, all);
                    for (int p = 0; p < n; p++) {
                        float[] one = new float[qWidth];
                        AttentionKernels.attend(Arrays.copyOfRange(q, p * qWidth, (p + 1) * qWidth), p, 1, k, v, n,
                                heads, heads, headDim, scale, plan, valid, one);
                        assertArrayEquals(one, Arrays.copyOfRange(all, p * qWidth, (p + 1) * qWidth),
                                "headDim " + headDim + ", n " + n + ", position " + p
                                        + (valid == null ? "" : ", padded"));
                    }
                }
            }
        }
    }

    /** Incremental decoding of position p against a cache of p + 1 keys gives prefill's row p. */
    @Test
    void decodeOfOnePositionMatchesPrefill() {
        int n = 19, qWidth = HEADS * HEAD_DIM;
        float[][] t = qkv(n, 61);
        ChunkPlan plan = ChunkPlan.of(n, 6, 2, true);
        float[] prefill = run(t[0], t[1], t[2], plan, null);
        for (int p : new int[]{0, 3, 4, 11, 18}) {
            float[] qRow = Arrays.copyOfRange(t[0], p * qWidth, (p + 1) * qWidth);
            float[] out = new float[qWidth];
            AttentionKernels.attend(qRow, p, 1, t[1], t[2], p + 1, HEADS, KV_HEADS, HEAD_DIM, SCALE, plan, null, out);
            assertArrayEquals(Arrays.copyOfRange(prefill, p * qWidth, (p + 1) * qWidth), out, "position " + p);
        }
    }

    @Test
    void rejectsHeadsNotAMultipleOfKvHeads() {
        assertThrows(IllegalArgumentException.class, () ->
                AttentionKernels.attend(new float[48], new float[32], new float[32],
                3, 2, 8, 1f, ChunkPlan.full(2, false), null, new float[48]));
    }
}

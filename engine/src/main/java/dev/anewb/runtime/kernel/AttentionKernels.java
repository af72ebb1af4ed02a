package dev.anewb.runtime.kernel;

import dev.anewb.model.ChunkPlan;

import java.util.Arrays;

/**
 * Reference scaled-dot-product attention for one sequence, all heads: {@code softmax(q·kᵀ·scale + mask)·v} with
 * the mask = key padding ∧ causal ∧ the {@link ChunkPlan} band. Each query only scores the keys of its block's
 * range, so a chunked plan never holds an n × n buffer. Softmax is float32 with max subtraction; a query with no
 * allowed key gets a zero output, never NaN. With a full plan and no padding this is standard full attention.
 *
 * <p>Layouts are token-major as the projections produce them: {@code q, out [queries, heads·headDim]},
 * {@code k, v [keys, kvHeads·headDim]}. Grouped-query attention: head {@code h} reads kv head
 * {@code h / (heads / kvHeads)}.
 */
public final class AttentionKernels {
    private AttentionKernels() { }

    /**
     * Attention of all {@code n = plan.length()} positions of a sequence to each other (prefill / encoder).
     *
     * @param keyValid null, or {@code [n]} with false for padding keys
     * @param out      {@code [n, heads·headDim]}, overwritten
     */
    public static void attend(float[] q, float[] k, float[] v, int heads, int kvHeads, int headDim, float scale,
                              ChunkPlan plan, boolean[] keyValid, float[] out) {
        attend(q, 0, plan.length(), k, v, plan.length(), heads, kvHeads, headDim, scale, plan, keyValid, out);
    }

    /**
     * Attention of the queries at positions {@code [queryStart, queryStart + queryCount)} to the keys at positions
     * {@code [0, keyCount)}, e.g. one new token against a KV cache during incremental decoding. Every query
     * position must lie in {@code [0, plan.length())}; the plan's band and causal rule decide which keys it sees,
     * the same rule as in prefill.
     *
     * @param q        {@code [queryCount, heads·headDim]}
     * @param k        {@code [keyCount, kvHeads·headDim]} (at least)
     * @param v        same layout as {@code k}
     * @param keyValid null, or at least {@code keyCount} flags, false for padding keys
     * @param out      {@code [queryCount, heads·headDim]}, overwritten
     */
    public static void attend(float[] q, int queryStart, int queryCount, float[] k, float[] v, int keyCount,
                              int heads, int kvHeads, int headDim, float scale, ChunkPlan plan, boolean[] keyValid,
                                      float[] out) {
        attend(q, queryStart, queryCount, k, v, keyCount, heads, kvHeads, headDim, scale, plan, keyValid, out,
                KernelSelection.VECTOR);
    }

    /**
     * {@link #attend(float[], int, int, float[], float[], int, int, int, int, float, ChunkPlan, boolean[], float[])}
     * with the
     * kernel family chosen by the caller (tests run both). The scalar family is the textbook order of operations
     * (dot, exp, p = e/Σ, out += p·v) bit for bit; the Vector API family sums in lane order.
     */
    static void attend(float[] q, int queryStart, int queryCount, float[] k, float[] v, int keyCount,
                       int heads, int kvHeads, int headDim, float scale, ChunkPlan plan, boolean[] keyValid,
                               float[] out, boolean vector) {
        if (heads < 1 || kvHeads < 1 || heads % kvHeads != 0 || headDim < 1) {
            throw new IllegalArgumentException("heads=" + heads + ", kvHeads=" + kvHeads + ", headDim=" + headDim
                    + ": heads must be a multiple of kvHeads");
        }
        if (queryCount == 0) return;
        if (queryStart < 0 || queryStart + queryCount > plan.length()) {
            throw new IllegalArgumentException("queries [" + queryStart + ", " + (queryStart + queryCount)
                    + ") outside the plan's " + plan.length() + " positions");
        }
        int qWidth = heads * headDim, kvWidth = kvHeads * headDim;
        if (q.length < (long) queryCount * qWidth || out.length < (long) queryCount * qWidth
                || k.length < (long) keyCount * kvWidth || v.length < (long) keyCount * kvWidth
                || (keyValid != null && keyValid.length < keyCount)) {
            throw new IllegalArgumentException("array too short for " + queryCount + " queries, " + keyCount
                    + " keys, " + heads + "×" + headDim);
        }
        // A mask that lets every key through changes nothing: drop it, so no query pays a masking pass over its keys
        // (a BERT-style model always brings one, usually all true).
        if (keyValid != null && allTrue(keyValid, keyCount)) keyValid = null;
        boolean[] valid = keyValid;
        int groupSize = heads / kvHeads;
        int firstBlock = plan.blockOf(queryStart), lastBlock = plan.blockOf(queryStart + queryCount - 1);
        int blockCount = lastBlock - firstBlock + 1;
        // One task per (head, query block): its scores fit one key range, at most W (or n when full).
        EnginePool.forRange(heads * blockCount, task -> {
            int h = task / blockCount, block = firstBlock + task % blockCount;
            int kvHead = h / groupSize;
            int keyStart = plan.keyStart(block), keyEnd = Math.min(plan.keyEnd(block), keyCount);
            int n = Math.max(0, keyEnd - keyStart);
            int from = Math.max(plan.queryStart(block), queryStart),
                    to = Math.min(plan.queryEnd(block), queryStart + queryCount);
            // This head's keys of the range, transposed [headDim][stride]: q·k for 16 keys at once is then headDim
            // broadcast-fmas, with no horizontal sum per key. The row stride is padded off a multiple of 1 KiB so
            // the headDim rows do not all fall into the same L1 sets. Its values, copied to [n][headDim] rows, stream.
            int stride = n + (n % 256 == 0 ? 16 : 0);
            float[][] scratch = SCRATCH.get();
            float[] kt = scratch(scratch, 0, headDim * stride);
            float[] vh = scratch(scratch, 1, n * headDim);
            for (int j = 0; j < n; j++) {
                int kOff = (keyStart + j) * kvWidth + kvHead * headDim;
                for (int d = 0; d < headDim; d++) kt[d * stride + j] = k[kOff + d];
                System.arraycopy(v, kOff, vh, j * headDim, headDim);
            }
            float[] scores = scratch(scratch, 2, 4 * n);
            int position = from;
            if (vector && !plan.causal()) {
                // Without the causal cut every query of the block sees the same keys: four at a time, so each key
                // and value vector loaded feeds four queries (same bits as one at a time).
                for (; position + 4 <= to; position += 4) {
                    int qOff = (position - queryStart) * qWidth + h * headDim;
                    AttentionVector.attendFour(q, qOff, qWidth, kt, stride, vh, headDim, scale, valid, keyStart,
                            keyEnd, scores,
                            out);
                }
            }
            for (; position < to; position++) {
                int qOff = (position - queryStart) * qWidth + h * headDim;
                // Keys a query may see form one range: the block's band, cut at the query itself when causal.
                int hi = plan.causal() ? Math.min(keyEnd, position + 1) : keyEnd;
                if (vector) AttentionVector.attendOne(q, qOff, kt, stride, vh, headDim, scale, valid, keyStart, hi,
                        scores, out, qOff);
                else attendOne(q, qOff, kt, stride, vh, headDim, scale, valid, keyStart, hi, scores, out, qOff);
            }
        });
    }

    /**
     * Per-thread scratch of the tasks (transposed keys, values, scores), grown as needed and reused: every element a
     * task reads it has written first. Allocating them per (head, block) was ~100 arrays per layer.
     */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[3][0]);

    private static boolean allTrue(boolean[] flags, int n) {
        for (int i = 0; i < n; i++) if (!flags[i]) return false;
        return true;
    }

    private static float[] scratch(float[][] s, int i, int n) {
        if (s[i].length < n) s[i] = new float[n];
        return s[i];
    }

    /** One query against keys [keyStart, keyEnd); kt and vh hold the task's key range from keyStart on. */
    private static void attendOne(float[] q, int qOff, float[] kt, int n, float[] vh, int headDim, float scale,
                                  boolean[] keyValid, int keyStart, int keyEnd, float[] scores, float[] out,
                                          int outOff) {
        Arrays.fill(out, outOff, outOff + headDim, 0f);
        int m = keyEnd - keyStart;
        if (m <= 0) return;
        scoresTransposed(q, qOff, kt, n, m, headDim, scale, scores);
        if (keyValid != null) for (int j = 0; j < m; j++) if (!keyValid[keyStart
                + j]) scores[j] = Float.NEGATIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < m; j++) max = Math.max(max, scores[j]);
        if (max == Float.NEGATIVE_INFINITY) return; // every key masked: zeros rather than 0/0
        float sum = expShifted(scores, m, max);
        for (int j = 0; j < m; j++) {
            if (scores[j] == 0f) continue; // masked keys (and underflow) add nothing
            float p = scores[j] / sum;
            int vOff = j * headDim;
            for (int d = 0; d < headDim; d++) out[outOff + d] += p * vh[vOff + d];
        }
    }

    /**
     * scores[j] = scale·Σ_d q[d]·kt[d·n + j] for j < m: per key the same sums in the same order as a plain dot
     * product, while the inner loop runs over keys (which C2 can vectorise).
     */
    static void scoresTransposed(float[] q, int qOff, float[] kt, int n, int m, int headDim, float scale,
            float[] scores) {
        Arrays.fill(scores, 0, m, 0f);
        for (int d = 0; d < headDim; d++) {
            float qd = q[qOff + d];
            int row = d * n;
            for (int j = 0; j < m; j++) scores[j] += qd * kt[row + j];
        }
        for (int j = 0; j < m; j++) scores[j] *= scale;
    }

    /** scores[j] ← exp(scores[j] − max) for j < m; returns their sum (exp(−∞) = 0 for masked keys). */
    static float expShifted(float[] scores, int m, float max) {
        float sum = 0f;
        for (int j = 0; j < m; j++) {
            float e = (float) Math.exp(scores[j] - max);
            scores[j] = e;
            sum += e;
        }
        return sum;
    }
}

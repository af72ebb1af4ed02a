package dev.anewb.runtime;

import dev.anewb.convert.ChunkPlan;

import java.util.Arrays;
import java.util.stream.IntStream;

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
                              int heads, int kvHeads, int headDim, float scale, ChunkPlan plan, boolean[] keyValid, float[] out) {
        if (heads < 1 || kvHeads < 1 || heads % kvHeads != 0 || headDim < 1) {
            throw new IllegalArgumentException("heads=" + heads + ", kvHeads=" + kvHeads + ", headDim=" + headDim + ": heads must be a multiple of kvHeads");
        }
        if (queryCount == 0) return;
        if (queryStart < 0 || queryStart + queryCount > plan.length()) {
            throw new IllegalArgumentException("queries [" + queryStart + ", " + (queryStart + queryCount) + ") outside the plan's " + plan.length() + " positions");
        }
        int qWidth = heads * headDim, kvWidth = kvHeads * headDim;
        if (q.length < (long) queryCount * qWidth || out.length < (long) queryCount * qWidth
                || k.length < (long) keyCount * kvWidth || v.length < (long) keyCount * kvWidth
                || (keyValid != null && keyValid.length < keyCount)) {
            throw new IllegalArgumentException("array too short for " + queryCount + " queries, " + keyCount + " keys, " + heads + "×" + headDim);
        }
        int groupSize = heads / kvHeads;
        int firstBlock = plan.blockOf(queryStart), lastBlock = plan.blockOf(queryStart + queryCount - 1);
        int blockCount = lastBlock - firstBlock + 1;
        // One task per (head, query block): its scores fit one key range, at most W (or n when full).
        IntStream.range(0, heads * blockCount).parallel().forEach(task -> {
            int h = task / blockCount, block = firstBlock + task % blockCount;
            int kvHead = h / groupSize;
            int keyStart = plan.keyStart(block), keyEnd = Math.min(plan.keyEnd(block), keyCount);
            float[] weights = new float[Math.max(0, keyEnd - keyStart)];
            boolean[] use = new boolean[weights.length];
            int from = Math.max(plan.queryStart(block), queryStart), to = Math.min(plan.queryEnd(block), queryStart + queryCount);
            for (int position = from; position < to; position++) {
                int qOff = (position - queryStart) * qWidth + h * headDim;
                attendOne(q, qOff, k, v, kvWidth, kvHead * headDim, headDim, scale, plan, keyValid, position, keyStart, keyEnd,
                        weights, use, out, qOff);
            }
        });
    }

    private static void attendOne(float[] q, int qOff, float[] k, float[] v, int kvWidth, int kvOff, int headDim, float scale,
                                  ChunkPlan plan, boolean[] keyValid, int position, int keyStart, int keyEnd,
                                  float[] weights, boolean[] use, float[] out, int outOff) {
        float max = Float.NEGATIVE_INFINITY;
        boolean any = false;
        for (int j = keyStart; j < keyEnd; j++) {
            boolean allowed = plan.allowed(position, j) && (keyValid == null || keyValid[j]);
            use[j - keyStart] = allowed;
            if (!allowed) continue;
            float dot = 0f;
            int kOff = j * kvWidth + kvOff;
            for (int d = 0; d < headDim; d++) dot += q[qOff + d] * k[kOff + d];
            float score = dot * scale;
            weights[j - keyStart] = score;
            max = Math.max(max, score);
            any = true;
        }
        Arrays.fill(out, outOff, outOff + headDim, 0f);
        if (!any) return; // every key masked: zeros rather than 0/0
        float sum = 0f;
        for (int j = keyStart; j < keyEnd; j++) {
            if (!use[j - keyStart]) continue;
            float e = (float) Math.exp(weights[j - keyStart] - max);
            weights[j - keyStart] = e;
            sum += e;
        }
        for (int j = keyStart; j < keyEnd; j++) {
            if (!use[j - keyStart]) continue;
            float p = weights[j - keyStart] / sum;
            int vOff = j * kvWidth + kvOff;
            for (int d = 0; d < headDim; d++) out[outOff + d] += p * v[vOff + d];
        }
    }
}

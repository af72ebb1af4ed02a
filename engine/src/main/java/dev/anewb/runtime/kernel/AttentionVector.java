package dev.anewb.runtime.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * The Vector API attention of {@link AttentionKernels}: scores over transposed keys 16 keys per fma, softmax with a
 * written-out exp, P·V; one query or four sharing the key and value loads.
 */
final class AttentionVector {
    private static final VectorSpecies<Float> F = VectorMath.F;
    private static final float EXP_HI = VectorMath.EXP_HI, EXP_LO = VectorMath.EXP_LO;
    private AttentionVector() { }

    private static final ThreadLocal<float[]> FOUR = ThreadLocal.withInitial(() -> new float[4]);

    /**
     * Four consecutive queries (q rows {@code qWidth} apart, outputs likewise) against the same keys
     * [keyStart, keyEnd): {@link #attendOne}'s operations for each, with the two dot-product passes shared.
     */
    static void attendFour(float[] q, int qOff, int qWidth, float[] kt, int n, float[] vh, int headDim, float scale,
                           boolean[] keyValid, int keyStart, int keyEnd, float[] scores, float[] out) {
        int m = keyEnd - keyStart;
        if (m <= 0) {
            for (int i = 0; i < 4; i++) Arrays.fill(out, qOff + i * qWidth, qOff + i * qWidth + headDim, 0f);
            return;
        }
        scoresTransposed4(q, qOff, qWidth, kt, n, m, headDim, scale, scores, m);
        float[] inv = FOUR.get();
        for (int i = 0; i < 4; i++) {
            int off = i * m;
            if (keyValid != null) for (int j = 0; j < m; j++) if (!keyValid[keyStart + j]) scores[off
                    + j] = Float.NEGATIVE_INFINITY;
            float max = max(scores, off, m);
            if (max == Float.NEGATIVE_INFINITY) {
                // every key masked for these queries (they share the keys): zeros, as attendOne gives
                for (int r = 0; r < 4; r++) Arrays.fill(out, qOff + r * qWidth, qOff + r * qWidth + headDim, 0f);
                return;
            }
            inv[i] = 1f / expShifted(scores, off, m, max);
        }
        weightedSum4(scores, m, m, inv, vh, headDim, out, qOff, qWidth, headDim);
    }

    /** One query against keys [keyStart, keyEnd): {@link AttentionKernels}' scalar attendOne, 16 keys per vector. */
    static void attendOne(float[] q, int qOff, float[] kt, int n, float[] vh, int headDim, float scale,
                          boolean[] keyValid, int keyStart, int keyEnd, float[] scores, float[] out, int outOff) {
        Arrays.fill(out, outOff, outOff + headDim, 0f);
        int m = keyEnd - keyStart;
        if (m <= 0) return;
        scoresTransposed(q, qOff, kt, n, m, headDim, scale, scores, 0, 0);
        if (keyValid != null) for (int j = 0; j < m; j++) if (!keyValid[keyStart
                + j]) scores[j] = Float.NEGATIVE_INFINITY;
        float max = max(scores, 0, m);
        if (max == Float.NEGATIVE_INFINITY) return; // every key masked: zeros rather than 0/0
        float inv = 1f / expShifted(scores, 0, m, max);
        weightedSum(scores, 0, m, inv, vh, 0, headDim, 0, out, outOff, headDim, 0);
    }


    /** Same contract as {@link AttentionKernels#scoresTransposed}: 16 keys per fma, no horizontal sums. */
    static void scoresTransposed(float[] q, int qOff, float[] kt, int n, int m, int headDim, float scale,
            float[] scores, int sOff, int jFrom) {
        int lanes = F.length(), upper = F.loopBound(m);
        int j = jFrom;
        // Four groups of keys per pass: four independent fma chains instead of one waiting on its own latency.
        for (; j + 4 * lanes <= upper; j += 4 * lanes) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int d = 0, row = j; d < headDim; d++, row += n) {
                FloatVector qd = FloatVector.broadcast(F, q[qOff + d]);
                a0 = FloatVector.fromArray(F, kt, row).fma(qd, a0);
                a1 = FloatVector.fromArray(F, kt, row + lanes).fma(qd, a1);
                a2 = FloatVector.fromArray(F, kt, row + 2 * lanes).fma(qd, a2);
                a3 = FloatVector.fromArray(F, kt, row + 3 * lanes).fma(qd, a3);
            }
            a0.mul(scale).intoArray(scores, sOff + j);
            a1.mul(scale).intoArray(scores, sOff + j + lanes);
            a2.mul(scale).intoArray(scores, sOff + j + 2 * lanes);
            a3.mul(scale).intoArray(scores, sOff + j + 3 * lanes);
        }
        for (; j < upper; j += lanes) {
            FloatVector acc = FloatVector.zero(F);
            for (int d = 0, row = j; d < headDim; d++, row += n) acc = FloatVector.fromArray(F, kt,
                    row).fma(FloatVector.broadcast(F, q[qOff + d]), acc);
            acc.mul(scale).intoArray(scores, sOff + j);
        }
        for (; j < m; j++) {
            float acc = 0f;
            for (int d = 0; d < headDim; d++) acc = Math.fma(q[qOff + d], kt[d * n + j], acc);
            scores[sOff + j] = acc * scale;
        }
    }

    /** max over scores[off..off+m) (NaN-free input: scores are finite or −∞). */
    static float max(float[] scores, int off, int m) {
        int lanes = F.length(), upper = F.loopBound(m), j = 0;
        FloatVector mx = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (; j < upper; j += lanes) mx = mx.max(FloatVector.fromArray(F, scores, off + j));
        float r = mx.reduceLanes(VectorOperators.MAX);
        for (; j < m; j++) r = Math.max(r, scores[off + j]);
        return r;
    }

    /**
     * Same contract as {@link AttentionKernels#expShifted}. {@link #exp}'s body is written out here, operation for
     * operation (same bits): as a call it is 282 bytecodes, which C2 inlines only into a call site it already
     * considers hot, and compiled on its own every FloatVector it takes and returns is a heap object. Whether the
     * attention softmax ran boxed (gigabytes of garbage per second, GC every pass) depended on that JIT decision.
     */
    static float expShifted(float[] scores, int off, int m, float max) {
        int lanes = F.length(), upper = F.loopBound(m);
        FloatVector sum = FloatVector.zero(F);
        int j = 0;
        for (; j < upper; j += lanes) {
            FloatVector x = FloatVector.fromArray(F, scores, off + j).sub(max);
            FloatVector xc = x.max(EXP_LO);
            FloatVector z = xc.fma(1.44269504088896341f, VectorMath.ROUND);
            FloatVector t = z.sub(VectorMath.ROUND);
            FloatVector r = t.fma(FloatVector.broadcast(F, 2.12194440e-4f),
                    t.fma(FloatVector.broadcast(F, -0.693359375f), xc));
            FloatVector y = FloatVector.broadcast(F, 1.9875691500e-4f);
            y = y.fma(r, FloatVector.broadcast(F, 1.3981999507e-3f));
            y = y.fma(r, FloatVector.broadcast(F, 8.3334519073e-3f));
            y = y.fma(r, FloatVector.broadcast(F, 4.1665795894e-2f));
            y = y.fma(r, FloatVector.broadcast(F, 1.6666665459e-1f));
            y = y.fma(r, FloatVector.broadcast(F, 5.0000001201e-1f));
            y = r.mul(r).fma(y, r).add(1f);
            FloatVector pow2 = (FloatVector) ((IntVector) z.reinterpretAsInts()).add(VectorMath.EXP_BIAS_FROM_ROUND)
                    .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector e = y.mul(pow2).blend(0f, x.compare(VectorOperators.LT, EXP_LO));
            e.intoArray(scores, off + j);
            sum = sum.add(e);
        }
        float s = VectorMath.sumLanes(sum);
        for (; j < m; j++) {
            float e = (float) Math.exp(scores[off + j] - max);
            scores[off + j] = e;
            s += e;
        }
        return s;
    }

    /**
     * out[outOff + d] = scale·Σ_{j<m} p[j]·v[(keyStart + j)·stride + vOff + d] for d < headDim: the accumulators stay
     * in registers across all keys (one lane group of head dims at a time, four keys per step).
     */
    static void weightedSum(float[] p, int pOff, int m, float scale, float[] v, int keyStart, int stride, int vOff,
            float[] out, int outOff, int headDim, int dFrom) {
        int lanes = F.length(), upper = F.loopBound(headDim), d = dFrom;
        // Two lane groups of head dims × two keys per step: four independent fma chains.
        for (; d + 2 * lanes <= upper; d += 2 * lanes) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0;
            int j = 0, o = keyStart * stride + vOff + d;
            for (; j + 2 <= m; j += 2, o += 2 * stride) {
                FloatVector pj = FloatVector.broadcast(F, p[pOff + j]), pk = FloatVector.broadcast(F, p[pOff + j + 1]);
                a0 = FloatVector.fromArray(F, v, o).fma(pj, a0);
                a1 = FloatVector.fromArray(F, v, o + lanes).fma(pj, a1);
                b0 = FloatVector.fromArray(F, v, o + stride).fma(pk, b0);
                b1 = FloatVector.fromArray(F, v, o + stride + lanes).fma(pk, b1);
            }
            if (j < m) {
                FloatVector pj = FloatVector.broadcast(F, p[pOff + j]);
                a0 = FloatVector.fromArray(F, v, o).fma(pj, a0);
                a1 = FloatVector.fromArray(F, v, o + lanes).fma(pj, a1);
            }
            a0.add(b0).mul(scale).intoArray(out, outOff + d);
            a1.add(b1).mul(scale).intoArray(out, outOff + d + lanes);
        }
        for (; d < upper; d += lanes) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            int j = 0, o = keyStart * stride + vOff + d;
            for (; j + 4 <= m; j += 4, o += 4 * stride) {
                a0 = FloatVector.fromArray(F, v, o).fma(FloatVector.broadcast(F, p[pOff + j]), a0);
                a1 = FloatVector.fromArray(F, v, o + stride).fma(FloatVector.broadcast(F, p[pOff + j + 1]), a1);
                a2 = FloatVector.fromArray(F, v, o + 2 * stride).fma(FloatVector.broadcast(F, p[pOff + j + 2]), a2);
                a3 = FloatVector.fromArray(F, v, o + 3 * stride).fma(FloatVector.broadcast(F, p[pOff + j + 3]), a3);
            }
            for (; j < m; j++, o += stride) a0 = FloatVector.fromArray(F, v,
                    o).fma(FloatVector.broadcast(F, p[pOff + j]), a0);
            a0.add(a1).add(a2.add(a3)).mul(scale).intoArray(out, outOff + d);
        }
        for (; d < headDim; d++) {
            float acc = 0f;
            for (int j = 0; j < m; j++) acc = Math.fma(p[pOff + j], v[(keyStart + j) * stride + vOff + d], acc);
            out[outOff + d] = acc * scale;
        }
    }

    /**
     * {@link #weightedSum} for four queries over the same keys (p rows {@code pStride} apart, scales and outputs per
     * query): each value vector loaded feeds four queries. Every output sees exactly the single-query kernel's
     * operations in its order (same bits); the lane groups the two-group loop leaves go through that kernel.
     */
    static void weightedSum4(float[] p, int pStride, int m, float[] scales, float[] v, int stride, float[] out,
            int outOff, int outStride, int headDim) {
        int lanes = F.length(), upper = F.loopBound(headDim), d = 0;
        int p1 = pStride, p2 = 2 * pStride, p3 = 3 * pStride;
        for (; d + 2 * lanes <= upper; d += 2 * lanes) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, e0 = a0, e1 = a0;
            FloatVector f0 = a0, f1 = a0, g0 = a0, g1 = a0, h0 = a0, h1 = a0, i0 = a0, i1 = a0;
            int j = 0, o = d;
            for (; j + 2 <= m; j += 2, o += 2 * stride) {
                FloatVector v0 = FloatVector.fromArray(F, v, o), v1 = FloatVector.fromArray(F, v, o + lanes);
                FloatVector u0 = FloatVector.fromArray(F, v, o + stride),
                        u1 = FloatVector.fromArray(F, v, o + stride + lanes);
                FloatVector pj = FloatVector.broadcast(F, p[j]), pk = FloatVector.broadcast(F, p[j + 1]);
                a0 = v0.fma(pj, a0);
                a1 = v1.fma(pj, a1);
                b0 = u0.fma(pk, b0);
                b1 = u1.fma(pk, b1);
                pj = FloatVector.broadcast(F, p[p1 + j]);
                pk = FloatVector.broadcast(F, p[p1 + j + 1]);
                c0 = v0.fma(pj, c0);
                c1 = v1.fma(pj, c1);
                e0 = u0.fma(pk, e0);
                e1 = u1.fma(pk, e1);
                pj = FloatVector.broadcast(F, p[p2 + j]);
                pk = FloatVector.broadcast(F, p[p2 + j + 1]);
                f0 = v0.fma(pj, f0);
                f1 = v1.fma(pj, f1);
                g0 = u0.fma(pk, g0);
                g1 = u1.fma(pk, g1);
                pj = FloatVector.broadcast(F, p[p3 + j]);
                pk = FloatVector.broadcast(F, p[p3 + j + 1]);
                h0 = v0.fma(pj, h0);
                h1 = v1.fma(pj, h1);
                i0 = u0.fma(pk, i0);
                i1 = u1.fma(pk, i1);
            }
            if (j < m) {
                FloatVector v0 = FloatVector.fromArray(F, v, o), v1 = FloatVector.fromArray(F, v, o + lanes);
                FloatVector pj = FloatVector.broadcast(F, p[j]);
                a0 = v0.fma(pj, a0);
                a1 = v1.fma(pj, a1);
                pj = FloatVector.broadcast(F, p[p1 + j]);
                c0 = v0.fma(pj, c0);
                c1 = v1.fma(pj, c1);
                pj = FloatVector.broadcast(F, p[p2 + j]);
                f0 = v0.fma(pj, f0);
                f1 = v1.fma(pj, f1);
                pj = FloatVector.broadcast(F, p[p3 + j]);
                h0 = v0.fma(pj, h0);
                h1 = v1.fma(pj, h1);
            }
            a0.add(b0).mul(scales[0]).intoArray(out, outOff + d);
            a1.add(b1).mul(scales[0]).intoArray(out, outOff + d + lanes);
            c0.add(e0).mul(scales[1]).intoArray(out, outOff + outStride + d);
            c1.add(e1).mul(scales[1]).intoArray(out, outOff + outStride + d + lanes);
            f0.add(g0).mul(scales[2]).intoArray(out, outOff + 2 * outStride + d);
            f1.add(g1).mul(scales[2]).intoArray(out, outOff + 2 * outStride + d + lanes);
            h0.add(i0).mul(scales[3]).intoArray(out, outOff + 3 * outStride + d);
            h1.add(i1).mul(scales[3]).intoArray(out, outOff + 3 * outStride + d + lanes);
        }
        if (d < headDim) {
            for (int i = 0; i < 4; i++) weightedSum(p, i * pStride, m, scales[i], v, 0, stride, 0, out, outOff + i
                    * outStride, headDim, d);
        }
    }

    /**
     * {@link #scoresTransposed} for four queries ({@code qStride} apart) against the same keys, scores rows
     * {@code sStride} apart: each key vector loaded feeds four queries. Per key the same fma chain over d as the
     * single-query kernel (same bits).
     */
    static void scoresTransposed4(float[] q, int qOff, int qStride, float[] kt, int n, int m, int headDim, float scale,
            float[] scores, int sStride) {
        int lanes = F.length(), upper = F.loopBound(m);
        int q1 = qOff + qStride, q2 = q1 + qStride, q3 = q2 + qStride, s1 = sStride, s2 = 2 * sStride, s3 = 3 * sStride;
        int j = 0;
        for (; j + 4 * lanes <= upper; j += 4 * lanes) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0, e0 = a0, e1 = a0, e2 = a0, e3 = a0;
            for (int d = 0, row = j; d < headDim; d++, row += n) {
                FloatVector k0 = FloatVector.fromArray(F, kt, row), k1 = FloatVector.fromArray(F, kt, row + lanes);
                FloatVector k2 = FloatVector.fromArray(F, kt, row + 2 * lanes),
                        k3 = FloatVector.fromArray(F, kt, row + 3 * lanes);
                FloatVector qd = FloatVector.broadcast(F, q[qOff + d]);
                a0 = k0.fma(qd, a0);
                a1 = k1.fma(qd, a1);
                a2 = k2.fma(qd, a2);
                a3 = k3.fma(qd, a3);
                qd = FloatVector.broadcast(F, q[q1 + d]);
                b0 = k0.fma(qd, b0);
                b1 = k1.fma(qd, b1);
                b2 = k2.fma(qd, b2);
                b3 = k3.fma(qd, b3);
                qd = FloatVector.broadcast(F, q[q2 + d]);
                c0 = k0.fma(qd, c0);
                c1 = k1.fma(qd, c1);
                c2 = k2.fma(qd, c2);
                c3 = k3.fma(qd, c3);
                qd = FloatVector.broadcast(F, q[q3 + d]);
                e0 = k0.fma(qd, e0);
                e1 = k1.fma(qd, e1);
                e2 = k2.fma(qd, e2);
                e3 = k3.fma(qd, e3);
            }
            a0.mul(scale).intoArray(scores, j);
            a1.mul(scale).intoArray(scores, j + lanes);
            a2.mul(scale).intoArray(scores, j + 2 * lanes);
            a3.mul(scale).intoArray(scores, j + 3 * lanes);
            b0.mul(scale).intoArray(scores, s1 + j);
            b1.mul(scale).intoArray(scores, s1 + j + lanes);
            b2.mul(scale).intoArray(scores, s1 + j + 2 * lanes);
            b3.mul(scale).intoArray(scores, s1 + j + 3 * lanes);
            c0.mul(scale).intoArray(scores, s2 + j);
            c1.mul(scale).intoArray(scores, s2 + j + lanes);
            c2.mul(scale).intoArray(scores, s2 + j + 2 * lanes);
            c3.mul(scale).intoArray(scores, s2 + j + 3 * lanes);
            e0.mul(scale).intoArray(scores, s3 + j);
            e1.mul(scale).intoArray(scores, s3 + j + lanes);
            e2.mul(scale).intoArray(scores, s3 + j + 2 * lanes);
            e3.mul(scale).intoArray(scores, s3 + j + 3 * lanes);
        }
        if (j < m) {
            for (int i = 0; i < 4; i++) scoresTransposed(q, qOff + i * qStride, kt, n, m, headDim, scale, scores, i
                    * sStride, j);
        }
    }
}

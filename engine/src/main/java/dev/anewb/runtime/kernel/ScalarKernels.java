package dev.anewb.runtime.kernel;

/**
 * Portable dot products for the matmul kernels: plain sequential float32 loops, used when the Vector API is
 * unavailable or disabled, and as the readable statement of what {@link VectorKernels} computes.
 */
final class ScalarKernels {
    private ScalarKernels() { }

    /** Σ_{i<n} a[aOff+i]·b[bOff+i]. */
    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        // Four independent sums: one fma chain would wait on each fma's latency (≈ 4× slower).
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            s0 = Math.fma(a[aOff + i], b[bOff + i], s0);
            s1 = Math.fma(a[aOff + i + 1], b[bOff + i + 1], s1);
            s2 = Math.fma(a[aOff + i + 2], b[bOff + i + 2], s2);
            s3 = Math.fma(a[aOff + i + 3], b[bOff + i + 3], s3);
        }
        for (; i < n; i++) s0 = Math.fma(a[aOff + i], b[bOff + i], s0);
        return (s0 + s1) + (s2 + s3);
    }

    /**
     * One output of a block-INT8 matmul: Σ_b s_b·(Σ_{c∈b} q_c·x_c − z_b·Σ_{c∈b} x_c), where the per-block sums of x
     * are precomputed in {@code xBlockSums[sumOff + b]}.
     */
    static float int8Dot(float[] x, int xOff, float[] xBlockSums, int sumOff,
                         byte[] q, int qOff, float[] scales, byte[] zeroPoints, int blockOff, int k, int blockSize) {
        float total = 0f;
        for (int b = 0, c0 = 0; c0 < k; b++, c0 += blockSize) {
            int c1 = (int) Math.min((long) c0 + blockSize, k);
            float sumQX = 0f;
            for (int c = c0; c < c1; c++) sumQX = Math.fma(q[qOff + c], x[xOff + c], sumQX);
            total = Math.fma(scales[blockOff + b], sumQX - zeroPoints[blockOff + b] * xBlockSums[sumOff + b], total);
            if (c1 == k) break;
        }
        return total;
    }
}

package dev.anewb.runtime.kernel;

/** LayerNorm (bias may be null) and RMSNorm over the channels of each token, with double-precision statistics. */
public final class NormKernels {
    private NormKernels() { }

    /**
     * @param xs     {@code [tokens, c]} row-major
     * @param w      {@code [c]} scale
     * @param bias   {@code [c]} or null (RMSNorm, LayerNorm without bias)
     * @param y      {@code [tokens, c]}, overwritten
     */
    public static void norm(float[] xs, int tokens, int c, float[] w, float[] bias, boolean rms, double eps,
            float[] y) {
        // Tokens are independent: parallel over groups of rows once there is enough work to pay for the wake-up.
        int group = Math.max(1, 8192 / Math.max(1, c));
        int groups = (tokens + group - 1) / group;
        EnginePool.forRange(groups, g -> {
            for (int t = g * group, end = Math.min(tokens, t + group); t < end; t++) {
                if (KernelSelection.VECTOR) NormVector.normRow(xs, t * c, c, w, bias, rms, eps, y);
                else normRowScalar(xs, t * c, c, w, bias, rms, eps, y);
            }
        });
    }

    /**
     * One row of LayerNorm / RMSNorm in double precision, for the scalar kernels ({@link NormVector#normRow} is
     * the Vector API one).
     */
    static void normRowScalar(float[] xs, int o, int c, float[] w, float[] bias, boolean rms, double eps, float[] y) {
        double mean = 0;
        if (!rms) {
            for (int i = 0; i < c; i++) mean += xs[o + i];
            mean /= c;
        }
        double var = 0;
        for (int i = 0; i < c; i++) {
            double d = xs[o + i] - mean;
            var += d * d;
        }
        var /= c;
        double inv = 1.0 / Math.sqrt(var + eps);
        for (int i = 0; i < c; i++) {
            double v = (xs[o + i] - mean) * inv * w[i];
            y[o + i] = (float) (bias == null ? v : v + bias[i]);
        }
    }
}

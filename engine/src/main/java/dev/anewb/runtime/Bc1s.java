package dev.anewb.runtime;


/**
 * The (B, C, 1, S) execution of a projection as a 1×1 convolution (ml-ane-transformers): the activation is
 * laid out channel-major per sequence, {@code xT[c, s]}, and each output channel accumulates
 * {@code W[o, c]·xT[c, :]} across the contiguous sequence axis. Same arithmetic as the (B, S, C) matmul up to
 * summation order — which is exactly what the layout pass's "≥ 100 dB" check measures.
 */
final class Bc1s {
    private Bc1s() { }

    static void conv1x1(Activation x, LinearWeight w, float[] bias, float[] y) {
        int c = x.channels(), s = x.length(), out = y.length / x.tokens();
        for (int b = 0; b < x.batch(); b++) {
            float[] xt = new float[c * s];
            int base = b * s * c;
            for (int t = 0; t < s; t++) for (int i = 0; i < c; i++) xt[i * s + t] = x.data()[base + t * c + i];
            int yb = b * s * out;
            EnginePool.forRange(out, o -> {
                float[] acc = new float[s];
                float[] row = row(w, o, c);
                if (KernelSelection.VECTOR) {
                    VectorKernels.convRow(row, xt, c, s, acc);
                } else {
                    for (int i = 0; i < c; i++) {
                        float wv = row[i];
                        int xo = i * s;
                        for (int t = 0; t < s; t++) acc[t] += wv * xt[xo + t];
                    }
                }
                float bo = bias == null ? 0 : bias[o];
                for (int t = 0; t < s; t++) y[yb + t * out + o] = acc[t] + bo;
            });
        }
    }

    /** Row o of the weight as floats (INT8 dequantized exactly, FP16 widened): never a float copy of the whole weight. */
    private static float[] row(LinearWeight w, int o, int in) {
        float[] r = new float[in];
        w.row(o, r);
        return r;
    }
}

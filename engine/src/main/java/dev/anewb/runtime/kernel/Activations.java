package dev.anewb.runtime.kernel;

import dev.anewb.AnewbException;

/** Elementwise activation functions as transformers defines them (ACT2FN names). */
public final class Activations {
    private Activations() { }

    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

    public static void apply(String function, float[] x) {
        switch (function) {
            case "gelu", "gelu_python" -> parallel(x, (from, to) -> {
                if (KernelSelection.VECTOR) ActivationVector.geluErf(x, from, to);
                else for (int i = from; i < to; i++) x[i] = geluFloat(x[i]);
            });
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> parallel(x, (from, to) -> {
                if (KernelSelection.VECTOR) ActivationVector.geluTanh(x, from, to);
                else for (int i = from; i < to; i++) x[i] = (float) geluTanh(x[i]);
            });
            case "relu" -> { for (int i = 0; i < x.length; i++) x[i] = Math.max(0f, x[i]); }
            case "silu", "swish" ->
                    { for (int i = 0; i < x.length; i++) x[i] = (float) (x[i] / (1 + Math.exp(-x[i]))); }
            case "tanh" -> { for (int i = 0; i < x.length; i++) x[i] = (float) Math.tanh(x[i]); }
            case "quick_gelu" ->
                    { for (int i = 0; i < x.length; i++) x[i] = (float) (x[i] / (1 + Math.exp(-1.702 * x[i]))); }
            default -> throw new AnewbException("unsupported activation function \"" + function + "\"");
        }
    }

    /** Elements per parallel task: a multiple of every vector width, so each element sees the same code path. */
    private static final int CHUNK = 8192;

    private interface Range {
        void apply(int from, int to);
    }

    /** The elementwise functions are independent per element: chunks on the engine pool, same result as one loop. */
    private static void parallel(float[] x, Range body) {
        int n = x.length, chunks = (n + CHUNK - 1) / CHUNK;
        EnginePool.forRange(chunks, i -> body.apply(i * CHUNK, Math.min(n, (i + 1) * CHUNK)));
    }

    /**
     * erf in float32: Eigen's rational approximation on [−4, 4] (erf is ±1 to float precision beyond), max
     * error ≈ 3e-7 against a double-precision erf (ActivationsTest). What float32 engines (PyTorch, ONNX Runtime)
     * compute, at a fraction of the
     * cost of the double series, and the same function the Vector API kernel evaluates lane by lane.
     */
    public static float erfFloat(float x) {
        float z = Math.max(-4f, Math.min(4f, x)), z2 = z * z;
        float p = Math.fma(z2, -2.72614225801306e-10f, 2.77068142495902e-08f);
        p = Math.fma(p, z2, -2.10102402082508e-06f);
        p = Math.fma(p, z2, -5.69250639462346e-05f);
        p = Math.fma(p, z2, -7.34990630326855e-04f);
        p = Math.fma(p, z2, -2.95459980854025e-03f);
        p = Math.fma(p, z2, -1.60960333262415e-02f) * z;
        float d = Math.fma(z2, -1.45660718464996e-05f, -2.13374055278905e-04f);
        d = Math.fma(d, z2, -1.68282697438203e-03f);
        d = Math.fma(d, z2, -7.37332916720468e-03f);
        d = Math.fma(d, z2, -1.42647390514189e-02f);
        return p / d;
    }

    /** GELU (erf form) in float32 via {@link #erfFloat}. */
    public static float geluFloat(float x) {
        return 0.5f * x * (1f + erfFloat(x * (float) (1 / Math.sqrt(2))));
    }

    /** GPT-2's tanh approximation ("gelu_new"). */
    public static double geluTanh(double x) {
        return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
    }
}

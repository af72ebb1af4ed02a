package dev.anewb.runtime;

/** Elementwise activation functions as transformers defines them (ACT2FN names). */
public final class Activations {
    private Activations() { }

    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

    public static void apply(String function, float[] x) {
        switch (function) {
            case "gelu", "gelu_python" -> { for (int i = 0; i < x.length; i++) x[i] = (float) geluErf(x[i]); }
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> { for (int i = 0; i < x.length; i++) x[i] = (float) geluTanh(x[i]); }
            case "relu" -> { for (int i = 0; i < x.length; i++) x[i] = Math.max(0f, x[i]); }
            case "silu", "swish" -> { for (int i = 0; i < x.length; i++) x[i] = (float) (x[i] / (1 + Math.exp(-x[i]))); }
            case "tanh" -> { for (int i = 0; i < x.length; i++) x[i] = (float) Math.tanh(x[i]); }
            case "quick_gelu" -> { for (int i = 0; i < x.length; i++) x[i] = (float) (x[i] / (1 + Math.exp(-1.702 * x[i]))); }
            default -> throw new dev.anewb.AnewbException("unsupported activation function \"" + function + "\"");
        }
    }

    public static boolean isSupported(String f) {
        return switch (f) {
            case "gelu", "gelu_python", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "relu", "silu", "swish", "tanh", "quick_gelu" -> true;
            default -> false;
        };
    }

    /** 0.5·x·(1 + erf(x/√2)), the exact GELU of torch.nn.functional.gelu. */
    public static double geluErf(double x) {
        return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
    }

    /** GPT-2's tanh approximation ("gelu_new"). */
    public static double geluTanh(double x) {
        return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
    }

    /**
     * erf(x) to about 1e-15 relative: Taylor series near zero, continued fraction for erfc further out
     * (Java has no erf; float32 GELU needs ~1e-7).
     */
    public static double erf(double x) {
        double ax = Math.abs(x);
        double r;
        if (ax < 2.5) {
            // erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
            double sum = ax, term = ax, x2 = ax * ax;
            for (int n = 1; n < 100; n++) {
                term *= -x2 / n;
                double t = term / (2 * n + 1);
                sum += t;
                if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else if (ax > 6) {
            r = 1;
        } else {
            // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + 2/(x + ...))))) evaluated bottom-up
            double f = ax;
            for (int n = 60; n >= 1; n--) f = ax + (n / 2.0) / f;
            r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        }
        return x < 0 ? -r : r;
    }
}

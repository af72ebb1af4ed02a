package dev.anewb.runtime.kernel;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The float32 erf/GELU the engine runs, against an independent double-precision erf. */
class ActivationsTest {
    /** erf to ~1e-15: Taylor series below 2.5, the erfc continued fraction above (the oracle, test-only). */
    static double erf(double x) {
        double ax = Math.abs(x), r;
        if (ax < 2.5) {
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
            double f = ax;
            for (int n = 60; n >= 1; n--) f = ax + (n / 2.0) / f;
            r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        }
        return x < 0 ? -r : r;
    }

    @Test
    void theOracleAgreesWithTabulatedValues() {
        // Abramowitz & Stegun table 7.1
        assertEquals(0.5204998778130465, erf(0.5), 1e-15);
        assertEquals(0.8427007929497149, erf(1.0), 1e-15);
        assertEquals(0.9953222650189527, erf(2.0), 1e-15);
        assertEquals(0.9999779095030014, erf(3.0), 1e-15);
        assertEquals(-0.8427007929497149, erf(-1.0), 1e-15);
    }

    @Test
    void float32ErfAndGeluAreWithinTheirStatedError() {
        double worst = 0;
        for (int i = -8000; i <= 8000; i++) {
            float x = i / 1000f;
            worst = Math.max(worst, Math.abs(Activations.erfFloat(x) - erf(x)));
            double gelu = 0.5 * x * (1 + erf(x / Math.sqrt(2)));
            assertEquals(gelu, Activations.geluFloat(x), 1e-6 * Math.max(1, Math.abs(gelu)), "gelu(" + x + ")");
        }
        assertTrue(worst < 5e-7, "max |erfFloat − erf| = " + worst);
    }

    @Test
    void theVectorGeluMatchesTheScalarOne() {
        if (!KernelSelection.VECTOR) return;
        float[] x = new float[1000], y = new float[1000];
        for (int i = 0; i < x.length; i++) x[i] = y[i] = (i - 500) / 60f;
        Activations.apply("gelu", x);
        for (int i = 0; i < y.length; i++) {
            float want = Activations.geluFloat(y[i]);
            assertEquals(want, x[i], 2 * Math.ulp(Math.max(1e-30f, Math.abs(want))), "gelu(" + y[i] + ")");
        }
    }
}

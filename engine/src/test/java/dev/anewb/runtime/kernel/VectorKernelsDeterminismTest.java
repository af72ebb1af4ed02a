package dev.anewb.runtime.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The vector building blocks give the same bits as a plain-Java statement of their order, and exp is accurate. */
class VectorKernelsDeterminismTest {
    static final int L = VectorMath.floatLanes();

    @Test
    void sumLanesIsTheFixedPairwiseOrder() {
        SplittableRandom r = new SplittableRandom(7);
        for (int trial = 0; trial < 1000; trial++) {
            float[] a = new float[L];
            for (int i = 0; i < L; i++) a[i] = (float) (r.nextDouble(-1, 1) * Math.pow(10, r.nextInt(-3, 4)));
            // the same order written out: lane i += lane (i + half) mod L, halving
            float[] s = a.clone();
            for (int half = L / 2; half >= 1; half /= 2) {
                float[] n = new float[L];
                for (int i = 0; i < L; i++) n[i] = s[i] + s[(i + half) % L];
                s = n;
            }
            float got = VectorMath.sumLanes(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED.length() == L
                    ? FloatVector.SPECIES_PREFERRED
                    : VectorSpecies.of(float.class, VectorShape.forBitSize(L * 32)), a, 0));
            assertEquals(Float.floatToIntBits(s[0]), Float.floatToIntBits(got), "trial " + trial);
        }
    }

    @Test
    void expIsWithinTwoUlpsAndSaturatesExactly() {
        var species = VectorSpecies.of(float.class, VectorShape.forBitSize(L * 32));
        float[] x = new float[L], out = new float[L];
        SplittableRandom r = new SplittableRandom(3);
        for (int trial = 0; trial < 2000; trial++) {
            for (int i = 0; i < L; i++) x[i] = (float) r.nextDouble(-87, 88);
            VectorMath.exp(FloatVector.fromArray(species, x, 0)).intoArray(out, 0);
            for (int i = 0; i < L; i++) {
                double want = Math.exp(x[i]);
                assertTrue(Math.abs(out[i] - want) <= 2 * Math.ulp((float) want), x[i] + ": " + out[i] + " vs " + want);
            }
        }
        x[0] = Float.NEGATIVE_INFINITY;
        x[1] = -100f;
        x[2] = 0f;
        x[3] = 100f;
        VectorMath.exp(FloatVector.fromArray(species, x, 0)).intoArray(out, 0);
        assertEquals(0f, out[0]);
        assertEquals(0f, out[1]);
        assertEquals(1f, out[2]);
        assertEquals(Float.POSITIVE_INFINITY, out[3]);
        x[0] = 20f;
        x[1] = -20f;
        VectorMath.tanh(FloatVector.fromArray(species, x, 0)).intoArray(out, 0);
        assertEquals(1f, out[0]);
        assertEquals(-1f, out[1]);
        assertEquals(0f, out[2]);
    }

    /**
     * The attention softmax's exp (written out for inlining) is {@link VectorMath#exp} bit for bit on every
     * key, masked (−∞), underflowing and ordinary, for lengths that end on one vector, two, or a scalar tail; and its
     * sum adds the vectors in key order, then the tail.
     */
    @Test
    void attentionExpIsVectorMathExpBitForBit() {
        var species = VectorSpecies.of(float.class, VectorShape.forBitSize(L * 32));
        SplittableRandom r = new SplittableRandom(5);
        for (int m : new int[]{1, L - 1, L, L + 3, 2 * L, 3 * L, 3 * L + 5, 8 * L, 8 * L + 1}) {
            for (int trial = 0; trial < 50; trial++) {
                float[] s = new float[m + 7];
                int off = 7;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < m; j++) {
                    double u = r.nextDouble();
                    s[off + j] = u < 0.1 ? Float.NEGATIVE_INFINITY : (float) r.nextDouble(-120, 12);
                    max = Math.max(max, s[off + j]);
                }
                if (max == Float.NEGATIVE_INFINITY) continue;
                float[] want = new float[m];
                int upper = species.loopBound(m), j = 0;
                FloatVector sum = FloatVector.zero(species);
                float[] lane = new float[L];
                for (; j < upper; j += L) {
                    System.arraycopy(s, off + j, lane, 0, L);
                    FloatVector e = VectorMath.exp(FloatVector.fromArray(species, lane, 0).sub(max));
                    e.intoArray(want, j);
                    sum = sum.add(e);
                }
                float wantSum = VectorMath.sumLanes(sum);
                for (; j < m; j++) {
                    want[j] = (float) Math.exp(s[off + j] - max);
                    wantSum += want[j];
                }
                float got = AttentionVector.expShifted(s, off, m, max);
                for (int k = 0; k < m; k++) {
                    assertEquals(Float.floatToIntBits(want[k]), Float.floatToIntBits(s[off + k]), "m " + m + ", key "
                            + k);
                }
                assertEquals(Float.floatToIntBits(wantSum), Float.floatToIntBits(got), "m " + m + ", sum");
            }
        }
    }

    /**
     * The vector LayerNorm/RMSNorm row against a double-precision reference written out here (mean, biased variance,
     * (x − mean)/√(var + eps)·w + b): widths below, at and above the vector length, with and without bias; and
     * the same bits on a second call (fixed-order sums).
     */
    @Test
    void normRowMatchesADoubleReferenceAndIsReproducible() {
        SplittableRandom r = new SplittableRandom(11);
        for (int c : new int[]{5, 8, 16, 37, 384, 771}) {
            for (boolean rms : new boolean[]{false, true}) {
                for (boolean withBias : new boolean[]{false, true}) {
                    float[] x = new float[2 * c], w = new float[c], b = withBias ? new float[c] : null,
                            y = new float[2 * c];
                    for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble(-3, 3) + 40);
                    for (int i = 0; i < c; i++) w[i] = (float) r.nextDouble(0.5, 1.5);
                    if (b != null) for (int i = 0; i < c; i++) b[i] = (float) r.nextDouble(-1, 1);
                    NormVector.normRow(x, c, c, w, b, rms, 1e-5, y);
                    double mean = 0, var = 0;
                    if (!rms) {
                        for (int i = 0; i < c; i++) mean += x[c + i];
                        mean /= c;
                    }
                    for (int i = 0; i < c; i++) var += (x[c + i] - mean) * (x[c + i] - mean);
                    var /= c;
                    for (int i = 0; i < c; i++) {
                        double expected = (x[c + i] - mean) / Math.sqrt(var + 1e-5) * w[i] + (b == null ? 0 : b[i]);
                        assertEquals(expected, y[c + i], 2e-6 * Math.max(1, Math.abs(expected)), "c=" + c + " rms="
                                + rms + " i=" + i);
                    }
                    float[] again = new float[2 * c];
                    NormVector.normRow(x, c, c, w, b, rms, 1e-5, again);
                    for (int i = 0; i < c; i++) assertEquals(Float.floatToIntBits(y[c + i]),
                            Float.floatToIntBits(again[c + i]));
                    // the scalar family computes the same function
                    float[] scalar = new float[2 * c];
                    NormKernels.normRowScalar(x, c, c, w, b, rms, 1e-5, scalar);
                    for (int i = 0; i < c; i++) assertEquals(scalar[c + i], y[c + i], 2e-6
                            * Math.max(1, Math.abs(scalar[c + i])));
                }
            }
        }
    }
}

package dev.anewb.runtime;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The vector building blocks give the same bits as a plain-Java statement of their order, and exp is accurate. */
class VectorKernelsDeterminismTest {
    static final int L = VectorKernels.floatLanes();

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
            float got = VectorKernels.sumLanes(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED.length() == L ? FloatVector.SPECIES_PREFERRED
                    : jdk.incubator.vector.VectorSpecies.of(float.class, jdk.incubator.vector.VectorShape.forBitSize(L * 32)), a, 0));
            assertEquals(Float.floatToIntBits(s[0]), Float.floatToIntBits(got), "trial " + trial);
        }
    }

    @Test
    void expIsWithinTwoUlpsAndSaturatesExactly() {
        var species = jdk.incubator.vector.VectorSpecies.of(float.class, jdk.incubator.vector.VectorShape.forBitSize(L * 32));
        float[] x = new float[L], out = new float[L];
        SplittableRandom r = new SplittableRandom(3);
        for (int trial = 0; trial < 2000; trial++) {
            for (int i = 0; i < L; i++) x[i] = (float) r.nextDouble(-87, 88);
            VectorKernels.exp(FloatVector.fromArray(species, x, 0)).intoArray(out, 0);
            for (int i = 0; i < L; i++) {
                double want = Math.exp(x[i]);
                assertTrue(Math.abs(out[i] - want) <= 2 * Math.ulp((float) want), x[i] + ": " + out[i] + " vs " + want);
            }
        }
        x[0] = Float.NEGATIVE_INFINITY;
        x[1] = -100f;
        x[2] = 0f;
        x[3] = 100f;
        VectorKernels.exp(FloatVector.fromArray(species, x, 0)).intoArray(out, 0);
        assertEquals(0f, out[0]);
        assertEquals(0f, out[1]);
        assertEquals(1f, out[2]);
        assertEquals(Float.POSITIVE_INFINITY, out[3]);
        x[0] = 20f;
        x[1] = -20f;
        VectorKernels.tanh(FloatVector.fromArray(species, x, 0)).intoArray(out, 0);
        assertEquals(1f, out[0]);
        assertEquals(-1f, out[1]);
        assertEquals(0f, out[2]);
    }
}

package dev.anewb.runtime.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/** LayerNorm / RMSNorm rows with the Vector API ({@link NormKernels} holds the contract and the scalar row). */
final class NormVector {
    private static final VectorSpecies<Float> F = VectorMath.F;
    private NormVector() { }

    /** Doubles in one float vector's width, and the float vector half as wide that widens into it. */
    private static final class Norm {
        static final VectorSpecies<Double> D = VectorSpecies.of(double.class, F.vectorShape());
        static final VectorSpecies<Float> FH = VectorSpecies.of(float.class,
                VectorShape.forBitSize(F.vectorBitSize() / 2));
    }

    /**
     * Same contract as the scalar {@code Executor.normRow}: LayerNorm / RMSNorm of one row with double-precision
     * statistics. The sums run lane-wise in doubles and end in a fixed-order lane sum (reproducible to the bit);
     * each output element then sees exactly the scalar loop's double operations.
     */
    static void normRow(float[] xs, int o, int c, float[] w, float[] bias, boolean rms, double eps, float[] y) {
        VectorSpecies<Double> d = Norm.D;
        VectorSpecies<Float> fh = Norm.FH;
        int dl = d.length(), upper = d.loopBound(c);
        double mean = 0;
        if (!rms) {
            DoubleVector s0 = DoubleVector.zero(d), s1 = s0;
            int i = 0;
            for (; i + 2 * dl <= upper; i += 2 * dl) {
                s0 = s0.add(FloatVector.fromArray(fh, xs, o + i).convertShape(VectorOperators.F2D, d, 0));
                s1 = s1.add(FloatVector.fromArray(fh, xs, o + i + dl).convertShape(VectorOperators.F2D, d, 0));
            }
            for (; i < upper; i += dl) s0 = s0.add(FloatVector.fromArray(fh, xs, o
                    + i).convertShape(VectorOperators.F2D, d, 0));
            s0 = s0.add(s1);
            double sum = 0;
            for (int l = 0; l < dl; l++) sum += s0.lane(l);
            for (; i < c; i++) sum += xs[o + i];
            mean = sum / c;
        }
        DoubleVector m = DoubleVector.broadcast(d, mean);
        DoubleVector v0 = DoubleVector.zero(d), v1 = v0;
        int i = 0;
        for (; i + 2 * dl <= upper; i += 2 * dl) {
            DoubleVector a = ((DoubleVector) FloatVector.fromArray(fh, xs, o + i).convertShape(VectorOperators.F2D, d,
                    0)).sub(m);
            DoubleVector b = ((DoubleVector) FloatVector.fromArray(fh, xs, o + i
                    + dl).convertShape(VectorOperators.F2D, d, 0)).sub(m);
            v0 = a.fma(a, v0);
            v1 = b.fma(b, v1);
        }
        for (; i < upper; i += dl) {
            DoubleVector a = ((DoubleVector) FloatVector.fromArray(fh, xs, o + i).convertShape(VectorOperators.F2D, d,
                    0)).sub(m);
            v0 = a.fma(a, v0);
        }
        v0 = v0.add(v1);
        double var = 0;
        for (int l = 0; l < dl; l++) var += v0.lane(l);
        for (; i < c; i++) var = Math.fma(xs[o + i] - mean, xs[o + i] - mean, var);
        var /= c;
        double inv = 1.0 / Math.sqrt(var + eps);
        DoubleVector iv = DoubleVector.broadcast(d, inv);
        for (i = 0; i < upper; i += dl) {
            DoubleVector x = ((DoubleVector) FloatVector.fromArray(fh, xs, o + i).convertShape(VectorOperators.F2D, d,
                    0)).sub(m).mul(iv)
                    .mul(FloatVector.fromArray(fh, w, i).convertShape(VectorOperators.F2D, d, 0));
            if (bias != null) x = x.add(FloatVector.fromArray(fh, bias, i).convertShape(VectorOperators.F2D, d, 0));
            ((FloatVector) x.convertShape(VectorOperators.D2F, fh, 0)).intoArray(y, o + i);
        }
        for (; i < c; i++) {
            double x = (xs[o + i] - mean) * inv * w[i];
            y[o + i] = (float) (bias == null ? x : x + bias[i]);
        }
    }
}

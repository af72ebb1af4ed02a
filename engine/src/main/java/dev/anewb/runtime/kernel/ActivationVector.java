package dev.anewb.runtime.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/** GELU lane by lane with the Vector API, the same functions {@link Activations} computes per element. */
final class ActivationVector {
    private static final VectorSpecies<Float> F = VectorMath.F;
    private ActivationVector() { }

    /** GELU with erf (see {@link Activations#erfFloat}), lane by lane with the same rational function. */
    static void geluErf(float[] x, int from, int to) {
        int lanes = F.length(), upper = from + F.loopBound(to - from), i = from;
        for (; i < upper; i += lanes) {
            FloatVector v = FloatVector.fromArray(F, x, i);
            FloatVector z = v.mul((float) (1 / Math.sqrt(2))).max(-4f).min(4f), z2 = z.mul(z);
            FloatVector p = z2.fma(-2.72614225801306e-10f, 2.77068142495902e-08f);
            p = p.fma(z2, FloatVector.broadcast(F, -2.10102402082508e-06f));
            p = p.fma(z2, FloatVector.broadcast(F, -5.69250639462346e-05f));
            p = p.fma(z2, FloatVector.broadcast(F, -7.34990630326855e-04f));
            p = p.fma(z2, FloatVector.broadcast(F, -2.95459980854025e-03f));
            p = p.fma(z2, FloatVector.broadcast(F, -1.60960333262415e-02f)).mul(z);
            FloatVector d = z2.fma(-1.45660718464996e-05f, -2.13374055278905e-04f);
            d = d.fma(z2, FloatVector.broadcast(F, -1.68282697438203e-03f));
            d = d.fma(z2, FloatVector.broadcast(F, -7.37332916720468e-03f));
            d = d.fma(z2, FloatVector.broadcast(F, -1.42647390514189e-02f));
            v.mul(0.5f).mul(p.div(d).add(1f)).intoArray(x, i);
        }
        for (; i < to; i++) x[i] = Activations.geluFloat(x[i]);
    }

    /** GPT-2's tanh GELU, lane by lane. */
    static void geluTanh(float[] x, int from, int to) {
        int lanes = F.length(), upper = from + F.loopBound(to - from), i = from;
        float c = (float) Math.sqrt(2 / Math.PI);
        for (; i < upper; i += lanes) {
            FloatVector v = FloatVector.fromArray(F, x, i);
            FloatVector inner = v.mul(v).mul(v).fma(FloatVector.broadcast(F, 0.044715f), v).mul(c);
            v.mul(0.5f).mul(VectorMath.tanh(inner).add(1f)).intoArray(x, i);
        }
        for (; i < to; i++) x[i] = (float) Activations.geluTanh(x[i]);
    }
}

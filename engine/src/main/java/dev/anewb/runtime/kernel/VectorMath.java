package dev.anewb.runtime.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * What every Vector API kernel shares: the float species that runs, and deterministic building blocks (fixed-order
 * lane sums, exp and tanh from IEEE operations only), so a result is reproducible to the bit however it is compiled.
 * Like every class that names a vector type, loaded only when {@link KernelSelection#VECTOR} is true.
 */
final class VectorMath {
    private VectorMath() { }

    /**
     * The float vector: the CPU's preferred width unless {@code -Danewb.vectorBits=256} (or 512) asks for another
     * one no wider than that, to compare widths by measurement; {@link KernelSelection} logs the width that runs.
     */
    static final VectorSpecies<Float> F = species(System.getProperty("anewb.vectorBits"));

    private static VectorSpecies<Float> species(String bits) {
        VectorSpecies<Float> preferred = FloatVector.SPECIES_PREFERRED;
        if (bits == null || bits.isBlank()) return preferred;
        try {
            int b = Integer.parseInt(bits.trim());
            if ((b == 256 || b == 512) && b <= preferred.vectorBitSize()) return VectorSpecies.of(float.class,
                    VectorShape.forBitSize(b));
        } catch (NumberFormatException ignored) {
            // the preferred width, as for any value this CPU cannot honour
        }
        System.getLogger("dev.anewb.runtime.kernels").log(System.Logger.Level.WARNING,
                "ignored anewb.vectorBits=" + bits + " (256 or 512, at most " + preferred.vectorBitSize()
                        + " on this CPU)");
        return preferred;
    }

    // ---- Deterministic building blocks ------------------------------------------------------------------------
    // reduceLanes(ADD) and lanewise(EXP/TANH) may give different bits compiled and interpreted (their order and
    // algorithm are unspecified), which made the same drift measurement differ between two runs. These use only
    // IEEE add/mul/fma in a fixed order, so a measurement is reproducible to the bit.

    /** Rotations by 2^k lanes for the fixed-order pairwise sum. */
    private static final VectorShuffle<Float>[] ROTATE = rotations();
    private static final int ROTATE_TOP = ROTATE.length - 1;

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] rotations() {
        int n = Integer.numberOfTrailingZeros(F.length());
        VectorShuffle<Float>[] r = new VectorShuffle[n];
        for (int k = 0; k < n; k++) r[k] = VectorShuffle.iota(F, 1 << k, 1, true);
        return r;
    }

    /** Σ lanes in a fixed pairwise order (lane i + lane i+half, halving), the same bits however it is compiled. */
    static float sumLanes(FloatVector v) {
        // Kept under 35 bytecodes (MaxInlineSize): C2 then inlines it even at a call site it does not count as hot;
        // called out of line, its vector argument would be boxed on every call.
        for (int k = ROTATE_TOP; k >= 0; k--) v = v.add(v.rearrange(ROTATE[k]));
        return v.lane(0);
    }

    static final float EXP_HI = 88.3762626647949f, EXP_LO = -87.3365478515625f;
    /** 1.5·2²³: adding it rounds a float of magnitude < 2²² to an integer, which its low mantissa bits then hold. */
    static final float ROUND = 12582912f;
    /** {@code bits(ROUND + t) + EXP_BIAS_FROM_ROUND = t + 127} for an integer t: the biased exponent of 2^t. */
    static final int EXP_BIAS_FROM_ROUND = 127 - Float.floatToRawIntBits(ROUND);

    /**
     * e^x per lane (Cephes expf's degree-6 polynomial on r = x − t·ln 2, t = x·log₂e rounded to nearest; within 2
     * ulp), e^x = 0 below −87.34 (so −∞ gives exactly 0), +∞ above 88.38. Rounding by the 1.5·2²³ add, taking 2^t
     * from that sum's bits, and r by two fmas (t·ln 2 in two parts, the high one of 9 bits) keep it to 20 operations
     * (Cephes' floor and conversions took 30, and the attention softmax waited on them more than on its products).
     */
    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.min(EXP_HI).max(EXP_LO);
        FloatVector z = xc.fma(1.44269504088896341f, ROUND);
        FloatVector t = z.sub(ROUND);
        FloatVector r = t.fma(FloatVector.broadcast(F, 2.12194440e-4f),
                t.fma(FloatVector.broadcast(F, -0.693359375f), xc));
        FloatVector y = FloatVector.broadcast(F, 1.9875691500e-4f);
        y = y.fma(r, FloatVector.broadcast(F, 1.3981999507e-3f));
        y = y.fma(r, FloatVector.broadcast(F, 8.3334519073e-3f));
        y = y.fma(r, FloatVector.broadcast(F, 4.1665795894e-2f));
        y = y.fma(r, FloatVector.broadcast(F, 1.6666665459e-1f));
        y = y.fma(r, FloatVector.broadcast(F, 5.0000001201e-1f));
        y = r.mul(r).fma(y, r).add(1f);
        FloatVector pow2 = (FloatVector) ((IntVector) z.reinterpretAsInts()).add(EXP_BIAS_FROM_ROUND)
                .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector e = y.mul(pow2);
        e = e.blend(0f, x.compare(VectorOperators.LT, EXP_LO));
        return e.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, EXP_HI));
    }

    /** tanh per lane as 1 − 2/(e^{2x} + 1), from {@link #exp} (saturates to ±1 exactly). */
    static FloatVector tanh(FloatVector x) {
        return FloatVector.broadcast(F, 1f).sub(FloatVector.broadcast(F, 2f).div(exp(x.mul(2f)).add(1f)));
    }

    static int floatLanes() {
        return F.length();
    }

    /** Bytes species with as many lanes as {@link #F}; only valid for ≥ 8 lanes (64-bit byte vectors). */
    static final class Int8 {
        static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.length() * 8));
    }

    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int lanes = F.length();
        int upper = F.loopBound(n);
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        int i = 0;
        // Two accumulators hide the fma latency; the order differs from the scalar loop only in rounding.
        for (; i + 2 * lanes <= upper; i += 2 * lanes) {
            acc0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc0);
            acc1 = FloatVector.fromArray(F, a, aOff + i + lanes).fma(FloatVector.fromArray(F, b, bOff + i + lanes),
                    acc1);
        }
        for (; i < upper; i += lanes) acc0 = FloatVector.fromArray(F, a, aOff
                + i).fma(FloatVector.fromArray(F, b, bOff + i), acc0);
        float sum = sumLanes(acc0.add(acc1));
        for (; i < n; i++) sum = Math.fma(a[aOff + i], b[bOff + i], sum);
        return sum;
    }
}

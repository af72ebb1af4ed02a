package dev.anewb.runtime.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/** The Vector API loops of {@link MappedMatmul}: BF16 rows widened in registers, a row dotted with several tokens. */
final class MappedVector {
    private static final VectorSpecies<Float> F = VectorMath.F;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** As many 16-bit lanes as float lanes: half the width. */
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class,
            VectorShape.forBitSize(F.vectorBitSize() / 2));

    private static final ValueLayout.OfShort LE_SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private MappedVector() { }

    /** BF16 is the top half of a float32: widening is a 16-bit shift, exact. */
    static void widenBf16(MemorySegment seg, long off, int k, float[] out) {
        int lanes = F.length(), c = 0;
        for (; c + lanes <= k; c += lanes) {
            ShortVector s = ShortVector.fromMemorySegment(S, seg, off + 2L * c, ByteOrder.LITTLE_ENDIAN);
            IntVector i = (IntVector) s.convertShape(VectorOperators.S2I, I, 0);
            i.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(out, c);
        }
        for (; c < k; c++) {
            out[c] = Float.intBitsToFloat((seg.get(LE_SHORT, off + 2L * c) & 0xffff) << 16);
        }
    }

    /**
     * {@code y[t·stride + r] = row·x[t] (+ b)} for every token: four tokens share each load of the row, two vectors
     * each keep eight fma chains in flight; lane sums in the fixed order of {@link VectorMath#sumLanes}.
     */
    static void dotTokens(float[] row, int k, float[] x, int tokens, float[] y, int stride, int r, float b,
            boolean bias) {
        int lanes = F.length(), upper = F.loopBound(k);
        int t = 0;
        for (; t + 4 <= tokens; t += 4) {
            int x0 = t * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;
            int c = 0;
            for (; c + 2 * lanes <= upper; c += 2 * lanes) {
                FloatVector w0 = FloatVector.fromArray(F, row, c), w1 = FloatVector.fromArray(F, row, c + lanes);
                a0 = w0.fma(FloatVector.fromArray(F, x, x0 + c), a0);
                a1 = w0.fma(FloatVector.fromArray(F, x, x1 + c), a1);
                a2 = w0.fma(FloatVector.fromArray(F, x, x2 + c), a2);
                a3 = w0.fma(FloatVector.fromArray(F, x, x3 + c), a3);
                c0 = w1.fma(FloatVector.fromArray(F, x, x0 + c + lanes), c0);
                c1 = w1.fma(FloatVector.fromArray(F, x, x1 + c + lanes), c1);
                c2 = w1.fma(FloatVector.fromArray(F, x, x2 + c + lanes), c2);
                c3 = w1.fma(FloatVector.fromArray(F, x, x3 + c + lanes), c3);
            }
            for (; c < upper; c += lanes) {
                FloatVector w0 = FloatVector.fromArray(F, row, c);
                a0 = w0.fma(FloatVector.fromArray(F, x, x0 + c), a0);
                a1 = w0.fma(FloatVector.fromArray(F, x, x1 + c), a1);
                a2 = w0.fma(FloatVector.fromArray(F, x, x2 + c), a2);
                a3 = w0.fma(FloatVector.fromArray(F, x, x3 + c), a3);
            }
            float s0 = VectorMath.sumLanes(a0.add(c0)), s1 = VectorMath.sumLanes(a1.add(c1));
            float s2 = VectorMath.sumLanes(a2.add(c2)), s3 = VectorMath.sumLanes(a3.add(c3));
            for (int cc = c; cc < k; cc++) {
                float w = row[cc];
                s0 = Math.fma(w, x[x0 + cc], s0);
                s1 = Math.fma(w, x[x1 + cc], s1);
                s2 = Math.fma(w, x[x2 + cc], s2);
                s3 = Math.fma(w, x[x3 + cc], s3);
            }
            y[t * stride + r] = bias ? s0 + b : s0;
            y[(t + 1) * stride + r] = bias ? s1 + b : s1;
            y[(t + 2) * stride + r] = bias ? s2 + b : s2;
            y[(t + 3) * stride + r] = bias ? s3 + b : s3;
        }
        for (; t < tokens; t++) {
            int x0 = t * k;
            FloatVector a0 = FloatVector.zero(F), c0 = a0;
            int c = 0;
            for (; c + 2 * lanes <= upper; c += 2 * lanes) {
                a0 = FloatVector.fromArray(F, row, c).fma(FloatVector.fromArray(F, x, x0 + c), a0);
                c0 = FloatVector.fromArray(F, row, c + lanes).fma(FloatVector.fromArray(F, x, x0 + c + lanes), c0);
            }
            for (; c < upper; c += lanes) a0 = FloatVector.fromArray(F, row,
                    c).fma(FloatVector.fromArray(F, x, x0 + c), a0);
            float s0 = VectorMath.sumLanes(a0.add(c0));
            for (int cc = c; cc < k; cc++) s0 = Math.fma(row[cc], x[x0 + cc], s0);
            y[t * stride + r] = bias ? s0 + b : s0;
        }
    }
}

package dev.anewb.runtime;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API dot products (the llama3.java pattern): FP32 with one fma per lane group; INT8 widens
 * {@code lanes} bytes to one float vector and folds the block scale in with one more fma per block, so only
 * one lane reduction happens per output. Only loaded when {@link KernelSelection#VECTOR} is true.
 */
final class VectorKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private VectorKernels() { }

    static int floatLanes() {
        return F.length();
    }

    /** Bytes species with as many lanes as {@link #F}; only valid for ≥ 8 lanes (64-bit byte vectors). */
    private static final class Int8 {
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
            acc1 = FloatVector.fromArray(F, a, aOff + i + lanes).fma(FloatVector.fromArray(F, b, bOff + i + lanes), acc1);
        }
        for (; i < upper; i += lanes) acc0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc0);
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) sum = Math.fma(a[aOff + i], b[bOff + i], sum);
        return sum;
    }

    /** Same contract as {@link ScalarKernels#int8Dot}. */
    static float int8Dot(float[] x, int xOff, float[] xBlockSums, int sumOff,
                         byte[] q, int qOff, float[] scales, byte[] zeroPoints, int blockOff, int k, int blockSize) {
        int lanes = F.length();
        FloatVector acc = FloatVector.zero(F);
        float scalarPart = 0f;
        for (int b = 0, c0 = 0; c0 < k; b++, c0 += blockSize) {
            int c1 = (int) Math.min((long) c0 + blockSize, k);
            float scale = scales[blockOff + b];
            int vectorEnd = c0 + F.loopBound(c1 - c0);
            int c = c0;
            if (c < vectorEnd) {
                FloatVector blockAcc = FloatVector.zero(F);
                for (; c < vectorEnd; c += lanes) {
                    FloatVector qv = (FloatVector) ByteVector.fromArray(Int8.B, q, qOff + c).castShape(F, 0);
                    blockAcc = qv.fma(FloatVector.fromArray(F, x, xOff + c), blockAcc);
                }
                acc = blockAcc.fma(FloatVector.broadcast(F, scale), acc);
            }
            float tail = 0f;
            for (; c < c1; c++) tail = Math.fma(q[qOff + c], x[xOff + c], tail);
            // s·(tail − z·Σx) covers the block's scalar tail and its whole zero-point term.
            scalarPart = Math.fma(scale, tail - zeroPoints[blockOff + b] * xBlockSums[sumOff + b], scalarPart);
            if (c1 == k) break;
        }
        return acc.reduceLanes(VectorOperators.ADD) + scalarPart;
    }
}

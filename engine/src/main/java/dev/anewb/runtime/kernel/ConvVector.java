package dev.anewb.runtime.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The BC1S 1×1 conv's Vector API loops: a panel of output channels at a time over lane groups of positions, with a
 * separate multiply and add so every element sees exactly the scalar loop's roundings.
 */
final class ConvVector {
    private static final VectorSpecies<Float> F = VectorMath.F;
    private static final int PW = MatmulVector.PW;
    private ConvVector() { }

    /**
     * BC1S 1×1 conv of 8 output channels over one lane group of positions: {@code out[g·lanes + l] = Σ_i W[j0 + g, i]·
     * xt[i·sp + t + l]} with the weights of the channels' panel at {@code wp[i·PW + j]}, accumulated for i ascending
     * with a separate multiply and add — each element sees exactly the scalar loop's roundings ({@link #convRow}),
     * while the 8 channels' independent chains hide the add latency that one channel's chain waits on.
     */
    static void conv8(float[] wp, int j0, float[] xt, int c, int sp, int t, float[] out) {
        int lanes = F.length();
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int i = 0, xo = t, w = j0; i < c; i++, xo += sp, w += PW) {
            FloatVector x = FloatVector.fromArray(F, xt, xo);
            a0 = a0.add(x.mul(FloatVector.broadcast(F, wp[w])));
            a1 = a1.add(x.mul(FloatVector.broadcast(F, wp[w + 1])));
            a2 = a2.add(x.mul(FloatVector.broadcast(F, wp[w + 2])));
            a3 = a3.add(x.mul(FloatVector.broadcast(F, wp[w + 3])));
            a4 = a4.add(x.mul(FloatVector.broadcast(F, wp[w + 4])));
            a5 = a5.add(x.mul(FloatVector.broadcast(F, wp[w + 5])));
            a6 = a6.add(x.mul(FloatVector.broadcast(F, wp[w + 6])));
            a7 = a7.add(x.mul(FloatVector.broadcast(F, wp[w + 7])));
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, lanes);
        a2.intoArray(out, 2 * lanes);
        a3.intoArray(out, 3 * lanes);
        a4.intoArray(out, 4 * lanes);
        a5.intoArray(out, 5 * lanes);
        a6.intoArray(out, 6 * lanes);
        a7.intoArray(out, 7 * lanes);
    }

    /**
     * BC1S conv for one position and the panel's {@code PW} output channels along the lanes (few positions, e.g.
     * decoding one token, where {@link #conv8} would pad one position to a whole vector): {@code out[j] = Σ_i
     * W[j0 + j, i]·xt[i·sp + t]}, the same multiply-then-add per i ascending, so the same bits.
     */
    static void convChannels(float[] wp, int off, float[] xt, int c, int sp, int t, float[] out) {
        int lanes = F.length();
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int i = 0, w = off, xo = t; i < c; i++, w += PW, xo += sp) {
            FloatVector x = FloatVector.broadcast(F, xt[xo]);
            a0 = a0.add(FloatVector.fromArray(F, wp, w).mul(x));
            a1 = a1.add(FloatVector.fromArray(F, wp, w + lanes).mul(x));
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, lanes);
    }

    /**
     * {@link #convChannels} and {@link #convChannels2} (one or two positions) straight from a block-INT8 panel: each
     * weight is dequantized in registers, {@code (q − z)·s} as {@code MatmulVector.dequantizeBlock} writes it, then
     * the same separate multiply and add. The same bits, without writing and re-reading the dequantized panel
     * (which was two thirds of a decoding step).
     */
    static void convChannelsInt8(PackedPanels.Int8 w, int panel, float[] xt, int sp, int t, int positions,
            float[] out) {
        // One loop per position count, with no branch inside: with "if (two)" in the loop C2 no longer knew the
        // accumulators' exact vector class, guarded each add by the type profile and boxed every sum (a decoding
        // step allocated gigabytes and ran at a third of the memory bound).
        if (positions == 2) convChannelsInt8x2(w, panel, xt, sp, t, out);
        else convChannelsInt8x1(w, panel, xt, sp, t, out);
    }

    private static void convChannelsInt8x1(PackedPanels.Int8 w, int panel, float[] xt, int sp, int t, float[] out) {
        int k = w.k(), lanes = F.length(), blocks = w.blocks(), bs = w.blockSize();
        int qBase = panel * k * PW, sBase = panel * blocks * PW;
        byte[] q = w.q();
        float[] sc = w.scales(), zp = w.zeros();
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            int so = sBase + b * PW, c0 = b * bs, c1 = (int) Math.min((long) c0 + bs, k);
            FloatVector s0 = FloatVector.fromArray(F, sc, so), s1 = FloatVector.fromArray(F, sc, so + lanes);
            FloatVector z0 = FloatVector.fromArray(F, zp, so), z1 = FloatVector.fromArray(F, zp, so + lanes);
            for (int c = c0, qo = qBase + c0 * PW, xo = t + c0 * sp; c < c1; c++, qo += PW, xo += sp) {
                FloatVector w0 = ((FloatVector) ByteVector.fromArray(VectorMath.Int8.B, q, qo).castShape(F,
                        0)).sub(z0).mul(s0);
                FloatVector w1 = ((FloatVector) ByteVector.fromArray(VectorMath.Int8.B, q, qo + lanes).castShape(F, 0))
                        .sub(z1).mul(s1);
                FloatVector x = FloatVector.broadcast(F, xt[xo]);
                a0 = a0.add(w0.mul(x));
                a1 = a1.add(w1.mul(x));
            }
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, lanes);
    }

    private static void convChannelsInt8x2(PackedPanels.Int8 w, int panel, float[] xt, int sp, int t, float[] out) {
        int k = w.k(), lanes = F.length(), blocks = w.blocks(), bs = w.blockSize();
        int qBase = panel * k * PW, sBase = panel * blocks * PW;
        byte[] q = w.q();
        float[] sc = w.scales(), zp = w.zeros();
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), b0 = FloatVector.zero(F);
        FloatVector b1 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            int so = sBase + b * PW, c0 = b * bs, c1 = (int) Math.min((long) c0 + bs, k);
            FloatVector s0 = FloatVector.fromArray(F, sc, so), s1 = FloatVector.fromArray(F, sc, so + lanes);
            FloatVector z0 = FloatVector.fromArray(F, zp, so), z1 = FloatVector.fromArray(F, zp, so + lanes);
            for (int c = c0, qo = qBase + c0 * PW, xo = t + c0 * sp; c < c1; c++, qo += PW, xo += sp) {
                FloatVector w0 = ((FloatVector) ByteVector.fromArray(VectorMath.Int8.B, q, qo).castShape(F,
                        0)).sub(z0).mul(s0);
                FloatVector w1 = ((FloatVector) ByteVector.fromArray(VectorMath.Int8.B, q, qo + lanes).castShape(F, 0))
                        .sub(z1).mul(s1);
                FloatVector x = FloatVector.broadcast(F, xt[xo]), u = FloatVector.broadcast(F, xt[xo + 1]);
                a0 = a0.add(w0.mul(x));
                a1 = a1.add(w1.mul(x));
                b0 = b0.add(w0.mul(u));
                b1 = b1.add(w1.mul(u));
            }
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, lanes);
        b0.intoArray(out, PW);
        b1.intoArray(out, PW + lanes);
    }

    /** {@link #convChannels} for two positions at once (four independent chains). */
    static void convChannels2(float[] wp, int off, float[] xt, int c, int sp, int t, float[] out) {
        int lanes = F.length();
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0;
        for (int i = 0, w = off, xo = t; i < c; i++, w += PW, xo += sp) {
            FloatVector w0 = FloatVector.fromArray(F, wp, w), w1 = FloatVector.fromArray(F, wp, w + lanes);
            FloatVector x = FloatVector.broadcast(F, xt[xo]), u = FloatVector.broadcast(F, xt[xo + 1]);
            a0 = a0.add(w0.mul(x));
            a1 = a1.add(w1.mul(x));
            b0 = b0.add(w0.mul(u));
            b1 = b1.add(w1.mul(u));
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, lanes);
        b0.intoArray(out, PW);
        b1.intoArray(out, PW + lanes);
    }

    /** {@link #conv8} over two lane groups of positions at once (out holds 16 lane groups: channel g at g, then 8 + g).
     *
     */
    static void conv8x2(float[] wp, int j0, float[] xt, int c, int sp, int t, float[] out) {
        int lanes = F.length();
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
        for (int i = 0, xo = t, w = j0; i < c; i++, xo += sp, w += PW) {
            FloatVector x = FloatVector.fromArray(F, xt, xo), u = FloatVector.fromArray(F, xt, xo + lanes);
            FloatVector w0 = FloatVector.broadcast(F, wp[w]);
            a0 = a0.add(x.mul(w0));
            b0 = b0.add(u.mul(w0));
            FloatVector w1 = FloatVector.broadcast(F, wp[w + 1]);
            a1 = a1.add(x.mul(w1));
            b1 = b1.add(u.mul(w1));
            FloatVector w2 = FloatVector.broadcast(F, wp[w + 2]);
            a2 = a2.add(x.mul(w2));
            b2 = b2.add(u.mul(w2));
            FloatVector w3 = FloatVector.broadcast(F, wp[w + 3]);
            a3 = a3.add(x.mul(w3));
            b3 = b3.add(u.mul(w3));
            FloatVector w4 = FloatVector.broadcast(F, wp[w + 4]);
            a4 = a4.add(x.mul(w4));
            b4 = b4.add(u.mul(w4));
            FloatVector w5 = FloatVector.broadcast(F, wp[w + 5]);
            a5 = a5.add(x.mul(w5));
            b5 = b5.add(u.mul(w5));
            FloatVector w6 = FloatVector.broadcast(F, wp[w + 6]);
            a6 = a6.add(x.mul(w6));
            b6 = b6.add(u.mul(w6));
            FloatVector w7 = FloatVector.broadcast(F, wp[w + 7]);
            a7 = a7.add(x.mul(w7));
            b7 = b7.add(u.mul(w7));
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, 1 * lanes);
        a2.intoArray(out, 2 * lanes);
        a3.intoArray(out, 3 * lanes);
        a4.intoArray(out, 4 * lanes);
        a5.intoArray(out, 5 * lanes);
        a6.intoArray(out, 6 * lanes);
        a7.intoArray(out, 7 * lanes);
        b0.intoArray(out, 8 * lanes);
        b1.intoArray(out, 9 * lanes);
        b2.intoArray(out, 10 * lanes);
        b3.intoArray(out, 11 * lanes);
        b4.intoArray(out, 12 * lanes);
        b5.intoArray(out, 13 * lanes);
        b6.intoArray(out, 14 * lanes);
        b7.intoArray(out, 15 * lanes);
    }

    /**
     * BC1S 1×1 conv of one output channel: acc[t] += row[i]·xt[i·s + t] for i ascending, lane-wise over the
     * sequence axis with a separate multiply and add, so every element sees exactly the scalar loop's roundings.
     * Up to four lane groups of positions stay in registers across the whole channel sum.
     */
    static void convRow(float[] row, float[] xt, int c, int s, float[] acc) {
        int lanes = F.length(), upper = F.loopBound(s), t = 0;
        for (; t + 4 * lanes <= upper; t += 4 * lanes) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0, xo = t; i < c; i++, xo += s) {
                FloatVector wv = FloatVector.broadcast(F, row[i]);
                a0 = a0.add(FloatVector.fromArray(F, xt, xo).mul(wv));
                a1 = a1.add(FloatVector.fromArray(F, xt, xo + lanes).mul(wv));
                a2 = a2.add(FloatVector.fromArray(F, xt, xo + 2 * lanes).mul(wv));
                a3 = a3.add(FloatVector.fromArray(F, xt, xo + 3 * lanes).mul(wv));
            }
            a0.intoArray(acc, t);
            a1.intoArray(acc, t + lanes);
            a2.intoArray(acc, t + 2 * lanes);
            a3.intoArray(acc, t + 3 * lanes);
        }
        for (; t < upper; t += lanes) {
            FloatVector a0 = FloatVector.zero(F);
            for (int i = 0, xo = t; i < c; i++,
                    xo += s) a0 = a0.add(FloatVector.fromArray(F, xt, xo).mul(FloatVector.broadcast(F, row[i])));
            a0.intoArray(acc, t);
        }
        for (; t < s; t++) {
            float a = 0f;
            for (int i = 0; i < c; i++) a += row[i] * xt[i * s + t];
            acc[t] = a;
        }
    }
}

package dev.anewb.runtime;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API kernels: the packed-panel GEMM (FP32, and block INT8 dequantized a block at a time or, for one
 * token, widened straight from the codes), attention (scores over transposed keys, softmax with a written-out exp,
 * P·V), LayerNorm/RMSNorm rows, GELU and the BC1S conv row. Every reduction runs in a fixed order, so a result is
 * reproducible to the bit, and no vector crosses a call C2 might not inline (it would be boxed). Only loaded when
 * {@link KernelSelection#VECTOR} is true.
 */
final class VectorKernels {
    /**
     * The float vector: the CPU's preferred width unless {@code -Danewb.vectorBits=256} (or 512) asks for another
     * one no wider than that, to compare widths by measurement; {@link KernelSelection} logs the width that runs.
     */
    private static final VectorSpecies<Float> F = species(System.getProperty("anewb.vectorBits"));

    private static VectorSpecies<Float> species(String bits) {
        VectorSpecies<Float> preferred = FloatVector.SPECIES_PREFERRED;
        if (bits == null || bits.isBlank()) return preferred;
        try {
            int b = Integer.parseInt(bits.trim());
            if ((b == 256 || b == 512) && b <= preferred.vectorBitSize()) return VectorSpecies.of(float.class, VectorShape.forBitSize(b));
        } catch (NumberFormatException ignored) {
            // the preferred width, as for any value this CPU cannot honour
        }
        System.getLogger("dev.anewb.runtime.kernels").log(System.Logger.Level.WARNING,
                "ignored anewb.vectorBits=" + bits + " (256 or 512, at most " + preferred.vectorBitSize() + " on this CPU)");
        return preferred;
    }

    private VectorKernels() { }

    // ---- Deterministic building blocks ------------------------------------------------------------------------
    // reduceLanes(ADD) and lanewise(EXP/TANH) may give different bits compiled and interpreted (their order and
    // algorithm are unspecified), which made the same drift measurement differ between two runs. These use only
    // IEEE add/mul/fma in a fixed order, so a measurement is reproducible to the bit.

    /** Rotations by 2^k lanes for the fixed-order pairwise sum. */
    private static final jdk.incubator.vector.VectorShuffle<Float>[] ROTATE = rotations();
    private static final int ROTATE_TOP = ROTATE.length - 1;

    @SuppressWarnings("unchecked")
    private static jdk.incubator.vector.VectorShuffle<Float>[] rotations() {
        int n = Integer.numberOfTrailingZeros(F.length());
        jdk.incubator.vector.VectorShuffle<Float>[] r = new jdk.incubator.vector.VectorShuffle[n];
        for (int k = 0; k < n; k++) r[k] = jdk.incubator.vector.VectorShuffle.iota(F, 1 << k, 1, true);
        return r;
    }

    /** Σ lanes in a fixed pairwise order (lane i + lane i+half, halving), the same bits however it is compiled. */
    static float sumLanes(FloatVector v) {
        // Kept under 35 bytecodes (MaxInlineSize): C2 then inlines it even at a call site it does not count as hot;
        // called out of line, its vector argument would be boxed on every call.
        for (int k = ROTATE_TOP; k >= 0; k--) v = v.add(v.rearrange(ROTATE[k]));
        return v.lane(0);
    }

    private static final float EXP_HI = 88.3762626647949f, EXP_LO = -87.3365478515625f;

    /**
     * e^x per lane (Cephes expf: Cody–Waite reduction, degree-6 polynomial, about 1 ulp); e^x = 0 below
     * −87.34 (so −∞ gives exactly 0), +∞ above 88.38.
     */
    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.min(EXP_HI).max(EXP_LO);
        FloatVector fx = xc.mul(1.44269504088896341f).add(0.5f);
        jdk.incubator.vector.IntVector ti = (jdk.incubator.vector.IntVector) fx.convert(VectorOperators.F2I, 0);
        FloatVector t = (FloatVector) ti.convert(VectorOperators.I2F, 0);
        t = t.sub(1f, t.compare(VectorOperators.GT, fx));      // floor
        ti = (jdk.incubator.vector.IntVector) t.convert(VectorOperators.F2I, 0);
        FloatVector r = xc.sub(t.mul(0.693359375f)).sub(t.mul(-2.12194440e-4f));
        FloatVector y = FloatVector.broadcast(F, 1.9875691500e-4f);
        y = y.fma(r, FloatVector.broadcast(F, 1.3981999507e-3f));
        y = y.fma(r, FloatVector.broadcast(F, 8.3334519073e-3f));
        y = y.fma(r, FloatVector.broadcast(F, 4.1665795894e-2f));
        y = y.fma(r, FloatVector.broadcast(F, 1.6666665459e-1f));
        y = y.fma(r, FloatVector.broadcast(F, 5.0000001201e-1f));
        y = y.mul(r.mul(r)).add(r).add(1f);
        FloatVector pow2 = (FloatVector) ti.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
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
        float sum = sumLanes(acc0.add(acc1));
        for (; i < n; i++) sum = Math.fma(a[aOff + i], b[bOff + i], sum);
        return sum;
    }

    // ---- Packed-panel GEMM (see PackedPanels) --------------------------------------------------------------

    /** Output channels per panel: two float vectors, so the 4-token micro-kernel keeps 8 accumulators in flight. */
    static final int PW = 2 * F.length();

    private static final ThreadLocal<float[]> PANEL = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * {@code y[t, r] = Σ_c x[t, c]·W[r, c] + bias[r]} for tokens {@code [t0, t1)} and the output channels of the
     * panel whose packed {@code [k][PW]} values start at {@code wp[wBase]} (first channel {@code r0}).
     */
    static void gemmPanel(float[] x, int k, float[] wp, int wBase, int r0, int rows, float[] bias, float[] y, int t0, int t1) {
        // The micro-kernels leave their accumulators in a per-thread scratch row instead of passing vectors to a
        // store method: a vector argument to a call C2 does not inline is boxed, and a boxed loop accumulator is
        // boxed on every iteration (a young GC every pass, 3.5× slower, once the 8-token kernel made the method big).
        float[] out = OUT.get();
        int t = t0;
        for (; t + 8 <= t1; t += 8) {
            java.util.Arrays.fill(out, 0, 8 * PW, 0f);
            gemm8(x, k, wp, wBase, 0, k, out, 0, t);
            flush(out, 8, y, t, r0, rows, bias);
        }
        for (; t + 4 <= t1; t += 4) {
            java.util.Arrays.fill(out, 0, 4 * PW, 0f);
            gemm4(x, k, wp, wBase, 0, k, out, 0, t);
            flush(out, 4, y, t, r0, rows, bias);
        }
        for (; t < t1; t++) {
            java.util.Arrays.fill(out, 0, PW, 0f);
            gemm1(x, k, wp, wBase, 0, k, out, 0, t);
            flush(out, 1, y, t, r0, rows, bias);
        }
    }

    private static final ThreadLocal<float[]> OUT = ThreadLocal.withInitial(() -> new float[8 * PW]);

    /**
     * Eight tokens × two vectors: 16 accumulators, each weight vector load feeds eight fmas. The micro-kernels
     * continue the sums in {@code out} (token i's PW outputs at {@code outOff + i·PW}) over input channels
     * [c0, c1), whose weights start at {@code wp[wBase]}: callers zero {@code out} for a whole-k pass, and the
     * block-INT8 path continues them block after block (the same fma chain, so the same bits, as one pass).
     */
    private static void gemm8(float[] x, int k, float[] wp, int wBase, int c0, int c1, float[] out, int outOff, int t) {
        int lanes = F.length();
        FloatVector a00 = FloatVector.fromArray(F, out, outOff), a01 = FloatVector.fromArray(F, out, outOff + lanes);
        FloatVector a10 = FloatVector.fromArray(F, out, outOff + PW), a11 = FloatVector.fromArray(F, out, outOff + PW + lanes);
        FloatVector a20 = FloatVector.fromArray(F, out, outOff + 2 * PW), a21 = FloatVector.fromArray(F, out, outOff + 2 * PW + lanes);
        FloatVector a30 = FloatVector.fromArray(F, out, outOff + 3 * PW), a31 = FloatVector.fromArray(F, out, outOff + 3 * PW + lanes);
        FloatVector a40 = FloatVector.fromArray(F, out, outOff + 4 * PW), a41 = FloatVector.fromArray(F, out, outOff + 4 * PW + lanes);
        FloatVector a50 = FloatVector.fromArray(F, out, outOff + 5 * PW), a51 = FloatVector.fromArray(F, out, outOff + 5 * PW + lanes);
        FloatVector a60 = FloatVector.fromArray(F, out, outOff + 6 * PW), a61 = FloatVector.fromArray(F, out, outOff + 6 * PW + lanes);
        FloatVector a70 = FloatVector.fromArray(F, out, outOff + 7 * PW), a71 = FloatVector.fromArray(F, out, outOff + 7 * PW + lanes);
        int x0 = t * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k, x4 = x3 + k, x5 = x4 + k, x6 = x5 + k, x7 = x6 + k;
        for (int c = c0, w = wBase; c < c1; c++, w += PW) {
            FloatVector w0 = FloatVector.fromArray(F, wp, w), w1 = FloatVector.fromArray(F, wp, w + lanes);
            FloatVector b = FloatVector.broadcast(F, x[x0 + c]);
            a00 = w0.fma(b, a00);
            a01 = w1.fma(b, a01);
            b = FloatVector.broadcast(F, x[x1 + c]);
            a10 = w0.fma(b, a10);
            a11 = w1.fma(b, a11);
            b = FloatVector.broadcast(F, x[x2 + c]);
            a20 = w0.fma(b, a20);
            a21 = w1.fma(b, a21);
            b = FloatVector.broadcast(F, x[x3 + c]);
            a30 = w0.fma(b, a30);
            a31 = w1.fma(b, a31);
            b = FloatVector.broadcast(F, x[x4 + c]);
            a40 = w0.fma(b, a40);
            a41 = w1.fma(b, a41);
            b = FloatVector.broadcast(F, x[x5 + c]);
            a50 = w0.fma(b, a50);
            a51 = w1.fma(b, a51);
            b = FloatVector.broadcast(F, x[x6 + c]);
            a60 = w0.fma(b, a60);
            a61 = w1.fma(b, a61);
            b = FloatVector.broadcast(F, x[x7 + c]);
            a70 = w0.fma(b, a70);
            a71 = w1.fma(b, a71);
        }
        a00.intoArray(out, outOff + 0);
        a01.intoArray(out, outOff + lanes);
        a10.intoArray(out, outOff + PW);
        a11.intoArray(out, outOff + PW + lanes);
        a20.intoArray(out, outOff + 2 * PW);
        a21.intoArray(out, outOff + 2 * PW + lanes);
        a30.intoArray(out, outOff + 3 * PW);
        a31.intoArray(out, outOff + 3 * PW + lanes);
        a40.intoArray(out, outOff + 4 * PW);
        a41.intoArray(out, outOff + 4 * PW + lanes);
        a50.intoArray(out, outOff + 5 * PW);
        a51.intoArray(out, outOff + 5 * PW + lanes);
        a60.intoArray(out, outOff + 6 * PW);
        a61.intoArray(out, outOff + 6 * PW + lanes);
        a70.intoArray(out, outOff + 7 * PW);
        a71.intoArray(out, outOff + 7 * PW + lanes);
    }

    /** Four tokens × two vectors = 8 independent fma chains, enough to hide fma latency. */
    private static void gemm4(float[] x, int k, float[] wp, int wBase, int c0, int c1, float[] out, int outOff, int t) {
        int lanes = F.length();
        FloatVector a00 = FloatVector.fromArray(F, out, outOff), a01 = FloatVector.fromArray(F, out, outOff + lanes);
        FloatVector a10 = FloatVector.fromArray(F, out, outOff + PW), a11 = FloatVector.fromArray(F, out, outOff + PW + lanes);
        FloatVector a20 = FloatVector.fromArray(F, out, outOff + 2 * PW), a21 = FloatVector.fromArray(F, out, outOff + 2 * PW + lanes);
        FloatVector a30 = FloatVector.fromArray(F, out, outOff + 3 * PW), a31 = FloatVector.fromArray(F, out, outOff + 3 * PW + lanes);
        int x0 = t * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
        for (int c = c0, w = wBase; c < c1; c++, w += PW) {
            FloatVector w0 = FloatVector.fromArray(F, wp, w), w1 = FloatVector.fromArray(F, wp, w + lanes);
            FloatVector b = FloatVector.broadcast(F, x[x0 + c]);
            a00 = w0.fma(b, a00);
            a01 = w1.fma(b, a01);
            b = FloatVector.broadcast(F, x[x1 + c]);
            a10 = w0.fma(b, a10);
            a11 = w1.fma(b, a11);
            b = FloatVector.broadcast(F, x[x2 + c]);
            a20 = w0.fma(b, a20);
            a21 = w1.fma(b, a21);
            b = FloatVector.broadcast(F, x[x3 + c]);
            a30 = w0.fma(b, a30);
            a31 = w1.fma(b, a31);
        }
        a00.intoArray(out, outOff + 0);
        a01.intoArray(out, outOff + lanes);
        a10.intoArray(out, outOff + PW);
        a11.intoArray(out, outOff + PW + lanes);
        a20.intoArray(out, outOff + 2 * PW);
        a21.intoArray(out, outOff + 2 * PW + lanes);
        a30.intoArray(out, outOff + 3 * PW);
        a31.intoArray(out, outOff + 3 * PW + lanes);
    }

    /** One token: two chains per vector half, so it does not wait on each fma's latency. */
    private static void gemm1(float[] x, int k, float[] wp, int wBase, int c0, int c1, float[] out, int outOff, int t) {
        int lanes = F.length();
        FloatVector a0 = FloatVector.fromArray(F, out, outOff), a1 = FloatVector.fromArray(F, out, outOff + lanes);
        FloatVector b0 = FloatVector.zero(F), b1 = b0;
        int xo = t * k, c = c0, w = wBase;
        for (; c + 1 < c1; c += 2, w += 2 * PW) {
            FloatVector v = FloatVector.broadcast(F, x[xo + c]), u = FloatVector.broadcast(F, x[xo + c + 1]);
            a0 = FloatVector.fromArray(F, wp, w).fma(v, a0);
            a1 = FloatVector.fromArray(F, wp, w + lanes).fma(v, a1);
            b0 = FloatVector.fromArray(F, wp, w + PW).fma(u, b0);
            b1 = FloatVector.fromArray(F, wp, w + PW + lanes).fma(u, b1);
        }
        if (c < c1) {
            FloatVector v = FloatVector.broadcast(F, x[xo + c]);
            a0 = FloatVector.fromArray(F, wp, w).fma(v, a0);
            a1 = FloatVector.fromArray(F, wp, w + lanes).fma(v, a1);
        }
        a0.add(b0).intoArray(out, outOff);
        a1.add(b1).intoArray(out, outOff + lanes);
    }

    /** Copies {@code n} tokens' panel outputs from the scratch row into y, plus bias; the last panel may be partial. */
    private static void flush(float[] out, int n, float[] y, int t, int r0, int rows, float[] bias) {
        int width = Math.min(PW, rows - r0);
        for (int j = 0; j < n; j++) {
            int off = (t + j) * rows + r0, src = j * PW;
            if (bias == null) System.arraycopy(out, src, y, off, width);
            else for (int i = 0; i < width; i++) y[off + i] = out[src + i] + bias[r0 + i];
        }
    }

    /**
     * Block-INT8 panel for tokens {@code [t0, t1)}. With several tokens the panel is dequantized once,
     * {@code (q − z)·s} exactly as {@link dev.anewb.convert.Int8BlockWeight#dequantize} computes it, into a per-thread
     * buffer that the FP32 micro-kernel then reuses for every token. A single token (decoding) runs the fused
     * {@code s·(Σq·x − z·Σx)} per block straight from the codes instead, so only the bytes are streamed.
     */
    static void int8Panel(float[] x, float[] xBlockSums, PackedPanels.Int8 w, int panel, float[] bias, float[] y, int t0, int t1) {
        int k = w.k(), lanes = F.length(), blocks = w.blocks(), bs = w.blockSize();
        int qBase = panel * k * PW, sBase = panel * blocks * PW, r0 = panel * PW;
        byte[] q = w.q();
        float[] sc = w.scales(), zp = w.zeros();
        if (xBlockSums != null && t1 - t0 == 1) {
            int xo = t0 * k;
            FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
            for (int b = 0; b < blocks; b++) {
                int c0 = b * bs, c1 = (int) Math.min((long) c0 + bs, k);
                FloatVector s0 = FloatVector.zero(F), s1 = s0, e0 = s0, e1 = s0;
                int c = c0, qo = qBase + c0 * PW;
                for (; c + 1 < c1; c += 2, qo += 2 * PW) {
                    FloatVector v = FloatVector.broadcast(F, x[xo + c]), u = FloatVector.broadcast(F, x[xo + c + 1]);
                    s0 = ((FloatVector) ByteVector.fromArray(Int8.B, q, qo).castShape(F, 0)).fma(v, s0);
                    s1 = ((FloatVector) ByteVector.fromArray(Int8.B, q, qo + lanes).castShape(F, 0)).fma(v, s1);
                    e0 = ((FloatVector) ByteVector.fromArray(Int8.B, q, qo + PW).castShape(F, 0)).fma(u, e0);
                    e1 = ((FloatVector) ByteVector.fromArray(Int8.B, q, qo + PW + lanes).castShape(F, 0)).fma(u, e1);
                }
                if (c < c1) {
                    FloatVector v = FloatVector.broadcast(F, x[xo + c]);
                    s0 = ((FloatVector) ByteVector.fromArray(Int8.B, q, qo).castShape(F, 0)).fma(v, s0);
                    s1 = ((FloatVector) ByteVector.fromArray(Int8.B, q, qo + lanes).castShape(F, 0)).fma(v, s1);
                }
                FloatVector xs = FloatVector.broadcast(F, xBlockSums[t0 * blocks + b]);
                int so = sBase + b * PW;
                acc0 = FloatVector.fromArray(F, sc, so).fma(s0.add(e0).sub(FloatVector.fromArray(F, zp, so).mul(xs)), acc0);
                acc1 = FloatVector.fromArray(F, sc, so + lanes).fma(s1.add(e1).sub(FloatVector.fromArray(F, zp, so + lanes).mul(xs)), acc1);
            }
            float[] out = OUT.get();
            acc0.intoArray(out, 0);
            acc1.intoArray(out, lanes);
            flush(out, 1, y, t0, r0, w.rows(), bias);
            return;
        }
        // Several tokens: each block of the panel is dequantized once, (q − z)·s exactly as
        // Int8BlockWeight#dequantize computes it, into a buffer that stays in L1, and the FP32 micro-kernels continue
        // every token's sums over it. The outputs are the bits of "dequantize the weight, then the FP32 GEMM" (what
        // the fixtures' INT8 references run), and the codes are read once per call.
        float[] buf = PANEL.get();
        int need = Math.multiplyExact(Math.min(bs, k), PW);
        if (buf.length < need) {
            buf = new float[need];
            PANEL.set(buf);
        }
        float[] acc = ACC.get();
        int n = t1 - t0;
        if (acc.length < n * PW) {
            acc = new float[n * PW];
            ACC.set(acc);
        }
        java.util.Arrays.fill(acc, 0, n * PW, 0f);
        for (int b = 0; b < blocks; b++) {
            int c0 = b * bs, c1 = (int) Math.min((long) c0 + bs, k);
            dequantizeBlock(w, panel, b, buf, 0);
            int t = t0;
            for (; t + 8 <= t1; t += 8) gemm8(x, k, buf, 0, c0, c1, acc, (t - t0) * PW, t);
            for (; t + 4 <= t1; t += 4) gemm4(x, k, buf, 0, c0, c1, acc, (t - t0) * PW, t);
            for (; t < t1; t++) gemm1(x, k, buf, 0, c0, c1, acc, (t - t0) * PW, t);
        }
        flush(acc, n, y, t0, r0, w.rows(), bias);
    }

    private static final ThreadLocal<float[]> ACC = ThreadLocal.withInitial(() -> new float[0]);


    /**
     * Calls with at most this many tokens (one: decoding) run the block-INT8 panel straight from the codes,
     * {@code s·(Σq·x − z·Σx)} per block, streaming only the bytes; longer ones dequantize block by block.
     */
    static final int FUSED_TOKENS = 1;

    /** buf[(c − c0)·PW + j] = (q − z)·s for the panel's weights of block b (kept small so C2 inlines the byte widening). */
    private static void dequantizeBlock(PackedPanels.Int8 w, int panel, int b, float[] buf, int bufOff) {
        int k = w.k(), lanes = F.length(), blocks = w.blocks(), bs = w.blockSize();
        int qBase = panel * k * PW, so = panel * blocks * PW + b * PW;
        byte[] q = w.q();
        float[] sc = w.scales(), zp = w.zeros();
        int c0 = b * bs, c1 = (int) Math.min((long) c0 + bs, k);
        FloatVector s0 = FloatVector.fromArray(F, sc, so), s1 = FloatVector.fromArray(F, sc, so + lanes);
        FloatVector z0 = FloatVector.fromArray(F, zp, so), z1 = FloatVector.fromArray(F, zp, so + lanes);
        for (int c = c0, qo = qBase + c0 * PW, o = bufOff; c < c1; c++, qo += PW, o += PW) {
            FloatVector lo = (FloatVector) ByteVector.fromArray(Int8.B, q, qo).castShape(F, 0);
            FloatVector hi = (FloatVector) ByteVector.fromArray(Int8.B, q, qo + lanes).castShape(F, 0);
            lo.sub(z0).mul(s0).intoArray(buf, o);
            hi.sub(z1).mul(s1).intoArray(buf, o + lanes);
        }
    }


    /** The whole panel dequantized, {@code buf[c·PW + j] = (q − z)·s} (the BC1S conv broadcasts from it). */
    static void dequantizePanel(PackedPanels.Int8 w, int panel, float[] buf) {
        for (int b = 0; b < w.blocks(); b++) dequantizeBlock(w, panel, b, buf, b * w.blockSize() * PW);
    }

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

    /** {@link #conv8} over two lane groups of positions at once (out holds 16 lane groups: channel g at g, then 8 + g). */
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

    // ---- Attention and elementwise ---------------------------------------------------------------------------

    /** Same contract as {@link AttentionKernels#scoresTransposed}: 16 keys per fma, no horizontal sums. */
    static void scoresTransposed(float[] q, int qOff, float[] kt, int n, int m, int headDim, float scale, float[] scores, int sOff, int jFrom) {
        int lanes = F.length(), upper = F.loopBound(m);
        int j = jFrom;
        // Four groups of keys per pass: four independent fma chains instead of one waiting on its own latency.
        for (; j + 4 * lanes <= upper; j += 4 * lanes) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int d = 0, row = j; d < headDim; d++, row += n) {
                FloatVector qd = FloatVector.broadcast(F, q[qOff + d]);
                a0 = FloatVector.fromArray(F, kt, row).fma(qd, a0);
                a1 = FloatVector.fromArray(F, kt, row + lanes).fma(qd, a1);
                a2 = FloatVector.fromArray(F, kt, row + 2 * lanes).fma(qd, a2);
                a3 = FloatVector.fromArray(F, kt, row + 3 * lanes).fma(qd, a3);
            }
            a0.mul(scale).intoArray(scores, sOff + j);
            a1.mul(scale).intoArray(scores, sOff + j + lanes);
            a2.mul(scale).intoArray(scores, sOff + j + 2 * lanes);
            a3.mul(scale).intoArray(scores, sOff + j + 3 * lanes);
        }
        for (; j < upper; j += lanes) {
            FloatVector acc = FloatVector.zero(F);
            for (int d = 0, row = j; d < headDim; d++, row += n) acc = FloatVector.fromArray(F, kt, row).fma(FloatVector.broadcast(F, q[qOff + d]), acc);
            acc.mul(scale).intoArray(scores, sOff + j);
        }
        for (; j < m; j++) {
            float acc = 0f;
            for (int d = 0; d < headDim; d++) acc = Math.fma(q[qOff + d], kt[d * n + j], acc);
            scores[sOff + j] = acc * scale;
        }
    }

    /** max over scores[off..off+m) (NaN-free input: scores are finite or −∞). */
    static float max(float[] scores, int off, int m) {
        int lanes = F.length(), upper = F.loopBound(m), j = 0;
        FloatVector mx = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (; j < upper; j += lanes) mx = mx.max(FloatVector.fromArray(F, scores, off + j));
        float r = mx.reduceLanes(VectorOperators.MAX);
        for (; j < m; j++) r = Math.max(r, scores[off + j]);
        return r;
    }

    /**
     * Same contract as {@link AttentionKernels#expShifted}. {@link #exp}'s body is written out here, operation for
     * operation (same bits): as a call it is 282 bytecodes, which C2 inlines only into a call site it already
     * considers hot, and compiled on its own every FloatVector it takes and returns is a heap object. Whether the
     * attention softmax ran boxed (gigabytes of garbage per second, GC every pass) depended on that JIT decision.
     */
    static float expShifted(float[] scores, int off, int m, float max) {
        int lanes = F.length(), upper = F.loopBound(m);
        FloatVector sum = FloatVector.zero(F);
        int j = 0;
        for (; j < upper; j += lanes) {
            FloatVector x = FloatVector.fromArray(F, scores, off + j).sub(max);
            FloatVector xc = x.min(EXP_HI).max(EXP_LO);
            FloatVector fx = xc.mul(1.44269504088896341f).add(0.5f);
            jdk.incubator.vector.IntVector ti = (jdk.incubator.vector.IntVector) fx.convert(VectorOperators.F2I, 0);
            FloatVector t = (FloatVector) ti.convert(VectorOperators.I2F, 0);
            t = t.sub(1f, t.compare(VectorOperators.GT, fx));      // floor
            ti = (jdk.incubator.vector.IntVector) t.convert(VectorOperators.F2I, 0);
            FloatVector r = xc.sub(t.mul(0.693359375f)).sub(t.mul(-2.12194440e-4f));
            FloatVector y = FloatVector.broadcast(F, 1.9875691500e-4f);
            y = y.fma(r, FloatVector.broadcast(F, 1.3981999507e-3f));
            y = y.fma(r, FloatVector.broadcast(F, 8.3334519073e-3f));
            y = y.fma(r, FloatVector.broadcast(F, 4.1665795894e-2f));
            y = y.fma(r, FloatVector.broadcast(F, 1.6666665459e-1f));
            y = y.fma(r, FloatVector.broadcast(F, 5.0000001201e-1f));
            y = y.mul(r.mul(r)).add(r).add(1f);
            FloatVector pow2 = (FloatVector) ti.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector e = y.mul(pow2);
            e = e.blend(0f, x.compare(VectorOperators.LT, EXP_LO));
            e = e.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, EXP_HI));
            e.intoArray(scores, off + j);
            sum = sum.add(e);
        }
        float s = sumLanes(sum);
        for (; j < m; j++) {
            float e = (float) Math.exp(scores[off + j] - max);
            scores[off + j] = e;
            s += e;
        }
        return s;
    }

    /**
     * out[outOff + d] = scale·Σ_{j<m} p[j]·v[(keyStart + j)·stride + vOff + d] for d < headDim: the accumulators stay
     * in registers across all keys (one lane group of head dims at a time, four keys per step).
     */
    static void weightedSum(float[] p, int pOff, int m, float scale, float[] v, int keyStart, int stride, int vOff, float[] out, int outOff, int headDim, int dFrom) {
        int lanes = F.length(), upper = F.loopBound(headDim), d = dFrom;
        // Two lane groups of head dims × two keys per step: four independent fma chains.
        for (; d + 2 * lanes <= upper; d += 2 * lanes) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0;
            int j = 0, o = keyStart * stride + vOff + d;
            for (; j + 2 <= m; j += 2, o += 2 * stride) {
                FloatVector pj = FloatVector.broadcast(F, p[pOff + j]), pk = FloatVector.broadcast(F, p[pOff + j + 1]);
                a0 = FloatVector.fromArray(F, v, o).fma(pj, a0);
                a1 = FloatVector.fromArray(F, v, o + lanes).fma(pj, a1);
                b0 = FloatVector.fromArray(F, v, o + stride).fma(pk, b0);
                b1 = FloatVector.fromArray(F, v, o + stride + lanes).fma(pk, b1);
            }
            if (j < m) {
                FloatVector pj = FloatVector.broadcast(F, p[pOff + j]);
                a0 = FloatVector.fromArray(F, v, o).fma(pj, a0);
                a1 = FloatVector.fromArray(F, v, o + lanes).fma(pj, a1);
            }
            a0.add(b0).mul(scale).intoArray(out, outOff + d);
            a1.add(b1).mul(scale).intoArray(out, outOff + d + lanes);
        }
        for (; d < upper; d += lanes) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            int j = 0, o = keyStart * stride + vOff + d;
            for (; j + 4 <= m; j += 4, o += 4 * stride) {
                a0 = FloatVector.fromArray(F, v, o).fma(FloatVector.broadcast(F, p[pOff + j]), a0);
                a1 = FloatVector.fromArray(F, v, o + stride).fma(FloatVector.broadcast(F, p[pOff + j + 1]), a1);
                a2 = FloatVector.fromArray(F, v, o + 2 * stride).fma(FloatVector.broadcast(F, p[pOff + j + 2]), a2);
                a3 = FloatVector.fromArray(F, v, o + 3 * stride).fma(FloatVector.broadcast(F, p[pOff + j + 3]), a3);
            }
            for (; j < m; j++, o += stride) a0 = FloatVector.fromArray(F, v, o).fma(FloatVector.broadcast(F, p[pOff + j]), a0);
            a0.add(a1).add(a2.add(a3)).mul(scale).intoArray(out, outOff + d);
        }
        for (; d < headDim; d++) {
            float acc = 0f;
            for (int j = 0; j < m; j++) acc = Math.fma(p[pOff + j], v[(keyStart + j) * stride + vOff + d], acc);
            out[outOff + d] = acc * scale;
        }
    }

    /**
     * {@link #weightedSum} for four queries over the same keys (p rows {@code pStride} apart, scales and outputs per
     * query): each value vector loaded feeds four queries. Every output sees exactly the single-query kernel's
     * operations in its order (same bits); the lane groups the two-group loop leaves go through that kernel.
     */
    static void weightedSum4(float[] p, int pStride, int m, float[] scales, float[] v, int stride, float[] out, int outOff, int outStride, int headDim) {
        int lanes = F.length(), upper = F.loopBound(headDim), d = 0;
        int p1 = pStride, p2 = 2 * pStride, p3 = 3 * pStride;
        for (; d + 2 * lanes <= upper; d += 2 * lanes) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, e0 = a0, e1 = a0;
            FloatVector f0 = a0, f1 = a0, g0 = a0, g1 = a0, h0 = a0, h1 = a0, i0 = a0, i1 = a0;
            int j = 0, o = d;
            for (; j + 2 <= m; j += 2, o += 2 * stride) {
                FloatVector v0 = FloatVector.fromArray(F, v, o), v1 = FloatVector.fromArray(F, v, o + lanes);
                FloatVector u0 = FloatVector.fromArray(F, v, o + stride), u1 = FloatVector.fromArray(F, v, o + stride + lanes);
                FloatVector pj = FloatVector.broadcast(F, p[j]), pk = FloatVector.broadcast(F, p[j + 1]);
                a0 = v0.fma(pj, a0);
                a1 = v1.fma(pj, a1);
                b0 = u0.fma(pk, b0);
                b1 = u1.fma(pk, b1);
                pj = FloatVector.broadcast(F, p[p1 + j]);
                pk = FloatVector.broadcast(F, p[p1 + j + 1]);
                c0 = v0.fma(pj, c0);
                c1 = v1.fma(pj, c1);
                e0 = u0.fma(pk, e0);
                e1 = u1.fma(pk, e1);
                pj = FloatVector.broadcast(F, p[p2 + j]);
                pk = FloatVector.broadcast(F, p[p2 + j + 1]);
                f0 = v0.fma(pj, f0);
                f1 = v1.fma(pj, f1);
                g0 = u0.fma(pk, g0);
                g1 = u1.fma(pk, g1);
                pj = FloatVector.broadcast(F, p[p3 + j]);
                pk = FloatVector.broadcast(F, p[p3 + j + 1]);
                h0 = v0.fma(pj, h0);
                h1 = v1.fma(pj, h1);
                i0 = u0.fma(pk, i0);
                i1 = u1.fma(pk, i1);
            }
            if (j < m) {
                FloatVector v0 = FloatVector.fromArray(F, v, o), v1 = FloatVector.fromArray(F, v, o + lanes);
                FloatVector pj = FloatVector.broadcast(F, p[j]);
                a0 = v0.fma(pj, a0);
                a1 = v1.fma(pj, a1);
                pj = FloatVector.broadcast(F, p[p1 + j]);
                c0 = v0.fma(pj, c0);
                c1 = v1.fma(pj, c1);
                pj = FloatVector.broadcast(F, p[p2 + j]);
                f0 = v0.fma(pj, f0);
                f1 = v1.fma(pj, f1);
                pj = FloatVector.broadcast(F, p[p3 + j]);
                h0 = v0.fma(pj, h0);
                h1 = v1.fma(pj, h1);
            }
            a0.add(b0).mul(scales[0]).intoArray(out, outOff + d);
            a1.add(b1).mul(scales[0]).intoArray(out, outOff + d + lanes);
            c0.add(e0).mul(scales[1]).intoArray(out, outOff + outStride + d);
            c1.add(e1).mul(scales[1]).intoArray(out, outOff + outStride + d + lanes);
            f0.add(g0).mul(scales[2]).intoArray(out, outOff + 2 * outStride + d);
            f1.add(g1).mul(scales[2]).intoArray(out, outOff + 2 * outStride + d + lanes);
            h0.add(i0).mul(scales[3]).intoArray(out, outOff + 3 * outStride + d);
            h1.add(i1).mul(scales[3]).intoArray(out, outOff + 3 * outStride + d + lanes);
        }
        if (d < headDim) {
            for (int i = 0; i < 4; i++) weightedSum(p, i * pStride, m, scales[i], v, 0, stride, 0, out, outOff + i * outStride, headDim, d);
        }
    }

    /**
     * {@link #scoresTransposed} for four queries ({@code qStride} apart) against the same keys, scores rows
     * {@code sStride} apart: each key vector loaded feeds four queries. Per key the same fma chain over d as the
     * single-query kernel (same bits).
     */
    static void scoresTransposed4(float[] q, int qOff, int qStride, float[] kt, int n, int m, int headDim, float scale, float[] scores, int sStride) {
        int lanes = F.length(), upper = F.loopBound(m);
        int q1 = qOff + qStride, q2 = q1 + qStride, q3 = q2 + qStride, s1 = sStride, s2 = 2 * sStride, s3 = 3 * sStride;
        int j = 0;
        for (; j + 4 * lanes <= upper; j += 4 * lanes) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0, e0 = a0, e1 = a0, e2 = a0, e3 = a0;
            for (int d = 0, row = j; d < headDim; d++, row += n) {
                FloatVector k0 = FloatVector.fromArray(F, kt, row), k1 = FloatVector.fromArray(F, kt, row + lanes);
                FloatVector k2 = FloatVector.fromArray(F, kt, row + 2 * lanes), k3 = FloatVector.fromArray(F, kt, row + 3 * lanes);
                FloatVector qd = FloatVector.broadcast(F, q[qOff + d]);
                a0 = k0.fma(qd, a0);
                a1 = k1.fma(qd, a1);
                a2 = k2.fma(qd, a2);
                a3 = k3.fma(qd, a3);
                qd = FloatVector.broadcast(F, q[q1 + d]);
                b0 = k0.fma(qd, b0);
                b1 = k1.fma(qd, b1);
                b2 = k2.fma(qd, b2);
                b3 = k3.fma(qd, b3);
                qd = FloatVector.broadcast(F, q[q2 + d]);
                c0 = k0.fma(qd, c0);
                c1 = k1.fma(qd, c1);
                c2 = k2.fma(qd, c2);
                c3 = k3.fma(qd, c3);
                qd = FloatVector.broadcast(F, q[q3 + d]);
                e0 = k0.fma(qd, e0);
                e1 = k1.fma(qd, e1);
                e2 = k2.fma(qd, e2);
                e3 = k3.fma(qd, e3);
            }
            a0.mul(scale).intoArray(scores, j);
            a1.mul(scale).intoArray(scores, j + lanes);
            a2.mul(scale).intoArray(scores, j + 2 * lanes);
            a3.mul(scale).intoArray(scores, j + 3 * lanes);
            b0.mul(scale).intoArray(scores, s1 + j);
            b1.mul(scale).intoArray(scores, s1 + j + lanes);
            b2.mul(scale).intoArray(scores, s1 + j + 2 * lanes);
            b3.mul(scale).intoArray(scores, s1 + j + 3 * lanes);
            c0.mul(scale).intoArray(scores, s2 + j);
            c1.mul(scale).intoArray(scores, s2 + j + lanes);
            c2.mul(scale).intoArray(scores, s2 + j + 2 * lanes);
            c3.mul(scale).intoArray(scores, s2 + j + 3 * lanes);
            e0.mul(scale).intoArray(scores, s3 + j);
            e1.mul(scale).intoArray(scores, s3 + j + lanes);
            e2.mul(scale).intoArray(scores, s3 + j + 2 * lanes);
            e3.mul(scale).intoArray(scores, s3 + j + 3 * lanes);
        }
        if (j < m) {
            for (int i = 0; i < 4; i++) scoresTransposed(q, qOff + i * qStride, kt, n, m, headDim, scale, scores, i * sStride, j);
        }
    }

    /** Doubles in one float vector's width, and the float vector half as wide that widens into it. */
    private static final class Norm {
        static final VectorSpecies<Double> D = VectorSpecies.of(double.class, F.vectorShape());
        static final VectorSpecies<Float> FH = VectorSpecies.of(float.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
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
            for (; i < upper; i += dl) s0 = s0.add(FloatVector.fromArray(fh, xs, o + i).convertShape(VectorOperators.F2D, d, 0));
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
            DoubleVector a = ((DoubleVector) FloatVector.fromArray(fh, xs, o + i).convertShape(VectorOperators.F2D, d, 0)).sub(m);
            DoubleVector b = ((DoubleVector) FloatVector.fromArray(fh, xs, o + i + dl).convertShape(VectorOperators.F2D, d, 0)).sub(m);
            v0 = a.fma(a, v0);
            v1 = b.fma(b, v1);
        }
        for (; i < upper; i += dl) {
            DoubleVector a = ((DoubleVector) FloatVector.fromArray(fh, xs, o + i).convertShape(VectorOperators.F2D, d, 0)).sub(m);
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
            DoubleVector x = ((DoubleVector) FloatVector.fromArray(fh, xs, o + i).convertShape(VectorOperators.F2D, d, 0)).sub(m).mul(iv)
                    .mul(FloatVector.fromArray(fh, w, i).convertShape(VectorOperators.F2D, d, 0));
            if (bias != null) x = x.add(FloatVector.fromArray(fh, bias, i).convertShape(VectorOperators.F2D, d, 0));
            ((FloatVector) x.convertShape(VectorOperators.D2F, fh, 0)).intoArray(y, o + i);
        }
        for (; i < c; i++) {
            double x = (xs[o + i] - mean) * inv * w[i];
            y[o + i] = (float) (bias == null ? x : x + bias[i]);
        }
    }

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
            v.mul(0.5f).mul(tanh(inner).add(1f)).intoArray(x, i);
        }
        for (; i < to; i++) x[i] = (float) Activations.geluTanh(x[i]);
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
            for (int i = 0, xo = t; i < c; i++, xo += s) a0 = a0.add(FloatVector.fromArray(F, xt, xo).mul(FloatVector.broadcast(F, row[i])));
            a0.intoArray(acc, t);
        }
        for (; t < s; t++) {
            float a = 0f;
            for (int i = 0; i < c; i++) a += row[i] * xt[i * s + t];
            acc[t] = a;
        }
    }
}

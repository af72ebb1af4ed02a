package dev.anewb.runtime.kernel;

import dev.anewb.quant.Int8BlockWeight;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * The Vector API GEMM on packed panels ({@link PackedPanels}): FP32, and block INT8 dequantized a block at a time or,
 * for one token, widened straight from the codes. No vector crosses a call C2 might not inline (it would be boxed).
 */
final class MatmulVector {
    private static final VectorSpecies<Float> F = VectorMath.F;
    private MatmulVector() { }


    /** Output channels per panel: two float vectors, so the 4-token micro-kernel keeps 8 accumulators in flight. */
    static final int PW = 2 * F.length();

    private static final ThreadLocal<float[]> PANEL = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * {@code y[t, r] = Σ_c x[t, c]·W[r, c] + bias[r]} for tokens {@code [t0, t1)} and the output channels of the
     * panel whose packed {@code [k][PW]} values start at {@code wp[wBase]} (first channel {@code r0}).
     */
    static void gemmPanel(float[] x, int k, float[] wp, int wBase, int r0, int rows, float[] bias, float[] y, int t0,
            int t1) {
        // The micro-kernels leave their accumulators in a per-thread scratch row instead of passing vectors to a
        // store method: a vector argument to a call C2 does not inline is boxed, and a boxed loop accumulator is
        // boxed on every iteration (a young GC every pass, 3.5× slower, once the 8-token kernel made the method big).
        float[] out = OUT.get();
        int t = t0;
        for (; t + 8 <= t1; t += 8) {
            Arrays.fill(out, 0, 8 * PW, 0f);
            gemm8(x, k, wp, wBase, 0, k, out, 0, t);
            flush(out, 8, y, t, r0, rows, bias);
        }
        for (; t + 4 <= t1; t += 4) {
            Arrays.fill(out, 0, 4 * PW, 0f);
            gemm4(x, k, wp, wBase, 0, k, out, 0, t);
            flush(out, 4, y, t, r0, rows, bias);
        }
        for (; t < t1; t++) {
            Arrays.fill(out, 0, PW, 0f);
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
        FloatVector a10 = FloatVector.fromArray(F, out, outOff + PW),
                a11 = FloatVector.fromArray(F, out, outOff + PW + lanes);
        FloatVector a20 = FloatVector.fromArray(F, out, outOff + 2 * PW),
                a21 = FloatVector.fromArray(F, out, outOff + 2 * PW + lanes);
        FloatVector a30 = FloatVector.fromArray(F, out, outOff + 3 * PW),
                a31 = FloatVector.fromArray(F, out, outOff + 3 * PW + lanes);
        FloatVector a40 = FloatVector.fromArray(F, out, outOff + 4 * PW),
                a41 = FloatVector.fromArray(F, out, outOff + 4 * PW + lanes);
        FloatVector a50 = FloatVector.fromArray(F, out, outOff + 5 * PW),
                a51 = FloatVector.fromArray(F, out, outOff + 5 * PW + lanes);
        FloatVector a60 = FloatVector.fromArray(F, out, outOff + 6 * PW),
                a61 = FloatVector.fromArray(F, out, outOff + 6 * PW + lanes);
        FloatVector a70 = FloatVector.fromArray(F, out, outOff + 7 * PW),
                a71 = FloatVector.fromArray(F, out, outOff + 7 * PW + lanes);
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
        FloatVector a10 = FloatVector.fromArray(F, out, outOff + PW),
                a11 = FloatVector.fromArray(F, out, outOff + PW + lanes);
        FloatVector a20 = FloatVector.fromArray(F, out, outOff + 2 * PW),
                a21 = FloatVector.fromArray(F, out, outOff + 2 * PW + lanes);
        FloatVector a30 = FloatVector.fromArray(F, out, outOff + 3 * PW),
                a31 = FloatVector.fromArray(F, out, outOff + 3 * PW + lanes);
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
     * {@code (q − z)·s} exactly as {@link Int8BlockWeight#dequantize} computes it, into a per-thread
     * buffer that the FP32 micro-kernel then reuses for every token. A single token (decoding) runs the fused
     * {@code s·(Σq·x − z·Σx)} per block straight from the codes instead, so only the bytes are streamed.
     */
    static void int8Panel(float[] x, float[] xBlockSums, PackedPanels.Int8 w, int panel, float[] bias, float[] y,
            int t0, int t1) {
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
                    s0 = ((FloatVector) ByteVector.fromArray(VectorMath.Int8.B, q, qo).castShape(F, 0)).fma(v, s0);
                    s1 = ((FloatVector) ByteVector.fromArray(VectorMath.Int8.B, q, qo + lanes).castShape(F, 0)).fma(v,
                            s1);
                    e0 = ((FloatVector) ByteVector.fromArray(VectorMath.Int8.B, q, qo + PW).castShape(F, 0)).fma(u, e0);
                    e1 = ((FloatVector) ByteVector.fromArray(VectorMath.Int8.B, q, qo + PW + lanes).castShape(F,
                            0)).fma(u, e1);
                }
                if (c < c1) {
                    FloatVector v = FloatVector.broadcast(F, x[xo + c]);
                    s0 = ((FloatVector) ByteVector.fromArray(VectorMath.Int8.B, q, qo).castShape(F, 0)).fma(v, s0);
                    s1 = ((FloatVector) ByteVector.fromArray(VectorMath.Int8.B, q, qo + lanes).castShape(F, 0)).fma(v,
                            s1);
                }
                FloatVector xs = FloatVector.broadcast(F, xBlockSums[t0 * blocks + b]);
                int so = sBase + b * PW;
                acc0 = FloatVector.fromArray(F, sc, so).fma(s0.add(e0).sub(FloatVector.fromArray(F, zp, so).mul(xs)),
                        acc0);
                acc1 = FloatVector.fromArray(F, sc, so
                        + lanes).fma(s1.add(e1).sub(FloatVector.fromArray(F, zp, so + lanes).mul(xs)), acc1);
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
        Arrays.fill(acc, 0, n * PW, 0f);
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

    /** buf[(c − c0)·PW + j] = (q − z)·s for the panel's weights of block b (kept small so C2 inlines the byte
     * widening).
     */
    private static void dequantizeBlock(PackedPanels.Int8 w, int panel, int b, float[] buf, int bufOff) {
        int k = w.k(), lanes = F.length(), blocks = w.blocks(), bs = w.blockSize();
        int qBase = panel * k * PW, so = panel * blocks * PW + b * PW;
        byte[] q = w.q();
        float[] sc = w.scales(), zp = w.zeros();
        int c0 = b * bs, c1 = (int) Math.min((long) c0 + bs, k);
        FloatVector s0 = FloatVector.fromArray(F, sc, so), s1 = FloatVector.fromArray(F, sc, so + lanes);
        FloatVector z0 = FloatVector.fromArray(F, zp, so), z1 = FloatVector.fromArray(F, zp, so + lanes);
        for (int c = c0, qo = qBase + c0 * PW, o = bufOff; c < c1; c++, qo += PW, o += PW) {
            FloatVector lo = (FloatVector) ByteVector.fromArray(VectorMath.Int8.B, q, qo).castShape(F, 0);
            FloatVector hi = (FloatVector) ByteVector.fromArray(VectorMath.Int8.B, q, qo + lanes).castShape(F, 0);
            lo.sub(z0).mul(s0).intoArray(buf, o);
            hi.sub(z1).mul(s1).intoArray(buf, o + lanes);
        }
    }


    /** The whole panel dequantized, {@code buf[c·PW + j] = (q − z)·s} (the BC1S conv broadcasts from it). */
    static void dequantizePanel(PackedPanels.Int8 w, int panel, float[] buf) {
        for (int b = 0; b < w.blocks(); b++) dequantizeBlock(w, panel, b, buf, b * w.blockSize() * PW);
    }
}

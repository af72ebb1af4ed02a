package dev.anewb.runtime.kernel;

import java.util.Arrays;

/**
 * The (B, C, 1, S) execution of a projection as a 1×1 convolution (ml-ane-transformers): the activation is
 * laid out channel-major per sequence, {@code xT[c, s]}, and each output channel accumulates
 * {@code W[o, c]·xT[c, :]} across the contiguous sequence axis. Same arithmetic as the (B, S, C) matmul up to
 * summation order — which is exactly what the layout pass's "≥ 100 dB" check measures.
 */
public final class Bc1s {
    private Bc1s() { }

    public static void conv1x1(float[] x, int batch, int length, int channels, LinearWeight w, float[] bias,
            float[] y) {
        if (KernelSelection.VECTOR) {
            conv1x1Panels(x, batch, length, channels, w, bias, y);
            return;
        }
        int c = channels, s = length, out = y.length / (batch * length);
        for (int b = 0; b < batch; b++) {
            float[] xt = new float[c * s];
            int base = b * s * c;
            for (int t = 0; t < s; t++) for (int i = 0; i < c; i++) xt[i * s + t] = x[base + t * c + i];
            int yb = b * s * out;
            EnginePool.forRange(out, o -> {
                float[] acc = new float[s];
                float[] row = row(w, o, c);
                if (KernelSelection.VECTOR) {
                    ConvVector.convRow(row, xt, c, s, acc);
                } else {
                    for (int i = 0; i < c; i++) {
                        float wv = row[i];
                        int xo = i * s;
                        for (int t = 0; t < s; t++) acc[t] += wv * xt[xo + t];
                    }
                }
                float bo = bias == null ? 0 : bias[o];
                for (int t = 0; t < s; t++) y[yb + t * out + o] = acc[t] + bo;
            });
        }
    }

    /** Sequences this short take the channels-along-lanes kernels (decoding: one position). */
    static final int FEW_POSITIONS = 4;

    private static final ThreadLocal<float[]> PANEL = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> OUT = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * The Vector API conv, one task per panel of {@code PW} output channels: the panel's weights as floats
     * {@code [c][PW]} (packed FP32 as they are, INT8 dequantized exactly, once per call), 8 channels × one lane group
     * of positions at a time. The positions are padded to whole vectors with zeros, so every real position runs the
     * vector loop; each output element gets exactly the roundings of the scalar loop above (same bits).
     */
    private static void conv1x1Panels(float[] x, int batch, int length, int channels, LinearWeight w, float[] bias,
            float[] y) {
        int c = channels, s = length, out = y.length / (batch * length);
        // Positions padded to whole vectors for the positions-along-lanes kernels; a decoding step's few positions
        // are read one float at a time, so they stay packed: padded, each input channel took its own cache line
        // (512 KB of the input per panel for an 8192-channel projection, streamed from L2 beside the weights).
        int lanes = VectorMath.floatLanes(), pw = MatmulVector.PW;
        int sp = s <= FEW_POSITIONS ? s : (s + lanes - 1) / lanes * lanes;
        int panels = (out + pw - 1) / pw;
        float[] xt = new float[c * sp];
        for (int b = 0; b < batch; b++) {
            int base = b * s * c;
            Arrays.fill(xt, 0f);
            for (int t = 0; t < s; t++) for (int i = 0; i < c; i++) xt[i * sp + t] = x[base + t * c + i];
            int yb = b * s * out;
            EnginePool.forRange(panels, p -> {
                float[] buf = PANEL.get();
                if (buf.length < c * pw) {
                    buf = new float[c * pw];
                    PANEL.set(buf);
                }
                float[] acc = OUT.get();
                if (acc.length < Math.max(16 * lanes, 2 * pw)) {
                    acc = new float[Math.max(16 * lanes, 2 * pw)];
                    OUT.set(acc);
                }
                PackedPanels.Int8 codes = w instanceof LinearWeight.Int8 i8 ? i8.packed() : null;
                float[] wp = s <= FEW_POSITIONS && codes != null ? null : w.panel(p, buf);
                int off = w.panelOffset(p);
                if (s <= FEW_POSITIONS) {
                    // Channels along the lanes, one or two positions at a time: no padded positions.
                    int width = Math.min(pw, out - p * pw), t = 0;
                    for (; t < s; t += 2) {
                        int n = Math.min(2, s - t);
                        if (codes != null) ConvVector.convChannelsInt8(codes, p, xt, sp, t, n, acc);
                        else if (n == 2) ConvVector.convChannels2(wp, off, xt, c, sp, t, acc);
                        else ConvVector.convChannels(wp, off, xt, c, sp, t, acc);
                        for (int q = 0; q < n; q++) {
                            for (int j = 0; j < width; j++) {
                                int o = p * pw + j;
                                y[yb + (t + q) * out + o] = acc[q * pw + j] + (bias == null ? 0 : bias[o]);
                            }
                        }
                    }
                    return;
                }
                for (int j0 = 0; j0 < pw && p * pw + j0 < out; j0 += 8) {
                    int n = Math.min(8, out - p * pw - j0);
                    int t = 0;
                    for (; t + 2 * lanes <= sp; t += 2 * lanes) {
                        ConvVector.conv8x2(wp, off + j0, xt, c, sp, t, acc);
                        store(acc, n, lanes, 0, t, s, p * pw + j0, out, yb, bias, y);
                        store(acc, n, lanes, 8, t + lanes, s, p * pw + j0, out, yb, bias, y);
                    }
                    for (; t < sp; t += lanes) {
                        ConvVector.conv8(wp, off + j0, xt, c, sp, t, acc);
                        store(acc, n, lanes, 0, t, s, p * pw + j0, out, yb, bias, y);
                    }
                }
            });
        }
    }

    /** Channels o0 + g (g < n), lane group {@code first + g} of acc, positions [t, t + lanes) below s, into y (+ bias).
     *
     */
    private static void store(float[] acc, int n, int lanes, int first, int t, int s, int o0, int out, int yb,
            float[] bias, float[] y) {
        for (int g = 0; g < n; g++) {
            int o = o0 + g;
            float bo = bias == null ? 0 : bias[o];
            for (int l = 0; l < lanes && t + l < s; l++) y[yb + (t + l) * out + o] = acc[(first + g) * lanes + l] + bo;
        }
    }

    /** Row o of the weight as floats (INT8 dequantized exactly, FP16 widened): never a float copy of the whole weight.
     *
     */
    private static float[] row(LinearWeight w, int o, int in) {
        float[] r = new float[in];
        w.row(o, r);
        return r;
    }
}

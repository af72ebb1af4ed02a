package dev.anewb.runtime;

import dev.anewb.AnewbException;
import dev.anewb.model.Op;
import dev.anewb.runtime.kernel.EnginePool;

/**
 * The convolutional front ends of vision and audio models, in float32 as torch computes them: ViT's patch
 * embedding (kernel = stride = patch, then CLS and positions) and Whisper's 1-D convolutions. Each output
 * element is a dot product of one weight row with one gathered input window (im2col), so a row of the weight
 * is read contiguously; outputs are token-major [B, length, channels] like every other activation.
 */
final class FrontEndKernels {
    private FrontEndKernels() { }

    /**
     * @param pixels [B, channels, H·W] (pixel_values read channels-first)
     * @param w      [hidden, channels, patch, patch] row-major
     * @param cls    [hidden] or null
     * @param pos    [(1 + patches)·hidden] or null (with cls), [patches·hidden] without cls
     */
    static Activation patchEmbed(Op.PatchEmbed op, Activation pixels, float[] w, float[] bias, float[] cls,
            float[] pos) {
        int c = op.channels(), p = op.patch(), hgt = op.height(), wid = op.width(), hidden = op.hidden();
        if (pixels.length() != c || pixels.channels() != hgt * wid) {
            throw AnewbException.usage("pixel_values has " + pixels.length() + " channels of " + pixels.channels()
                    + " pixels; the model takes " + c + " channels of " + hgt + "x" + wid);
        }
        int gx = wid / p, gy = hgt / p, patches = gx * gy, k = c * p * p, first = cls == null ? 0 : 1, tokens = patches
                + first;
        int batch = pixels.batch();
        float[] x = pixels.data(), y = new float[batch * tokens * hidden];
        EnginePool.forRange(batch * patches, task -> {
            int b = task / patches, patch = task % patches, py = patch / gx, px = patch % gx;
            float[] col = new float[k];
            int j = 0;
            // Gather in the weight's (channel, ky, kx) order.
            for (int ch = 0; ch < c; ch++) {
                for (int ky = 0; ky < p; ky++) {
                    int row = ((b * c + ch) * hgt + py * p + ky) * wid + px * p;
                    for (int kx = 0; kx < p; kx++) col[j++] = x[row + kx];
                }
            }
            int o = (b * tokens + first + patch) * hidden;
            for (int r = 0; r < hidden; r++) {
                float s = 0f;
                int wo = r * k;
                for (int i = 0; i < k; i++) s += w[wo + i] * col[i];
                y[o + r] = bias == null ? s : s + bias[r];
            }
        });
        for (int b = 0; b < batch; b++) {
            if (cls != null) System.arraycopy(cls, 0, y, b * tokens * hidden, hidden);
            if (pos != null) {
                int o = b * tokens * hidden;
                for (int i = 0; i < tokens * hidden; i++) y[o + i] += pos[i];
            }
        }
        return new Activation(batch, tokens, hidden, y);
    }

    /** @param w [out, in, kernel] row-major */
    static Activation conv1d(Op.Conv1d op, Activation x, float[] w, float[] bias) {
        int in = op.in(), out = op.out(), kernel = op.kernel(), stride = op.stride(), pad = op.padding();
        boolean cf = op.channelsFirstInput();
        int length = cf ? x.channels() : x.length();
        int rows = cf ? x.length() : x.channels();
        if (rows != in) {
            throw AnewbException.usage(op.name() + ": input has " + rows + " channels, the convolution takes " + in
                    + (cf ? " (mel bins of input_features)" : ""));
        }
        int lout = op.outputLength(length), batch = x.batch(), k = in * kernel;
        if (lout < 1) throw AnewbException.usage(op.name() + ": input of " + length + " frames is too short");
        float[] xs = x.data(), y = new float[batch * lout * out];
        EnginePool.forRange(batch * lout, task -> {
            int b = task / lout, t = task % lout;
            float[] col = new float[k];
            // Gather the window in the weight's (in, kernel) order; positions outside [0, length) are the zero padding.
            for (int ci = 0; ci < in; ci++) {
                for (int kk = 0; kk < kernel; kk++) {
                    int src = t * stride + kk - pad;
                    col[ci * kernel + kk] = src < 0 || src >= length ? 0f
                            : cf ? xs[(b * in + ci) * length + src] : xs[(b * length + src) * in + ci];
                }
            }
            int o = (b * lout + t) * out;
            for (int r = 0; r < out; r++) {
                float s = 0f;
                int wo = r * k;
                for (int i = 0; i < k; i++) s += w[wo + i] * col[i];
                y[o + r] = bias == null ? s : s + bias[r];
            }
        });
        return new Activation(batch, lout, out, y);
    }

    /** y[b, t] = x[b, t] + table[t]. */
    static Activation addPositions(Activation x, float[] table) {
        int c = x.channels(), n = x.length();
        if ((long) n * c > table.length) {
            throw AnewbException.usage(n + " positions but the position table has " + table.length / c);
        }
        float[] y = x.data().clone();
        for (int b = 0; b < x.batch(); b++) {
            int o = b * n * c;
            for (int i = 0; i < n * c; i++) y[o + i] += table[i];
        }
        return new Activation(x.batch(), n, c, y);
    }
}

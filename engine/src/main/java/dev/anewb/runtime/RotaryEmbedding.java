package dev.anewb.runtime;

import dev.anewb.AnewbException;
import dev.anewb.model.Op;

/**
 * Rotary position embedding as transformers 5 computes it for the Llama family, in float32 step by step so that
 * q and k match the reference to the last bit where the arithmetic allows: {@code inv_freq = 1 / θ^(2i/d)},
 * the angle {@code inv_freq · position} rounded to float32, {@code cos}/{@code sin} of that float32 angle, and
 * {@code x·cos + rotate_half(x)·sin} with the two halves of each head's rotary dimensions paired (i, i + d/2).
 */
public final class RotaryEmbedding {
    private final int rotaryDim;
    private final float[] invFreq;

    public RotaryEmbedding(Op.Rope rope) {
        this.rotaryDim = rope.rotaryDim();
        this.invFreq = inverseFrequencies(rope);
    }

    /**
     * transformers' {@code inv_freq} for the rope type: default, linear (divided by factor) or llama3 (long
     * wavelengths divided by factor, short ones kept, a smooth blend between), every step in float32 as torch does
     * with a float32 tensor and Python scalars.
     */
    public static float[] inverseFrequencies(Op.Rope rope) {
        int dim = rope.rotaryDim();
        float[] inv = new float[dim / 2];
        float base = (float) rope.theta();
        for (int i = 0; i < inv.length; i++) {
            float exponent = (float) (2 * i) / (float) dim;
            inv[i] = 1.0f / (float) Math.pow(base, exponent);
        }
        switch (rope.scalingType()) {
            case "default" -> { }
            case "linear" -> {
                float f = (float) rope.factor();
                for (int i = 0; i < inv.length; i++) inv[i] /= f;
            }
            case "llama3" -> {
                float factor = (float) rope.factor();
                float low = (float) rope.lowFreqFactor();
                double old = rope.originalMaxPositions();
                float lowFreqWavelen = (float) (old / rope.lowFreqFactor()),
                        highFreqWavelen = (float) (old / rope.highFreqFactor());
                float twoPi = (float) (2 * Math.PI);
                float span = (float) (rope.highFreqFactor() - rope.lowFreqFactor());
                for (int i = 0; i < inv.length; i++) {
                    float wavelen = twoPi / inv[i];
                    float scaled = wavelen > lowFreqWavelen ? inv[i] / factor : inv[i];
                    if (!(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen)) {
                        float smooth = ((float) old / wavelen - low) / span;
                        scaled = (1 - smooth) * scaled / factor + smooth * scaled;
                    }
                    inv[i] = scaled;
                }
            }
            default -> throw new AnewbException("rope type \"" + rope.scalingType() + "\" is not supported");
        }
        return inv;
    }

    public float[] inverseFrequencies() { return invFreq.clone(); }

    /**
     * x rotated: token t of every sequence sits at position {@code firstPosition + t}. Dimensions past the
     * rotary dimension (partial rotary) pass through.
     *
     * @param x [B, S, heads·headDim]
     */
    public Activation apply(Activation x, int heads, int headDim, int firstPosition) {
        int half = rotaryDim / 2, c = x.channels();
        float[] src = x.data(), y = src.clone();
        float[] cos = new float[half], sin = new float[half];
        for (int t = 0; t < x.length(); t++) {
            float pos = firstPosition + t;
            for (int i = 0; i < half; i++) {
                float angle = invFreq[i] * pos;
                cos[i] = (float) Math.cos(angle);
                sin[i] = (float) Math.sin(angle);
            }
            for (int b = 0; b < x.batch(); b++) {
                int row = (b * x.length() + t) * c;
                for (int h = 0; h < heads; h++) {
                    int o = row + h * headDim;
                    for (int i = 0; i < half; i++) {
                        float x1 = src[o + i], x2 = src[o + half + i];
                        y[o + i] = x1 * cos[i] + (-x2) * sin[i];
                        y[o + half + i] = x2 * cos[i] + x1 * sin[i];
                    }
                }
            }
        }
        return new Activation(x.batch(), x.length(), c, y);
    }
}

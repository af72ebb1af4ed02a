package dev.anewb.runtime;

import dev.anewb.model.FeatureTensor;

/**
 * An activation in Hugging Face order [batch, length, channels], float32, row-major. The (B, C, 1, S)
 * layout of converted graphs is an execution detail: taps are always reported in this order so that they
 * compare directly with transformers.
 */
public record Activation(int batch, int length, int channels, float[] data) {
    public Activation {
        if ((long) batch * length * channels != data.length) {
            throw new IllegalArgumentException("shape [" + batch + "," + length + "," + channels + "] does not match "
                    + data.length + " values");
        }
    }

    /** A named float input ([B, channels, H, W] or [B, mels, frames]) as [B, shape[1], rest]: the same memory. */
    public static Activation of(FeatureTensor f) {
        return new Activation(f.batch(), f.rows(), f.data().length / (f.batch() * f.rows()), f.data());
    }

    public int tokens() { return batch * length; }

    public long[] shape() { return new long[]{batch, length, channels}; }

    public float get(int b, int t, int c) { return data[(b * length + t) * channels + c]; }
}

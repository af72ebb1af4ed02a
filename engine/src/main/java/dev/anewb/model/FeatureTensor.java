package dev.anewb.model;

import java.util.Arrays;

/**
 * A named float input that is not token ids, in transformers' shape and row-major order: {@code pixel_values}
 * [B, channels, H, W], {@code input_features} [B, mels, frames]. The executor reads it as an activation
 * [B, shape[1], rest] (channels-first rows), which is the same memory.
 */
public record FeatureTensor(long[] shape, float[] data) {
    public FeatureTensor {
        if (shape.length < 2) throw new IllegalArgumentException("a feature tensor has a batch axis and at least one "
                + "more");
        long n = 1;
        for (long d : shape) {
            if (d < 1) throw new IllegalArgumentException("shape " + Arrays.toString(shape));
            n *= d;
        }
        if (n != data.length) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " does not match "
                + data.length + " values");
        shape = shape.clone();
    }

    public int batch() { return (int) shape[0]; }

    /** Rows per sequence: {@code shape[1]} (channels of an image, mel bins of audio). */
    public int rows() { return (int) shape[1]; }
}

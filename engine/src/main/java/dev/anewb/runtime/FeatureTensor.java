package dev.anewb.runtime;

import java.util.Arrays;

/**
 * A named float input that is not token ids, in transformers' shape and row-major order: {@code pixel_values}
 * [B, channels, H, W], {@code input_features} [B, mels, frames]. The executor reads it as an {@link Activation}
 * [B, shape[1], rest] (channels-first rows), which is the same memory.
 */
public record FeatureTensor(long[] shape, float[] data) {
    public FeatureTensor {
        if (shape.length < 2) throw new IllegalArgumentException("a feature tensor has a batch axis and at least one more");
        long n = 1;
        for (long d : shape) {
            if (d < 1) throw new IllegalArgumentException("shape " + Arrays.toString(shape));
            n *= d;
        }
        if (n != data.length) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " does not match " + data.length + " values");
        shape = shape.clone();
    }

    public int batch() { return (int) shape[0]; }

    /** [B, shape[1], product of the rest]: the activation view the graph's ops read. */
    public Activation asActivation() {
        int rows = (int) shape[1];
        return new Activation((int) shape[0], rows, data.length / ((int) shape[0] * rows), data);
    }
}

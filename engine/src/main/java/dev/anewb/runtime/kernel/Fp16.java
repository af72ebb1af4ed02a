package dev.anewb.runtime.kernel;

import java.util.Objects;

/**
 * FP16 rounding at the boundaries where the ANE stores activations in half precision: a float32 value is
 * replaced by the nearest binary16 value (round-to-nearest-even; beyond 65504 → ±infinity, below 2^-24 → subnormal
 * or ±0), kept as float32 for the next kernel.
 */
public final class Fp16 {
    /** Largest finite FP16 value. */
    public static final float MAX_VALUE = 65504f;

    private Fp16() { }

    /** The float32 value of the FP16 nearest to {@code x}. */
    public static float round(float x) {
        return Float.float16ToFloat(Float.floatToFloat16(x));
    }

    /**
     * Rounds {@code a[from..to)} to FP16 in place. Both conversions are C2 intrinsics (F16C instructions on x86),
     * which C2 can also auto-vectorise in a plain counted loop like this one.
     */
    public static void roundInPlace(float[] a, int from, int to) {
        Objects.checkFromToIndex(from, to, a.length);
        for (int i = from; i < to; i++) a[i] = Float.float16ToFloat(Float.floatToFloat16(a[i]));
    }
}

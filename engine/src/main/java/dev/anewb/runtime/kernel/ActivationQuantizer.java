package dev.anewb.runtime.kernel;

import java.util.Objects;

/**
 * W8A8's activations: static per-tensor symmetric INT8 simulated in float ("fake quantization"), the numbers of
 * Core ML's {@code quantize} then {@code dequantize} (model/Op.InputQuant):
 * <pre>
 * q  = clamp(rint(x / scale), −128, 127)     x / scale in float32, rint = round half to even (numpy's around)
 * x' = q · scale                             exact in float32 (8 × 11 significant bits); FP16 rounds it once more
 * </pre>
 */
public final class ActivationQuantizer {
    private ActivationQuantizer() { }

    /** One value. */
    public static float fakeQuantize(float x, float scale) {
        float q = (float) Math.rint(x / scale);
        return Math.max(-128f, Math.min(127f, q)) * scale;
    }

    /**
     * {@code out[0..n) = x'} of {@code x[0..n)}; with {@code fp16} the result is stored in half precision, as an FP16
     * program's {@code dequantize} outputs it.
     */
    public static void fakeQuantize(float[] x, int n, float scale, boolean fp16, float[] out) {
        Objects.checkFromToIndex(0, n, Math.min(x.length, out.length));
        for (int i = 0; i < n; i++) out[i] = fakeQuantize(x[i], scale);
        if (fp16) Fp16.roundInPlace(out, 0, n);
    }
}

package dev.anewb.runtime.kernel;

/**
 * Projection with FP16-stored weights (the unquantized tensors of the ANE configuration): each task widens its
 * tile of weight rows to float32 once and reuses it for every token, then runs the FP32 dot. Products and sums
 * are float32, as a GPU or CPU runs FP16 weights with FP32 accumulation.
 */
public final class Fp16Kernels {
    private Fp16Kernels() { }

    /**
     * {@code y[t, r] = Σ_c x[t, c]·fp16ToFloat(w[r, c]) + bias[r]}.
     *
     * @param wF16 IEEE binary16 bits of the weight, {@code [rows, k]} row-major; rows = wF16.length / k
     * @param bias {@code [rows]} or null
     * @param y    output {@code [tokens, rows]}, overwritten
     */
    public static void matmul(float[] x, int tokens, int k, short[] wF16, float[] bias, float[] y) {
        matmul(x, tokens, k, wF16, bias, y, KernelSelection.VECTOR);
    }

    /** {@link #matmul(float[], int, int, short[], float[], float[])} with the kernel family chosen by the caller. */
    static void matmul(float[] x, int tokens, int k, short[] wF16, float[] bias, float[] y, boolean vector) {
        int rows = MatmulShape.rowsOf(wF16.length, k);
        MatmulShape.check(x, tokens, k, wF16.length, rows, bias, y);
        if (vector) {
            float[] widened = new float[wF16.length];
            for (int i = 0; i < widened.length; i++) widened[i] = Float.float16ToFloat(wF16[i]);
            Fp32Kernels.matmulPacked(x, tokens, k, PackedPanels.packF32(widened, rows, k, MatmulVector.PW), rows, bias,
                    y);
            return;
        }
        EnginePool.forRange(MatmulShape.tiles(rows), tile -> {
            int r0 = tile * MatmulShape.ROW_TILE, r1 = Math.min(rows, r0 + MatmulShape.ROW_TILE);
            float[] widened = new float[(r1 - r0) * k];
            for (int i = 0; i < widened.length; i++) widened[i] = Float.float16ToFloat(wF16[r0 * k + i]);
            Fp32Kernels.rowTile(x, tokens, k, widened, r0, r0, r1, rows, bias, y, vector);
        });
    }
}

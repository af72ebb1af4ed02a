package dev.anewb.runtime.kernel;

/**
 * FP32 projection: {@code y[t, r] = Σ_c x[t, c]·W[r, c] + bias[r]} for activations {@code x [tokens, k]} and a
 * weight in the {@code [rows = out, k = in]} orientation, parallel over tiles of output rows. Vector API or
 * scalar as {@link KernelSelection} decided.
 */
public final class Fp32Kernels {
    private Fp32Kernels() { }

    /**
     * @param x      activations, {@code [tokens, k]} row-major
     * @param tokens number of activation rows
     * @param k      input dimension
     * @param w      weight {@code [rows, k]} row-major; rows = w.length / k
     * @param bias   {@code [rows]} or null
     * @param y      output {@code [tokens, rows]} row-major, overwritten
     */
    public static void matmul(float[] x, int tokens, int k, float[] w, float[] bias, float[] y) {
        matmul(x, tokens, k, w, bias, y, KernelSelection.VECTOR);
    }

    /** {@link #matmul(float[], int, int, float[], float[], float[])} with the kernel family chosen by the caller (tests
     * run both).
     */
    static void matmul(float[] x, int tokens, int k, float[] w, float[] bias, float[] y, boolean vector) {
        int rows = MatmulShape.rowsOf(w.length, k);
        MatmulShape.check(x, tokens, k, w.length, rows, bias, y);
        if (vector) {
            matmulPacked(x, tokens, k, PackedPanels.packF32(w, rows, k, MatmulVector.PW), rows, bias, y);
            return;
        }
        EnginePool.forRange(MatmulShape.tiles(rows), tile ->
                rowTile(x, tokens, k, w, 0, tile * MatmulShape.ROW_TILE,
                        Math.min(rows, (tile + 1) * MatmulShape.ROW_TILE), rows, bias, y, vector));
    }

    /**
     * The Vector API GEMM on a weight packed by {@link PackedPanels#packF32}: one task per (panel, block of
     * {@link MatmulShape#TOKEN_CHUNK} tokens), so the panel stays in L2 while its tokens stream through.
     */
    static void matmulPacked(float[] x, int tokens, int k, float[] packed, int rows, float[] bias, float[] y) {
        int pw = MatmulVector.PW, panels = PackedPanels.panels(rows, pw);
        int chunks = MatmulShape.tokenChunks(tokens);
        EnginePool.forRange(panels * chunks, task -> {
            int panel = task / chunks, chunk = task % chunks;
            int t0 = chunk * MatmulShape.TOKEN_CHUNK, t1 = Math.min(tokens, t0 + MatmulShape.TOKEN_CHUNK);
            MatmulVector.gemmPanel(x, k, packed, panel * k * pw, panel * pw, rows, bias, y, t0, t1);
        });
    }

    /** The kernels in two words ("512-bit vectors", "scalar kernels"), for a status line. */
    public static String kernelShortName() {
        return KernelSelection.shortName();
    }

    /** Which kernels run in this JVM (Vector API or scalar, and why). */
    public static String kernelDescription() {
        return KernelSelection.description();
    }

    /**
     * Computes rows {@code [r0, r1)} of y for every token, reading weight row {@code r} at
     * {@code w[(r − wRowBase)·k]} (the FP16 kernel passes a converted tile whose first row is {@code r0}).
     */
    static void rowTile(float[] x, int tokens, int k, float[] w, int wRowBase, int r0, int r1, int rows, float[] bias,
            float[] y, boolean vector) {
        for (int t = 0; t < tokens; t++) {
            int xOff = t * k;
            for (int r = r0; r < r1; r++) {
                int wOff = (r - wRowBase) * k;
                float dot = vector ? VectorMath.dot(x, xOff, w, wOff, k) : ScalarKernels.dot(x, xOff, w, wOff, k);
                y[t * rows + r] = bias == null ? dot : dot + bias[r];
            }
        }
    }
}

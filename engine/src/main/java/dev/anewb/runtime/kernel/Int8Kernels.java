package dev.anewb.runtime.kernel;

import dev.anewb.quant.Int8BlockWeight;

/**
 * Projection with block-INT8 weights; no float copy of the whole weight ever exists. The scalar kernels and the
 * Vector API decode path (one token) fuse the dequantization into the dot product per block
 * ({@code Σ_c (q_c − z)·s·x_c = s·(Σ_c q_c·x_c − z·Σ_c x_c)}), which agrees with "dequantize, then FP32 matmul"
 * (what the fixtures' INT8 references run) up to float32 summation order. With several tokens the Vector API path
 * dequantizes one block of a panel at a time into L1 and continues the FP32 kernels' sums over it: those bits exactly.
 */
public final class Int8Kernels {
    private Int8Kernels() { }

    /**
     * {@code y[t, r] = Σ_c x[t, c]·w'[r, c] + bias[r]} with {@code w' = (q − zp)·scale}.
     *
     * @param x      activations {@code [tokens, w.k()]} row-major
     * @param tokens number of activation rows
     * @param w      the quantized weight, {@code [rows, k]}
     * @param bias   {@code [rows]} or null
     * @param y      output {@code [tokens, w.rows()]}, overwritten
     */
    public static void matmul(float[] x, int tokens, Int8BlockWeight w, float[] bias, float[] y) {
        matmul(x, tokens, w, bias, y, KernelSelection.VECTOR);
    }

    /** The Vector API path on a weight packed once ({@link LinearWeight.Int8} keeps it). */
    static void matmul(float[] x, int tokens, PackedPanels.Int8 w, float[] bias, float[] y) {
        MatmulShape.check(x, tokens, w.k(), (long) w.rows() * w.k(), w.rows(), bias, y);
        // Σx per block is only needed by the decode kernel, which runs straight from the codes; several tokens
        // dequantize block by block and need none (a one-token sum is a few microseconds, no vector version needed).
        float[] sums = tokens <= MatmulVector.FUSED_TOKENS ? blockSums(x, tokens, w.k(), w.blockSize(), w.blocks())
                : null;
        matmulPacked(x, tokens, w, sums, bias, y);
    }

    private static void matmulPacked(float[] x, int tokens, PackedPanels.Int8 w, float[] xBlockSums, float[] bias,
            float[] y) {
        // One task per (panel, block of 64 tokens), as the FP32 GEMM: the task's accumulators stay in L1 while it
        // dequantizes the panel block by block.
        int panels = PackedPanels.panels(w.rows(), MatmulVector.PW);
        int chunks = MatmulShape.tokenChunks(tokens);
        EnginePool.forRange(panels * chunks, task -> {
            int panel = task / chunks, chunk = task % chunks;
            int t0 = chunk * MatmulShape.TOKEN_CHUNK, t1 = Math.min(tokens, t0 + MatmulShape.TOKEN_CHUNK);
            MatmulVector.int8Panel(x, xBlockSums, w, panel, bias, y, t0, t1);
        });
    }

    /** Σx per (token, block): shared by every output row, tokens·k additions instead of rows·tokens·k. */
    static float[] blockSums(float[] x, int tokens, int k, int blockSize, int blocks) {
        float[] xBlockSums = new float[tokens * blocks];
        for (int t = 0; t < tokens; t++) {
            for (int b = 0; b < blocks; b++) {
                int c0 = b * blockSize, c1 = (int) Math.min((long) c0 + blockSize, k);
                float sum = 0f;
                for (int c = c0; c < c1; c++) sum += x[t * k + c];
                xBlockSums[t * blocks + b] = sum;
            }
        }
        return xBlockSums;
    }

    /** {@link #matmul(float[], int, Int8BlockWeight, float[], float[])} with the kernel family chosen by the caller. */
    static void matmul(float[] x, int tokens, Int8BlockWeight w, float[] bias, float[] y, boolean vector) {
        int k = w.k(), rows = w.rows(), blockSize = w.blockSize(), blocks = w.blocksPerRow();
        MatmulShape.check(x, tokens, k, w.q().length, rows, bias, y);
        if (vector) {
            matmul(x, tokens, PackedPanels.Int8.of(w, MatmulVector.PW), bias, y);
            return;
        }
        // Widen the FP16 scales once per call instead of once per (token, row, block).
        short[] scaleBits = w.scaleF16();
        float[] scales = new float[scaleBits.length];
        for (int i = 0; i < scales.length; i++) scales[i] = Float.float16ToFloat(scaleBits[i]);
        float[] xBlockSums = blockSums(x, tokens, k, blockSize, blocks);
        byte[] q = w.q();
        byte[] zeroPoints = w.zeroPoint();
        EnginePool.forRange(MatmulShape.tiles(rows), tile -> {
            int r0 = tile * MatmulShape.ROW_TILE, r1 = Math.min(rows, r0 + MatmulShape.ROW_TILE);
            for (int t = 0; t < tokens; t++) {
                for (int r = r0; r < r1; r++) {
                    float dot = ScalarKernels.int8Dot(x, t * k, xBlockSums, t * blocks, q, r * k, scales, zeroPoints, r
                            * blocks, k, blockSize);
                    y[t * rows + r] = bias == null ? dot : dot + bias[r];
                }
            }
        });
    }
}

package dev.anewb.runtime.kernel;

import dev.anewb.quant.Int8BlockWeight;

/**
 * Projection weights rearranged once for the Vector API GEMM: rows are grouped into panels of {@code pw} output
 * channels (two float vectors), and each panel is stored k-major, {@code [k][pw]}, so the kernel loads one
 * column slice of the panel per step and broadcasts one activation per token: no horizontal sums, one pass
 * over the weight per block of tokens. The last panel is padded with zero rows. Plain Java (no Vector API), so
 * it also loads when the scalar kernels run.
 */
final class PackedPanels {
    private PackedPanels() { }

    static int panels(int rows, int pw) {
        return (rows + pw - 1) / pw;
    }

    /** {@code w [rows, k]} row-major → {@code [panels][k][pw]}. */
    static float[] packF32(float[] w, int rows, int k, int pw) {
        float[] p = new float[Math.multiplyExact(panels(rows, pw) * pw, k)];
        // panels are independent: a model's weights are packed on every engine thread (the first pass waits on it)
        EnginePool.forRange(panels(rows, pw), panel -> {
            for (int r = panel * pw, end = Math.min(rows, r + pw); r < end; r++) {
                int j = r % pw, base = panel * k * pw + j, src = r * k;
                for (int c = 0; c < k; c++) p[base + c * pw] = w[src + c];
            }
        });
        return p;
    }

    /** Element (r, c) of a packed weight: the BC1S conv path reads single rows. */
    static void unpackRow(float[] packed, int k, int pw, int r, float[] out) {
        int base = (r / pw) * k * pw + r % pw;
        for (int c = 0; c < k; c++) out[c] = packed[base + c * pw];
    }

    /**
     * A block-INT8 weight in panels: codes {@code [panels][k][pw]}, and per (panel, block) the {@code pw} scales
     * (FP16 widened once) and zero points as floats, so one vector load fetches a block's scales for the panel.
     */
    record Int8(byte[] q, float[] scales, float[] zeros, int rows, int k, int blockSize, int blocks, int pw) {
        static Int8 of(Int8BlockWeight w, int pw) {
            int rows = w.rows(), k = w.k(), blocks = w.blocksPerRow(), panels = panels(rows, pw);
            byte[] q = new byte[Math.multiplyExact(panels * pw, k)];
            float[] s = new float[panels * blocks * pw], z = new float[panels * blocks * pw];
            byte[] src = w.q();
            EnginePool.forRange(panels, panel -> {
                for (int r = panel * pw, end = Math.min(rows, r + pw); r < end; r++) {
                    int j = r % pw, base = panel * k * pw + j;
                    for (int c = 0; c < k; c++) q[base + c * pw] = src[r * k + c];
                    for (int b = 0; b < blocks; b++) {
                        s[(panel * blocks + b) * pw + j] = w.scale(r, b);
                        z[(panel * blocks + b) * pw + j] = w.zeroPoint(r, b);
                    }
                }
            });
            return new Int8(q, s, z, rows, k, w.blockSize(), blocks, pw);
        }

        /** Row r dequantized, {@code (q − z)·s}: the same float32 values as {@link Int8BlockWeight#dequantizeRow}. */
        void dequantizeRow(int r, float[] out) {
            int panel = r / pw, j = r % pw, base = panel * k * pw + j;
            for (int b = 0; b < blocks; b++) {
                float scale = scales[(panel * blocks + b) * pw + j];
                int zp = (int) zeros[(panel * blocks + b) * pw + j];
                int end = (int) Math.min((long) (b + 1) * blockSize, k);
                for (int c = b * blockSize; c < end; c++) out[c] = (q[base + c * pw] - zp) * scale;
            }
        }

        long bytes() {
            return q.length + 4L * scales.length + 4L * zeros.length;
        }
    }
}

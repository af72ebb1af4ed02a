package dev.anewb.runtime.kernel;

/** Argument checks and the row tiling shared by the three matmul kernels. */
final class MatmulShape {
    /**
     * Output rows one task computes for every token: the token's activation row stays in L1 while this many
     * weight rows pass over it.
     */
    static final int ROW_TILE = 8;

    /** Tokens one GEMM task computes against its weight panel (the panel stays in L2 across them). */
    static final int TOKEN_CHUNK = 64;

    private MatmulShape() { }

    static int tokenChunks(int tokens) {
        return Math.max(1, (tokens + TOKEN_CHUNK - 1) / TOKEN_CHUNK);
    }

    static void check(float[] x, int tokens, int k, long weightElements, int rows, float[] bias, float[] y) {
        if (tokens < 0 || k < 1) throw new IllegalArgumentException("tokens=" + tokens + ", k=" + k);
        if (x.length < (long) tokens * k) throw new IllegalArgumentException("x holds " + x.length + " floats, needs "
                + tokens + "×" + k);
        if (weightElements != (long) rows * k) throw new IllegalArgumentException("weight holds " + weightElements
                + " elements, not rows×k");
        if (bias != null && bias.length != rows) throw new IllegalArgumentException("bias has " + bias.length
                + " values for " + rows + " rows");
        if (y.length < (long) tokens * rows) throw new IllegalArgumentException("y holds " + y.length
                + " floats, needs " + tokens + "×" + rows);
    }

    static int rowsOf(int weightElements, int k) {
        if (k < 1 || weightElements % k != 0) throw new IllegalArgumentException("weight of " + weightElements
                + " elements is not [rows, " + k + "]");
        return weightElements / k;
    }

    static int tiles(int rows) {
        return (rows + ROW_TILE - 1) / ROW_TILE;
    }
}

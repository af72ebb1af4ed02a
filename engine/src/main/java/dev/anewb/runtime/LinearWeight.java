package dev.anewb.runtime;

import dev.anewb.convert.Int8BlockWeight;

/** A projection weight [out, in] in the storage the converted graph chose, with its kernel. */
public sealed interface LinearWeight {
    /** y[t, r] = Σ x[t, c]·W[r, c] + bias[r]. */
    void matmul(float[] x, int tokens, float[] bias, float[] y);

    /** Bytes this weight occupies in memory. */
    long bytes();

    record F32(float[] w, int k) implements LinearWeight {
        public void matmul(float[] x, int tokens, float[] bias, float[] y) { Fp32Kernels.matmul(x, tokens, k, w, bias, y); }
        public long bytes() { return 4L * w.length; }
    }

    record F16(short[] w, int k) implements LinearWeight {
        public void matmul(float[] x, int tokens, float[] bias, float[] y) { Fp16Kernels.matmul(x, tokens, k, w, bias, y); }
        public long bytes() { return 2L * w.length; }
    }

    record Int8(Int8BlockWeight w) implements LinearWeight {
        public void matmul(float[] x, int tokens, float[] bias, float[] y) { Int8Kernels.matmul(x, tokens, w, bias, y); }
        public long bytes() { return w.q().length + 2L * w.scaleF16().length + w.zeroPoint().length; }
    }
}

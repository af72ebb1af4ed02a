package dev.anewb.runtime.kernel;

import dev.anewb.model.TensorData;
import dev.anewb.quant.Int8BlockWeight;

/**
 * A projection weight [out, in] in the storage the converted graph chose, with its kernel. Built once per
 * executor: with the Vector API kernels the values are also packed into GEMM panels ({@link PackedPanels}) at
 * that point, never per call; the scalar kernels read the plain row-major arrays.
 */
public sealed interface LinearWeight {
    /** y[t, r] = Σ x[t, c]·W[r, c] + bias[r]. */
    void matmul(float[] x, int tokens, float[] bias, float[] y);

    /** Bytes this weight occupies on the heap. */
    long bytes();

    /** Bytes one pass over this weight reads: its heap bytes, or its stored bytes when it is read from the file. */
    default long streamedBytes() {
        return bytes();
    }

    /** Row {@code r} of the weight as float32 (the BC1S conv path reads one output channel at a time). */
    void row(int r, float[] out);

    /**
     * Output channels {@code [panel·pw, panel·pw + pw)} as floats, {@code buf[c·pw + j] = W[panel·pw + j, c]} (zero
     * past
     * the last row): what the Vector API BC1S conv broadcasts from, {@code pw = MatmulVector.PW}; only the forms the
     * Vector API kernels prepare have panels. Returns the array
     * holding them and sets nothing else; {@code buf} is used when the values must be computed (INT8 dequantized
     * exactly).
     */
    float[] panel(int panel, float[] buf);

    /** Offset of the panel's first value in the array {@link #panel} returned. */
    default int panelOffset(int panel) { return 0; }

    /** Prepares an FP32 weight {@code [rows, k]} for the kernels this JVM runs. */
    static LinearWeight f32(float[] w, int k) {
        int rows = MatmulShape.rowsOf(w.length, k);
        return KernelSelection.VECTOR ? new F32(null, k, rows, PackedPanels.packF32(w, rows, k, MatmulVector.PW))
                : new F32(w, k, rows, null);
    }

    /** Prepares an FP16 weight: the Vector API kernels widen it once into packed float32 panels. */
    static LinearWeight f16(short[] w, int k) {
        if (!KernelSelection.VECTOR) return new F16(w, k);
        float[] widened = new float[w.length];
        for (int i = 0; i < w.length; i++) widened[i] = Float.float16ToFloat(w[i]);
        return f32(widened, k);
    }

    /**
     * A weight read straight from its stored bytes on every call ({@link MappedMatmul}): nothing on the heap, for
     * models whose float weights would not fit it. {@code stored} is {@code [out, in]} in F32, F16 or BF16.
     */
    static LinearWeight mapped(TensorData stored, boolean fp16) {
        return new Mapped(stored, fp16);
    }

    /** Prepares a block-INT8 weight; the Vector API kernels keep only the packed panels (one copy of the codes). */
    static LinearWeight int8(Int8BlockWeight w) {
        return KernelSelection.VECTOR ? new Int8(null, PackedPanels.Int8.of(w, MatmulVector.PW)) : new Int8(w, null);
    }

    /** @param w row-major weight (scalar kernels) or null; @param packed panels (Vector API kernels) or null */
    record F32(float[] w, int k, int rows, float[] packed) implements LinearWeight {
        public void matmul(float[] x, int tokens, float[] bias, float[] y) {
            if (packed == null) {
                Fp32Kernels.matmul(x, tokens, k, w, bias, y, false);
            } else {
                MatmulShape.check(x, tokens, k, (long) rows * k, rows, bias, y);
                Fp32Kernels.matmulPacked(x, tokens, k, packed, rows, bias, y);
            }
        }
        public long bytes() { return 4L * (packed != null ? packed.length : w.length); }
        public float[] panel(int panel, float[] buf) {
            if (packed == null) throw new UnsupportedOperationException("panels exist only with the Vector API "
                    + "kernels");
            return packed;
        }
        @Override public int panelOffset(int panel) { return packed != null ? panel * k * MatmulVector.PW : 0; }
        public void row(int r, float[] out) {
            if (packed == null) System.arraycopy(w, r * k, out, 0, k);
            else PackedPanels.unpackRow(packed, k, MatmulVector.PW, r, out);
        }
    }

    record F16(short[] w, int k) implements LinearWeight {
        public void matmul(float[] x, int tokens, float[] bias,
                float[] y) { Fp16Kernels.matmul(x, tokens, k, w, bias, y, false); }
        public long bytes() { return 2L * w.length; }
        public float[] panel(int panel, float[] buf) {
            throw new UnsupportedOperationException("panels exist only with the Vector API kernels (which widen FP16 "
                    + "into F32 panels)");
        }
        public void row(int r, float[] out) {
            for (int i = 0; i < k; i++) out[i] = Float.float16ToFloat(w[r * k + i]);
        }
    }

    /**
     * A weight read from its stored bytes ({@link MappedMatmul}). With {@code fp16} (the graph computes in FP16) its
     * values are FP16 numbers, so the BC1S conv's panels (channels along the lanes, built by transposing rows) are
     * made once on first use and kept as FP16 bits, two bytes a weight, and widened per call by a contiguous loop:
     * transposing every row on every decode step cost more than the rest of the step.
     */
    final class Mapped implements LinearWeight {
        private final TensorData stored;
        private final boolean fp16;
        private volatile short[] panels16;

        Mapped(TensorData stored, boolean fp16) {
            this.stored = stored;
            this.fp16 = fp16;
        }

        public TensorData stored() { return stored; }

        public void matmul(float[] x, int tokens, float[] bias,
                float[] y) { MappedMatmul.matmul(x, tokens, stored, fp16, bias, y); }

        public long bytes() {
            short[] p = panels16;
            return p == null ? 0 : 2L * p.length;
        }

        @Override public long streamedBytes() { return panels16 != null ? bytes() : stored.data().byteSize(); }

        public void row(int r, float[] out) { MappedMatmul.row(stored, r, fp16, out); }

        public float[] panel(int panel, float[] buf) {
            int k = stored.dim(1), pw = MatmulVector.PW;
            if (!fp16) {
                MappedMatmul.panel(stored, panel, pw, false, buf);
                return buf;
            }
            short[] p = panels16();
            int base = panel * k * pw, n = k * pw;
            // float16ToFloat is a C2 intrinsic this counted loop vectorises (F16C)
            for (int i = 0; i < n; i++) buf[i] = Float.float16ToFloat(p[base + i]);
            return buf;
        }

        private short[] panels16() {
            short[] p = panels16;
            if (p == null) {
                synchronized (this) {
                    p = panels16;
                    if (p == null) panels16 = p = MappedMatmul.fp16Panels(stored, MatmulVector.PW);
                }
            }
            return p;
        }
    }

    /** @param w the weight as quantized (scalar kernels) or null; @param packed panels (Vector API kernels) or null */
    record Int8(Int8BlockWeight w, PackedPanels.Int8 packed) implements LinearWeight {
        public void matmul(float[] x, int tokens, float[] bias, float[] y) {
            if (packed == null) Int8Kernels.matmul(x, tokens, w, bias, y, false);
            else Int8Kernels.matmul(x, tokens, packed, bias, y);
        }
        public long bytes() { return packed != null ? packed.bytes() : w.q().length + 2L * w.scaleF16().length
                + w.zeroPoint().length; }
        public float[] panel(int panel, float[] buf) {
            if (packed == null) throw new UnsupportedOperationException("panels exist only with the Vector API "
                    + "kernels");
            MatmulVector.dequantizePanel(packed, panel, buf);
            return buf;
        }
        public void row(int r, float[] out) {
            if (packed != null) packed.dequantizeRow(r, out);
            else w.dequantizeRow(r, out);
        }
    }
}

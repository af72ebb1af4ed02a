package dev.anewb.runtime.kernel;

import dev.anewb.model.DType;
import dev.anewb.model.TensorData;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Projection straight from a weight's stored bytes, {@code [rows, k]} row-major in F32, F16 or BF16 (a memory-mapped
 * safetensors tensor): {@code y[t, r] = Σ_c x[t, c]·W[r, c] + bias[r]}. Each task widens one row at a time into a
 * per-thread float buffer (rounded to FP16 first when the graph computes in FP16, as the packed FP16 weights are) and
 * dots it with every token, so a model far larger than the heap runs with no float copy of its weights, and a decode
 * step streams each weight's stored bytes once. The sums run over k in a fixed order, reproducible to the bit.
 */
public final class MappedMatmul {
    private static final ValueLayout.OfShort LE_SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LE_FLOAT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Rows per task: enough work to pay for a task, and enough tasks for every thread. */
    private static final int ROWS_PER_TASK = 16;
    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<short[]> HALF = ThreadLocal.withInitial(() -> new short[0]);

    private MappedMatmul() { }

    /** True for the dtypes rows can be read from: F32, F16 and BF16. */
    public static boolean supports(DType d) {
        return d == DType.F32 || d == DType.F16 || d == DType.BF16;
    }

    public static void matmul(float[] x, int tokens, TensorData w, boolean fp16, float[] bias, float[] y) {
        matmul(x, tokens, w, fp16, bias, y, KernelSelection.VECTOR);
    }

    /** {@link #matmul(float[], int, TensorData, boolean, float[], float[])} with the kernel family chosen by the
     * caller.
     */
    static void matmul(float[] x, int tokens, TensorData w, boolean fp16, float[] bias, float[] y, boolean vector) {
        int rows = w.dim(0), k = w.dim(1);
        MatmulShape.check(x, tokens, k, (long) rows * k, rows, bias, y);
        int tasks = (rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
        EnginePool.forRange(tasks, task -> {
            float[] row = rowBuffer(k);
            for (int r = task * ROWS_PER_TASK, end = Math.min(rows, r + ROWS_PER_TASK); r < end; r++) {
                widenRow(w, r, k, fp16, row, vector);
                float b = bias == null ? 0f : bias[r];
                if (vector) {
                    MappedVector.dotTokens(row, k, x, tokens, y, rows, r, b, bias != null);
                } else {
                    for (int t = 0; t < tokens; t++) {
                        float d = ScalarKernels.dot(x, t * k, row, 0, k);
                        y[t * rows + r] = bias == null ? d : d + b;
                    }
                }
            }
        });
    }

    private static float[] rowBuffer(int k) {
        float[] row = ROW.get();
        if (row.length < k) {
            row = new float[k];
            ROW.set(row);
        }
        return row;
    }

    /** Row {@code r} of the stored weight as float32 in {@code out[0, k)}, FP16-rounded when {@code fp16}. */
    public static void row(TensorData w, int r, boolean fp16, float[] out) {
        widenRow(w, r, w.dim(1), fp16, out, KernelSelection.VECTOR);
    }

    /** Rows {@code [panel·pw, panel·pw + pw)} as {@code buf[c·pw + j]}, zero past the last row (the BC1S conv's
     * panels).
     */
    static void panel(TensorData w, int panel, int pw, boolean fp16, float[] buf) {
        int rows = w.dim(0), k = w.dim(1);
        float[] row = rowBuffer(k);
        for (int j = 0; j < pw; j++) {
            int r = panel * pw + j;
            if (r < rows) widenRow(w, r, k, fp16, row, KernelSelection.VECTOR);
            for (int c = 0; c < k; c++) buf[c * pw + j] = r < rows ? row[c] : 0f;
        }
    }

    /** Every panel of an FP16-valued weight as FP16 bits, {@code [panels][k][pw]}, zero past the last row. */
    static short[] fp16Panels(TensorData w, int pw) {
        int rows = w.dim(0), k = w.dim(1), panels = (rows + pw - 1) / pw;
        short[] p = new short[Math.multiplyExact(panels * pw, k)];
        EnginePool.forRange(panels, panel -> {
            float[] row = rowBuffer(k);
            int base = panel * k * pw;
            for (int j = 0; j < pw && panel * pw + j < rows; j++) {
                widenRow(w, panel * pw + j, k, true, row, KernelSelection.VECTOR);
                for (int c = 0; c < k; c++) p[base + c * pw + j] = Float.floatToFloat16(row[c]);
            }
        });
        return p;
    }

    private static void widenRow(TensorData w, int r, int k, boolean fp16, float[] out, boolean vector) {
        MemorySegment seg = w.data();
        long off = (long) r * k * w.dtype().bytes();
        switch (w.dtype()) {
            case F32 -> MemorySegment.copy(seg, LE_FLOAT, off, out, 0, k);
            case BF16 -> {
                if (vector) {
                    MappedVector.widenBf16(seg, off, k, out);
                } else {
                    for (int c = 0; c < k; c++) out[c] = Float.intBitsToFloat((seg.get(LE_SHORT, off + 2L
                            * c) & 0xffff) << 16);
                }
            }
            case F16 -> {
                short[] h = HALF.get();
                if (h.length < k) {
                    h = new short[k];
                    HALF.set(h);
                }
                MemorySegment.copy(seg, LE_SHORT, off, h, 0, k);
                // float16ToFloat is a C2 intrinsic this counted loop vectorises (F16C)
                for (int c = 0; c < k; c++) out[c] = Float.float16ToFloat(h[c]);
                return; // already FP16 values
            }
            default -> throw new IllegalArgumentException(w.name() + ": rows of " + w.dtype()
                    + " cannot be read as floats");
        }
        if (fp16) Fp16.roundInPlace(out, 0, k);
    }
}

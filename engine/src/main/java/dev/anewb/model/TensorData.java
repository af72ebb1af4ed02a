package dev.anewb.model;

import dev.anewb.AnewbException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One stored tensor: name, dtype, shape and its bytes (little-endian, row-major), usually a slice of a
 * memory-mapped file. Conversions to float32 allocate; kernels read {@link #data()} directly.
 */
public record TensorData(String name, DType dtype, long[] shape, MemorySegment data) {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public long elementCount() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public int rank() { return shape.length; }

    public int dim(int i) { return Math.toIntExact(shape[i < 0 ? shape.length + i : i]); }

    /** The whole tensor as float32 (integers converted by value, booleans as 0/1). */
    public float[] toFloatArray() {
        long n = elementCount();
        if (n > Integer.MAX_VALUE - 8) throw new AnewbException(name + ": " + n
                + " elements do not fit one Java array");
        float[] out = new float[(int) n];
        switch (dtype) {
            case F32 -> MemorySegment.copy(data, F32, 0, out, 0, out.length);
            case F16, BF16 -> {
                // bulk copy, then a counted loop over an array (C2 vectorises it; per-element segment reads it does
                // not)
                short[] bits = new short[out.length];
                MemorySegment.copy(data, I16, 0, bits, 0, bits.length);
                if (dtype == DType.F16) {
                    for (int i = 0; i < bits.length; i++) out[i] = Float.float16ToFloat(bits[i]);
                } else {
                    for (int i = 0; i < bits.length; i++) out[i] = Float.intBitsToFloat((bits[i] & 0xffff) << 16);
                }
            }
            default -> {
                for (int i = 0; i < out.length; i++) out[i] = getFloat(i);
            }
        }
        return out;
    }

    /** Element {@code i} (flat, row-major) converted to float32. */
    public float getFloat(long i) {
        return switch (dtype) {
            case F32 -> data.get(F32, i * 4);
            case F16 -> Float.float16ToFloat(data.get(I16, i * 2));
            case BF16 -> Float.intBitsToFloat((data.get(I16, i * 2) & 0xffff) << 16);
            case F64 -> (float) data.get(F64, i * 8);
            case I8 -> data.get(ValueLayout.JAVA_BYTE, i);
            case U8 -> data.get(ValueLayout.JAVA_BYTE, i) & 0xff;
            case BOOL -> data.get(ValueLayout.JAVA_BYTE, i) != 0 ? 1f : 0f;
            case I16 -> data.get(I16, i * 2);
            case I32 -> data.get(I32, i * 4);
            case I64 -> data.get(I64, i * 8);
            case F8_E4M3 -> Float8.e4m3ToFloat(data.get(ValueLayout.JAVA_BYTE, i));
            case F8_E5M2 -> Float8.e5m2ToFloat(data.get(ValueLayout.JAVA_BYTE, i));
        };
    }

    /** Element {@code i} as a long (for integer tensors such as token ids). */
    public long getLong(long i) {
        return switch (dtype) {
            case I64 -> data.get(I64, i * 8);
            case I32 -> data.get(I32, i * 4);
            case I16 -> data.get(I16, i * 2);
            case I8 -> data.get(ValueLayout.JAVA_BYTE, i);
            case U8, BOOL -> data.get(ValueLayout.JAVA_BYTE, i) & 0xff;
            default -> (long) getFloat(i);
        };
    }

    /** Copies {@code count} elements starting at flat index {@code from} into {@code dst} as float32. */
    public void readFloats(long from, float[] dst, int dstOff, int count) {
        if (dtype == DType.F32) {
            MemorySegment.copy(data, F32, from * 4, dst, dstOff, count);
        } else if (dtype == DType.F16 || dtype == DType.BF16) {
            short[] bits = new short[count]; // bulk copy, then a loop C2 vectorises (as toFloatArray)
            MemorySegment.copy(data, I16, from * 2, bits, 0, count);
            if (dtype == DType.F16) {
                for (int i = 0; i < count; i++) dst[dstOff + i] = Float.float16ToFloat(bits[i]);
            } else {
                for (int i = 0; i < count; i++) dst[dstOff + i] = Float.intBitsToFloat((bits[i] & 0xffff) << 16);
            }
        } else {
            for (int i = 0; i < count; i++) dst[dstOff + i] = getFloat(from + i);
        }
    }

    public String shapeString() { return Arrays.toString(shape); }

    /** Wraps a float array as an F32 tensor (heap memory). */
    public static TensorData ofFloats(String name, float[] values, long... shape) {
        MemorySegment seg = MemorySegment.ofArray(new byte[values.length * 4]);
        for (int i = 0; i < values.length; i++) seg.set(F32, (long) i * 4, values[i]);
        return new TensorData(name, DType.F32, shape, seg);
    }
}

package dev.anewb.convert.coreml;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A compile-time value (MIL.proto {@code Value}): written into the program ({@link Immediate}) or stored in
 * weight.bin ({@link Stored}).
 */
sealed interface MilValue extends MilBinding {
    MilType type();

    /**
     * A value in the program itself. {@code data} is {@code int[]} (INT32), {@code float[]} (FP32), {@code boolean[]}
     * (BOOL), {@code String[]} (STRING) or little-endian {@code byte[]} (FP16, INT8, UINT8: MIL.proto's bytes form).
     */
    record Immediate(MilType type, Object data) implements MilValue {
        static Immediate ints(int... v) { return new Immediate(MilType.of(MilDataType.INT32, v.length), v); }

        static Immediate scalar(int v) { return new Immediate(MilType.scalar(MilDataType.INT32), new int[]{v}); }

        static Immediate scalar(boolean v) { return new Immediate(MilType.scalar(MilDataType.BOOL), new boolean[]{v}); }

        static Immediate bools(boolean... v) { return new Immediate(MilType.of(MilDataType.BOOL, v.length), v); }

        static Immediate string(String v) { return new Immediate(MilType.scalar(MilDataType.STRING), new String[]{v}); }

        /** A float tensor of the given float type: FP32 as floats, FP16 as binary16 bytes. */
        static Immediate floats(MilDataType dtype, long[] shape, float... v) {
            MilType t = new MilType(dtype, shape);
            return switch (dtype) {
                case FP32 -> new Immediate(t, v);
                case FP16 -> new Immediate(t, fp16Bytes(v));
                default -> throw new IllegalArgumentException(dtype + " is not a float type");
            };
        }

        static Immediate scalar(MilDataType dtype, float v) { return floats(dtype, new long[0], v); }
    }

    /** A value in weight.bin, referred to by the offset of its blob's metadata. */
    record Stored(MilType type, WeightBlobFile.Blob blob) implements MilValue { }

    static byte[] fp16Bytes(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putShort(Float.floatToFloat16(f));
        return b.array();
    }

    static byte[] fp32Bytes(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }
}

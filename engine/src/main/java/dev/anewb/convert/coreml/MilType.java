package dev.anewb.convert.coreml;

import java.util.Arrays;

/**
 * A MIL tensor type: element type and shape. A dimension of {@link #UNKNOWN} is a flexible one (the sequence length
 * of a {@code --seq-range} export); rank 0 is a scalar.
 */
record MilType(MilDataType dtype, long[] shape) {
    static final long UNKNOWN = -1;

    MilType {
        shape = shape.clone();
    }

    static MilType of(MilDataType dtype, long... shape) {
        return new MilType(dtype, shape);
    }

    static MilType scalar(MilDataType dtype) {
        return new MilType(dtype, new long[0]);
    }

    int rank() { return shape.length; }

    long dim(int axis) { return shape[axis < 0 ? shape.length + axis : axis]; }

    /** Elements when every dimension is known. */
    long elements() {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalStateException("flexible shape " + this);
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    MilType withDtype(MilDataType d) { return new MilType(d, shape); }

    MilType withShape(long... s) { return new MilType(dtype, s); }

    @Override public boolean equals(Object o) {
        return o instanceof MilType t && t.dtype == dtype && Arrays.equals(t.shape, shape);
    }

    @Override public int hashCode() { return dtype.hashCode() * 31 + Arrays.hashCode(shape); }

    @Override public String toString() {
        StringBuilder b = new StringBuilder(dtype.castName).append('[');
        for (int i = 0; i < shape.length; i++) {
            b.append(i == 0 ? "" : ",").append(shape[i] < 0 ? "?" : String.valueOf(shape[i]));
        }
        return b.append(']').toString();
    }
}

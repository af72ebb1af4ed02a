package dev.anewb.model;

import java.util.Locale;

/** Element types of stored tensors, named as safetensors names them. */
public enum DType {
    F32(4), F16(2), BF16(2), F64(8), I8(1), U8(1), I16(2), I32(4), I64(8), BOOL(1), F8_E4M3(1), F8_E5M2(1);

    private final int bytes;

    DType(int bytes) { this.bytes = bytes; }

    /** Bytes per element. */
    public int bytes() { return bytes; }

    public boolean isFloat() { return this == F32 || this == F16 || this == BF16 || this == F64 || this == F8_E4M3
            || this == F8_E5M2; }

    /** Parses a safetensors dtype string; returns null when unknown. */
    public static DType fromSafetensors(String s) {
        if (s == null) return null;
        try {
            return DType.valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}

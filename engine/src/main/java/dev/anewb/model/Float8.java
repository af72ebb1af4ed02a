package dev.anewb.model;

/** The two OCP 8-bit float formats that safetensors names F8_E4M3 (fn: no infinities) and F8_E5M2. */
public final class Float8 {
    private Float8() { }

    public static float e4m3ToFloat(byte b) {
        int v = b & 0xff;
        int sign = (v >> 7) & 1, exp = (v >> 3) & 0xf, man = v & 0x7;
        float r;
        if (exp == 0xf && man == 0x7) r = Float.NaN;
        else if (exp == 0) r = man / 8f * (float) Math.pow(2, -6);
        else r = (1 + man / 8f) * (float) Math.pow(2, exp - 7);
        return sign == 1 ? -r : r;
    }

    public static float e5m2ToFloat(byte b) {
        // E5M2 is the upper byte of an IEEE binary16.
        return Float.float16ToFloat((short) ((b & 0xff) << 8));
    }
}

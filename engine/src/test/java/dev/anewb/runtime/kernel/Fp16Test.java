package dev.anewb.runtime.kernel;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class Fp16Test {
    @Test
    void overflowAndRoundingAtTheTop() {
        // 65504 is the largest FP16; the next step would be 65536, so the halfway point 65520 rounds (to even) up to
        // inf.
        float[] a = {65504f, 65519.99f, 65520f, -65520f, 1e6f, 1f + 0x1p-11f, 1f + 0x1p-11f + 0x1p-20f};
        Fp16.roundInPlace(a, 0, a.length);
        assertEquals(65504f, a[0]);
        assertEquals(65504f, a[1]);
        assertEquals(Float.POSITIVE_INFINITY, a[2]);
        assertEquals(Float.NEGATIVE_INFINITY, a[3]);
        assertEquals(Float.POSITIVE_INFINITY, a[4]);
        assertEquals(1f, a[5]);                  // halfway between 1 and 1 + 2^-10: ties to even → 1
        assertEquals(1f + 0x1p-10f, a[6]);       // just above halfway → up
        assertEquals(Fp16.MAX_VALUE, 65504f);
    }

    @Test
    void subnormalsAndUnderflow() {
        // FP16 subnormals are multiples of 2^-24 below 2^-14.
        float[] a = {0x1p-24f, 3 * 0x1p-24f, 0x1p-25f, 0x1.8p-25f, 0x1p-26f, -0x1p-26f, 0x1p-14f, 1.5f * 0x1p-24f, 2.5f
                * 0x1p-24f};
        Fp16.roundInPlace(a, 0, a.length);
        assertEquals(0x1p-24f, a[0]);
        assertEquals(3 * 0x1p-24f, a[1]);
        assertEquals(0f, a[2]);                  // exactly half the smallest subnormal: ties to even → 0
        assertEquals(0x1p-24f, a[3]);            // above half → smallest subnormal
        assertEquals(0f, a[4]);
        assertEquals(-0f, a[5]);
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(a[5]));
        assertEquals(0x1p-14f, a[6]);            // smallest normal
        assertEquals(2 * 0x1p-24f, a[7]);        // 1.5 steps → 2 (even)
        assertEquals(2 * 0x1p-24f, a[8]);        // 2.5 steps → 2 (even)
    }

    @Test
    void onlyTheRangeIsRounded() {
        float[] a = {0.1f, 0.1f, 0.1f};
        Fp16.roundInPlace(a, 1, 2);
        assertEquals(0.1f, a[0]);
        assertEquals(0.0999755859375f, a[1]);    // 0.1 in FP16 = 1638/16384
        assertEquals(0.1f, a[2]);
        assertThrows(IndexOutOfBoundsException.class, () -> Fp16.roundInPlace(a, 2, 4));
        assertTrue(Float.isNaN(Fp16.round(Float.NaN)));
    }
}

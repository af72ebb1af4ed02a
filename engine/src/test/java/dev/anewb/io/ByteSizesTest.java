package dev.anewb.io;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ByteSizesTest {
    @Test
    void binaryUnitsWithThreeSignificantDigits() {
        assertEquals("512 B", ByteSizes.format(512));
        assertEquals("1.50 KiB", ByteSizes.format(1536));
        assertEquals("148 KiB", ByteSizes.format(151_552));          // 148.0 KiB
        assertEquals("13.1 MiB", ByteSizes.format(13.1 * (1 << 20)));
        assertEquals("224 MiB", ByteSizes.format(223.93 * (1 << 20)));
        assertEquals("16.0 MiB", ByteSizes.format(2048L * 2048 * 4));  // spec/chunked-attention.md's 16 MiB
        assertEquals("1.05 GiB", ByteSizes.format(1.05 * (1L << 30)));
    }
}

package dev.anewb.app.ui;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Figures with the digits they carry: no "0.00×", no "139.43×". */
class NumbersTest {
    @Test void threeSignificantDigitsInEveryRange() {
        assertEquals("139", Numbers.sig(139.43, 3));
        assertEquals("0.00312", Numbers.sig(0.0031249, 3));
        assertEquals("1.6", Numbers.sig(1.6, 3));
        assertEquals("0", Numbers.sig(0, 3));
        assertEquals("−2.72", Numbers.sig(-2.7234, 3));
        assertEquals("139×", Numbers.ratio(139.43));
        assertEquals("0.00115×", Numbers.ratio(0.001149));
        assertEquals("–", Numbers.sig(Double.NaN, 3));
    }

    @Test void unitsScaleSoSmallValuesDoNotReadZero() {
        assertEquals("31.2 µJ", Numbers.energyMj(0.0312));
        assertEquals("0.43 mJ", Numbers.energyMj(0.43));
        assertEquals("1.59 ms", Numbers.ms(1.5912));
        assertEquals("12.4 s", Numbers.ms(12_400));
        assertEquals("+3.1 dB", Numbers.delta(3.1, "dB"));
        assertEquals("−0.42 ms", Numbers.delta(-0.42, "ms"));
        assertEquals("±0 dB", Numbers.delta(0, "dB"));
    }
}

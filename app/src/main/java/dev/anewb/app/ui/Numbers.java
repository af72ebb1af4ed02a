package dev.anewb.app.ui;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Locale;

/**
 * Figures with as many digits as they carry: three significant digits (an estimate is not known to more), units
 * scaled so a small value does not read "0.00". One place, so every area rounds the same way.
 */
public final class Numbers {
    private Numbers() { }

    /** {@code v} to {@code digits} significant digits, plain notation, no trailing zeros: 0.000312, 139, 1.6. */
    public static String sig(double v, int digits) {
        if (Double.isNaN(v)) return "–";
        if (Double.isInfinite(v)) return v > 0 ? "∞" : "−∞";
        if (v == 0) return "0";
        BigDecimal d = new BigDecimal(v).round(new MathContext(digits));
        String s = d.abs().compareTo(BigDecimal.valueOf(1_000_000)) >= 0 ? String.format(Locale.ROOT, "%.3g", v)
                : d.stripTrailingZeros().toPlainString();
        return s.replace('-', '−');
    }

    /** A ratio: "0.28×", "139×", "0.0031×". */
    public static String ratio(double r) { return sig(r, 3) + "×"; }

    /** A latency: "1.59 ms", "0.0312 ms", "139 ms", "12.4 s". */
    public static String ms(double ms) {
        if (Math.abs(ms) >= 10_000) return sig(ms / 1000, 3) + " s";
        return sig(ms, 3) + " ms";
    }

    /** An energy given in mJ: "0.43 mJ", "31.2 µJ", "1.2 J". */
    public static String energyMj(double mj) {
        double a = Math.abs(mj);
        if (a != 0 && a < 0.1) return sig(mj * 1000, 3) + " µJ";
        if (a >= 1000) return sig(mj / 1000, 3) + " J";
        return sig(mj, 3) + " mJ";
    }

    /** A signed difference with its unit: "+3.1 dB", "−0.42 ms", "±0". */
    public static String delta(double d, String unit) {
        if (Double.isNaN(d)) return "–";
        if (d == 0) return "±0" + (unit.isEmpty() ? "" : " " + unit);
        return (d > 0 ? "+" : "") + sig(d, 3) + (unit.isEmpty() ? "" : " " + unit);
    }
}

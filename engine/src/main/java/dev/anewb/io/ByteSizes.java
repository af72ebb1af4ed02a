package dev.anewb.io;

import java.util.Locale;

/**
 * Byte counts for people, in binary units (KiB = 1024 B, MiB = 2^20 B, as the planner and the spec count them)
 * with three significant digits ("224 MiB", "13.1 MiB", "1.05 MiB"): one rule for the CLI, the app and messages.
 */
public final class ByteSizes {
    private ByteSizes() { }

    public static String format(double bytes) {
        double b = Math.abs(bytes);
        if (b < 1024) return String.format(Locale.ROOT, "%.0f B", bytes);
        if (b < 1 << 20) return threeDigits(bytes / 1024) + " KiB";
        if (b < 1L << 30) return threeDigits(bytes / (1 << 20)) + " MiB";
        return threeDigits(bytes / (1L << 30)) + " GiB";
    }

    private static String threeDigits(double v) {
        double a = Math.abs(v);
        return String.format(Locale.ROOT, a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : "%.2f", v);
    }
}

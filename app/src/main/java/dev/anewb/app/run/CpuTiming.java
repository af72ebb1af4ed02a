package dev.anewb.app.run;

import dev.anewb.app.ui.Numbers;

/**
 * How long one model's passes took on this machine's CPU executor: the median of the timed passes and their spread.
 * A CPU simulation of the converted model's numerics, never a Neural Engine time.
 */
public record CpuTiming(long medianNanos, long minNanos, long maxNanos, int passes) {
    static CpuTiming once(long nanos) { return new CpuTiming(nanos, nanos, nanos, 1); }

    /** "12.3 ms (11.8–13.1)": the median and the fastest and slowest pass; "812 ms (1 pass)". */
    public String text() {
        String median = Numbers.ms(medianNanos / 1e6);
        if (passes == 1) return median + " (1 pass)";
        return median + " (" + Numbers.sig(minNanos / 1e6, 3) + "–" + Numbers.sig(maxNanos / 1e6, 3) + ")";
    }
}

package dev.anewb.cli;

import dev.anewb.job.JobContext;

import java.util.Locale;

/** Progress of a long CLI job on stderr: a rewritten line on a terminal, occasional lines otherwise. */
final class ProgressPrinter implements JobContext {
    private final String what;
    private final boolean terminal = System.console() != null;
    private long lastPrint;
    private int lastPercent = -1;

    ProgressPrinter(String what) {
        this.what = what;
    }

    @Override public synchronized void progress(double fraction, String message) {
        int pct = fraction < 0 ? -1 : (int) Math.round(fraction * 100);
        long now = System.nanoTime();
        if (pct == lastPercent || now - lastPrint < (terminal ? 100_000_000L : 2_000_000_000L)) return;
        lastPercent = pct;
        lastPrint = now;
        String line = String.format(Locale.ROOT, "anewb %s: %s%s", what, pct < 0 ? "" : pct + "% ", message == null
                ? "" : message);
        if (terminal) System.err.print("\r\033[K" + line);
        else System.err.println(line);
    }

    void done() {
        if (terminal) System.err.print("\r\033[K");
    }

    @Override public boolean isCancelled() { return false; }
}

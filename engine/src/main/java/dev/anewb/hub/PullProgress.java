package dev.anewb.hub;

import dev.anewb.io.ByteSizes;
import dev.anewb.job.JobContext;

/** Progress of a pull over all its files: fraction of bytes, and a message with bytes and speed, at most ten a second.
 *
 */
final class PullProgress {
    private final JobContext ctx;
    private final long totalBytes;
    private final long startNanos = System.nanoTime();
    private long doneBytes;
    private long transferredBytes;
    private long lastReportNanos;

    PullProgress(JobContext ctx, long totalBytes) {
        this.ctx = ctx;
        this.totalBytes = totalBytes;
    }

    /** A file already in the cache counts as done without being transferred. */
    synchronized void skipped(String file, long bytes) {
        doneBytes += bytes;
        report(file + " already in the cache", true);
    }

    /** Bytes written to the cache; {@code transferred} is false for a partial download found on disk and resumed. */
    synchronized void advanced(String file, long bytes, boolean transferred, long fileDone, long fileSize) {
        doneBytes += bytes;
        if (transferred) transferredBytes += bytes;
        double seconds = Math.max(1e-3, (System.nanoTime() - startNanos) / 1e9);
        // A file's last bytes are always reported, so every file shows up at least once however fast it came.
        boolean fileComplete = fileSize > 0 && fileDone >= fileSize;
        report(file + " " + bytes(fileDone) + (fileSize > 0 ? " / " + bytes(fileSize) : "") + " at "
                + bytes((long) (transferredBytes / seconds)) + "/s",
                fileComplete);
    }

    /** Undoes a file's bytes when its download restarts from zero (the server ignored Range, or the file was corrupt).
     *
     */
    synchronized void restarted(long bytes) {
        doneBytes -= bytes;
    }

    private void report(String message, boolean always) {
        long now = System.nanoTime();
        if (!always && now - lastReportNanos < 100_000_000L) return;
        lastReportNanos = now;
        ctx.progress(totalBytes > 0 ? Math.min(1, (double) doneBytes / totalBytes) : -1, message);
    }

    static String bytes(long n) {
        return ByteSizes.format(n);
    }
}

package dev.anewb.runtime;

import java.lang.System.Logger.Level;
import java.util.concurrent.ForkJoinPool;
import java.util.function.IntConsumer;

/**
 * The engine's own worker pool: every parallel kernel runs here, not in the common pool, so the thread count is
 * the engine's decision ({@code --threads}, system property {@code anewb.threads}, default: the available cores)
 * and a busy common pool (the UI's own tasks) cannot starve a forward pass. The thread that runs the forward
 * pass works too, so the pool holds one thread fewer than the engine uses.
 */
public final class EnginePool {
    public static final String PROPERTY = "anewb.threads";

    private static volatile int threads = defaultThreads();
    /** Helpers for the calling thread: one fewer than the engine's threads (at least one, unused with one thread). */
    private static volatile ForkJoinPool pool = create(Math.max(1, threads - 1));

    private EnginePool() { }

    private static int defaultThreads() {
        String p = System.getProperty(PROPERTY);
        if (p != null && !p.isBlank()) {
            try {
                int n = Integer.parseInt(p.trim());
                if (n >= 1) return n;
            } catch (NumberFormatException ignored) {
                // falls through to the default, and says so
            }
            System.getLogger("dev.anewb.runtime.kernels").log(Level.WARNING, "ignored " + PROPERTY + "=" + p + " (expected a whole number >= 1)");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    private static ForkJoinPool create(int threads) {
        return new ForkJoinPool(threads, p -> {
            var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setName("anewb-engine-" + t.getPoolIndex());
            t.setDaemon(true);
            return t;
        }, null, false);
    }

    /** Resizes the pool (the CLI's {@code --threads}); running passes finish on the old pool. */
    public static synchronized void setThreads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, not " + threads);
        if (threads == EnginePool.threads) return;
        ForkJoinPool old = pool;
        pool = create(Math.max(1, threads - 1));
        EnginePool.threads = threads;
        old.shutdown();
    }

    /** Threads a parallel kernel uses: the caller plus the pool's helpers. */
    public static int threads() {
        return threads;
    }

    /**
     * Runs {@code body} for every i in [0, n), in parallel: the calling thread and up to {@code threads − 1} pool
     * workers take indices from one shared counter until none are left. The caller works from the first index on,
     * so a call never waits for a parked worker to wake up (tens of microseconds in a VM, paid by each of a forward
     * pass's ~40 parallel ops), and a helper that starts late simply finds no work. Nested calls (from a worker),
     * ranges of one and a one-thread engine run inline.
     */
    public static void forRange(int n, IntConsumer body) {
        if (n <= 0) return;
        ForkJoinPool p = pool;
        int helpers = Math.min(n, p.getParallelism() + 1) - 1;
        if (helpers == 0 || threads() == 1 || Thread.currentThread() instanceof java.util.concurrent.ForkJoinWorkerThread w && w.getPool() == p) {
            for (int i = 0; i < n; i++) body.accept(i);
            return;
        }
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        Runnable work = () -> {
            for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) body.accept(i);
        };
        java.util.concurrent.ForkJoinTask<?>[] started = new java.util.concurrent.ForkJoinTask<?>[helpers];
        for (int h = 0; h < helpers; h++) started[h] = p.submit(work);
        try {
            work.run();
        } finally {
            for (java.util.concurrent.ForkJoinTask<?> t : started) t.join();
        }
    }
}

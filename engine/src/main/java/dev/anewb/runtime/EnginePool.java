package dev.anewb.runtime;

import java.lang.System.Logger.Level;
import java.util.concurrent.ForkJoinPool;
import java.util.function.IntConsumer;

/**
 * The engine's own worker pool: every parallel kernel runs here, not in the common pool, so the thread count is
 * the engine's decision ({@code --threads}, system property {@code anewb.threads}, default: the available cores)
 * and a busy common pool (the UI's own tasks) cannot starve a forward pass.
 */
public final class EnginePool {
    public static final String PROPERTY = "anewb.threads";

    private static volatile ForkJoinPool pool = create(defaultThreads());

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
        if (threads == pool.getParallelism()) return;
        ForkJoinPool old = pool;
        pool = create(threads);
        old.shutdown();
    }

    public static int threads() {
        return pool.getParallelism();
    }

    /**
     * Runs {@code body} for every i in [0, n), in parallel on the engine pool. Small ranges and a one-thread pool
     * run on the caller, so there is no hand-off cost where nothing could be gained.
     */
    public static void forRange(int n, IntConsumer body) {
        ForkJoinPool p = pool;
        if (n <= 0) return;
        if (n == 1 || p.getParallelism() == 1 || Thread.currentThread() instanceof java.util.concurrent.ForkJoinWorkerThread w && w.getPool() == p) {
            // Nested parallel regions (or a single thread) run inline: the outer region already uses every worker.
            for (int i = 0; i < n; i++) body.accept(i);
            return;
        }
        p.invoke(ForkJoinTaskRange.of(n, body));
    }

    /** Binary splitting down to single indices; the pool's work stealing balances uneven items. */
    private static final class ForkJoinTaskRange extends java.util.concurrent.RecursiveAction {
        private final int from, to;
        private final IntConsumer body;

        private ForkJoinTaskRange(int from, int to, IntConsumer body) {
            this.from = from;
            this.to = to;
            this.body = body;
        }

        static ForkJoinTaskRange of(int n, IntConsumer body) { return new ForkJoinTaskRange(0, n, body); }

        @Override protected void compute() {
            if (to - from == 1) {
                body.accept(from);
                return;
            }
            int mid = (from + to) >>> 1;
            invokeAll(new ForkJoinTaskRange(from, mid, body), new ForkJoinTaskRange(mid, to, body));
        }
    }
}

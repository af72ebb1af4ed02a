package dev.anewb.runtime.kernel;

import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The engine's own worker threads: every parallel kernel runs here, not in the common pool, so the thread count is
 * the engine's decision ({@code --threads}, system property {@code anewb.threads}, default: the available cores)
 * and a busy common pool (the UI's own tasks) cannot starve a forward pass. The thread that runs the forward
 * pass works too, so the pool holds one thread fewer than the engine uses.
 *
 * <p>A forward pass makes ~40 parallel calls of 0.1–1 ms each at short sequences. Waking a parked thread costs
 * tens of microseconds in a VM, and a ForkJoinPool worker parks as soon as its queue is empty, so at 16 tokens the
 * helper often arrived when the caller had done the work alone. Helpers here spin (with {@link Thread#onSpinWait})
 * for {@code anewb.spinMicros} (default 300 µs) after each call before parking: the next op of the same pass finds
 * them awake, and an idle engine costs nothing once they are parked.
 */
public final class EnginePool {
    public static final String PROPERTY = "anewb.threads";
    private static final long SPIN_NANOS = 1000L * Long.getLong("anewb.spinMicros", 300L);
    private static final long YIELD_AFTER_NANOS = 20_000L;

    private static volatile int threads = defaultThreads();
    /** Helpers for the calling thread: one fewer than the engine's threads (none with one thread). */
    private static volatile Helpers pool = new Helpers(threads - 1);

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
            System.getLogger("dev.anewb.runtime.kernels").log(Level.WARNING, "ignored " + PROPERTY + "=" + p
                    + " (expected a whole number >= 1)");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /** Resizes the pool (the CLI's {@code --threads}); running passes finish on the old pool. */
    public static synchronized void setThreads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, not " + threads);
        if (threads == EnginePool.threads) return;
        Helpers old = pool;
        pool = new Helpers(threads - 1);
        EnginePool.threads = threads;
        old.shutdown();
    }

    /** Threads a parallel kernel uses: the caller plus the pool's helpers. */
    public static int threads() {
        return threads;
    }

    /**
     * Runs {@code body} for every i in [0, n), in parallel: the calling thread and up to {@code threads − 1} helpers
     * take indices from one shared counter until none are left, and the call returns when every index is done. The
     * caller works from the first index on, so a call never waits for a helper to wake up, and a helper that starts
     * late simply finds no work. Nested calls (from a helper), ranges of one, a one-thread engine and a second
     * caller while the helpers are busy with another call run inline.
     */
    public static void forRange(int n, IntConsumer body) {
        if (n <= 0) return;
        Helpers p = pool;
        if (n == 1 || p.workers.length == 0 || Thread.currentThread() instanceof Worker
                || !p.busy.compareAndSet(false, true)) {
            for (int i = 0; i < n; i++) body.accept(i);
            return;
        }
        Job job = new Job(n, body);
        try {
            p.job = job;
            for (Worker w : p.workers) if (w.parked) LockSupport.unpark(w);
            job.work();
            for (int spins = 0; job.done.get() < n; spins++) {
                if (spins < 256) Thread.onSpinWait();
                else Thread.yield(); // a helper was descheduled mid-index: let it finish
            }
        } finally {
            p.job = null;
            p.busy.set(false);
        }
        Throwable e = job.error;
        if (e instanceof RuntimeException r) throw r;
        if (e instanceof Error r) throw r;
        if (e != null) throw new IllegalStateException(e);
    }

    /** One parallel call: the shared index counter and how many indices are finished. */
    private static final class Job {
        final int n;
        final IntConsumer body;
        final AtomicInteger next = new AtomicInteger(), done = new AtomicInteger();
        volatile Throwable error;

        Job(int n, IntConsumer body) {
            this.n = n;
            this.body = body;
        }

        void work() {
            for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                try {
                    body.accept(i);
                } catch (Throwable t) {
                    error = t;
                } finally {
                    done.incrementAndGet();
                }
            }
        }
    }

    private static final class Helpers {
        final Worker[] workers;
        final AtomicBoolean busy = new AtomicBoolean();
        volatile Job job;
        volatile boolean shutdown;

        Helpers(int count) {
            workers = new Worker[Math.max(0, count)];
            for (int i = 0; i < workers.length; i++) {
                workers[i] = new Worker(this, "anewb-engine-" + (i + 1));
                workers[i].start();
            }
        }

        void shutdown() {
            shutdown = true;
            for (Worker w : workers) LockSupport.unpark(w);
        }
    }

    private static final class Worker extends Thread {
        private final Helpers pool;
        volatile boolean parked;

        Worker(Helpers pool, String name) {
            super(name);
            this.pool = pool;
            setDaemon(true);
        }

        @Override
        public void run() {
            Job last = null;
            while (!pool.shutdown) {
                Job j = pool.job;
                if (j != null && j != last) {
                    last = j;
                    j.work();
                    continue;
                }
                long start = System.nanoTime();
                while ((j = pool.job) == null || j == last) {
                    if (pool.shutdown) return;
                    long waited = System.nanoTime() - start;
                    if (waited < SPIN_NANOS) {
                        // Pure spinning briefly, then yielding spins: on a busy machine the core goes to whoever needs
                        // it.
                        if (waited < YIELD_AFTER_NANOS) Thread.onSpinWait();
                        else Thread.yield();
                        continue;
                    }
                    parked = true;
                    j = pool.job; // re-check after announcing: a caller that missed the flag published before this read
                    if ((j == null || j == last) && !pool.shutdown) LockSupport.park(this);
                    parked = false;
                    start = System.nanoTime();
                }
            }
        }
    }
}

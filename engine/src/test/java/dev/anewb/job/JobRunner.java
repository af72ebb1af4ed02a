package dev.anewb.job;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * Runs jobs on background threads for the cancellation tests (the CLI reports through a {@link JobContext}, the
 * app through its FxJobs). A cancelled job completes its future exceptionally with
 * {@link JobCancelledException}; any other failure completes it with that exception.
 */
final class JobRunner implements AutoCloseable {
    private final ExecutorService pool;

    public JobRunner() {
        this.pool = Executors.newThreadPerTaskExecutor(Thread.ofPlatform().name("anewb-job-",
                0).daemon(true).factory());
    }

    public <T> JobHandle<T> start(String title, Job<T> job, Consumer<JobHandle.Progress> listener) {
        JobHandle<T> handle = new JobHandle<>(title, listener);
        pool.execute(() -> {
            try {
                JobContext ctx = handle.context();
                ctx.checkCancelled();
                T value = job.run(ctx);
                if (handle.isCancelled()) handle.result().completeExceptionally(new JobCancelledException());
                else handle.result().complete(value);
            } catch (Throwable t) {
                handle.result().completeExceptionally(handle.isCancelled() ? new JobCancelledException() : t);
            }
        });
        return handle;
    }

    @Override public void close() { pool.shutdownNow(); }
}

package dev.anewb.job;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/** A job started by {@link JobRunner}: its title, live progress, the result future, and a cancel switch. */
final class JobHandle<T> {
    /** A snapshot of progress: fraction in [0,1] or negative for indeterminate. */
    public record Progress(double fraction, String message) { }

    private final String title;
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private final CompletableFuture<T> result = new CompletableFuture<>();
    private final Consumer<Progress> listener;
    private volatile Progress progress = new Progress(-1, "waiting");

    JobHandle(String title, Consumer<Progress> listener) {
        this.title = title;
        this.listener = listener;
    }

    public String title() { return title; }
    public Progress progress() { return progress; }
    public CompletableFuture<T> result() { return result; }
    public boolean isCancelled() { return cancelled.get(); }

    /** Asks the job to stop; it does so at its next {@link JobContext#checkCancelled()}. */
    public void cancel() { cancelled.set(true); }

    JobContext context() {
        return new JobContext() {
            @Override public void progress(double fraction, String message) {
                Progress p = new Progress(fraction, message);
                progress = p;
                if (listener != null) listener.accept(p);
            }
            @Override public boolean isCancelled() { return cancelled.get(); }
        };
    }
}

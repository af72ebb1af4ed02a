package dev.anewb.app.jobs;

import javafx.beans.property.ReadOnlyDoubleProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.concurrent.Task;
import javafx.concurrent.Worker;

/**
 * The FX-side face of one engine job submitted through {@link FxJobs}: what the status bar binds to.
 * All properties change on the FX thread only.
 */
public final class JobView<T> {
    private final String title;
    private final Task<T> task;
    private boolean cancelRequested;

    JobView(String title, Task<T> task) {
        this.title = title;
        this.task = task;
    }

    public String title() { return title; }

    /** Fraction done in [0, 1], or -1 while the job cannot say (the progress bar shows that as indeterminate). */
    public ReadOnlyDoubleProperty progressProperty() { return task.progressProperty(); }

    public ReadOnlyStringProperty messageProperty() { return task.messageProperty(); }

    public ReadOnlyObjectProperty<Worker.State> stateProperty() { return task.stateProperty(); }

    /** Asks the job to stop: the engine sees it at its next {@code checkCancelled()}. Never blocks. */
    public void cancel() {
        cancelRequested = true;
        task.cancel();
    }

    /**
     * True once {@link #cancel()} was called, even if the worker had already finished: its result or failure is no
     * longer wanted (a newer request replaced it, the model changed).
     */
    public boolean cancelRequested() { return cancelRequested; }

    /** Why the job failed, or null. */
    public Throwable exception() { return task.getException(); }

    /** True once the job succeeded, failed or was cancelled (the FX-side state, not the worker thread's). */
    public boolean isDone() {
        Worker.State s = task.getState();
        return s == Worker.State.SUCCEEDED || s == Worker.State.FAILED || s == Worker.State.CANCELLED;
    }

    @Override public String toString() { return "JobView[" + title + ", " + task.getState() + "]"; }
}

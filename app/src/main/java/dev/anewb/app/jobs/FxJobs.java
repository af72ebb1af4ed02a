package dev.anewb.app.jobs;

import dev.anewb.job.Job;
import dev.anewb.job.JobCancelledException;
import dev.anewb.job.JobContext;
import javafx.application.Platform;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.concurrent.Task;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * The one adapter between engine {@link Job}s and JavaFX: each job runs as a {@link Task} on a background
 * thread, its {@link JobContext#progress} becomes the task's progress and message, and cancelling the task is
 * what the job sees as {@link JobContext#isCancelled()}. Running jobs are listed for the status bar; failures
 * are kept until the user dismisses them. The FX thread never waits on a job.
 */
public final class FxJobs implements AutoCloseable {
    private final ExecutorService executor =
            Executors.newThreadPerTaskExecutor(Thread.ofPlatform().name("anewb-fx-job-", 0).daemon(true).factory());
    private final ObservableList<JobView<?>> running = FXCollections.observableArrayList();
    private final ObservableList<JobFailure> failures = FXCollections.observableArrayList();

    /**
     * Starts {@code job} in the background. {@code onSuccess} runs on the FX thread with the result; a failure
     * is added to {@link #failures()}; a cancelled job just disappears, even one whose failure was already on its
     * way. Call on the FX thread.
     */
    public <T> JobView<T> submit(String title, Job<T> job, Consumer<T> onSuccess) {
        if (!Platform.isFxApplicationThread()) throw new IllegalStateException("FxJobs.submit must be called on "
                + "the FX thread");
        EngineTask<T> task = new EngineTask<>(job);
        JobView<T> view = new JobView<>(title, task);
        task.setOnSucceeded(e -> {
            running.remove(view);
            try {
                if (onSuccess != null) onSuccess.accept(task.getValue());
            } catch (RuntimeException ex) {
                failures.add(JobFailure.of(title, ex));
            }
        });
        task.setOnCancelled(e -> running.remove(view));
        task.setOnFailed(e -> {
            running.remove(view);
            // A job may notice a cancel the task never saw (e.g. a nested context); that is not an error. Nor is
            // the failure of a job cancelled after it had already thrown: it was computing something no longer
            // wanted (a slider move or a new model replaced it), often from state that no longer fits together.
            if (!(task.getException() instanceof JobCancelledException) && !view.cancelRequested()) {
                failures.add(JobFailure.of(title, task.getException()));
            }
        });
        running.add(view);
        executor.execute(task);
        return view;
    }

    /** Jobs started and not yet finished, in start order. Changes on the FX thread. */
    public ObservableList<JobView<?>> running() { return running; }

    /** Jobs that failed and have not been dismissed. Changes on the FX thread. */
    public ObservableList<JobFailure> failures() { return failures; }

    /** Cancels what still runs and stops the threads (window closed). */
    @Override public void close() {
        for (JobView<?> v : List.copyOf(running)) v.cancel();
        executor.shutdownNow();
    }

    /**
     * A named class (not an anonymous one) so the job's context can ask this task, not the job, whether it was
     * cancelled.
     */
    private static final class EngineTask<T> extends Task<T> {
        private final Job<T> job;

        EngineTask(Job<T> job) { this.job = job; }

        @Override protected T call() throws Exception {
            updateProgress(-1, 1);
            JobContext context = new JobContext() {
                @Override public void progress(double fraction, String message) {
                    // Task coalesces these onto the FX thread, so a job may report as often as it likes.
                    if (fraction < 0 || Double.isNaN(fraction)) updateProgress(-1, 1);
                    else updateProgress(Math.min(1, fraction), 1);
                    updateMessage(message == null ? "" : message);
                }
                @Override public boolean isCancelled() { return EngineTask.this.isCancelled(); }
            };
            context.checkCancelled();
            return job.run(context);
        }
    }
}

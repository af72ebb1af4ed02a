package dev.anewb.app.jobs;

import dev.anewb.job.Job;
import javafx.animation.PauseTransition;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.concurrent.Worker;
import javafx.util.Duration;

import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Slider-driven recomputation the mzmine way ({@code LatestTaskScheduler}): requests are debounced, a new
 * request cancels the job still running for an older one, and only the latest job's result is applied.
 * {@link #computingProperty()} is true from the first request until the latest result arrives (or fails).
 * FX thread only.
 */
public final class LatestJobScheduler<T> {
    /** The debounce delay used across the app: a slider drag produces one job, not one per pixel. */
    public static final Duration DEFAULT_DELAY = Duration.millis(150);

    private final FxJobs jobs;
    private final String title;
    private final PauseTransition pause;
    private final ReadOnlyBooleanWrapper computing = new ReadOnlyBooleanWrapper(this, "computing");
    private Supplier<Job<T>> pendingJob;
    private Consumer<T> pendingResult;
    private JobView<T> current;
    private long generation;

    public LatestJobScheduler(FxJobs jobs, String title) { this(jobs, title, DEFAULT_DELAY); }

    public LatestJobScheduler(FxJobs jobs, String title, Duration delay) {
        this.jobs = jobs;
        this.title = title;
        this.pause = new PauseTransition(delay);
        pause.setOnFinished(e -> fire());
    }

    /**
     * Asks for a recompute after the debounce delay. {@code job} is built when the delay ends, so it sees the
     * state as it is then; {@code onResult} runs on the FX thread only if no newer request came in.
     */
    public void request(Supplier<Job<T>> job, Consumer<T> onResult) {
        pendingJob = job;
        pendingResult = onResult;
        generation++;
        computing.set(true);
        if (current != null) current.cancel();
        pause.playFromStart();
    }

    /** Drops a pending request and cancels the running job (area closed, model replaced). */
    public void cancel() {
        pause.stop();
        generation++;
        pendingJob = null;
        if (current != null) current.cancel();
        current = null;
        computing.set(false);
    }

    public ReadOnlyBooleanProperty computingProperty() { return computing.getReadOnlyProperty(); }

    public boolean isComputing() { return computing.get(); }

    private void fire() {
        Supplier<Job<T>> factory = pendingJob;
        Consumer<T> apply = pendingResult;
        pendingJob = null;
        if (factory == null) return;
        long mine = generation;
        Job<T> job;
        try {
            job = factory.get();
        } catch (RuntimeException e) {
            computing.set(false);
            jobs.failures().add(JobFailure.of(title, e));
            return;
        }
        if (job == null) {
            computing.set(false);
            return;
        }
        JobView<T> view = jobs.submit(title, job, result -> {
            if (mine == generation) apply.accept(result);
        });
        current = view;
        view.stateProperty().addListener((obs, old, state) -> {
            boolean ended = state == Worker.State.SUCCEEDED || state == Worker.State.FAILED
                    || state == Worker.State.CANCELLED;
            if (ended && current == view) {
                current = null;
                if (mine == generation) computing.set(false);
            }
        });
    }
}

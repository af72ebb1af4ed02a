package dev.anewb.app.jobs;

import dev.anewb.job.Job;
import javafx.animation.Animation;
import javafx.animation.PauseTransition;
import javafx.application.Platform;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.concurrent.Worker;
import javafx.util.Duration;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Slider-driven recomputation the mzmine way ({@code LatestTaskScheduler}): a new request cancels the job still
 * running for an older one, and only the latest job's result (and partial results) is applied. A request made while
 * the scheduler is idle (no job running, none waiting) starts at once: a click on a preset should not wait. Requests
 * that come while a job runs or waits are debounced, so a drag the engine cannot keep up with produces one job for
 * where it stopped, not one per pixel.
 * {@link #computingProperty()} is true from the first request until the latest result arrives (or fails).
 * FX thread only.
 */
public final class LatestJobScheduler<T> {
    /** The debounce delay used across the app. */
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
     * Asks for a recompute. {@code job} is built when it starts (at once when idle, else after the delay), so it
     * sees the state as it is then; {@code onResult} runs on the FX thread only if no newer request came in.
     */
    public void request(Supplier<Job<T>> job, Consumer<T> onResult) {
        pendingJob = job;
        pendingResult = onResult;
        generation++;
        computing.set(true);
        boolean idle = current == null && pause.getStatus() != Animation.Status.RUNNING;
        if (current != null) current.cancel();
        if (idle) {
            pause.stop();
            fire();
        } else {
            pause.playFromStart();
        }
    }

    /**
     * As {@link #request(Supplier, Consumer)}, for a job that hands over partial results while it runs (drift taps
     * as each layer is measured): {@code job} is given a thread-safe sink; what it sends reaches {@code onPartial}
     * on the FX thread, in order and in batches, and only while this request is the latest.
     */
    public <P> void request(Function<Consumer<P>, Job<T>> job, Consumer<P> onPartial, Consumer<T> onResult) {
        request(() -> {
            long mine = generation;
            PartialSink<P> sink = new PartialSink<>(p -> { if (mine == generation) onPartial.accept(p); });
            return job.apply(sink);
        }, onResult);
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

    /**
     * Collects what a job sends from its thread and hands it to the FX thread in one batch per pulse: a job that
     * sends a thousand taps does not post a thousand runnables.
     */
    private static final class PartialSink<P> implements Consumer<P> {
        private final Consumer<P> onFx;
        private final List<P> queued = new ArrayList<>();

        PartialSink(Consumer<P> onFx) { this.onFx = onFx; }

        @Override public void accept(P p) {
            boolean first;
            synchronized (queued) {
                first = queued.isEmpty();
                queued.add(p);
            }
            if (first) Platform.runLater(this::drain);
        }

        private void drain() {
            List<P> batch;
            synchronized (queued) {
                batch = List.copyOf(queued);
                queued.clear();
            }
            batch.forEach(onFx);
        }
    }
}

package dev.anewb.app.run;

import dev.anewb.app.jobs.FxJobs;
import dev.anewb.app.jobs.JobView;
import dev.anewb.drift.DriftAnalysis;
import dev.anewb.job.JobContext;
import dev.anewb.model.FeatureTensor;
import dev.anewb.model.TextTokenizer;
import dev.anewb.runtime.Executor;
import dev.anewb.runtime.Generator;
import javafx.application.Platform;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyDoubleProperty;
import javafx.beans.property.ReadOnlyDoubleWrapper;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyIntegerWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Generation by the FP32 original and the converted model from the same prompt, each streamed token by token
 * into its own {@link Pane}. Both run in one cancellable job, one model after the other, so their ms/token are
 * not measured while they compete for the same cores. Tokens reach the FX thread in batches: the worker appends
 * to a buffer and posts one {@code Platform.runLater} only when none is pending, so a fast model cannot flood
 * the event queue. The generation itself is the engine's {@link Generator}; FX thread only, apart from the job.
 */
public final class SideBySideGeneration {
    /**
     * What to generate: the executors of both models (from the model's session, asked for in the job), the
     * {@code tokenizer} (may give null) and {@code prompt}, all called in the job — the first use loads the
     * tokenizer, which probes it in a child process first, never on the FX thread; {@code features} condition every
     * step (Whisper's input_features); {@code metrics}, when given, runs after both and returns task metrics by name.
     */
    public record Request(Supplier<Executor> original, Supplier<Executor> converted, Supplier<TextTokenizer> tokenizer,
                          Supplier<long[]> prompt, Map<String, FeatureTensor> features, int maxNewTokens,
                          Generator.Sampling sampling, TaskMetrics metrics) { }

    /** Task metrics of a finished run, computed by the engine off the FX thread. */
    @FunctionalInterface
    public interface TaskMetrics {
        Map<String, Double> of(long[] prompt, long[] originalIds, JobContext ctx);
    }

    /**
     * One side's measured speed on the CPU: time to the first token (prefill), the mean time per later token and
     * the fastest and slowest of those steps.
     */
    public record Timing(int tokens, double prefillMs, double msPerToken, double minStepMs, double maxStepMs) {
        public Timing(int tokens, double prefillMs, double msPerToken) {
            this(tokens, prefillMs, msPerToken, Double.NaN, Double.NaN);
        }
    }

    /**
     * @param matching  new tokens equal on both sides before the first difference
     * @param task      task metrics from the engine (may be empty)
     */
    public record Outcome(long[] originalIds, long[] convertedIds, Timing original, Timing converted, int matching,
                          Map<String, Double> task) {
        /**
         * The step (0-based, among the new tokens) where the two sides first chose different tokens; -1 when they
         * never did.
         */
        public int firstDivergence() {
            return matching < Math.max(originalIds.length, convertedIds.length) ? matching : -1;
        }

        /**
         * The converted tokens equal to the original's before the first difference, as a percentage (the engine's
         * definition).
         */
        public double agreementPct() {
            return new DriftAnalysis.Continuation(originalIds, convertedIds, matching).agreementPct();
        }
    }

    /** One side's streamed output. Properties change on the FX thread. */
    public static final class Pane {
        private final ReadOnlyStringWrapper text = new ReadOnlyStringWrapper(this, "text", "");
        private final ObservableList<Long> ids = FXCollections.observableArrayList();
        private final ReadOnlyDoubleWrapper msPerToken = new ReadOnlyDoubleWrapper(this, "msPerToken", Double.NaN);
        private final ReadOnlyDoubleWrapper prefillMs = new ReadOnlyDoubleWrapper(this, "prefillMs", Double.NaN);
        private final ReadOnlyIntegerWrapper tokens = new ReadOnlyIntegerWrapper(this, "tokens");

        public ReadOnlyStringProperty textProperty() { return text.getReadOnlyProperty(); }

        /** The new token ids so far. */
        public ObservableList<Long> ids() { return ids; }

        public ReadOnlyDoubleProperty msPerTokenProperty() { return msPerToken.getReadOnlyProperty(); }

        public ReadOnlyDoubleProperty prefillMsProperty() { return prefillMs.getReadOnlyProperty(); }

        public ReadOnlyIntegerProperty tokensProperty() { return tokens.getReadOnlyProperty(); }

        void clear() {
            text.set("");
            ids.clear();
            msPerToken.set(Double.NaN);
            prefillMs.set(Double.NaN);
            tokens.set(0);
        }
    }

    /** What the worker has produced for one pane and the FX thread has not shown yet. */
    private final class Stream {
        private final Pane pane;
        private final long run;
        private final StringBuilder text = new StringBuilder();
        private final List<Long> ids = new ArrayList<>();
        private long start, first, last;
        private int count;
        private boolean posted;

        Stream(Pane pane, long run) {
            this.pane = pane;
            this.run = run;
        }

        private long minStep = Long.MAX_VALUE, maxStep;

        synchronized void begin() { start = System.nanoTime(); }

        void token(long id, String piece) {
            long now = System.nanoTime();
            boolean post;
            synchronized (this) {
                if (count == 0) first = now;
                else {
                    minStep = Math.min(minStep, now - last);
                    maxStep = Math.max(maxStep, now - last);
                }
                last = now;
                count++;
                text.append(piece);
                ids.add(id);
                post = !posted;
                posted = true;
            }
            if (post) Platform.runLater(this::drain);
        }

        synchronized Timing timing() {
            if (count == 0) return new Timing(0, Double.NaN, Double.NaN);
            double msPerToken = count > 1 ? (last - first) / 1e6 / (count - 1) : Double.NaN;
            return count > 1 ? new Timing(count, (first - start) / 1e6, msPerToken, minStep / 1e6, maxStep / 1e6)
                    : new Timing(count, (first - start) / 1e6, msPerToken);
        }

        private void drain() {
            String t;
            List<Long> newIds;
            Timing timing;
            synchronized (this) {
                posted = false;
                t = text.toString();
                text.setLength(0);
                newIds = List.copyOf(ids);
                ids.clear();
                timing = timing();
            }
            if (run != runId) return; // a newer run has cleared the panes
            pane.text.set(pane.text.get() + t);
            pane.ids.addAll(newIds);
            pane.tokens.set(timing.tokens());
            pane.prefillMs.set(timing.prefillMs());
            pane.msPerToken.set(timing.msPerToken());
        }
    }

    private record Result(Outcome outcome) { }

    private final FxJobs jobs;
    private final String title;
    private final Pane original = new Pane();
    private final Pane converted = new Pane();
    private final ReadOnlyBooleanWrapper running = new ReadOnlyBooleanWrapper(this, "running");
    private final ReadOnlyObjectWrapper<Outcome> outcome = new ReadOnlyObjectWrapper<>(this, "outcome");
    private JobView<Result> job;
    private long runId;

    public SideBySideGeneration(FxJobs jobs, String title) {
        this.jobs = jobs;
        this.title = title;
    }

    /** Clears both panes and starts generating (cancelling a run still going). */
    public JobView<?> start(Request r) {
        cancel();
        long mine = ++runId;
        original.clear();
        converted.clear();
        outcome.set(null);
        Stream a = new Stream(original, mine), b = new Stream(converted, mine);
        running.set(true);
        JobView<Result> view = jobs.submit(title, ctx -> {
            long[] prompt = r.prompt().get();
            long[] ref = side(r.original().get(), r, prompt, a, ctx.slice(0, 0.45));
            long[] conv = side(r.converted().get(), r, prompt, b, ctx.slice(0.45, 0.9));
            int n = Math.min(ref.length, conv.length), same = 0;
            while (same < n && ref[same] == conv[same]) same++;
            ctx.progress(0.9, "task metrics");
            Map<String, Double> task = r.metrics() == null ? Map.of() : r.metrics().of(prompt, ref, ctx.slice(0.9, 1));
            return new Result(new Outcome(ref, conv, a.timing(), b.timing(), same, task));
        }, result -> {
            if (mine != runId) return;
            // Tokens still queued are shown before the outcome (runLater order), so the panes are complete here.
            outcome.set(result.outcome());
        });
        job = view;
        view.stateProperty().addListener((obs, old, state) -> {
            if (view.isDone() && job == view) {
                job = null;
                running.set(false);
            }
        });
        return view;
    }

    private static long[] side(Executor executor, Request r, long[] prompt, Stream out, JobContext ctx) {
        Generator g = new Generator(executor, r.tokenizer().get());
        out.begin();
        return g.generate(prompt, r.features(), r.maxNewTokens(), r.sampling(), out::token, ctx).ids();
    }

    /** Stops the running generation at its next token; the panes keep what they have. */
    public void cancel() {
        if (job != null) job.cancel();
    }

    public Pane original() { return original; }

    public Pane converted() { return converted; }

    public ReadOnlyBooleanProperty runningProperty() { return running.getReadOnlyProperty(); }

    /** Both sides' tokens, timings and task metrics once a run has finished; null while running or after a cancel. */
    public ReadOnlyObjectProperty<Outcome> outcomeProperty() { return outcome.getReadOnlyProperty(); }
}

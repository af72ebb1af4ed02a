package dev.anewb.app.run;

import dev.anewb.api.ConvertedModel;
import dev.anewb.app.jobs.LatestJobScheduler;
import dev.anewb.app.session.ModelKind;
import dev.anewb.app.session.Session;
import dev.anewb.app.area.AreaViewModel;
import dev.anewb.drift.TapMetrics;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.TextInputs;
import dev.anewb.job.Job;
import dev.anewb.model.Batch;
import dev.anewb.model.TextTokenizer;
import dev.anewb.runtime.Activation;
import dev.anewb.runtime.Executor;
import dev.anewb.runtime.RunResult;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.util.Subscription;

import java.util.List;

/**
 * State of the Run area: two texts, the first one's tokens, and both models' outputs side by side (cosine of
 * the original's and the converted model's output for text A, similarity of A and B under each model, timings).
 * Every figure comes from the engine's runs and {@link TapMetrics}.
 */
public final class RunViewModel extends AreaViewModel {
    /** One token of text A. */
    public record Token(String text, long id) { }

    /**
     * @param outputTap        the compared output ("sentence_embedding", else "pooler_output", else the last hidden state)
     * @param originalVsConverted cosine of that output between the FP32 original and the converted model (text A)
     * @param similarityOriginal  cosine of A's and B's output under the original (pooled outputs only; NaN otherwise)
     * @param similarityConverted the same under the converted model
     */
    public record Outcome(String outputTap, int outputSize, double originalVsConverted, double similarityOriginal, double similarityConverted,
                          long originalNanosA, long convertedNanosA, long originalNanosB, long convertedNanosB) { }

    private final Session session;
    private final LatestJobScheduler<Result> scheduler;
    private final StringProperty textA = new SimpleStringProperty(this, "textA", "The Neural Engine runs transformers quickly.");
    private final StringProperty textB = new SimpleStringProperty(this, "textB", "Apple's accelerator executes neural networks fast.");
    private final ObservableList<Token> tokens = FXCollections.observableArrayList();
    private final ReadOnlyObjectWrapper<Outcome> outcome = new ReadOnlyObjectWrapper<>(this, "outcome");
    private final ReadOnlyObjectWrapper<ModelKind> kind = new ReadOnlyObjectWrapper<>(this, "kind");
    private final LanguageModelRun languageModel;
    private final VisionRun vision;
    private final SpeechRun speech;
    private Subscription subscription;

    private record Result(List<Token> tokens, Outcome outcome) { }

    public RunViewModel(Session session) {
        super("Run", "Run an input through the original and the converted model side by side: texts, a prompt to continue, an image or audio.",
                List.of("Tokens with their ids", "Generation streamed side by side for language models and Whisper",
                        "Both models' outputs, their agreement and timings"), "Load a model to run it.");
        this.session = session;
        this.scheduler = new LatestJobScheduler<>(session.jobs(), "Run text");
        this.languageModel = new LanguageModelRun(session);
        this.vision = new VisionRun(session);
        this.speech = new SpeechRun(session);
        subscription = Subscription.combine(
                session.convertedProperty().subscribe(c -> {
                    kind.set(session.kind());
                    if (c == null) return;
                    switch (kind.get()) {
                        case TEXT_ENCODER -> run();
                        case VISION -> vision.run();
                        // New settings: the converted side decodes again (a new model prepares its features first).
                        case SPEECH -> speech.decode();
                        case LANGUAGE_MODEL -> { } // generation is started by the user: it can take a while
                    }
                }),
                textA.subscribe(t -> run()),
                textB.subscribe(t -> run()),
                scheduler::cancel,
                languageModel::cancel,
                vision::cancel,
                speech::cancel);
    }

    /** Runs what the loaded model takes on the current input (the self-test's and a first visit's content). */
    public void runCurrent() {
        if (kind.get() == null) return;
        switch (kind.get()) {
            case TEXT_ENCODER -> run();
            case LANGUAGE_MODEL -> languageModel.generate();
            case VISION -> vision.run();
            case SPEECH -> speech.decode();
        }
    }

    /** Runs both texts through both models (debounced; the latest request wins). Text encoders only. */
    public void run() {
        if (session.converted() == null || kind.get() != ModelKind.TEXT_ENCODER || !session.model().hasTokenizer() || textA.get().isBlank()) return;
        scheduler.request(this::job, r -> {
            tokens.setAll(r.tokens());
            outcome.set(r.outcome());
        });
    }

    private Job<Result> job() {
        ConvertedModel converted = session.converted();
        if (converted == null) return null;
        LoadedModel model = converted.source();
        String a = textA.get(), b = textB.get().isBlank() ? null : textB.get();
        return ctx -> {
            TextTokenizer tok = model.tokenizer();
            TextTokenizer.Encoding enc = tok.encode(a);
            List<Token> ts = new java.util.ArrayList<>();
            for (int i = 0; i < enc.length(); i++) ts.add(new Token(enc.tokens()[i], enc.ids()[i]));
            Executor original = converted.session().executor();
            Batch batchA = TextInputs.batch(tok, List.of(a)), batchB = b == null ? null : TextInputs.batch(tok, List.of(b));
            RunResult oa, ca, ob = null, cb = null;
            synchronized (original) { oa = original.run(batchA, ctx.slice(0, 0.25)); }
            ca = converted.run(batchA, ctx.slice(0.25, 0.5));
            String tap = outputTap(oa);
            if (batchB != null) {
                synchronized (original) { ob = original.run(batchB, ctx.slice(0.5, 0.75)); }
                cb = converted.run(batchB, ctx.slice(0.75, 1));
            }
            Activation refA = oa.tap(tap), convA = ca.tap(tap);
            double agree = TapMetrics.of(tap, refA, convA, batchA).cosine();
            boolean pooled = refA.length() == 1 && ob != null;
            double simO = pooled ? TapMetrics.of(tap, refA, ob.tap(tap), null).cosine() : Double.NaN;
            double simC = pooled ? TapMetrics.of(tap, convA, cb.tap(tap), null).cosine() : Double.NaN;
            // The first pass of an executor also prepares its weights (packing, quantizing): time warm passes.
            long oNanosA = warmNanos(oa.nanos(), () -> { synchronized (original) { return original.run(batchA, ctx.slice(1, 1)).nanos(); } });
            long cNanosA = warmNanos(ca.nanos(), () -> converted.run(batchA, ctx.slice(1, 1)).nanos());
            long oNanosB = ob == null ? 0 : warmNanos(ob.nanos(), () -> { synchronized (original) { return original.run(batchB, ctx.slice(1, 1)).nanos(); } });
            long cNanosB = cb == null ? 0 : warmNanos(cb.nanos(), () -> converted.run(batchB, ctx.slice(1, 1)).nanos());
            return new Result(ts, new Outcome(tap, refA.channels(), agree, simO, simC, oNanosA, cNanosA, oNanosB, cNanosB));
        };
    }

    /** Warm passes timed per model and text: at most this many, within {@link #WARM_BUDGET_NANOS}. */
    static final int WARM_PASSES = 5;
    static final long WARM_BUDGET_NANOS = 250_000_000L;

    /**
     * The median of up to {@link #WARM_PASSES} more passes (as many as fit in {@link #WARM_BUDGET_NANOS}), or the
     * first pass's time when even one more would not fit: a slow model is timed once, a fast one warm.
     */
    static long warmNanos(long first, java.util.function.LongSupplier again) {
        if (first > WARM_BUDGET_NANOS / 2) return first;
        long[] t = new long[WARM_PASSES];
        int n = 0;
        long start = System.nanoTime();
        while (n < WARM_PASSES && (n == 0 || System.nanoTime() - start < WARM_BUDGET_NANOS)) t[n++] = again.getAsLong();
        java.util.Arrays.sort(t, 0, n);
        return t[n / 2];
    }

    static String outputTap(RunResult r) {
        if (r.taps().containsKey("sentence_embedding")) return "sentence_embedding";
        if (r.taps().containsKey("pooler_output")) return "pooler_output";
        String last = null;
        for (String t : r.taps().keySet()) if (t.startsWith("hidden_states.")) last = t;
        return last;
    }

    public StringProperty textAProperty() { return textA; }

    public StringProperty textBProperty() { return textB; }

    public ObservableList<Token> tokens() { return tokens; }

    public ReadOnlyObjectProperty<Outcome> outcomeProperty() { return outcome.getReadOnlyProperty(); }

    public javafx.beans.property.ReadOnlyBooleanProperty computingProperty() { return scheduler.computingProperty(); }

    public Session session() { return session; }

    /** The loaded model's kind: which form the Run area shows. */
    public ReadOnlyObjectProperty<ModelKind> kindProperty() { return kind.getReadOnlyProperty(); }

    public LanguageModelRun languageModel() { return languageModel; }

    public VisionRun vision() { return vision; }

    public SpeechRun speech() { return speech; }

    public void dispose() {
        subscription.unsubscribe();
        subscription = Subscription.EMPTY;
    }
}

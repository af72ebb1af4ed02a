package dev.anewb.app.run;

import dev.anewb.AnewbException;
import dev.anewb.api.ConvertedModel;
import dev.anewb.app.jobs.LatestJobScheduler;
import dev.anewb.app.session.ConversionNames;
import dev.anewb.app.session.ModelKind;
import dev.anewb.app.session.Session;
import dev.anewb.drift.TapMetrics;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.TextInputs;
import dev.anewb.job.Job;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.model.TextTokenizer;
import dev.anewb.runtime.Activation;
import dev.anewb.runtime.Executor;
import dev.anewb.runtime.RunResult;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The Run area for text encoders (BERT, MiniLM): two texts, the first one's tokens, and both models' outputs side
 * by side (cosine of the original's and the converted model's output for text A, similarity of A and B under each
 * model, timings). Every figure comes from the engine's runs and {@link TapMetrics}.
 */
public final class TextEncoderRun {
    /** One token of text A. */
    public record Token(String text, long id) { }

    /**
     * @param outputTap           the compared output ("sentence_embedding", else "pooler_output", else the last
     *                            hidden state)
     * @param originalVsConverted cosine of that output between the FP32 original and the converted model (text A)
     * @param similarityOriginal  cosine of A's and B's output under the original (pooled outputs only; NaN
     *                            otherwise)
     * @param similarityConverted the same under the converted model
     */
    public record Outcome(String outputTap, int outputSize, double originalVsConverted, double similarityOriginal,
                          double similarityConverted, CpuTiming originalA, CpuTiming convertedA, CpuTiming originalB,
                          CpuTiming convertedB, Pinned pinned) {
        public long originalNanosA() { return originalA.medianNanos(); }
        public long convertedNanosA() { return convertedA.medianNanos(); }
    }

    /**
     * The pinned configuration on text A, beside the current one: its agreement with the original and its time.
     *
     * @param name the configuration in a few words
     */
    public record Pinned(String name, double originalVsPinned, CpuTiming timeA) { }

    private record Result(List<Token> tokens, Outcome outcome) { }

    private final Session session;
    private final LatestJobScheduler<Result> scheduler;
    private final StringProperty textA =
            new SimpleStringProperty(this, "textA", "The Neural Engine runs transformers quickly.");
    private final StringProperty textB =
            new SimpleStringProperty(this, "textB", "Apple's accelerator executes neural networks fast.");
    private final ObservableList<Token> tokens = FXCollections.observableArrayList();
    private final ReadOnlyObjectWrapper<Outcome> outcome = new ReadOnlyObjectWrapper<>(this, "outcome");
    private final ReadOnlyBooleanWrapper idsInput = new ReadOnlyBooleanWrapper(this, "idsInput");
    private final ReadOnlyStringWrapper error = new ReadOnlyStringWrapper(this, "error");
    /** The texts while a model without a tokenizer takes ids, given back when one with a tokenizer loads. */
    private String[] savedTexts;

    public TextEncoderRun(Session session) {
        this.session = session;
        this.scheduler = new LatestJobScheduler<>(session.jobs(), "Run text");
        session.convertedProperty().subscribe(this::modelChanged);
        textA.addListener((obs, old, now) -> run());
        textB.addListener((obs, old, now) -> run());
        session.pinnedProperty().addListener((obs, old, now) -> run());
    }

    /**
     * A text encoder without a tokenizer.json takes token ids in both fields ({@link TokenIds}): A starts as the id
     * sequence Drift measures on, B as its first half.
     */
    private void modelChanged(ConvertedModel c) {
        if (c == null || session.kind() != ModelKind.TEXT_ENCODER) return;
        boolean ids = !c.source().hasTokenizer();
        if (ids == idsInput.get()) return;
        idsInput.set(ids);
        error.set(null);
        if (ids) {
            savedTexts = new String[]{textA.get(), textB.get()};
            long[] sample = c.sampleInput().ids()[0];
            textA.set(TokenIds.format(sample));
            textB.set(TokenIds.format(Arrays.copyOf(sample, Math.max(1, sample.length / 2))));
        } else if (savedTexts != null) {
            textA.set(savedTexts[0]);
            textB.set(savedTexts[1]);
        }
    }

    /** Runs both texts through both models (debounced; the latest request wins). Text encoders only. */
    public void run() {
        ConvertedModel converted = session.converted();
        if (converted == null || session.kind() != ModelKind.TEXT_ENCODER || textA.get().isBlank()) return;
        long[] idsA = null, idsB = null;
        if (!converted.source().hasTokenizer()) {
            int vocab = converted.graph().config().vocabSize();
            try {
                idsA = TokenIds.parse(textA.get(), vocab);
                idsB = textB.get().isBlank() ? null : TokenIds.parse(textB.get(), vocab);
            } catch (AnewbException e) {
                error.set(e.getMessage());
                return;
            }
        }
        error.set(null);
        long[] a = idsA, b = idsB;
        scheduler.request(() -> job(a, b), r -> {
            tokens.setAll(r.tokens());
            outcome.set(r.outcome());
        });
    }

    /** The job for the current texts, or for {@code idsA}/{@code idsB} when the model has no tokenizer. */
    private Job<Result> job(long[] idsA, long[] idsB) {
        ConvertedModel converted = session.converted();
        if (converted == null) return null;
        LoadedModel model = converted.source();
        Conversion pinnedConversion = session.pinnedProperty().get();
        String a = textA.get(), b = textB.get().isBlank() ? null : textB.get();
        return ctx -> {
            ConvertedModel pinned = session.convertedFor(pinnedConversion);
            List<Token> ts = new ArrayList<>();
            Batch batchA, batchB;
            if (idsA != null) {
                for (long id : idsA) ts.add(new Token("", id));
                batchA = Batch.of(idsA);
                batchB = idsB == null ? null : Batch.of(idsB);
            } else {
                TextTokenizer tok = model.tokenizer();
                TextTokenizer.Encoding enc = tok.encode(a);
                for (int i = 0; i < enc.length(); i++) ts.add(new Token(enc.tokens()[i], enc.ids()[i]));
                batchA = TextInputs.batch(tok, List.of(a));
                batchB = b == null ? null : TextInputs.batch(tok, List.of(b));
            }
            Executor original = converted.session().executor();
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
            CpuTiming oA = RunViewModel.warmTiming(oa.nanos(), () -> {
                synchronized (original) { return original.run(batchA, ctx.slice(1, 1)).nanos(); }
            });
            CpuTiming cA = RunViewModel.warmTiming(ca.nanos(), () -> converted.run(batchA, ctx.slice(1, 1)).nanos());
            CpuTiming oB = ob == null ? null : RunViewModel.warmTiming(ob.nanos(), () -> {
                synchronized (original) { return original.run(batchB, ctx.slice(1, 1)).nanos(); }
            });
            CpuTiming cB = cb == null ? null
                    : RunViewModel.warmTiming(cb.nanos(), () -> converted.run(batchB, ctx.slice(1, 1)).nanos());
            Pinned pin = null;
            if (pinned != null && !pinned.conversion().equals(converted.conversion())) {
                RunResult pa = pinned.run(batchA, ctx.slice(1, 1));
                double agreePinned = TapMetrics.of(tap, refA, pa.tap(tap), batchA).cosine();
                CpuTiming pA = RunViewModel.warmTiming(pa.nanos(), () -> pinned.run(batchA, ctx.slice(1, 1)).nanos());
                pin = new Pinned(ConversionNames.describe(pinned.conversion()), agreePinned, pA);
            }
            return new Result(ts, new Outcome(tap, refA.channels(), agree, simO, simC, oA, cA, oB, cB, pin));
        };
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

    /** True while the model has no tokenizer: both fields are token ids. */
    public ReadOnlyBooleanProperty idsInputProperty() { return idsInput.getReadOnlyProperty(); }

    /** Why the typed ids cannot run, or null. */
    public ReadOnlyStringProperty errorProperty() { return error.getReadOnlyProperty(); }

    public ReadOnlyBooleanProperty computingProperty() { return scheduler.computingProperty(); }

    public void cancel() { scheduler.cancel(); }
}

package dev.anewb.app.run;

import dev.anewb.api.ConvertedModel;
import dev.anewb.app.area.AreaViewModel;
import dev.anewb.app.session.ConversionNames;
import dev.anewb.app.session.ModelKind;
import dev.anewb.app.session.Session;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.util.Subscription;

import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * State of the Run area: which kind of model is loaded, and one part per kind (text encoder, language model,
 * vision, speech) that runs its input through the original and the converted model side by side.
 */
public final class RunViewModel extends AreaViewModel {
    /** Warm passes timed per model and input: at most this many, within {@link #WARM_BUDGET_NANOS}. */
    static final int WARM_PASSES = 5;
    static final long WARM_BUDGET_NANOS = 250_000_000L;

    private final ReadOnlyObjectWrapper<ModelKind> kind = new ReadOnlyObjectWrapper<>(this, "kind");
    private final ReadOnlyStringWrapper status = new ReadOnlyStringWrapper(this, "status", "");
    private final TextEncoderRun textEncoder;
    private final LanguageModelRun languageModel;
    private final VisionRun vision;
    private final SpeechRun speech;

    public RunViewModel(Session session) {
        super(session, "Run", "Run an input through the original and the converted model side by side: texts, a "
                        + "prompt to continue, an image or audio.",
                List.of("Tokens with their ids", "Generation streamed side by side for language models and Whisper",
                        "Both models' outputs, their agreement and timings"), "Load a model to run it.");
        this.textEncoder = new TextEncoderRun(session);
        this.languageModel = new LanguageModelRun(session);
        this.vision = new VisionRun(session);
        this.speech = new SpeechRun(session);
        countAsComputing(textEncoder.computingProperty());
        countAsComputing(vision.computingProperty());
        countAsComputing(languageModel.generation().runningProperty());
        countAsComputing(speech.preparingProperty());
        countAsComputing(speech.decoding().runningProperty());
        keep(Subscription.combine(
                session.convertedProperty().subscribe(c -> {
                    kind.set(session.kind());
                    updateStatus();
                    if (c == null) return;
                    switch (kind.get()) {
                        case TEXT_ENCODER -> textEncoder.run();
                        case VISION -> vision.run();
                        // New settings: the converted side decodes again (a new model prepares its features first).
                        case SPEECH -> speech.decode();
                        case LANGUAGE_MODEL -> { } // generation is started by the user: it can take a while
                    }
                }),
                textEncoder.computingProperty().subscribe(c -> updateStatus()),
                textEncoder::cancel,
                languageModel::cancel,
                vision::cancel,
                speech::cancel));
    }

    /** Runs what the loaded model takes on the current input (the self-test's and a first visit's content). */
    public void runCurrent() {
        if (kind.get() == null) return;
        switch (kind.get()) {
            case TEXT_ENCODER -> textEncoder.run();
            case LANGUAGE_MODEL -> languageModel.generate();
            case VISION -> vision.run();
            case SPEECH -> speech.decode();
        }
    }

    private void updateStatus() {
        ConvertedModel converted = session().converted();
        boolean textRunning = textEncoder.computingProperty().get() && kind.get() == ModelKind.TEXT_ENCODER;
        status.set(textRunning ? "computing…" : converted == null ? "Load a source model to run it."
                : "Converted: " + ConversionNames.describe(converted.graph().conversion()));
    }

    /**
     * The median of up to {@link #WARM_PASSES} more passes (as many as fit in {@link #WARM_BUDGET_NANOS}), or the
     * first pass's time when even one more would not fit: a slow model is timed once, a fast one warm.
     */
    static long warmNanos(long first, LongSupplier again) { return warmTiming(first, again).medianNanos(); }

    /** As {@link #warmNanos}, with the spread of the passes it timed. */
    static CpuTiming warmTiming(long first, LongSupplier again) {
        if (first > WARM_BUDGET_NANOS / 2) return CpuTiming.once(first);
        long[] t = new long[WARM_PASSES];
        int n = 0;
        long start = System.nanoTime();
        while (n < WARM_PASSES && (n == 0 || System.nanoTime() - start < WARM_BUDGET_NANOS)) t[n++] = again.getAsLong();
        Arrays.sort(t, 0, n);
        return new CpuTiming(t[n / 2], t[0], t[n - 1], n);
    }

    /** The loaded model's kind: which form the Run area shows. */
    public ReadOnlyObjectProperty<ModelKind> kindProperty() { return kind.getReadOnlyProperty(); }

    /** "Converted: INT8 b128 · FP16 · BC1S", "computing…" while texts run, or what to load first. */
    public ReadOnlyStringProperty statusProperty() { return status.getReadOnlyProperty(); }

    public TextEncoderRun textEncoder() { return textEncoder; }

    public LanguageModelRun languageModel() { return languageModel; }

    public VisionRun vision() { return vision; }

    public SpeechRun speech() { return speech; }
}

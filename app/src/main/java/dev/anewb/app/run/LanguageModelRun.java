package dev.anewb.app.run;

import dev.anewb.AnewbException;
import dev.anewb.api.ConvertedModel;
import dev.anewb.app.session.ConversionNames;
import dev.anewb.app.session.ModelKind;
import dev.anewb.app.session.Session;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.TextInputs;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.runtime.Generator;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.LongProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleLongProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Run area for causal language models (GPT-2, Llama): a prompt and the sampling settings the CLI's
 * {@code generate} takes; both models continue the prompt side by side ({@link SideBySideGeneration}). Afterwards
 * the engine's drift analysis scores the converted model on the prompt plus the original's continuation
 * (top-1 agreement and next-token KL, teacher-forced), and the first step where the two continuations differ.
 */
public final class LanguageModelRun {
    public static final int DEFAULT_MAX_NEW_TOKENS = 24;
    static final String DEFAULT_PROMPT = "The Neural Engine";

    private final Session session;
    private final StringProperty prompt = new SimpleStringProperty(this, "prompt", DEFAULT_PROMPT);
    private final IntegerProperty maxNewTokens =
            new SimpleIntegerProperty(this, "maxNewTokens", DEFAULT_MAX_NEW_TOKENS);
    private final BooleanProperty greedy = new SimpleBooleanProperty(this, "greedy", true);
    private final DoubleProperty temperature = new SimpleDoubleProperty(this, "temperature", 0.8);
    private final IntegerProperty topK = new SimpleIntegerProperty(this, "topK", 40);
    private final DoubleProperty topP = new SimpleDoubleProperty(this, "topP", 0.95);
    private final LongProperty seed = new SimpleLongProperty(this, "seed", 0);
    private final ReadOnlyStringWrapper error = new ReadOnlyStringWrapper(this, "error");
    private final ReadOnlyStringWrapper pinnedName = new ReadOnlyStringWrapper(this, "pinnedName");
    private final ReadOnlyBooleanWrapper idsPrompt = new ReadOnlyBooleanWrapper(this, "idsPrompt");
    private final SideBySideGeneration generation;
    /** The text prompt while a model without a tokenizer takes ids, given back when one with a tokenizer loads. */
    private String textPrompt;

    public LanguageModelRun(Session session) {
        this.session = session;
        this.generation = new SideBySideGeneration(session.jobs(), "Generate");
        session.convertedProperty().subscribe(this::modelChanged);
    }

    /**
     * A language model without a tokenizer.json (a random-weight one from {@code anewb synth}, a folder with the
     * weights only) is prompted with token ids, as the CLI's {@code --ids}: the prompt then starts as the built-in
     * id sequence Drift measures on.
     */
    private void modelChanged(ConvertedModel c) {
        if (c == null || session.kind() != ModelKind.LANGUAGE_MODEL) return;
        boolean ids = !c.source().hasTokenizer();
        if (ids == idsPrompt.get()) return;
        idsPrompt.set(ids);
        error.set(null);
        if (ids) {
            textPrompt = prompt.get();
            prompt.set(TokenIds.format(c.sampleInput().ids()[0]));
        } else {
            prompt.set(textPrompt == null ? DEFAULT_PROMPT : textPrompt);
        }
    }

    /** The sampling the controls describe; an invalid one throws the engine's message. */
    public Generator.Sampling sampling() {
        return greedy.get() ? Generator.Sampling.GREEDY
                : new Generator.Sampling(temperature.get(), topK.get(), topP.get(), seed.get());
    }

    /**
     * Starts both models on the prompt; false (with {@link #errorProperty()} set) when there is nothing to run or a
     * setting is invalid.
     */
    public boolean generate() {
        ConvertedModel converted = session.converted();
        if (converted == null) {
            error.set("Load a source model to generate.");
            return false;
        }
        LoadedModel model = converted.source();
        String text = prompt.get();
        if (text == null || text.isBlank()) {
            error.set(model.hasTokenizer() ? "Type a prompt." : "Type the prompt's token ids.");
            return false;
        }
        Generator.Sampling s;
        long[] typedIds;
        try {
            s = sampling();
            typedIds = model.hasTokenizer() ? null : TokenIds.parse(text, converted.graph().config().vocabSize());
        } catch (AnewbException e) {
            error.set(e.getMessage());
            return false;
        }
        error.set(null);
        boolean measurable = session.canMeasureDrift();
        Conversion pin = session.pinnedProperty().get();
        pinnedName.set(pin == null ? null : ConversionNames.describe(pin));
        generation.start(new SideBySideGeneration.Request(converted.session()::executor,
                () -> converted.session().executor(converted.conversion()),
                () -> model.hasTokenizer() ? model.tokenizer() : null,
                // The CLI's tokenization: the model's tokenizer with its special tokens (Llama's BOS).
                () -> typedIds != null ? typedIds : TextInputs.batch(model.tokenizer(), List.of(text)).ids()[0],
                Map.of(), maxNewTokens.get(), s,
                measurable ? (p, ids, ctx) -> taskMetrics(converted, session.convertedFor(pin), Batch.of(concat(p,
                        ids)), ctx) : null));
        return true;
    }

    /** Prefix of the pinned configuration's metrics among the task metrics (the Run area's third column). */
    public static final String PINNED = "pinned ";

    /**
     * The converted model's teacher-forced metrics on the prompt and the original's continuation, and the pinned
     * configuration's on the same tokens (keys prefixed {@link #PINNED}).
     */
    private static Map<String, Double> taskMetrics(ConvertedModel converted, ConvertedModel pinned, Batch tokens,
                                                   JobContext ctx) {
        Map<String, Double> out = new LinkedHashMap<>(converted.drift(tokens, false, ctx).task());
        if (pinned != null && !pinned.conversion().equals(converted.conversion())) {
            pinned.drift(tokens, false, ctx).task().forEach((k, v) -> out.put(PINNED + k, v));
        }
        return out;
    }

    static long[] concat(long[] a, long[] b) {
        long[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    public void cancel() { generation.cancel(); }

    public SideBySideGeneration generation() { return generation; }

    public StringProperty promptProperty() { return prompt; }

    /** True while the model has no tokenizer: the prompt is token ids. */
    public ReadOnlyBooleanProperty idsPromptProperty() { return idsPrompt.getReadOnlyProperty(); }

    public IntegerProperty maxNewTokensProperty() { return maxNewTokens; }

    /** Greedy decoding (the default); off = sample with temperature, top-k, top-p and seed. */
    public BooleanProperty greedyProperty() { return greedy; }

    public DoubleProperty temperatureProperty() { return temperature; }

    /** 0 = all tokens. */
    public IntegerProperty topKProperty() { return topK; }

    /** 1 = all tokens. */
    public DoubleProperty topPProperty() { return topP; }

    public LongProperty seedProperty() { return seed; }

    /** The pinned configuration the last generation was also scored with, or null. */
    public ReadOnlyStringProperty pinnedNameProperty() { return pinnedName.getReadOnlyProperty(); }

    /** Why nothing was started, or null. */
    public ReadOnlyStringProperty errorProperty() { return error.getReadOnlyProperty(); }
}

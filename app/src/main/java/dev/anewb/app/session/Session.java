package dev.anewb.app.session;

import dev.anewb.AnewbException;
import dev.anewb.ane.ChipProfile;
import dev.anewb.ane.ChipProfiles;
import dev.anewb.ane.PlanResult;
import dev.anewb.api.ConvertedModel;
import dev.anewb.api.ModelLoader;
import dev.anewb.api.ModelSession;
import dev.anewb.app.jobs.FxJobs;
import dev.anewb.app.jobs.JobView;
import dev.anewb.app.settings.SettingsStore;
import dev.anewb.drift.DriftReport;
import dev.anewb.hub.HubClient;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.ModelInfo;
import dev.anewb.io.TextInputs;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelRef;
import dev.anewb.runtime.MemoryBudget;
import javafx.beans.binding.Bindings;
import javafx.beans.binding.ObjectBinding;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.concurrent.Worker;

import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The workbench's shared state, read by every area and the conversion panel: the loaded model, the
 * {@link Conversion} being edited, the sample texts, and the converted model that follows both. Areas never
 * talk to each other; they watch this. Changes happen on the FX thread; engine work goes through {@link FxJobs}.
 */
public final class Session {
    public static final List<String> DEFAULT_TEXTS = ConvertedModel.SAMPLE_TEXTS;

    private final FxJobs jobs;
    private final SettingsStore settings;
    private final ReadOnlyObjectWrapper<LoadedModel> model = new ReadOnlyObjectWrapper<>(this, "model");
    private final ReadOnlyObjectWrapper<ModelInfo> info = new ReadOnlyObjectWrapper<>(this, "info");
    private final ObjectProperty<Conversion> conversion =
            new SimpleObjectProperty<>(this, "conversion", Conversion.ANE_DEFAULT);
    private final ObjectProperty<List<String>> sampleTexts =
            new SimpleObjectProperty<>(this, "sampleTexts", DEFAULT_TEXTS);
    private final ObjectProperty<SampleInput> sampleInput =
            new SimpleObjectProperty<>(this, "sampleInput", new SampleInput.Texts(DEFAULT_TEXTS));
    private final ReadOnlyObjectWrapper<ConvertedModel> converted = new ReadOnlyObjectWrapper<>(this, "converted");
    private final ReadOnlyStringWrapper conversionProblem = new ReadOnlyStringWrapper(this, "conversionProblem");
    private final ObjectProperty<DriftReport> latestDrift = new SimpleObjectProperty<>(this, "latestDrift");
    private final ObjectProperty<PlanResult> latestPlan = new SimpleObjectProperty<>(this, "latestPlan");
    private final IntegerProperty planSequenceLength = new SimpleIntegerProperty(this, "planSequenceLength", 128);
    private final IntegerProperty planBatch = new SimpleIntegerProperty(this, "planBatch", 1);
    private final ReadOnlyBooleanWrapper loading = new ReadOnlyBooleanWrapper(this, "loading");
    private final ReadOnlyStringWrapper loadingWhat = new ReadOnlyStringWrapper(this, "loadingWhat");
    private final ObservableList<String> recentModels = FXCollections.observableArrayList();
    private final ObjectProperty<ChipProfiles> chips = new SimpleObjectProperty<>(this, "chipProfiles");
    private final ObservableList<String> chipNames = FXCollections.observableArrayList();
    private final StringProperty chipName = new SimpleStringProperty(this, "chipName");
    private final ObjectProperty<Double> bufferOverrideMb = new SimpleObjectProperty<>(this, "bufferOverrideMb");
    private final ObjectBinding<ChipProfile> chip;
    private final StringProperty requestedArea = new SimpleStringProperty(this, "requestedArea");
    private final ObjectProperty<Conversion> pinned = new SimpleObjectProperty<>(this, "pinned");
    private final StringProperty selectedOp = new SimpleStringProperty(this, "selectedOp");
    private Supplier<HubClient> hubFactory = HubClient::fromEnvironment;
    private HubClient hub;
    private volatile Engine engine;
    private JobView<Loaded> loadJob;

    /** What a load produced, built off the FX thread. */
    private record Loaded(LoadedModel model, ModelInfo info, Engine engine) { }

    /**
     * Per model: the engine's session (the one owner of the model's executors: the original's, recent conversions',
     * and the reference runs per input, so a block-size change costs one converted pass) and the last prepared sample.
     */
    private static final class Engine {
        final LoadedModel model;
        final ModelSession session;
        private List<String> batchTexts;
        private TextInputs.Fitted batch;
        private SampleInput.Prepared sample;

        Engine(LoadedModel model) {
            this.model = model;
            this.session = ModelSession.of(model);
        }

        synchronized Batch batch(List<String> texts) {
            return fitted(texts).batch();
        }

        private TextInputs.Fitted fitted(List<String> texts) {
            if (!texts.equals(batchTexts)) {
                batch = SampleInput.fit(model, texts);
                batchTexts = List.copyOf(texts);
            }
            return batch;
        }

        synchronized SampleInput.Prepared sample(SampleInput input) {
            if (sample == null || !sample.input().equals(input)) {
                // Texts go through the same cache as batch(texts), so Drift's reference run is reused either way.
                if (input instanceof SampleInput.Texts && !model.hasTokenizer()) {
                    // A model without a tokenizer (a random-weight one) is measured on the engine's fixed ids.
                    Batch ids = session.convert(Conversion.ORIGINAL).sampleInput();
                    sample = new SampleInput.Prepared(input, ids, "no tokenizer: the built-in " + ids.seq()
                            + "-token id sequence");
                } else {
                    sample = input instanceof SampleInput.Texts t
                            ? new SampleInput.Prepared(input, batch(t.texts()),
                                    SampleInput.describe(t.texts(), fitted(t.texts())))
                            : input.prepare(model);
                }
            }
            return sample;
        }
    }

    public Session(SettingsStore settings, FxJobs jobs) {
        this.settings = settings;
        this.jobs = jobs;
        recentModels.setAll(settings.get().recentModels());
        ChipProfiles loaded;
        try {
            loaded = ChipProfiles.load();
        } catch (AnewbException e) {
            // A broken user chips.json must not stop the app: plan with the bundled profiles.
            loaded = ChipProfiles.bundled();
        }
        chips.set(loaded);
        chipNames.setAll(loaded.names());
        String saved = settings.get().chip();
        chipName.set(loaded.names().stream().filter(n -> n.equalsIgnoreCase(saved)).findFirst()
                .orElse(loaded.names().contains("A15") ? "A15" : loaded.names().getFirst()));
        bufferOverrideMb.set(settings.get().bufferMb());
        chipName.addListener((obs, old, now) -> {
            if (now == null || !chips.get().all().containsKey(now)) chipName.set(old);
            else settings.update(s -> s.withChip(now, bufferOverrideMb.get()));
        });
        bufferOverrideMb.addListener((obs, old, now) -> {
            if (now != null && !(now > 0)) bufferOverrideMb.set(old);
            else settings.update(s -> s.withChip(chipName.get(), now));
        });
        chip = Bindings.createObjectBinding(() -> {
            ChipProfile c = chips.get().all().get(chipName.get());
            return bufferOverrideMb.get() == null ? c : c.withBufferMb(bufferOverrideMb.get());
        }, chipName, bufferOverrideMb, chips);
        model.addListener((obs, old, now) -> {
            pinned.set(null);
            selectedOp.set(null);
            // The old model's conversion goes first: no listener of the sample input below may pair it with the new
            // model's input (Drift once ran llama-tiny's conversion on vit-tiny's image). reconvert() sets the new one.
            converted.set(null);
            // A new kind of model (an image model after a text model) starts from its built-in sample.
            ModelKind kind = ModelKind.of(now);
            if (kind != null && !sampleInput.get().fits(kind)) {
                sampleInput.set(SampleInput.defaultFor(kind, sampleTexts.get()));
            }
            reconvert();
        });
        // The texts and the input say the same thing while the input is texts; the input is what Drift reads.
        sampleTexts.addListener((obs, old, now) -> {
            if (sampleInput.get() instanceof SampleInput.Texts t && !t.texts().equals(now)) {
                sampleInput.set(new SampleInput.Texts(now));
            }
        });
        sampleInput.addListener((obs, old, now) -> {
            if (now instanceof SampleInput.Texts t && !t.texts().equals(sampleTexts.get())) sampleTexts.set(t.texts());
            // INT8 activations are calibrated on the sample: a new one gives them new scales
            if (model.get() != null && conversion.get().quantizesActivations()) reconvert();
        });
        conversion.addListener((obs, old, now) -> reconvert());
    }

    /**
     * Loads {@code reference} (folder, Hub id, .anepkg, bundled:NAME) as a job; the current model stays until it is
     * ready.
     */
    public JobView<?> load(String reference) {
        if (loadJob != null) loadJob.cancel();
        loading.set(true);
        loadingWhat.set(reference);
        JobView<Loaded> job = jobs.submit("Load " + reference, ctx -> {
            ModelRef ref = ModelRef.parse(reference);
            if (ref.kind() == ModelRef.Kind.FOLDER || ref.kind() == ModelRef.Kind.HUB) {
                // Refuse a model too large for this JVM from its config alone, before any weight is mapped or
                // downloaded.
                try (LoadedModel shape = ModelLoader.load(ref, ctx.slice(0, 0.1), false)) {
                    MemoryBudget.check(shape.graph(), reference);
                }
            }
            LoadedModel m = ModelLoader.load(ref, ctx, true);
            try {
                ctx.progress(0.9, "reading the model card");
                return new Loaded(m, ModelInfo.of(m), new Engine(m));
            } catch (RuntimeException e) {
                m.close();
                throw e;
            }
        }, loaded -> {
            LoadedModel old = model.get();
            engine = loaded.engine();
            info.set(loaded.info());
            model.set(loaded.model());
            settings.update(s -> s.withRecentModel(reference));
            recentModels.setAll(settings.get().recentModels());
            // Jobs still reading the old model were cancelled or finish on their own copy of the state.
            if (old != null && old != loaded.model()) old.close();
        });
        loadJob = job;
        job.stateProperty().addListener((obs, o, state) -> {
            if (job == loadJob && job.isDone()) {
                loading.set(false);
                loadJob = null;
            }
        });
        return job;
    }

    private void reconvert() {
        LoadedModel m = model.get();
        if (m == null) {
            converted.set(null);
            conversionProblem.set(null);
            return;
        }
        if (m.isPackage()) {
            converted.set(null);
            conversionProblem.set("This is a converted package: open its source model to change the conversion.");
            return;
        }
        Conversion c = conversion.get();
        if (calibration != null) calibration.cancel();
        calibration = null;
        if (c.quantizesActivations()) {
            calibrate(c);
            return;
        }
        try {
            // A graph rewrite only (no weights touched): cheap enough for the FX thread.
            converted.set(engine.session.convert(c));
            conversionProblem.set(null);
        } catch (AnewbException e) {
            conversionProblem.set(e.getMessage());
        }
    }

    /**
     * INT8 activations need their scales: the FP32 original runs once on the sample input Drift measures on (the
     * user's texts, image or audio), off the FX thread; the areas follow when the calibrated model is set.
     */
    private void calibrate(Conversion c) {
        Engine e = engine;
        SampleInput input = sampleInput.get();
        try {
            c.validate();
        } catch (AnewbException ex) {
            conversionProblem.set(ex.getMessage());
            return;
        }
        JobView<ConvertedModel> job = jobs.submit("Calibrate INT8 activations", ctx -> {
            ctx.progress(0, "running the original on the sample input");
            return convert(e, input, c);
        }, m -> {
            if (engine == e && c.equals(conversion.get()) && input.equals(sampleInput.get())) {
                converted.set(m);
                conversionProblem.set(null);
            }
        });
        job.stateProperty().addListener((obs, o, state) -> {
            if (state == Worker.State.FAILED && job == calibration && job.exception() != null) {
                conversionProblem.set("INT8 activations could not be calibrated: " + job.exception().getMessage());
            }
        });
        calibration = job;
    }

    private JobView<ConvertedModel> calibration;

    /**
     * {@code c} converted by the model's session; INT8 activations are calibrated on {@code input}, the sample Drift
     * measures on, first (an FP32 run of it when the sample is new to the session). Off the FX thread for those.
     */
    private static ConvertedModel convert(Engine e, SampleInput input, Conversion c) {
        if (c.quantizesActivations()) e.session.calibrateOn(e.sample(input).batch(), null);
        return e.session.convert(c);
    }

    public FxJobs jobs() { return jobs; }

    public SettingsStore settings() { return settings; }

    public ReadOnlyObjectProperty<LoadedModel> modelProperty() { return model.getReadOnlyProperty(); }

    public LoadedModel model() { return model.get(); }

    /** The model card facts of the loaded model, or null. */
    public ReadOnlyObjectProperty<ModelInfo> infoProperty() { return info.getReadOnlyProperty(); }

    public ObjectProperty<Conversion> conversionProperty() { return conversion; }

    public Conversion conversion() { return conversion.get(); }

    /** The texts Drift measures on and Export's report describes; never empty. */
    public ObjectProperty<List<String>> sampleTextsProperty() { return sampleTexts; }

    public List<String> sampleTexts() { return sampleTexts.get(); }

    /**
     * The input Drift measures on: texts for text models, an image or audio file (or the built-in sample) for
     * vision and speech models. Reset to the built-in sample when a model of another kind is loaded.
     */
    public ObjectProperty<SampleInput> sampleInputProperty() { return sampleInput; }

    public SampleInput sampleInput() { return sampleInput.get(); }

    /** The kind of the loaded model, or null. */
    public ModelKind kind() { return ModelKind.of(model.get()); }

    /**
     * {@code input} prepared for the loaded model (decoded, preprocessed, tokenized), cached per input so the
     * drift analysis reuses its reference run. Off the FX thread.
     */
    public SampleInput.Prepared sample(SampleInput input) {
        Engine e = engine;
        if (e == null) throw new AnewbException("no model loaded");
        return e.sample(input);
    }

    /**
     * The loaded model converted with the current {@link #conversionProperty()}; null without a model or for a package.
     */
    public ReadOnlyObjectProperty<ConvertedModel> convertedProperty() { return converted.getReadOnlyProperty(); }

    public ConvertedModel converted() { return converted.get(); }

    /** Why there is no converted model (a bad regex, a package), or null. */
    public ReadOnlyStringProperty conversionProblemProperty() { return conversionProblem.getReadOnlyProperty(); }

    /** The last drift report the Drift area measured (Export writes it into the report). */
    public ObjectProperty<DriftReport> latestDriftProperty() { return latestDrift; }

    /**
     * The last plan the Memory area made of the session's conversion (a report can include it); null until Memory
     * planned one.
     */
    public ObjectProperty<PlanResult> latestPlanProperty() { return latestPlan; }

    /** Sequence length the planner areas are asked to plan for ({@link #planLength()} is what they plan). */
    public IntegerProperty planSequenceLengthProperty() { return planSequenceLength; }

    /** The length the planner areas plan the loaded model at, and why it differs from the one asked; null if none. */
    public PlanLength planLength() {
        LoadedModel m = model.get();
        return m == null ? null : PlanLength.of(m.graph(), planSequenceLength.get());
    }

    /**
     * The configuration pinned for comparison, or null: Drift, Memory and Run show it beside the current one with
     * their differences (and a report can name it). Cleared when another model loads.
     */
    public ObjectProperty<Conversion> pinnedProperty() { return pinned; }

    /** Pins the current conversion (Compare on). */
    public void pin() { pinned.set(conversion.get()); }

    /** The pinned configuration converted, or null: {@link #convertedFor} of the pin (off the FX thread). */
    public ConvertedModel pinnedConverted() {
        return convertedFor(pinned.get());
    }

    /**
     * {@code c} converted for the loaded model (a graph rewrite, cached by the model's session), or null without a
     * model, for a package or a conversion it refuses. Off the FX thread when {@code c} has INT8 activations: their
     * first conversion after a new sample calibrates (one FP32 run of the sample).
     */
    public ConvertedModel convertedFor(Conversion c) {
        Engine e = engine;
        if (e == null || c == null || e.model.isPackage()) return null;
        try {
            return convert(e, sampleInput.get(), c);
        } catch (AnewbException ex) {
            return null;
        }
    }

    /**
     * The op chosen anywhere (a node of the graph view, an op of Memory's table), by its name in the converted graph
     * ({@code layers.3.q}); the other areas follow it to their own view of that op: its layer in Drift, its row in
     * Memory, its tensor in Layout, its weight in Weights. Null for none.
     */
    public StringProperty selectedOpProperty() { return selectedOp; }

    /** Batch size the planner areas plan for. */
    public IntegerProperty planBatchProperty() { return planBatch; }

    public ReadOnlyBooleanProperty loadingProperty() { return loading.getReadOnlyProperty(); }

    /** The reference being loaded. */
    public ReadOnlyStringProperty loadingWhatProperty() { return loadingWhat.getReadOnlyProperty(); }

    /** Recently opened model references, most recent first. */
    public ObservableList<String> recentModels() { return recentModels; }

    /** True when drift can be measured: a source model with weights is loaded (not a package, not a config). */
    public boolean canMeasureDrift() {
        Engine e = engine;
        return e != null && e.model.hasWeights() && !e.model.isPackage();
    }

    /** "BERT · 22.6M params" for the header. */
    public static String headerDetails(ModelInfo i) {
        String type = i.modelType() == null ? i.architecture() : i.modelType().toUpperCase(Locale.ROOT);
        return type + " · " + ModelInfo.humanCount(i.parameters()) + " params";
    }

    /** Every chip profile: the bundled ones merged with the user's chips.json. */
    public ChipProfiles chipProfiles() { return chips.get(); }

    /** The chip profile names, in file order; they change when the user saves a calibrated profile. */
    public ObservableList<String> chipNames() { return FXCollections.unmodifiableObservableList(chipNames); }

    /**
     * Replaces the profiles with {@code profiles} (read again off the FX thread after the user saved one) and
     * selects {@code select} when it is among them. FX thread.
     */
    public void useChipProfiles(ChipProfiles profiles, String select) {
        chips.set(profiles);
        chipNames.setAll(profiles.names());
        if (select != null && profiles.all().containsKey(select)) chipName.set(select);
    }

    /**
     * Name of the chip profile the planner areas plan for (a key of {@link #chipProfiles()}); remembered in the
     * settings.
     */
    public StringProperty chipNameProperty() { return chipName; }

    /** The on-chip buffer override in MB (null: the profile's own figure); remembered in the settings. */
    public ObjectProperty<Double> bufferOverrideMbProperty() { return bufferOverrideMb; }

    /**
     * The chosen profile with the buffer override applied: what the planner is given and what a sources popover lists.
     */
    public ObjectBinding<ChipProfile> chipProperty() { return chip; }

    public ChipProfile chip() { return chip.get(); }

    /** The chosen profile as shipped (no buffer override): its own buffer figure and source. */
    public ChipProfile baseChip() { return chips.get().all().get(chipName.get()); }

    /**
     * An area asks the shell to show another one by its key ("memory"); the shell selects it and clears this.
     * Areas never reach the shell directly.
     */
    public StringProperty requestedAreaProperty() { return requestedArea; }

    /** The Hub client (built from the environment on first use unless a test injected one). */
    public synchronized HubClient hubClient() {
        if (hub == null) hub = hubFactory.get();
        return hub;
    }

    /** Replaces how the Hub client is built (tests point it at an in-process fake); the next use builds a new one. */
    public synchronized void setHubClientFactory(Supplier<HubClient> factory) {
        hubFactory = factory;
        hub = null;
    }

    /** Drops the Hub client so the next use reads the environment and token file again (a token was stored). */
    public synchronized void resetHubClient() { hub = null; }

    /** Closes the loaded model (window closed). */
    public void close() {
        if (loadJob != null) loadJob.cancel();
        LoadedModel m = model.get();
        if (m != null) m.close();
    }
}

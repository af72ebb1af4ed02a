package dev.anewb.app.conversion;

import dev.anewb.AnewbException;
import dev.anewb.ane.ChipProfile;
import dev.anewb.app.run.MediaPictures;
import dev.anewb.app.session.ConversionNames;
import dev.anewb.app.session.ModelKind;
import dev.anewb.app.session.PlanLength;
import dev.anewb.app.session.SampleInput;
import dev.anewb.app.session.Session;
import dev.anewb.convert.coreml.CoreMlBlockSizes;
import dev.anewb.io.ImagePreprocessor;
import dev.anewb.io.LoadedModel;
import dev.anewb.model.Conversion;
import dev.anewb.model.FeatureTensor;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.WeightInfo;
import dev.anewb.model.WeightRole;
import dev.anewb.quant.BlockQuantizer;
import javafx.beans.Observable;
import javafx.beans.binding.Bindings;
import javafx.beans.binding.StringBinding;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ListChangeListener;
import javafx.collections.ObservableList;
import javafx.scene.image.Image;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.regex.PatternSyntaxException;

/**
 * The conversion panel's state: one property per control. Every change builds a {@link Conversion}, checks it
 * with {@link Conversion#validate} and, when valid, puts it into the {@link Session}; an invalid one leaves the
 * session alone and sets {@link #errorProperty()} to the engine's message, which the panel shows inline.
 */
public final class ConversionViewModel {
    public static final List<Integer> BLOCK_PRESETS = List.of(32, 64, 128, 256);
    public static final int MIN_BLOCK = BlockQuantizer.MIN_BLOCK_SIZE;

    private final Session session;
    private final ObjectProperty<Conversion.Precision> precision = new SimpleObjectProperty<>(this, "precision");
    private final BooleanProperty int8 = new SimpleBooleanProperty(this, "int8");
    private final IntegerProperty blockSize = new SimpleIntegerProperty(this, "blockSize");
    private final BooleanProperty perChannel = new SimpleBooleanProperty(this, "perChannel");
    private final BooleanProperty symmetric = new SimpleBooleanProperty(this, "symmetric");
    private final BooleanProperty activations = new SimpleBooleanProperty(this, "activations");
    private final ReadOnlyStringWrapper coreMlHint = new ReadOnlyStringWrapper(this, "coreMlHint", "");
    /** The block sizes Core ML can express for the loaded model's projections (null: no model or a package). */
    private CoreMlBlockSizes coreMlSizes;
    private LoadedModel coreMlModel;
    private final ObjectProperty<Conversion.Layout> layout = new SimpleObjectProperty<>(this, "layout");
    private final IntegerProperty chunkWindow = new SimpleIntegerProperty(this, "chunkWindow");
    private final IntegerProperty chunkOverlap = new SimpleIntegerProperty(this, "chunkOverlap");
    private final ObservableList<OverrideRule> overrides = FXCollections.observableArrayList();
    private final StringProperty sampleText = new SimpleStringProperty(this, "sampleText");
    private final ReadOnlyStringWrapper error = new ReadOnlyStringWrapper(this, "error");
    private final StringBinding problem;
    private final ReadOnlyObjectWrapper<ModelKind> kind = new ReadOnlyObjectWrapper<>(this, "kind");
    private final ReadOnlyObjectWrapper<Image> sampleThumbnail = new ReadOnlyObjectWrapper<>(this, "sampleThumbnail");
    private final ReadOnlyStringWrapper sampleDescription = new ReadOnlyStringWrapper(this, "sampleDescription", "");
    private long sampleShown;
    /** True while {@link #show} sets the controls from the session. */
    private boolean showing;

    private final ObservableList<String> weightNames = FXCollections.observableArrayList();
    private final ReadOnlyStringWrapper overridePrompt = new ReadOnlyStringWrapper(this, "overridePrompt", "");
    private final ReadOnlyStringWrapper overrideNote = new ReadOnlyStringWrapper(this, "overrideNote", "");
    private final ReadOnlyStringWrapper planNote = new ReadOnlyStringWrapper(this, "planNote", "");
    private final ReadOnlyStringWrapper pinnedText = new ReadOnlyStringWrapper(this, "pinnedText", "");
    private final BooleanProperty pinned = new SimpleBooleanProperty(this, "pinned");

    /** A prepared sample as the panel shows it, or why the file could not be used. */
    private record SamplePreview(String description, Image thumbnail, String error) { }

    public ConversionViewModel(Session session) {
        this.session = session;
        show(session.conversion());
        sampleText.set(String.join("\n", session.sampleTexts()));
        Observable[] controls = {precision, int8, blockSize, perChannel, symmetric, layout, chunkWindow, chunkOverlap,
                overrides, activations};
        for (Observable o : controls) {
            o.addListener(x -> { if (!showing) apply(); });
            o.addListener(x -> updateCoreMlHint());
        }
        // Another area applied a configuration (a sweep point, the per-channel alternative): the controls follow.
        session.conversionProperty().addListener((obs, old, now) -> {
            if (now != null && !now.equals(toConversion())) {
                show(now);
                error.set(null);
            }
        });
        sampleText.addListener((obs, old, now) -> applyTexts(now));
        kind.set(ModelKind.of(session.model()));
        session.modelProperty().addListener((obs, old, now) -> {
            kind.set(ModelKind.of(now));
            showWeights(now);
            updateCoreMlHint();
        });
        showWeights(session.model());
        updateCoreMlHint();
        overrides.addListener((ListChangeListener<OverrideRule>) c -> updateOverrideNote());
        for (Observable o : new Observable[]{session.planSequenceLengthProperty(), session.modelProperty()}) {
            o.addListener(x -> updatePlanNote());
        }
        updatePlanNote();
        session.pinnedProperty().subscribe(p -> {
            pinned.set(p != null);
            pinnedText.set(p == null ? "" : "Pinned: " + ConversionNames.describe(p)
                    + " (Drift, Memory and Run show it beside the current one)");
        });
        pinned.addListener((obs, was, on) -> {
            if (on && session.pinnedProperty().get() == null) session.pin();
            if (!on) session.pinnedProperty().set(null);
        });
        session.sampleInputProperty().addListener((obs, old, now) -> showSample(now));
        showSample(session.sampleInput());
        // The engine's own complaints (a pattern that is not a regex) arrive through the session.
        problem = Bindings.createStringBinding(
                () -> error.get() != null ? error.get() : session.conversionProblemProperty().get(),
                error, session.conversionProblemProperty());
    }

    /** Sets every control to {@code c} without pushing each intermediate state into the session. */
    private void show(Conversion c) {
        showing = true;
        try {
            precision.set(c.precision());
            int8.set(c.int8());
            perChannel.set(c.blockSize() == BlockQuantizer.PER_CHANNEL);
            if (!perChannel.get()) blockSize.set(c.blockSize());
            else if (blockSize.get() == 0) blockSize.set(Conversion.ANE_DEFAULT.blockSize());
            symmetric.set(c.symmetric());
            activations.set(c.quantizesActivations());
            layout.set(c.layout());
            chunkWindow.set(c.chunkWindow());
            chunkOverlap.set(c.chunkOverlap());
            List<OverrideRule> rules = new ArrayList<>();
            for (String k : c.keepFp16()) rules.add(new OverrideRule(k, null));
            c.blockOverrides().forEach((k, v) -> rules.add(new OverrideRule(k, v)));
            if (!rules.equals(overrides)) overrides.setAll(rules);
        } finally {
            showing = false;
        }
    }

    /** The loaded model's projection weights: the names per-layer overrides are matched against. */
    private void showWeights(LoadedModel m) {
        List<String> names = m == null ? List.of() : m.graph().weights().values().stream()
                .filter(w -> w.role() == WeightRole.PROJECTION).map(WeightInfo::name).toList();
        weightNames.setAll(names);
        overridePrompt.set(m == null ? "" : promptFor(m.graph(), names));
        updateOverrideNote();
    }

    /**
     * An example regex that matches this model's last layer ("encoder\.layer\.5\." for BERT,
     * "model\.layers\.15\." for Llama), so the placeholder is a pattern that works here.
     */
    static String promptFor(ModelGraph graph, List<String> names) {
        // Whisper counts its encoder and decoder layers together; its names number each stack from 0.
        for (int layer = graph.layerCount() - 1; layer >= 0; layer--) {
            String mark = "." + layer + ".";
            for (int i = names.size() - 1; i >= 0; i--) {
                int at = names.get(i).lastIndexOf(mark);
                if (at >= 0) return names.get(i).substring(0, at + mark.length()).replace(".", "\\.");
            }
        }
        return names.isEmpty() ? "" : names.getFirst().replace(".", "\\.");
    }

    /** How many of the loaded model's projection weights {@code pattern} finds (−1: not a regex). */
    public int matchCount(String pattern) {
        try {
            Pattern p = Pattern.compile(pattern);
            return (int) weightNames.stream().filter(n -> p.matcher(n).find()).count();
        } catch (PatternSyntaxException e) {
            return -1;
        }
    }

    /**
     * Weight names of the loaded model containing {@code typed} (dots may be typed escaped or not), as regexes that
     * match them: what the pattern field offers while typing.
     */
    public List<String> suggestions(String typed) {
        String t = typed == null ? "" : typed.replace("\\.", ".").toLowerCase(Locale.ROOT).strip();
        if (t.isEmpty()) return List.of();
        return weightNames.stream().filter(n -> n.toLowerCase(Locale.ROOT).contains(t)).limit(12)
                .map(n -> n.replace(".", "\\.")).toList();
    }

    private void updateOverrideNote() {
        List<String> none = new ArrayList<>();
        for (OverrideRule r : overrides) if (matchCount(r.pattern()) == 0) none.add("\"" + r.pattern() + "\"");
        overrideNote.set(overrides.isEmpty() || weightNames.isEmpty() ? ""
                : none.isEmpty() ? overrides.size() + (overrides.size() == 1 ? " override" : " overrides")
                        + " in effect"
                : String.join(", ", none) + (none.size() == 1 ? " matches" : " match")
                        + " no projection weight of this model: no effect");
    }

    /**
     * Core ML needs whole blocks ({@link CoreMlBlockSizes}): while the block size, or an override's, does not divide a
     * projection's input channels the panel says so, with the sizes that do, as the export would refuse it.
     */
    private void updateCoreMlHint() {
        LoadedModel m = session.model();
        if (m != coreMlModel) {
            // the original graph's projections: what the converter quantizes
            coreMlSizes = m == null || m.isPackage() ? null : CoreMlBlockSizes.of(m.graph());
            coreMlModel = m;
        }
        if (coreMlSizes == null || !int8.get()) {
            coreMlHint.set("");
            return;
        }
        List<Integer> bad = new ArrayList<>();
        if (!perChannel.get() && blockSize.get() >= MIN_BLOCK && !coreMlSizes.valid(blockSize.get())) {
            bad.add(blockSize.get());
        }
        for (OverrideRule r : overrides) {
            Integer b = r.blockSize();
            if (b != null && b >= MIN_BLOCK && !coreMlSizes.valid(b) && !bad.contains(b)) bad.add(b);
        }
        coreMlHint.set(bad.isEmpty() ? "" : "Core ML export needs whole blocks: block size "
                + bad.stream().map(String::valueOf).collect(Collectors.joining(", "))
                + " does not divide every projection's input channels. Valid for this model: "
                + coreMlSizes.describe());
    }

    private void updatePlanNote() {
        PlanLength l = session.planLength();
        planNote.set(l == null || l.note().isEmpty() ? "" : "Planned at " + l.caption());
    }

    /** The Conversion the controls describe (not yet validated). */
    public Conversion toConversion() {
        List<String> keep = new ArrayList<>();
        Map<String, Integer> blocks = new LinkedHashMap<>();
        for (OverrideRule r : overrides) {
            if (r.keepFp16()) keep.add(r.pattern());
            else blocks.put(r.pattern(), r.blockSize());
        }
        int block = perChannel.get() ? BlockQuantizer.PER_CHANNEL : blockSize.get();
        return new Conversion(layout.get(), precision.get(), int8.get(), block, symmetric.get(), keep, blocks,
                chunkWindow.get(), chunkOverlap.get(),
                activations.get() ? Conversion.Activations.INT8 : Conversion.Activations.NONE);
    }

    private void apply() {
        Conversion c = toConversion();
        try {
            c.validate();
            for (Map.Entry<String, Integer> e : c.blockOverrides().entrySet()) {
                if (e.getValue() < MIN_BLOCK) {
                    throw AnewbException.usage("block size " + e.getValue() + " for \"" + e.getKey() + "\" is below "
                            + MIN_BLOCK);
                }
            }
            error.set(null);
            session.conversionProperty().set(c);
        } catch (AnewbException e) {
            error.set(e.getMessage());
        }
    }

    private void applyTexts(String text) {
        List<String> texts = text == null ? List.of()
                : Arrays.stream(text.split("\\R")).map(String::strip).filter(s -> !s.isEmpty()).toList();
        if (texts.isEmpty()) {
            error.set("enter at least one sample text (one per line)");
            return;
        }
        if (error.get() != null && error.get().startsWith("enter at least one sample text")) error.set(null);
        session.sampleTextsProperty().set(texts);
    }

    /**
     * Uses {@code input} (an image or audio file, or the built-in sample) as the sample Drift measures on, once it
     * has been read and preprocessed: a file the engine cannot use leaves the current sample and sets
     * {@link #errorProperty()} to the engine's message, which names the file. FX thread.
     */
    public void chooseSample(SampleInput input) {
        if (session.model() == null) return;
        Object name = input instanceof SampleInput.Image i && i.file() != null ? i.file().getFileName()
                : input instanceof SampleInput.Audio a && a.file() != null ? a.file().getFileName()
                : "the built-in sample";
        sampleDescription.set("reading " + name + "…");
        long mine = ++sampleShown;
        session.jobs().submit("Read sample input", ctx -> preview(input), p -> {
            if (mine != sampleShown) return;
            if (p.error() != null) {
                error.set(p.error());
                showSample(session.sampleInput());
                return;
            }
            if (error.get() != null && error.get().equals(lastSampleError)) error.set(null);
            session.sampleInputProperty().set(input);
            show(p);
        });
    }

    private volatile String lastSampleError;

    private SamplePreview preview(SampleInput input) {
        try {
            SampleInput.Prepared p = session.sample(input);
            Image thumb = null;
            if (input instanceof SampleInput.Image) {
                FeatureTensor px = p.batch().feature(ModelGraph.PIXEL_VALUES);
                int h = (int) px.shape()[2], w = (int) px.shape()[3];
                ImagePreprocessor preprocessor = ImagePreprocessor.forModel(session.model().folder(), h, w, m -> { });
                thumb = MediaPictures.pixelValues(px, preprocessor);
            }
            return new SamplePreview(p.description(), thumb, null);
        } catch (AnewbException e) {
            lastSampleError = e.getMessage();
            return new SamplePreview(null, null, e.getMessage());
        }
    }

    /**
     * Shows the session's current sample (texts need no preview; media are read off the FX thread, from the session's
     * cache).
     */
    private void showSample(SampleInput input) {
        long mine = ++sampleShown;
        boolean media = !(input instanceof SampleInput.Texts);
        if (!media || session.model() == null || !input.fits(ModelKind.of(session.model()))) {
            show(new SamplePreview("", null, null));
            return;
        }
        session.jobs().submit("Read sample input", ctx -> preview(input), p -> {
            if (mine == sampleShown) show(p);
        });
    }

    private void show(SamplePreview p) {
        sampleDescription.set(p.error() != null ? p.error() : p.description());
        sampleThumbnail.set(p.thumbnail());
    }

    /** The loaded model's kind: texts, an image or audio as the sample input. */
    public ReadOnlyObjectProperty<ModelKind> kindProperty() { return kind.getReadOnlyProperty(); }

    /** The sample image as the model sees it (preprocessed), or null for texts and audio. */
    public ReadOnlyObjectProperty<Image> sampleThumbnailProperty() { return sampleThumbnail.getReadOnlyProperty(); }

    /** "speech.wav · 3.2 s", "cat.png", the built-in sample; empty for texts. */
    public ReadOnlyStringProperty sampleDescriptionProperty() { return sampleDescription.getReadOnlyProperty(); }

    /** Sets a preset block size (and leaves per-channel). */
    public void choosePreset(int block) {
        perChannel.set(false);
        blockSize.set(block);
    }

    /** Adds a per-layer override; false with {@link #errorProperty()} set when the input is not one. */
    public boolean addOverride(String pattern, String setting) {
        try {
            overrides.add(OverrideRule.parse(pattern, setting));
            return true;
        } catch (IllegalArgumentException e) {
            error.set(e.getMessage());
            return false;
        }
    }

    public ObjectProperty<Conversion.Precision> precisionProperty() { return precision; }

    public BooleanProperty int8Property() { return int8; }

    /** INT8 block size along the input axis; ignored while {@link #perChannelProperty()} is on. */
    public IntegerProperty blockSizeProperty() { return blockSize; }

    public BooleanProperty perChannelProperty() { return perChannel; }

    public BooleanProperty symmetricProperty() { return symmetric; }

    /** W8A8: static per-tensor INT8 inputs of the quantized projections, calibrated on the sample input. */
    public BooleanProperty activationsProperty() { return activations; }

    /** Why the current block size cannot be exported to Core ML, with the sizes that can; "" when it can. */
    public ReadOnlyStringProperty coreMlHintProperty() { return coreMlHint.getReadOnlyProperty(); }

    public ObjectProperty<Conversion.Layout> layoutProperty() { return layout; }

    /** 0 = chunking off. */
    public IntegerProperty chunkWindowProperty() { return chunkWindow; }

    public IntegerProperty chunkOverlapProperty() { return chunkOverlap; }

    public ObservableList<OverrideRule> overrides() { return overrides; }

    /** Sample input texts, one per line. */
    public StringProperty sampleTextProperty() { return sampleText; }

    /** The panel's own validation message, or null. */
    public ReadOnlyStringProperty errorProperty() { return error.getReadOnlyProperty(); }

    /** What to show inline: the panel's message, else the engine's, else null. */
    public StringBinding problemBinding() { return problem; }

    public IntegerProperty planSequenceLengthProperty() { return session.planSequenceLengthProperty(); }

    /** What the planner really plans when it differs from the length asked (a ViT's fixed tokens, a context). */
    public ReadOnlyStringProperty planNoteProperty() { return planNote.getReadOnlyProperty(); }

    /** The loaded model's projection weight names. */
    public ObservableList<String> weightNames() { return weightNames; }

    /** A pattern that matches this model's last layer: the override field's placeholder. */
    public ReadOnlyStringProperty overridePromptProperty() { return overridePrompt.getReadOnlyProperty(); }

    /** Which overrides match nothing (they do nothing), or how many are in effect. */
    public ReadOnlyStringProperty overrideNoteProperty() { return overrideNote.getReadOnlyProperty(); }

    /** On: the current configuration is pinned for comparison (the session's). */
    public BooleanProperty pinnedProperty() { return pinned; }

    /** "Pinned: INT8 b128 · FP16 · BC1S …", or "". */
    public ReadOnlyStringProperty pinnedTextProperty() { return pinnedText.getReadOnlyProperty(); }

    public IntegerProperty planBatchProperty() { return session.planBatchProperty(); }

    /** Chip profile names (bundled A14…M4, then the user's own). */
    public ObservableList<String> chipNames() { return session.chipNames(); }

    public StringProperty chipNameProperty() { return session.chipNameProperty(); }

    /** On-chip buffer override in MB; null = the profile's own figure. */
    public ObjectProperty<Double> bufferOverrideMbProperty() { return session.bufferOverrideMbProperty(); }

    /** The profile's own buffer size in MB, shown when there is no override. */
    public double profileBufferMb() { return session.baseChip().bufferMb().value(); }

    /** The chosen chip profile with the buffer override (what the sources popover lists). */
    public ChipProfile chip() { return session.chip(); }
}

package dev.anewb.app.conversion;

import dev.anewb.app.chip.ChipSourcesPopover;
import dev.anewb.app.session.ModelKind;
import dev.anewb.app.session.SampleInput;
import dev.anewb.app.ui.Fxml;
import dev.anewb.app.ui.SpinnerBinding;
import dev.anewb.model.Conversion;
import javafx.beans.property.IntegerProperty;
import javafx.collections.ListChangeListener;
import javafx.css.PseudoClass;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.fxml.FXML;
import javafx.scene.Parent;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Control;
import javafx.scene.control.Label;
import javafx.scene.control.Slider;
import javafx.scene.control.Spinner;
import javafx.scene.control.SpinnerValueFactory;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.TextArea;
import javafx.scene.control.TextField;
import javafx.scene.control.TitledPane;
import javafx.scene.control.ToggleButton;
import javafx.scene.control.ToggleGroup;
import javafx.scene.control.Tooltip;
import javafx.scene.image.ImageView;
import javafx.scene.layout.HBox;
import javafx.scene.layout.VBox;
import javafx.stage.FileChooser;
import javafx.util.StringConverter;
import javafx.util.Subscription;
import org.controlsfx.control.textfield.TextFields;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleSupplier;

/** Controller of ConversionPanel.fxml: the always-visible conversion settings on the right. */
public final class ConversionPanel {
    private static final PseudoClass PROBLEM = PseudoClass.getPseudoClass("problem");
    private final ConversionViewModel viewModel;
    private final Parent root;
    private final List<Subscription> subscriptions = new ArrayList<>();

    @FXML private ToggleButton fp16;
    @FXML private ToggleButton fp32;
    @FXML private ToggleButton bc1s;
    @FXML private ToggleButton hf;
    @FXML private CheckBox int8;
    @FXML private CheckBox symmetric;
    @FXML private CheckBox perChannel;
    @FXML private CheckBox activations;
    @FXML private Label coreMlHint;
    @FXML private Spinner<Integer> blockSpinner;
    @FXML private Slider blockSlider;
    @FXML private HBox presets;
    @FXML private TableView<OverrideRule> overrideTable;
    @FXML private TableColumn<OverrideRule, String> patternColumn;
    @FXML private TableColumn<OverrideRule, String> settingColumn;
    @FXML private TableColumn<OverrideRule, String> matchColumn;
    @FXML private Label overrideNote;
    @FXML private Label planNote;
    @FXML private ToggleButton pin;
    @FXML private Label pinned;
    @FXML private TextField overridePattern;
    @FXML private ComboBox<String> overrideSetting;
    @FXML private Button addOverride;
    @FXML private Button removeOverride;
    @FXML private Spinner<Integer> chunkWindow;
    @FXML private Spinner<Integer> chunkOverlap;
    @FXML private Label problem;
    @FXML private Spinner<Integer> seqLength;
    @FXML private Spinner<Integer> batch;
    @FXML private TextArea sampleText;
    @FXML private ComboBox<String> chip;
    @FXML private Button chipSources;
    @FXML private Spinner<Double> bufferMb;
    @FXML private Label bufferHint;
    @FXML private TitledPane formatSection;
    @FXML private TitledPane int8Section;
    @FXML private TitledPane overridesSection;
    @FXML private TitledPane chunkingSection;
    @FXML private TitledPane sampleSection;
    @FXML private TitledPane planningSection;
    @FXML private VBox sampleMedia;
    @FXML private Button chooseSample;
    @FXML private Button builtInSample;
    @FXML private ImageView sampleThumbnail;
    @FXML private Label sampleDescription;

    private boolean syncingSlider;

    private static double log2(int v) { return Math.log(Math.max(1, v)) / Math.log(2); }

    public ConversionPanel(ConversionViewModel viewModel) {
        this.viewModel = viewModel;
        this.root = Fxml.load(this, "ConversionPanel.fxml");
    }

    @FXML private void initialize() {
        ToggleGroup precisionGroup = new ToggleGroup();
        fp16.setToggleGroup(precisionGroup);
        fp32.setToggleGroup(precisionGroup);
        fp16.setSelected(viewModel.precisionProperty().get() == Conversion.Precision.FP16);
        fp32.setSelected(!fp16.isSelected());
        precisionGroup.selectedToggleProperty().addListener((obs, old, now) -> {
            if (now == null) old.setSelected(true);   // one must stay chosen
            else viewModel.precisionProperty().set(now == fp16 ? Conversion.Precision.FP16 : Conversion.Precision.FP32);
        });
        ToggleGroup layoutGroup = new ToggleGroup();
        bc1s.setToggleGroup(layoutGroup);
        hf.setToggleGroup(layoutGroup);
        bc1s.setSelected(viewModel.layoutProperty().get() == Conversion.Layout.BC1S);
        hf.setSelected(!bc1s.isSelected());
        layoutGroup.selectedToggleProperty().addListener((obs, old, now) -> {
            if (now == null) old.setSelected(true);
            else viewModel.layoutProperty().set(now == bc1s ? Conversion.Layout.BC1S : Conversion.Layout.HF);
        });
        subscriptions.add(viewModel.precisionProperty()
                .subscribe(p -> (p == Conversion.Precision.FP16 ? fp16 : fp32).setSelected(true)));
        subscriptions.add(viewModel.layoutProperty()
                .subscribe(l -> (l == Conversion.Layout.BC1S ? bc1s : hf).setSelected(true)));

        int8.selectedProperty().bindBidirectional(viewModel.int8Property());
        symmetric.selectedProperty().bindBidirectional(viewModel.symmetricProperty());
        perChannel.selectedProperty().bindBidirectional(viewModel.perChannelProperty());
        symmetric.disableProperty().bind(int8.selectedProperty().not());
        perChannel.disableProperty().bind(int8.selectedProperty().not());
        activations.selectedProperty().bindBidirectional(viewModel.activationsProperty());
        coreMlHint.textProperty().bind(viewModel.coreMlHintProperty());
        coreMlHint.visibleProperty().bind(coreMlHint.textProperty().isNotEmpty());
        coreMlHint.managedProperty().bind(coreMlHint.visibleProperty());
        coreMlHint.pseudoClassStateChanged(PseudoClass.getPseudoClass("warning"), true);

        bindSpinner(blockSpinner, viewModel.blockSizeProperty(), ConversionViewModel.MIN_BLOCK, 1 << 16, 8);
        // The slider runs over powers of two, its labelled ticks the block sizes of the presets (8 … 512); the
        // spinner takes any value >= 8.
        blockSlider.setLabelFormatter(new StringConverter<>() {
            @Override public String toString(Double v) { return Integer.toString(1 << (int) Math.round(v)); }
            @Override public Double fromString(String s) { return Math.log(Double.parseDouble(s)) / Math.log(2); }
        });
        blockSlider.setValue(log2(viewModel.blockSizeProperty().get()));
        blockSlider.valueProperty().addListener((obs, old, now) -> {
            if (syncingSlider) return;
            int block = 1 << (int) Math.round(now.doubleValue());
            if (!blockSlider.isValueChanging() || block != viewModel.blockSizeProperty().get()) {
                viewModel.blockSizeProperty().set(block);
            }
        });
        subscriptions.add(viewModel.blockSizeProperty().subscribe(v -> {
            syncingSlider = true;
            try {
                blockSlider.setValue(Math.max(blockSlider.getMin(), Math.min(blockSlider.getMax(),
                        log2(v.intValue()))));
            } finally {
                syncingSlider = false;
            }
        }));
        for (int preset : ConversionViewModel.BLOCK_PRESETS) {
            Button b = new Button(Integer.toString(preset));
            b.setId("preset-" + preset);
            b.getStyleClass().addAll("small", "preset");
            b.setOnAction(e -> viewModel.choosePreset(preset));
            b.disableProperty().bind(int8.selectedProperty().not());
            b.setTooltip(new Tooltip("INT8 block size " + preset + ": one FP16 scale per " + preset
                    + " input weights"));
            presets.getChildren().add(b);
        }
        blockSpinner.disableProperty().bind(int8.selectedProperty().not().or(perChannel.selectedProperty()));
        blockSlider.disableProperty().bind(blockSpinner.disableProperty());

        patternColumn.setCellValueFactory(c -> new ReadOnlyStringWrapper(c.getValue().pattern()));
        settingColumn.setCellValueFactory(c -> new ReadOnlyStringWrapper(c.getValue().settingText()));
        matchColumn.setCellValueFactory(c -> {
            int n = viewModel.matchCount(c.getValue().pattern());
            return new ReadOnlyStringWrapper(n < 0 ? "bad regex" : n == 0 ? "none" : n + " weights");
        });
        overrideTable.setItems(viewModel.overrides());
        ListChangeListener<String> onWeights = c -> overrideTable.refresh();
        viewModel.weightNames().addListener(onWeights);
        subscriptions.add(() -> viewModel.weightNames().removeListener(onWeights));
        overrideTable.setPlaceholder(new Label("No overrides"));
        overrideTable.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN);
        overrideSetting.getItems().setAll("keep FP16", "32", "64", "128", "256");
        overrideSetting.setValue("keep FP16");
        overridePattern.promptTextProperty().bind(viewModel.overridePromptProperty());
        TextFields.bindAutoCompletion(overridePattern, r -> viewModel.suggestions(r.getUserText()));
        overrideNote.textProperty().bind(viewModel.overrideNoteProperty());
        overrideNote.visibleProperty().bind(overrideNote.textProperty().isNotEmpty());
        overrideNote.managedProperty().bind(overrideNote.visibleProperty());
        subscriptions.add(viewModel.overrideNoteProperty().subscribe(n ->
                overrideNote.pseudoClassStateChanged(PROBLEM, n.contains("no effect"))));
        addOverride.setOnAction(e -> {
            if (viewModel.addOverride(overridePattern.getText(), overrideSetting.getEditor().getText())) {
                overridePattern.clear();
            }
        });
        removeOverride.disableProperty().bind(overrideTable.getSelectionModel().selectedItemProperty().isNull());
        removeOverride.setOnAction(e ->
                viewModel.overrides().remove(overrideTable.getSelectionModel().getSelectedItem()));

        bindSpinner(chunkWindow, viewModel.chunkWindowProperty(), 0, 1 << 16, 16);
        bindSpinner(chunkOverlap, viewModel.chunkOverlapProperty(), 0, 1 << 16, 8);
        bindSpinner(seqLength, viewModel.planSequenceLengthProperty(), 1, 1 << 20, 64);
        bindSpinner(batch, viewModel.planBatchProperty(), 1, 1024, 1);

        planNote.textProperty().bind(viewModel.planNoteProperty());
        planNote.visibleProperty().bind(planNote.textProperty().isNotEmpty());
        planNote.managedProperty().bind(planNote.visibleProperty());
        pin.selectedProperty().bindBidirectional(viewModel.pinnedProperty());
        pinned.textProperty().bind(viewModel.pinnedTextProperty());
        pinned.visibleProperty().bind(pinned.textProperty().isNotEmpty());
        pinned.managedProperty().bind(pinned.visibleProperty());
        tip(pin, "Pin the current configuration: Drift, Memory and Run show it beside every later one, with the "
                + "differences");
        problem.textProperty().bind(viewModel.problemBinding());
        problem.visibleProperty().bind(viewModel.problemBinding().isNotNull());
        problem.managedProperty().bind(problem.visibleProperty());

        sampleText.textProperty().bindBidirectional(viewModel.sampleTextProperty());
        initSampleMedia();

        chip.setItems(viewModel.chipNames());
        chip.valueProperty().bindBidirectional(viewModel.chipNameProperty());
        chipSources.setOnAction(e -> ChipSourcesPopover.show(chipSources, viewModel.chip(), null));
        BufferMbFactory mb = new BufferMbFactory(viewModel::profileBufferMb);
        bufferMb.setValueFactory(mb);
        mb.valueProperty().bindBidirectional(viewModel.bufferOverrideMbProperty());
        SpinnerBinding.commitOnFocusLoss(bufferMb);
        subscriptions.add(viewModel.chipNameProperty().subscribe(n -> {
            bufferMb.getEditor().setPromptText(ChipSourcesNumbers.mb(viewModel.profileBufferMb()));
            bufferHint.setText("Empty buffer = " + n + "'s " + ChipSourcesNumbers.mb(viewModel.profileBufferMb())
                    + " MB (unpublished)");
        }));

        tip(fp16, "Store activations and float weights as FP16 at op boundaries, as the Neural Engine computes");
        tip(fp32, "Keep FP32 everywhere (no FP16 rounding): isolates the other causes of drift");
        tip(bc1s, "ANE layout (B, C, 1, S): 1x1-conv projections and per-head attention");
        tip(hf, "Hugging Face layout (B, S, C) as in transformers");
        tip(int8, "Quantize every projection weight to block INT8 (embeddings, norms and heads stay float)");
        tip(symmetric, "Symmetric INT8 (zero point 0) instead of asymmetric min/max");
        tip(perChannel, "One scale per output row instead of per block");
        tip(activations, "W8A8: the input of every quantized projection becomes static per-tensor symmetric INT8 "
                + "(scale = max|x|/127), calibrated on the sample input's FP32 run; the INT8 x INT8 path of A17 Pro, "
                + "M4 and later");
        tip(blockSpinner, "INT8 block size along the input axis: any value from 8; smaller blocks drift less and "
                + "store more scales");
        tip(blockSlider, "INT8 block size: powers of two from 8 to 512 (drag, or arrow keys); the spinner takes any "
                + "value from 8");
        tip(overrideTable, "Per-layer overrides: weights whose name matches the regex stay FP16 or get their "
                + "own block size");
        tip(overridePattern, "Regex searched in this model's projection weight names (suggested as you type); the "
                + "placeholder matches its last layer");
        tip(overrideSetting, "\"keep FP16\" or a block size for the matching weights");
        tip(addOverride, "Add the override");
        tip(removeOverride, "Remove the selected override");
        tip(chunkWindow, "Attention window W in tokens (0 = chunking off)");
        tip(chunkOverlap, "Overlap O between windows, 0 <= O < W");
        tip(seqLength, "Sequence length the Memory and Layout areas plan for");
        tip(batch, "Batch size the Memory and Layout areas plan for");
        tip(sampleText, "Texts Drift measures on, one per line; Run has its own input");
        tip(chip, "Chip profile Memory and Layout estimate for (A14…M4 and your own from chips.json)");
        tip(chipSources, "Every figure of the chip profile with its value, confidence and source");
        // The most used sections start open; the rest fold away so the panel fits 1280x800 without scrolling.
        tip(formatSection, "Numeric precision and tensor layout of the converted model");
        tip(int8Section, "Block INT8 weight quantization and its block size");
        tip(overridesSection, "Weights that stay FP16 or get their own block size, by name");
        tip(chunkingSection, "Windowed attention: the window and overlap every attention layer uses");
        tip(sampleSection, "What Drift measures on");
        tip(planningSection, "Sequence length, batch and chip the Memory and Layout areas plan for");
        tip(bufferMb, "On-chip buffer size in MB the planner fits working sets into; empty = the profile's figure "
                + "(unpublished by Apple)");
    }

    /** Texts for text models; an image or audio chooser with what was read for vision and speech models. */
    private void initSampleMedia() {
        subscriptions.add(viewModel.kindProperty().subscribe(kind -> {
            boolean media = kind == ModelKind.VISION || kind == ModelKind.SPEECH;
            sampleText.setVisible(!media);
            sampleText.setManaged(!media);
            sampleMedia.setVisible(media);
            sampleMedia.setManaged(media);
            sampleThumbnail.setVisible(kind == ModelKind.VISION);
            sampleThumbnail.setManaged(kind == ModelKind.VISION);
            sampleSection.setText(kind == ModelKind.VISION ? "Sample input (image)"
                    : kind == ModelKind.SPEECH ? "Sample input (audio)" : "Sample texts");
            chooseSample.setText(kind == ModelKind.SPEECH ? "Choose WAV…" : "Choose image…");
            chooseSample.setTooltip(new Tooltip(kind == ModelKind.SPEECH ? "Audio Drift measures on (WAV, any rate; "
                    + "resampled to 16 kHz)"
                    : "Image Drift measures on (PNG or JPEG; preprocessed as preprocessor_config.json says)"));
        }));
        sampleThumbnail.imageProperty().bind(viewModel.sampleThumbnailProperty());
        sampleDescription.textProperty().bind(viewModel.sampleDescriptionProperty());
        chooseSample.setOnAction(e -> {
            boolean speech = viewModel.kindProperty().get() == ModelKind.SPEECH;
            FileChooser chooser = new FileChooser();
            chooser.setTitle(speech ? "Choose sample audio" : "Choose a sample image");
            chooser.getExtensionFilters().add(speech ? new FileChooser.ExtensionFilter("WAV audio", "*.wav")
                    : new FileChooser.ExtensionFilter("Images (PNG, JPEG)", "*.png", "*.jpg", "*.jpeg"));
            File f = chooser.showOpenDialog(root.getScene() == null ? null : root.getScene().getWindow());
            if (f != null) {
                viewModel.chooseSample(speech ? new SampleInput.Audio(f.toPath()) : new SampleInput.Image(f.toPath()));
            }
        });
        builtInSample.setOnAction(e -> viewModel.chooseSample(viewModel.kindProperty().get() == ModelKind.SPEECH
                ? new SampleInput.Audio(null) : new SampleInput.Image(null)));
        tip(builtInSample, "The engine's built-in sample (the one a package's drift summary is measured on)");
        Tooltip.install(sampleThumbnail, new Tooltip("The sample image as the model sees it: resized, normalised, "
                + "de-normalised for display"));
    }

    private static void tip(Control c, String text) { c.setTooltip(new Tooltip(text)); }

    private void bindSpinner(Spinner<Integer> spinner, IntegerProperty value, int min, int max, int step) {
        subscriptions.add(SpinnerBinding.ofInt(spinner, value, min, max, step));
    }

    /** The buffer override: empty text is "use the profile's figure" (null); the arrows start from that figure. */
    static final class BufferMbFactory extends SpinnerValueFactory<Double> {
        private final DoubleSupplier profile;

        BufferMbFactory(DoubleSupplier profile) {
            this.profile = profile;
            setConverter(new StringConverter<>() {
                @Override public String toString(Double v) { return v == null ? "" : ChipSourcesNumbers.mb(v); }
                @Override public Double fromString(String s) {
                    if (s == null || s.isBlank()) return null;
                    double v = Double.parseDouble(s.trim());
                    if (!(v > 0)) throw new NumberFormatException("buffer must be positive");
                    return v;
                }
            });
        }

        @Override public void decrement(int steps) {
            double v = getValue() == null ? profile.getAsDouble() : getValue();
            setValue(Math.max(0.25, v - steps * step(v)));
        }

        @Override public void increment(int steps) {
            double v = getValue() == null ? profile.getAsDouble() : getValue();
            setValue(Math.min(1024, v + steps * step(v)));
        }

        private static double step(double v) { return v <= 1 ? 0.25 : 1; }
    }

    /** Number formatting shared by the chip controls. */
    static final class ChipSourcesNumbers {
        static String mb(double v) { return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v); }
    }

    public Parent root() { return root; }

    public ConversionViewModel viewModel() { return viewModel; }

    public void dispose() {
        pin.selectedProperty().unbindBidirectional(viewModel.pinnedProperty());
        activations.selectedProperty().unbindBidirectional(viewModel.activationsProperty());
        coreMlHint.textProperty().unbind();
        subscriptions.forEach(Subscription::unsubscribe);
        subscriptions.clear();
        problem.textProperty().unbind();
        sampleText.textProperty().unbindBidirectional(viewModel.sampleTextProperty());
        chip.valueProperty().unbindBidirectional(viewModel.chipNameProperty());
        bufferMb.getValueFactory().valueProperty().unbindBidirectional(viewModel.bufferOverrideMbProperty());
        sampleThumbnail.imageProperty().unbind();
        sampleDescription.textProperty().unbind();
    }
}

package dev.anewb.app.run;

import dev.anewb.app.drift.DriftViewModel;
import dev.anewb.app.area.AreaView;
import dev.anewb.app.ui.Fxml;
import dev.anewb.app.ui.Icons;
import dev.anewb.app.session.ModelKind;
import dev.anewb.app.session.SampleInput;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.LongProperty;
import javafx.collections.ListChangeListener;
import javafx.geometry.Side;
import javafx.scene.chart.NumberAxis;
import javafx.scene.control.CheckBox;
import javafx.scene.control.Spinner;
import javafx.scene.control.SpinnerValueFactory;
import javafx.scene.control.TextArea;
import javafx.scene.image.ImageView;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyCodeCombination;
import javafx.scene.input.KeyCombination;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import javafx.stage.FileChooser;

import java.io.File;
import java.util.List;
import java.util.Map;
import javafx.fxml.FXML;
import javafx.scene.Parent;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressIndicator;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.FlowPane;
import javafx.scene.layout.GridPane;
import javafx.util.Subscription;

import java.util.Locale;

/** Controller of RunView.fxml. */
public final class RunView implements AreaView {
    /** The area's icon in the navigation list and its empty state. */
    public static final String ICON = Icons.PLAY;
    /** Run the loaded model on its current input: Ctrl+R (Cmd+R on macOS). */
    public static final KeyCodeCombination RUN_SHORTCUT = new KeyCodeCombination(KeyCode.R, KeyCombination.SHORTCUT_DOWN);
    private final RunViewModel viewModel;
    private final Parent root;
    private Subscription subscriptions = Subscription.EMPTY;

    @FXML private ProgressIndicator busy;
    @FXML private Label status;
    @FXML private TextField textA;
    @FXML private TextField textB;
    @FXML private Button run;
    @FXML private FlowPane tokens;
    @FXML private GridPane results;
    @FXML private Label note;
    @FXML private VBox embeddingPane;
    @FXML private VBox lmPane;
    @FXML private VBox visionPane;
    @FXML private VBox speechPane;
    @FXML private TextArea prompt;
    @FXML private Button generate;
    @FXML private Button stopGeneration;
    @FXML private Spinner<Integer> maxNewTokens;
    @FXML private CheckBox greedy;
    @FXML private Spinner<Double> temperature;
    @FXML private Spinner<Integer> topK;
    @FXML private Spinner<Double> topP;
    @FXML private Spinner<Integer> seed;
    @FXML private Label lmError;
    @FXML private StackPane lmPanes;
    @FXML private GridPane lmMetrics;
    @FXML private Button chooseImage;
    @FXML private Button sampleImage;
    @FXML private Label imageName;
    @FXML private ImageView imagePreview;
    @FXML private GridPane visionResults;
    @FXML private Button chooseAudio;
    @FXML private Button sampleAudio;
    @FXML private Label audioName;
    @FXML private BorderPane spectrogramBox;
    @FXML private Spinner<Integer> speechMaxTokens;
    @FXML private Button decode;
    @FXML private Button stopDecode;
    @FXML private StackPane speechPanes;
    @FXML private GridPane speechMetrics;
    private final ImageView spectrogram = new ImageView();
    private final NumberAxis timeAxis = new NumberAxis("time (s)", 0, 30, 5);
    private final NumberAxis melAxis = new NumberAxis("mel bin", 0, 80, 20);
    private GenerationPanes lmOutput;
    private GenerationPanes speechOutput;

    public RunView(RunViewModel viewModel) {
        this.viewModel = viewModel;
        this.root = Fxml.load(this, "RunView.fxml");
    }

    @FXML private void initialize() {
        textA.textProperty().bindBidirectional(viewModel.textAProperty());
        textB.textProperty().bindBidirectional(viewModel.textBProperty());
        textA.setTooltip(new Tooltip("Text run through both models; its tokens are shown below"));
        textB.setTooltip(new Tooltip("A second text: its similarity to text A is measured under each model"));
        run.setTooltip(new Tooltip("Run both texts through the original and the converted model (also runs as you type; "
                + RUN_SHORTCUT.getDisplayText() + ")"));
        run.setOnAction(e -> viewModel.run());
        busy.visibleProperty().bind(viewModel.computingProperty().or(viewModel.vision().computingProperty())
                .or(viewModel.languageModel().generation().runningProperty()).or(viewModel.speech().preparingProperty())
                .or(viewModel.speech().decoding().runningProperty()));
        ListChangeListener<RunViewModel.Token> onTokens = c -> showTokens();
        viewModel.tokens().addListener(onTokens);
        initLanguageModel();
        initVision();
        initSpeech();
        // The spinners' subscriptions were added while binding them, above.
        subscriptions = subscriptions.and(Subscription.combine(
                () -> viewModel.tokens().removeListener(onTokens),
                viewModel.outcomeProperty().subscribe(o -> showOutcome()),
                viewModel.computingProperty().subscribe(c -> showOutcome()),
                viewModel.kindProperty().subscribe(this::showKind),
                viewModel.languageModel().generation().outcomeProperty().subscribe(this::showLmOutcome),
                viewModel.languageModel().generation().runningProperty().subscribe(r -> showLmOutcome(viewModel.languageModel().generation().outcomeProperty().get())),
                viewModel.vision().outcomeProperty().subscribe(this::showVision),
                viewModel.speech().preparedProperty().subscribe(this::showSpectrogram),
                viewModel.speech().decoding().outcomeProperty().subscribe(this::showSpeechOutcome),
                viewModel.speech().inputProperty().subscribe(in -> audioName.setText("loading " + describe(in) + "…")),
                viewModel.vision().inputProperty().subscribe(in -> imageName.setText("loading " + describe(in) + "…")),
                lmOutput::dispose,
                speechOutput::dispose,
                viewModel::dispose));
    }

    private static String describe(SampleInput in) {
        return switch (in) {
            case SampleInput.Image i when i.file() != null -> i.file().getFileName().toString();
            case SampleInput.Audio a when a.file() != null -> a.file().getFileName().toString();
            default -> "the built-in sample";
        };
    }

    private void showKind(ModelKind kind) {
        show(embeddingPane, kind == ModelKind.TEXT_ENCODER);
        show(lmPane, kind == ModelKind.LANGUAGE_MODEL);
        show(visionPane, kind == ModelKind.VISION);
        show(speechPane, kind == ModelKind.SPEECH);
        showOutcome();
    }

    private static void show(VBox pane, boolean on) {
        pane.setVisible(on);
        pane.setManaged(on);
    }

    private void initLanguageModel() {
        LanguageModelRun lm = viewModel.languageModel();
        prompt.textProperty().bindBidirectional(lm.promptProperty());
        bindInt(maxNewTokens, lm.maxNewTokensProperty(), 1, 4096, 8);
        greedy.selectedProperty().bindBidirectional(lm.greedyProperty());
        bindDouble(temperature, lm.temperatureProperty(), 0.05, 5, 0.1);
        bindInt(topK, lm.topKProperty(), 0, 1_000_000, 5);
        bindDouble(topP, lm.topPProperty(), 0.01, 1, 0.05);
        bindLong(seed, lm.seedProperty());
        for (Spinner<?> s : new Spinner<?>[]{temperature, topK, topP, seed}) s.disableProperty().bind(greedy.selectedProperty());
        generate.setOnAction(e -> lm.generate());
        generate.disableProperty().bind(lm.generation().runningProperty());
        stopGeneration.setOnAction(e -> lm.cancel());
        stopGeneration.disableProperty().bind(lm.generation().runningProperty().not());
        lmError.textProperty().bind(lm.errorProperty());
        lmError.visibleProperty().bind(lm.errorProperty().isNotNull());
        lmError.managedProperty().bind(lmError.visibleProperty());
        lmError.getStyleClass().add("conversion-problem");
        lmOutput = new GenerationPanes(lm.generation(), "lm", "The continuation, streamed token by token as the model generates it");
        lmPanes.getChildren().setAll(lmOutput.root());
        tip(prompt, "Text both models continue (tokenized with the model's tokenizer, special tokens added as the CLI does)");
        tip(generate, "Generate with the original, then with the converted model, streaming each into its pane");
        tip(stopGeneration, "Stop generating; the panes keep what they have");
        tip(maxNewTokens, "Tokens to generate (fewer if the model ends the text)");
        tip(greedy, "Greedy decoding: always the most likely token. Off: sample with the settings on the right");
        tip(temperature, "Sampling temperature (> 0); lower is closer to greedy");
        tip(topK, "Sample among the k most likely tokens (0 = all)");
        tip(topP, "Sample among the most likely tokens whose probability reaches p (1 = all)");
        tip(seed, "Random seed: the same seed gives the same tokens on both runs and every machine");
    }

    private void initVision() {
        VisionRun vision = viewModel.vision();
        chooseImage.setOnAction(e -> {
            File f = choose("Choose an image", new FileChooser.ExtensionFilter("Images (PNG, JPEG)", "*.png", "*.jpg", "*.jpeg"));
            if (f != null) vision.inputProperty().set(new SampleInput.Image(f.toPath()));
        });
        sampleImage.setOnAction(e -> vision.inputProperty().set(new SampleInput.Image(null)));
        tip(chooseImage, "Run a PNG or JPEG through both models (resized and normalised as preprocessor_config.json says)");
        tip(sampleImage, "The engine's built-in sample image (a colour gradient with a checkerboard)");
        tip(imagePreview, "pixel_values de-normalised back to RGB: exactly what the model sees, after resizing");
    }

    private void initSpeech() {
        SpeechRun speech = viewModel.speech();
        chooseAudio.setOnAction(e -> {
            File f = choose("Choose audio", new FileChooser.ExtensionFilter("WAV audio", "*.wav"));
            if (f != null) speech.inputProperty().set(new SampleInput.Audio(f.toPath()));
        });
        sampleAudio.setOnAction(e -> speech.inputProperty().set(new SampleInput.Audio(null)));
        bindInt(speechMaxTokens, speech.maxNewTokensProperty(), 1, 448, 4);
        decode.setOnAction(e -> speech.decode());
        decode.disableProperty().bind(speech.decoding().runningProperty().or(speech.preparedProperty().isNull()));
        stopDecode.setOnAction(e -> speech.decoding().cancel());
        stopDecode.disableProperty().bind(speech.decoding().runningProperty().not());
        speechOutput = new GenerationPanes(speech.decoding(), "speech", "The decoded text, streamed token by token (greedy)");
        speechPanes.getChildren().setAll(speechOutput.root());
        // One image, stretched to the width; the axes are the image's coordinates in seconds and mel bins.
        spectrogram.setPreserveRatio(false);
        spectrogram.setSmooth(true);
        spectrogram.setFitHeight(160);
        spectrogram.fitWidthProperty().bind(spectrogramBox.widthProperty().subtract(70));
        timeAxis.setSide(Side.BOTTOM);
        melAxis.setSide(Side.LEFT);
        melAxis.setPrefWidth(60);
        melAxis.setPrefHeight(160);
        melAxis.setMaxHeight(160);
        // The time axis sits in the image's column, so its 0 and its end are the image's edges.
        VBox imageAndTime = new VBox(spectrogram, timeAxis);
        spectrogramBox.setCenter(imageAndTime);
        spectrogramBox.setLeft(melAxis);
        BorderPane.setAlignment(melAxis, javafx.geometry.Pos.TOP_LEFT);
        tip(chooseAudio, "Decode a WAV file (any rate, resampled to 16 kHz; the first 30 s are one Whisper window)");
        tip(sampleAudio, "The engine's built-in sample audio: a 220→2200 Hz chirp with a 440 Hz tone, 3 s");
        tip(speechMaxTokens, "Tokens to decode after the decoder start token (fewer if a model ends the text)");
        tip(decode, "Greedy decoding with the original, then with the converted model, each conditioned on this audio");
        tip(stopDecode, "Stop decoding; the panes keep what they have");
        Tooltip.install(spectrogram, new Tooltip("Whisper's log-mel features: time to the right, mel bins upward, viridis from the lowest to the highest value"));
    }

    private File choose(String title, FileChooser.ExtensionFilter filter) {
        FileChooser chooser = new FileChooser();
        chooser.setTitle(title);
        chooser.getExtensionFilters().add(filter);
        return chooser.showOpenDialog(root.getScene() == null ? null : root.getScene().getWindow());
    }

    private void showLmOutcome(SideBySideGeneration.Outcome o) {
        lmMetrics.getChildren().clear();
        if (o == null) return;
        int row = 0;
        lmMetrics.addRow(row++, head(""), head("Original (FP32)"), head("Converted"));
        lmMetrics.addRow(row++, key("Speed"), val(speedText(o.original())), val(speedText(o.converted())));
        lmMetrics.addRow(row++, key("First divergence"), span(val(o.firstDivergence() < 0
                ? "none: the same " + o.originalIds().length + " tokens"
                : "step " + (o.firstDivergence() + 1) + " of " + Math.max(o.originalIds().length, o.convertedIds().length))));
        Double top1 = o.task().get("top1_agreement_pct");
        Double kl = o.task().get("next_token_kl");
        if (top1 != null) {
            Label l = val(String.format(Locale.ROOT, "%.1f %%", top1));
            l.setTooltip(new Tooltip("Positions of the prompt plus the original's continuation where the converted model's most likely next token is the original's (teacher-forced, from the drift analysis)"));
            lmMetrics.addRow(row++, key("Top-1 agreement"), span(l));
        }
        if (kl != null) lmMetrics.addRow(row++, key("Next-token KL(original ‖ converted)"), span(val(String.format(Locale.ROOT, "%.3g nats", kl))));
    }

    private static String speedText(SideBySideGeneration.Timing t) {
        if (t.tokens() == 0) return "–";
        return String.format(Locale.ROOT, "%.2f ms/token · prefill %.1f ms", t.msPerToken(), t.prefillMs()).replace("NaN ms/token · ", "");
    }

    private void showVision(VisionRun.Outcome o) {
        visionResults.getChildren().clear();
        if (o == null) return;
        imageName.setText(o.description() + " · preprocessed to " + o.inputSize());
        imagePreview.setImage(o.preview());
        visionResults.addRow(0, head(""), head("Original (FP32)"), head("Converted"));
        visionResults.addRow(1, key("Forward pass"), val(ms(o.originalNanos())), val(ms(o.convertedNanos())));
        int row = 2;
        for (Map.Entry<String, String> m : List.of(Map.entry("cls_cosine", "CLS cosine"), Map.entry("pooler_cosine", "Pooler cosine"))) {
            Double v = o.task().get(m.getKey());
            if (v == null) continue;
            Label k = key(m.getValue() + ", original ↔ converted");
            k.setTooltip(new Tooltip(m.getKey().equals("cls_cosine")
                    ? "Cosine between the two models' CLS token (position 0 of the last hidden state): what a classification head reads"
                    : "Cosine between the two models' pooler outputs"));
            visionResults.addRow(row++, k, span(val(String.format(Locale.ROOT, "%.6f", v))));
        }
    }

    private void showSpectrogram(SpeechRun.Prepared p) {
        if (p == null) {
            spectrogram.setImage(null);
            return;
        }
        audioName.setText(p.description() + " · " + p.mels() + " mel bins × " + p.frames() + " frames");
        spectrogram.setImage(p.spectrogram());
        timeAxis.setUpperBound(p.seconds());
        melAxis.setUpperBound(p.mels());
        melAxis.setTickUnit(p.mels() >= 80 ? 20 : 10);
    }

    private void showSpeechOutcome(SideBySideGeneration.Outcome o) {
        speechMetrics.getChildren().clear();
        if (o == null) return;
        speechMetrics.addRow(0, head(""), head("Original (FP32)"), head("Converted"));
        speechMetrics.addRow(2, key("Speed"), val(speedText(o.original())), val(speedText(o.converted())));
        Label agree = val(String.format(Locale.ROOT, "%.1f %% (%d of %d tokens before the first difference)", o.agreementPct(), o.matching(), o.originalIds().length));
        agree.setTooltip(new Tooltip("Greedy token agreement: the converted model's tokens equal to the original's before the first difference"));
        speechMetrics.addRow(3, key("Token agreement"), span(agree));
    }

    private static Label span(Label l) {
        GridPane.setColumnSpan(l, 2);
        return l;
    }

    private static void tip(javafx.scene.control.Control c, String text) { c.setTooltip(new Tooltip(text)); }

    private static void tip(javafx.scene.Node n, String text) { Tooltip.install(n, new Tooltip(text)); }

    private void bindInt(Spinner<Integer> spinner, IntegerProperty value, int min, int max, int step) {
        var f = new SpinnerValueFactory.IntegerSpinnerValueFactory(min, max, value.get(), step);
        spinner.setValueFactory(f);
        f.valueProperty().addListener((obs, old, now) -> { if (now != null && now != value.get()) value.set(now); });
        subscriptions = subscriptions.and(value.subscribe(v -> { if (!v.equals(f.getValue())) f.setValue(v.intValue()); }));
        commitOnFocusLoss(spinner);
    }

    private void bindDouble(Spinner<Double> spinner, DoubleProperty value, double min, double max, double step) {
        var f = new SpinnerValueFactory.DoubleSpinnerValueFactory(min, max, value.get(), step);
        spinner.setValueFactory(f);
        f.valueProperty().addListener((obs, old, now) -> { if (now != null && now != value.get()) value.set(now); });
        subscriptions = subscriptions.and(value.subscribe(v -> { if (v.doubleValue() != f.getValue()) f.setValue(v.doubleValue()); }));
        commitOnFocusLoss(spinner);
    }

    private void bindLong(Spinner<Integer> spinner, LongProperty value) {
        var f = new SpinnerValueFactory.IntegerSpinnerValueFactory(0, Integer.MAX_VALUE, (int) value.get(), 1);
        spinner.setValueFactory(f);
        f.valueProperty().addListener((obs, old, now) -> { if (now != null) value.set(now); });
        commitOnFocusLoss(spinner);
    }

    private static <T> void commitOnFocusLoss(Spinner<T> spinner) {
        spinner.focusedProperty().addListener((obs, was, is) -> {
            if (is) return;
            try {
                spinner.getValueFactory().setValue(spinner.getValueFactory().getConverter().fromString(spinner.getEditor().getText()));
            } catch (RuntimeException e) {
                spinner.getEditor().setText(String.valueOf(spinner.getValue()));
            }
        });
    }

    private void showTokens() {
        tokens.getChildren().setAll(viewModel.tokens().stream().map(t -> {
            Label chip = new Label(t.text() + " · " + t.id());
            chip.getStyleClass().add("token-chip");
            return chip;
        }).toList());
    }

    private void showOutcome() {
        RunViewModel.Outcome o = viewModel.outcomeProperty().get();
        var converted = viewModel.session().converted();
        status.setText(viewModel.computingProperty().get() && viewModel.kindProperty().get() == ModelKind.TEXT_ENCODER ? "computing…"
                : converted == null ? "Load a source model to run it." : "Converted: " + DriftViewModel.describe(converted.graph().conversion()));
        results.getChildren().clear();
        if (o == null) return;
        results.addRow(0, head(""), head("Original (FP32)"), head("Converted"));
        results.addRow(1, key("Time, text A"), val(ms(o.originalNanosA())), val(ms(o.convertedNanosA())));
        if (o.originalNanosB() > 0) results.addRow(2, key("Time, text B"), val(ms(o.originalNanosB())), val(ms(o.convertedNanosB())));
        if (!Double.isNaN(o.similarityOriginal())) {
            results.addRow(3, key("Similarity A ↔ B (cosine of " + o.outputTap() + ")"),
                    val(String.format(Locale.ROOT, "%.6f", o.similarityOriginal())), val(String.format(Locale.ROOT, "%.6f", o.similarityConverted())));
        }
        Label agree = val(String.format(Locale.ROOT, "%.6f", o.originalVsConverted()));
        results.addRow(4, key("Cosine original ↔ converted, text A (" + o.outputTap() + ", " + o.outputSize() + " values)"), agree);
        GridPane.setColumnSpan(agree, 2);
        note.setText("Times: median of up to " + RunViewModel.WARM_PASSES + " warm forward passes on this machine's CPU executor (the first pass, which also prepares the weights, is not counted unless the model is slow). The converted model simulates the Neural Engine's numerics, not its speed.");
    }

    private static String ms(long nanos) { return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6); }

    // Headers and values keep their full text; the first column's descriptions give way instead.
    private static Label head(String s) { Label l = new Label(s); l.getStyleClass().add("card-key"); l.setMinWidth(Label.USE_PREF_SIZE); return l; }

    private static Label key(String s) { Label l = new Label(s); l.getStyleClass().add("card-key"); return l; }

    private static Label val(String s) { Label l = new Label(s); l.getStyleClass().add("card-value"); l.setMinWidth(Label.USE_PREF_SIZE); return l; }

    public RunViewModel viewModel() { return viewModel; }

    @Override public Parent root() { return root; }

    @Override public void dispose() {
        subscriptions.unsubscribe();
        subscriptions = Subscription.EMPTY;
        textA.textProperty().unbindBidirectional(viewModel.textAProperty());
        textB.textProperty().unbindBidirectional(viewModel.textBProperty());
        prompt.textProperty().unbindBidirectional(viewModel.languageModel().promptProperty());
        greedy.selectedProperty().unbindBidirectional(viewModel.languageModel().greedyProperty());
    }
}

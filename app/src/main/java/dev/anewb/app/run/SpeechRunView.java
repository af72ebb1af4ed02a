package dev.anewb.app.run;

import dev.anewb.app.session.SampleInput;
import dev.anewb.app.ui.Fxml;
import dev.anewb.app.ui.SpinnerBinding;
import javafx.fxml.FXML;
import javafx.geometry.Pos;
import javafx.geometry.Side;
import javafx.scene.Parent;
import javafx.scene.chart.NumberAxis;
import javafx.scene.control.Button;
import javafx.scene.control.Control;
import javafx.scene.control.Label;
import javafx.scene.control.Spinner;
import javafx.scene.control.Tooltip;
import javafx.scene.image.ImageView;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import javafx.stage.FileChooser;
import javafx.util.Subscription;

import java.io.File;
import java.util.Locale;

import static dev.anewb.app.run.SideBySideGrid.key;
import static dev.anewb.app.run.SideBySideGrid.span;
import static dev.anewb.app.run.SideBySideGrid.speed;
import static dev.anewb.app.run.SideBySideGrid.val;

/** Controller of SpeechRunView.fxml: audio, its log-mel spectrogram, both decodings side by side. */
final class SpeechRunView {
    private final SpeechRun viewModel;
    private final Parent root;
    private final ImageView spectrogram = new ImageView();
    private final NumberAxis timeAxis = new NumberAxis("time (s)", 0, 30, 5);
    private final NumberAxis melAxis = new NumberAxis("mel bin", 0, 80, 20);
    private Subscription subscriptions = Subscription.EMPTY;
    private GenerationPanes output;

    @FXML private Button chooseAudio;
    @FXML private Button sampleAudio;
    @FXML private Label audioName;
    @FXML private BorderPane spectrogramBox;
    @FXML private Spinner<Integer> maxNewTokens;
    @FXML private Button decode;
    @FXML private Button stop;
    @FXML private StackPane panes;
    @FXML private GridPane metrics;

    SpeechRunView(SpeechRun viewModel) {
        this.viewModel = viewModel;
        this.root = Fxml.load(this, "SpeechRunView.fxml");
    }

    @FXML private void initialize() {
        SideBySideGeneration decoding = viewModel.decoding();
        chooseAudio.setOnAction(e -> {
            File f = choose(new FileChooser.ExtensionFilter("WAV audio", "*.wav"));
            if (f != null) viewModel.inputProperty().set(new SampleInput.Audio(f.toPath()));
        });
        sampleAudio.setOnAction(e -> viewModel.inputProperty().set(new SampleInput.Audio(null)));
        subscriptions = SpinnerBinding.ofInt(maxNewTokens, viewModel.maxNewTokensProperty(), 1, 448, 4);
        decode.setOnAction(e -> viewModel.decode());
        decode.disableProperty().bind(decoding.runningProperty().or(viewModel.preparedProperty().isNull()));
        stop.setOnAction(e -> decoding.cancel());
        stop.disableProperty().bind(decoding.runningProperty().not());
        output = new GenerationPanes(decoding, "speech", "The decoded text, streamed token by token (greedy)");
        panes.getChildren().setAll(output.root());
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
        BorderPane.setAlignment(melAxis, Pos.TOP_LEFT);
        tip(chooseAudio, "Decode a WAV file (any rate, resampled to 16 kHz; the first 30 s are one Whisper window)");
        tip(sampleAudio, "The engine's built-in sample audio: a 220→2200 Hz chirp with a 440 Hz tone, 3 s");
        tip(maxNewTokens, "Tokens to decode after the decoder start token (fewer if a model ends the text)");
        tip(decode, "Greedy decoding with the original, then with the converted model, each conditioned on this "
                + "audio");
        tip(stop, "Stop decoding; the panes keep what they have");
        Tooltip.install(spectrogram, new Tooltip("Whisper's log-mel features: time to the right, mel bins upward, "
                + "viridis from the lowest to the highest value"));
        subscriptions = Subscription.combine(subscriptions,
                viewModel.preparedProperty().subscribe(this::showSpectrogram),
                decoding.outcomeProperty().subscribe(this::showOutcome),
                viewModel.inputProperty().subscribe(in -> audioName.setText("loading " + describe(in) + "…")),
                output::dispose);
    }

    private static void tip(Control c, String text) { c.setTooltip(new Tooltip(text)); }

    private static String describe(SampleInput.Audio in) {
        return in.file() != null ? in.file().getFileName().toString() : "the built-in sample";
    }

    private File choose(FileChooser.ExtensionFilter filter) {
        FileChooser chooser = new FileChooser();
        chooser.setTitle("Choose audio");
        chooser.getExtensionFilters().add(filter);
        return chooser.showOpenDialog(root.getScene() == null ? null : root.getScene().getWindow());
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

    private void showOutcome(SideBySideGeneration.Outcome o) {
        metrics.getChildren().clear();
        if (o == null) return;
        SideBySideGrid.header(metrics, 0);
        metrics.addRow(2, key("CPU speed"), val(speed(o.original())), val(speed(o.converted())));
        Label agree = val(String.format(Locale.ROOT, "%.1f %% (%d of %d tokens before the first difference)",
                o.agreementPct(), o.matching(), o.originalIds().length));
        agree.setTooltip(new Tooltip("Greedy token agreement: the converted model's tokens equal to the original's "
                + "before the first difference"));
        metrics.addRow(3, key("Token agreement"), span(agree));
    }

    Parent root() { return root; }

    void dispose() {
        subscriptions.unsubscribe();
        subscriptions = Subscription.EMPTY;
    }
}

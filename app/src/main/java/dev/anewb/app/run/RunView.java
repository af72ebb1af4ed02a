package dev.anewb.app.run;

import dev.anewb.app.area.AreaView;
import dev.anewb.app.session.ModelKind;
import dev.anewb.app.ui.Fxml;
import dev.anewb.app.ui.Icons;
import javafx.fxml.FXML;
import javafx.scene.Parent;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressIndicator;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyCodeCombination;
import javafx.scene.input.KeyCombination;
import javafx.scene.layout.VBox;
import javafx.util.Subscription;

/**
 * Controller of RunView.fxml: the area's header and one form per kind of model, each a sub-view with its own
 * FXML (text encoder, language model, vision, speech); only the loaded model's kind is shown.
 */
public final class RunView implements AreaView {
    /** The area's icon in the navigation list and its empty state. */
    public static final String ICON = Icons.PLAY;
    /** Run the loaded model on its current input: Ctrl+R (Cmd+R on macOS). */
    public static final KeyCodeCombination RUN_SHORTCUT =
            new KeyCodeCombination(KeyCode.R, KeyCombination.SHORTCUT_DOWN);

    private final RunViewModel viewModel;
    private final Parent root;
    private Subscription subscriptions = Subscription.EMPTY;
    private TextEncoderRunView textEncoder;
    private LanguageModelRunView languageModel;
    private VisionRunView vision;
    private SpeechRunView speech;

    @FXML private VBox content;
    @FXML private ProgressIndicator busy;
    @FXML private Label status;
    @FXML private Label cpuNote;

    public RunView(RunViewModel viewModel) {
        this.viewModel = viewModel;
        this.root = Fxml.load(this, "RunView.fxml");
    }

    @FXML private void initialize() {
        textEncoder = new TextEncoderRunView(viewModel.textEncoder());
        languageModel = new LanguageModelRunView(viewModel.languageModel());
        vision = new VisionRunView(viewModel.vision());
        speech = new SpeechRunView(viewModel.speech());
        content.getChildren().addAll(textEncoder.root(), languageModel.root(), vision.root(), speech.root());
        busy.visibleProperty().bind(viewModel.computingProperty());
        cpuNote.setText(SideBySideGrid.CPU_NOTE);
        subscriptions = Subscription.combine(
                viewModel.statusProperty().subscribe(status::setText),
                viewModel.kindProperty().subscribe(this::showKind));
    }

    private void showKind(ModelKind kind) {
        show(textEncoder.root(), kind == ModelKind.TEXT_ENCODER);
        show(languageModel.root(), kind == ModelKind.LANGUAGE_MODEL);
        show(vision.root(), kind == ModelKind.VISION);
        show(speech.root(), kind == ModelKind.SPEECH);
    }

    private static void show(Parent form, boolean on) {
        form.setVisible(on);
        form.setManaged(on);
    }

    public RunViewModel viewModel() { return viewModel; }

    @Override public Parent root() { return root; }

    @Override public void dispose() {
        subscriptions.unsubscribe();
        subscriptions = Subscription.EMPTY;
        busy.visibleProperty().unbind();
        textEncoder.dispose();
        languageModel.dispose();
        vision.dispose();
        speech.dispose();
    }
}

package dev.anewb.app.run;

import dev.anewb.app.drift.DriftViewModel;
import dev.anewb.app.shell.AreaView;
import dev.anewb.app.shell.Fxml;
import javafx.collections.ListChangeListener;
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

    public RunView(RunViewModel viewModel) {
        this.viewModel = viewModel;
        this.root = Fxml.load(this, "RunView.fxml");
    }

    @FXML private void initialize() {
        textA.textProperty().bindBidirectional(viewModel.textAProperty());
        textB.textProperty().bindBidirectional(viewModel.textBProperty());
        textA.setTooltip(new Tooltip("Text run through both models; its tokens are shown below"));
        textB.setTooltip(new Tooltip("A second text: its similarity to text A is measured under each model"));
        run.setTooltip(new Tooltip("Run both texts through the original and the converted model (also runs as you type)"));
        run.setOnAction(e -> viewModel.run());
        busy.visibleProperty().bind(viewModel.computingProperty());
        ListChangeListener<RunViewModel.Token> onTokens = c -> showTokens();
        viewModel.tokens().addListener(onTokens);
        subscriptions = Subscription.combine(
                () -> viewModel.tokens().removeListener(onTokens),
                viewModel.outcomeProperty().subscribe(o -> showOutcome()),
                viewModel.computingProperty().subscribe(c -> showOutcome()),
                viewModel::dispose);
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
        status.setText(viewModel.computingProperty().get() ? "computing…"
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
        note.setText("Times are single forward passes on this machine's CPU executor (the converted model simulates the Neural Engine's numerics, not its speed).");
    }

    private static String ms(long nanos) { return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6); }

    private static Label head(String s) { Label l = new Label(s); l.getStyleClass().add("card-key"); return l; }

    private static Label key(String s) { Label l = new Label(s); l.getStyleClass().add("card-key"); return l; }

    private static Label val(String s) { Label l = new Label(s); l.getStyleClass().add("card-value"); return l; }

    public RunViewModel viewModel() { return viewModel; }

    @Override public Parent root() { return root; }

    @Override public void dispose() {
        subscriptions.unsubscribe();
        subscriptions = Subscription.EMPTY;
        textA.textProperty().unbindBidirectional(viewModel.textAProperty());
        textB.textProperty().unbindBidirectional(viewModel.textBProperty());
    }
}

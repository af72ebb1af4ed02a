package dev.anewb.app.run;

import dev.anewb.app.ui.Fxml;
import javafx.collections.ListChangeListener;
import javafx.beans.binding.Bindings;
import javafx.fxml.FXML;
import javafx.scene.Parent;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.FlowPane;
import javafx.scene.layout.GridPane;
import javafx.util.Subscription;

import java.util.Locale;

import static dev.anewb.app.run.SideBySideGrid.key;
import static dev.anewb.app.run.SideBySideGrid.val;

/** Controller of TextEncoderRunView.fxml: two texts, the tokens of the first, both models' outputs compared. */
final class TextEncoderRunView {
    private final TextEncoderRun viewModel;
    private final Parent root;
    private Subscription subscriptions = Subscription.EMPTY;

    @FXML private TextField textA;
    @FXML private TextField textB;
    @FXML private Button run;
    @FXML private FlowPane tokens;
    @FXML private GridPane results;
    @FXML private Label note;
    @FXML private Label labelA;
    @FXML private Label labelB;
    @FXML private Label idsNote;
    @FXML private Label idsError;
    @FXML private Label tokensHeading;

    TextEncoderRunView(TextEncoderRun viewModel) {
        this.viewModel = viewModel;
        this.root = Fxml.load(this, "TextEncoderRunView.fxml");
    }

    @FXML private void initialize() {
        textA.textProperty().bindBidirectional(viewModel.textAProperty());
        textB.textProperty().bindBidirectional(viewModel.textBProperty());
        var ids = viewModel.idsInputProperty();
        labelA.textProperty().bind(Bindings.when(ids).then("Ids A").otherwise("Text A"));
        labelB.textProperty().bind(Bindings.when(ids).then("Ids B").otherwise("Text B"));
        tokensHeading.textProperty().bind(Bindings.when(ids).then("Token ids of A").otherwise("Tokens of text A "
                + "(token · id)"));
        idsNote.setText(TokenIds.NOTE);
        idsNote.visibleProperty().bind(ids);
        idsNote.managedProperty().bind(ids);
        idsError.textProperty().bind(viewModel.errorProperty());
        idsError.visibleProperty().bind(viewModel.errorProperty().isNotNull());
        idsError.managedProperty().bind(idsError.visibleProperty());
        idsError.getStyleClass().add("conversion-problem");
        textA.setTooltip(new Tooltip("Text run through both models; its tokens are shown below"));
        textB.setTooltip(new Tooltip("A second text: its similarity to text A is measured under each model"));
        run.setTooltip(new Tooltip("Run both texts through the original and the converted model (also runs as you "
                + "type; " + RunView.RUN_SHORTCUT.getDisplayText() + ")"));
        run.setOnAction(e -> viewModel.run());
        ListChangeListener<TextEncoderRun.Token> onTokens = c -> showTokens();
        viewModel.tokens().addListener(onTokens);
        subscriptions = Subscription.combine(
                () -> viewModel.tokens().removeListener(onTokens),
                viewModel.outcomeProperty().subscribe(this::showOutcome));
    }

    private void showTokens() {
        tokens.getChildren().setAll(viewModel.tokens().stream().map(t -> {
            Label chip = new Label(t.text().isEmpty() ? Long.toString(t.id()) : t.text() + " · " + t.id());
            chip.getStyleClass().add("token-chip");
            return chip;
        }).toList());
    }

    private void showOutcome(TextEncoderRun.Outcome o) {
        results.getChildren().clear();
        if (o == null) return;
        TextEncoderRun.Pinned p = o.pinned();
        SideBySideGrid.header(results, 0, p == null ? null : p.name());
        results.addRow(1, key("CPU time, text A"), val(o.originalA().text()), val(o.convertedA().text()));
        if (p != null) results.add(val(p.timeA().text()), 3, 1);
        if (o.originalB() != null) {
            results.addRow(2, key("CPU time, text B"), val(o.originalB().text()), val(o.convertedB().text()));
        }
        if (!Double.isNaN(o.similarityOriginal())) {
            results.addRow(3, key("Similarity A ↔ B (cosine of " + o.outputTap() + ")"),
                    val(cosine(o.similarityOriginal())), val(cosine(o.similarityConverted())));
        }
        results.addRow(4, key("Cosine with the original, text A (" + o.outputTap() + ", " + o.outputSize()
                + " values)"), new Label(), val(cosine(o.originalVsConverted())));
        if (p != null) {
            results.add(val(cosine(p.originalVsPinned())), 3, 4);
            results.addRow(5, key("Δ cosine, current − pinned"), new Label(),
                    val(String.format(Locale.ROOT, "%+.2e", o.originalVsConverted() - p.originalVsPinned())));
        }
        note.setText("Times: the median (fastest–slowest) of up to " + RunViewModel.WARM_PASSES + " warm passes; the "
                + "first pass, which also prepares the weights, counts only when the model is slow.");
    }

    private static String cosine(double c) { return String.format(Locale.ROOT, "%.6f", c); }

    Parent root() { return root; }

    void dispose() {
        subscriptions.unsubscribe();
        subscriptions = Subscription.EMPTY;
        textA.textProperty().unbindBidirectional(viewModel.textAProperty());
        textB.textProperty().unbindBidirectional(viewModel.textBProperty());
    }
}

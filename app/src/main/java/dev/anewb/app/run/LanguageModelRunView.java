package dev.anewb.app.run;

import dev.anewb.app.ui.Fxml;
import dev.anewb.app.ui.SpinnerBinding;
import javafx.beans.binding.Bindings;
import javafx.fxml.FXML;
import javafx.scene.Parent;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.Control;
import javafx.scene.control.Label;
import javafx.scene.control.Spinner;
import javafx.scene.control.TextArea;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.StackPane;
import javafx.util.Subscription;

import java.util.Locale;

import static dev.anewb.app.run.SideBySideGrid.key;
import static dev.anewb.app.run.SideBySideGrid.span;
import static dev.anewb.app.run.SideBySideGrid.speed;
import static dev.anewb.app.run.SideBySideGrid.val;

/** Controller of LanguageModelRunView.fxml: a prompt and sampling settings, both continuations side by side. */
final class LanguageModelRunView {
    private final LanguageModelRun viewModel;
    private final Parent root;
    private Subscription subscriptions = Subscription.EMPTY;
    private GenerationPanes output;

    @FXML private TextArea prompt;
    @FXML private Label promptLabel;
    @FXML private Label idsNote;
    @FXML private Button generate;
    @FXML private Button stopGeneration;
    @FXML private Spinner<Integer> maxNewTokens;
    @FXML private CheckBox greedy;
    @FXML private Spinner<Double> temperature;
    @FXML private Spinner<Integer> topK;
    @FXML private Spinner<Double> topP;
    @FXML private Spinner<Integer> seed;
    @FXML private Label error;
    @FXML private StackPane panes;
    @FXML private GridPane metrics;

    LanguageModelRunView(LanguageModelRun viewModel) {
        this.viewModel = viewModel;
        this.root = Fxml.load(this, "LanguageModelRunView.fxml");
    }

    @FXML private void initialize() {
        SideBySideGeneration generation = viewModel.generation();
        prompt.textProperty().bindBidirectional(viewModel.promptProperty());
        promptLabel.textProperty().bind(Bindings.when(viewModel.idsPromptProperty()).then("Token ids")
                .otherwise("Prompt"));
        idsNote.setText(TokenIds.NOTE + " Both continuations are shown as ids.");
        idsNote.visibleProperty().bind(viewModel.idsPromptProperty());
        idsNote.managedProperty().bind(idsNote.visibleProperty());
        greedy.selectedProperty().bindBidirectional(viewModel.greedyProperty());
        subscriptions = Subscription.combine(
                SpinnerBinding.ofInt(maxNewTokens, viewModel.maxNewTokensProperty(), 1, 4096, 8),
                SpinnerBinding.ofDouble(temperature, viewModel.temperatureProperty(), 0.05, 5, 0.1),
                SpinnerBinding.ofInt(topK, viewModel.topKProperty(), 0, 1_000_000, 5),
                SpinnerBinding.ofDouble(topP, viewModel.topPProperty(), 0.01, 1, 0.05),
                SpinnerBinding.ofLong(seed, viewModel.seedProperty()));
        for (Spinner<?> s : new Spinner<?>[]{temperature, topK, topP, seed}) {
            s.disableProperty().bind(greedy.selectedProperty());
        }
        generate.setOnAction(e -> viewModel.generate());
        generate.disableProperty().bind(generation.runningProperty());
        stopGeneration.setOnAction(e -> viewModel.cancel());
        stopGeneration.disableProperty().bind(generation.runningProperty().not());
        error.textProperty().bind(viewModel.errorProperty());
        error.visibleProperty().bind(viewModel.errorProperty().isNotNull());
        error.managedProperty().bind(error.visibleProperty());
        error.getStyleClass().add("conversion-problem");
        output = new GenerationPanes(generation, "lm", "The continuation, streamed token by token as the model "
                + "generates it");
        panes.getChildren().setAll(output.root());
        tip(prompt, "Text both models continue (tokenized with the model's tokenizer, special tokens added as the "
                + "CLI does)");
        tip(generate, "Generate with the original, then with the converted model, streaming each into its pane");
        tip(stopGeneration, "Stop generating; the panes keep what they have");
        tip(maxNewTokens, "Tokens to generate (fewer if the model ends the text)");
        tip(greedy, "Greedy decoding: always the most likely token. Off: sample with the settings on the right");
        tip(temperature, "Sampling temperature (> 0); lower is closer to greedy");
        tip(topK, "Sample among the k most likely tokens (0 = all)");
        tip(topP, "Sample among the most likely tokens whose probability reaches p (1 = all)");
        tip(seed, "Random seed: the same seed gives the same tokens on both runs and every machine");
        subscriptions = Subscription.combine(subscriptions,
                generation.outcomeProperty().subscribe(this::showOutcome),
                generation.runningProperty().subscribe(r -> showOutcome(generation.outcomeProperty().get())),
                output::dispose);
    }

    private static void tip(Control c, String text) { c.setTooltip(new Tooltip(text)); }

    private void showOutcome(SideBySideGeneration.Outcome o) {
        metrics.getChildren().clear();
        if (o == null) return;
        int row = 0;
        String pinned = o.task().containsKey(LanguageModelRun.PINNED + "top1_agreement_pct")
                ? viewModel.pinnedNameProperty().get() : null;
        SideBySideGrid.header(metrics, row++, pinned);
        metrics.addRow(row++, key("CPU speed"), val(speed(o.original())), val(speed(o.converted())));
        int longer = Math.max(o.originalIds().length, o.convertedIds().length);
        metrics.addRow(row++, key("First divergence"), span(val(o.firstDivergence() < 0
                ? "none: the same " + o.originalIds().length + " tokens"
                : "step " + (o.firstDivergence() + 1) + " of " + longer)));
        Double top1 = o.task().get("top1_agreement_pct");
        Double kl = o.task().get("next_token_kl");
        if (top1 != null) {
            Label l = val(String.format(Locale.ROOT, "%.1f %%", top1));
            l.setTooltip(new Tooltip("Positions of the prompt plus the original's continuation where the converted "
                    + "model's most likely next token is the original's (teacher-forced, from the drift analysis)"));
            metrics.addRow(row, key("Top-1 agreement"), new Label(), l);
            Double p = o.task().get(LanguageModelRun.PINNED + "top1_agreement_pct");
            if (p != null) metrics.add(val(String.format(Locale.ROOT, "%.1f %%", p)), 3, row);
            row++;
        }
        if (kl != null) {
            metrics.addRow(row, key("Next-token KL (original ‖ converted)"), new Label(),
                    val(String.format(Locale.ROOT, "%.3g nats", kl)));
            Double p = o.task().get(LanguageModelRun.PINNED + "next_token_kl");
            if (p != null) metrics.add(val(String.format(Locale.ROOT, "%.3g nats", p)), 3, row);
            row++;
        }
    }

    Parent root() { return root; }

    void dispose() {
        subscriptions.unsubscribe();
        subscriptions = Subscription.EMPTY;
        prompt.textProperty().unbindBidirectional(viewModel.promptProperty());
        greedy.selectedProperty().unbindBidirectional(viewModel.greedyProperty());
    }
}

package dev.anewb.app.run;

import dev.anewb.app.ui.Numbers;
import javafx.beans.binding.Bindings;
import javafx.collections.ListChangeListener;
import javafx.geometry.Insets;
import javafx.scene.control.Label;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.ColumnConstraints;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import javafx.util.Subscription;

import java.util.stream.Collectors;

/**
 * Two equal columns, original on the left and converted on the right, each showing its streamed text, token
 * ids and speed as {@link SideBySideGeneration} fills them. Built in code: the same pair serves the language
 * model and Whisper forms.
 */
final class GenerationPanes {
    private final GridPane root = new GridPane();
    private Subscription subscriptions = Subscription.EMPTY;

    GenerationPanes(SideBySideGeneration generation, String idPrefix, String textTip) {
        root.setHgap(12);
        for (int i = 0; i < 2; i++) {
            ColumnConstraints c = new ColumnConstraints();
            c.setPercentWidth(50);
            c.setHgrow(Priority.ALWAYS);
            root.getColumnConstraints().add(c);
        }
        root.add(pane("Original (FP32)", generation.original(), idPrefix + "Original", textTip), 0, 0);
        root.add(pane("Converted", generation.converted(), idPrefix + "Converted", textTip), 1, 0);
    }

    private VBox pane(String title, SideBySideGeneration.Pane p, String id, String textTip) {
        Label head = new Label(title);
        head.getStyleClass().add("section-heading");
        Label text = new Label();
        text.setId(id + "Text");
        text.setWrapText(true);
        text.getStyleClass().add("generation-text");
        text.textProperty().bind(p.textProperty());
        text.setTooltip(new Tooltip(textTip));
        Label ids = new Label();
        ids.setId(id + "Ids");
        ids.setWrapText(true);
        ids.getStyleClass().add("generation-ids");
        ids.setTooltip(new Tooltip("The new token ids, in order"));
        ListChangeListener<Long> onIds = c -> ids.setText(p.ids().isEmpty() ? ""
                : "ids: " + p.ids().stream().map(String::valueOf).collect(Collectors.joining(" ")));
        p.ids().addListener(onIds);
        Label speed = new Label();
        speed.getStyleClass().add("hint");
        speed.setWrapText(true);
        speed.setMinHeight(Label.USE_PREF_SIZE);
        speed.textProperty().bind(Bindings.createStringBinding(() -> speed(p), p.tokensProperty(),
                p.msPerTokenProperty(), p.prefillMsProperty()));
        speed.setTooltip(new Tooltip("Prefill: time to the first new token (the prompt, or Whisper's encoder). "
                + "ms/token: mean time of each later token with the KV cache, on this machine's CPU executor"));
        subscriptions = subscriptions.and(() -> p.ids().removeListener(onIds));
        VBox box = new VBox(6, head, text, ids, speed);
        box.setId(id);
        box.setMinHeight(120);
        box.getStyleClass().add("generation-pane");
        box.setPadding(new Insets(8, 10, 8, 10));
        return box;
    }

    private static String speed(SideBySideGeneration.Pane p) {
        if (p.tokensProperty().get() == 0) return "";
        String s = p.tokensProperty().get() + " tokens · CPU prefill " + Numbers.ms(p.prefillMsProperty().get());
        if (!Double.isNaN(p.msPerTokenProperty().get())) {
            s += " · " + Numbers.sig(p.msPerTokenProperty().get(), 3) + " ms/token";
        }
        return s;
    }

    GridPane root() { return root; }

    void dispose() {
        subscriptions.unsubscribe();
        subscriptions = Subscription.EMPTY;
    }
}

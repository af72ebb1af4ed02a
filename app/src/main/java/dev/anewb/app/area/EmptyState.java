package dev.anewb.app.area;

import dev.anewb.app.ui.Icons;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.control.Label;
import javafx.scene.layout.HBox;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;

/**
 * The placeholder an area shows before it has data: an icon, the area's purpose, the parts it will have and
 * what to do first. Fed from an {@link AreaViewModel}; it shows text, never made-up figures.
 */
public final class EmptyState extends VBox {
    private final StackPane badge = new StackPane();
    private final Label title = new Label();
    private final Label purpose = new Label();
    private final VBox contents = new VBox();
    private final Label hint = new Label();

    public EmptyState() {
        getStyleClass().add("empty-state");
        setAlignment(Pos.CENTER);
        setFillWidth(false);
        badge.getStyleClass().add("empty-state-badge");
        title.getStyleClass().add("empty-state-title");
        purpose.getStyleClass().add("empty-state-purpose");
        purpose.setWrapText(true);
        contents.getStyleClass().add("empty-state-contents");
        hint.getStyleClass().add("empty-state-hint");
        hint.setWrapText(true);
        Label contentsHeading = new Label("What this area will show");
        contentsHeading.getStyleClass().add("empty-state-contents-heading");
        VBox card = new VBox(contentsHeading, contents);
        card.getStyleClass().add("empty-state-card");
        getChildren().addAll(badge, title, purpose, card, hint);
    }

    /** Fills the placeholder; the texts are fixed per area, so plain copies are enough (nothing to unbind). */
    public void show(AreaViewModel viewModel, String iconPath) {
        badge.getChildren().setAll(Icons.icon(iconPath, 32));
        title.setText(viewModel.titleProperty().get());
        purpose.setText(viewModel.purposeProperty().get());
        hint.setText(viewModel.hintProperty().get());
        contents.getChildren().clear();
        for (String line : viewModel.contents()) {
            Node dot = new StackPane();
            dot.getStyleClass().add("empty-state-bullet");
            Label text = new Label(line);
            text.setWrapText(true);
            HBox row = new HBox(dot, text);
            row.getStyleClass().add("empty-state-item");
            row.setAlignment(Pos.CENTER_LEFT);
            contents.getChildren().add(row);
        }
    }
}

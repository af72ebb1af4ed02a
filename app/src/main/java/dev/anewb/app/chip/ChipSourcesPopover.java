package dev.anewb.app.chip;

import dev.anewb.ane.ChipProfile;
import javafx.geometry.Insets;
import javafx.scene.Cursor;
import javafx.scene.Node;
import javafx.scene.control.Label;
import javafx.scene.control.ScrollPane;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.VBox;
import org.controlsfx.control.PopOver;

import java.util.List;
import java.util.function.Supplier;

/**
 * The "sources" popover: every figure of the chip profile a simulated number came from, with its confidence
 * and source. One is shown at a time, next to the node that asked for it.
 */
public final class ChipSourcesPopover {
    private static PopOver open;

    private ChipSourcesPopover() { }

    /** Shows the sources of {@code chip} next to {@code owner} (a button or a summary card). */
    public static void show(Node owner, ChipProfile chip, String extraNote) {
        if (open != null) open.hide();
        PopOver pop = new PopOver(content(chip, extraNote));
        pop.setTitle("Chip profile " + chip.name() + ": where the estimates come from");
        pop.setHeaderAlwaysVisible(true);
        pop.setDetachable(false);
        pop.setArrowLocation(PopOver.ArrowLocation.RIGHT_TOP);
        pop.getStyleClass().add("chip-sources-popover");
        open = pop;
        if (owner.getScene() != null && owner.getScene().getWindow() != null) pop.show(owner);
    }

    /** The popover's body: a grid of figures (also what tests inspect). */
    public static Node content(ChipProfile chip, String extraNote) {
        GridPane grid = new GridPane();
        grid.setHgap(10);
        grid.setVgap(4);
        grid.setId("chipSourcesGrid");
        grid.getStyleClass().add("chip-sources");
        String[] head = {"Figure", "Value", "Conf.", "Source"};
        for (int c = 0; c < head.length; c++) {
            Label l = new Label(head[c]);
            l.getStyleClass().add("section-heading");
            grid.add(l, c, 0);
        }
        List<ChipSources.Row> rows = ChipSources.rows(chip);
        for (int i = 0; i < rows.size(); i++) {
            ChipSources.Row r = rows.get(i);
            Label src = new Label(r.source());
            src.setWrapText(true);
            src.setMaxWidth(380);
            Label conf = new Label(r.confidence());
            conf.getStyleClass().addAll("confidence",
                    "confidence-" + (r.confidence().equals("?") ? "unknown" : r.confidence()));
            Label value = new Label(r.value() + (r.unit().isEmpty() ? "" : " " + r.unit()));
            grid.addRow(i + 1, new Label(r.figure()), value, conf, src);
        }
        VBox box = new VBox(8);
        box.setPadding(new Insets(10));
        box.setMaxWidth(720);
        Label note = new Label("Every Memory and Layout figure is an ESTIMATE simulated from shapes and these figures; "
                + "nothing was measured on a Neural Engine."
                + (extraNote == null ? "" : " " + extraNote));
        note.setWrapText(true);
        Label legend = new Label(ChipSources.CONFIDENCE_LEGEND);
        legend.getStyleClass().add("hint");
        legend.setWrapText(true);
        box.getChildren().addAll(note, grid, legend);
        if (chip.notes() != null && !chip.notes().isBlank()) {
            Label notes = new Label(chip.notes());
            notes.setWrapText(true);
            notes.getStyleClass().add("hint");
            box.getChildren().add(notes);
        }
        ScrollPane scroll = new ScrollPane(box);
        scroll.setFitToWidth(true);
        scroll.setPrefViewportHeight(420);
        scroll.setPrefViewportWidth(700);
        return scroll;
    }

    /** A click handler for any node that shows a chip-labelled estimate. */
    public static void install(Node owner, Supplier<ChipProfile> chip) {
        owner.setOnMouseClicked(e -> show(owner, chip.get(), null));
        owner.setCursor(Cursor.HAND);
    }
}

package dev.anewb.app.run;

import javafx.scene.control.Label;
import javafx.scene.layout.GridPane;

import java.util.Locale;

/**
 * The cells of the Run forms' result grids: a description column, then "Original (FP32)" and "Converted" side by
 * side. Headers and values keep their full text; the first column's descriptions give way instead.
 */
final class SideBySideGrid {
    private SideBySideGrid() { }

    /** The header row: an empty corner, then both models. */
    static void header(GridPane grid, int row) {
        grid.addRow(row, head(""), head("Original (FP32)"), head("Converted"));
    }

    static Label head(String s) {
        Label l = new Label(s);
        l.getStyleClass().add("card-key");
        l.setMinWidth(Label.USE_PREF_SIZE);
        return l;
    }

    static Label key(String s) {
        Label l = new Label(s);
        l.getStyleClass().add("card-key");
        return l;
    }

    static Label val(String s) {
        Label l = new Label(s);
        l.getStyleClass().add("card-value");
        l.setMinWidth(Label.USE_PREF_SIZE);
        return l;
    }

    /** A value that stands for both models: it spans both columns. */
    static Label span(Label l) {
        GridPane.setColumnSpan(l, 2);
        return l;
    }

    static String ms(long nanos) { return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6); }

    /** "3.21 ms/token · prefill 12.0 ms" of one side of a generation; "–" when it made no token. */
    static String speed(SideBySideGeneration.Timing t) {
        if (t.tokens() == 0) return "–";
        return String.format(Locale.ROOT, "%.2f ms/token · prefill %.1f ms", t.msPerToken(), t.prefillMs())
                .replace("NaN ms/token · ", "");
    }
}

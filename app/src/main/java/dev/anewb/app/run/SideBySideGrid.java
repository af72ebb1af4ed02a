package dev.anewb.app.run;

import dev.anewb.app.ui.Numbers;
import javafx.scene.control.Label;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.GridPane;

/**
 * The cells of the Run forms' result grids: a description column, then "Original (FP32)" and "Converted" side by
 * side. Headers and values keep their full text; the first column's descriptions wrap instead.
 */
final class SideBySideGrid {
    private SideBySideGrid() { }

    /** What every time in the Run area is, said once under each form. */
    static final String CPU_NOTE = "CPU simulation: every time here is this machine's CPU executor running the model "
            + "(median, with the fastest and slowest pass or step); the converted model reproduces the Neural "
            + "Engine's numerics, not its speed. Memory estimates the ANE's latency for the chosen chip.";

    /** The header row: an empty corner, then both models. */
    static void header(GridPane grid, int row) {
        grid.addRow(row, head(""), head("Original (FP32)"), head("Converted"));
    }

    /** The header row with a third column for the pinned configuration. */
    static void header(GridPane grid, int row, String pinned) {
        if (pinned == null) {
            header(grid, row);
            return;
        }
        Label p = head("Pinned");
        p.setTooltip(new Tooltip(pinned));
        grid.addRow(row, head(""), head("Original (FP32)"), head("Converted"), p);
    }

    static Label head(String s) {
        Label l = new Label(s);
        l.getStyleClass().add("card-key");
        l.setMinWidth(Label.USE_PREF_SIZE);
        return l;
    }

    /** A description: it wraps where the values need the room, never ends in "…". */
    static Label key(String s) {
        Label l = new Label(s);
        l.getStyleClass().add("card-key");
        l.setWrapText(true);
        l.setMaxWidth(240);
        l.setMinWidth(120);
        l.setMinHeight(Label.USE_PREF_SIZE);
        return l;
    }

    /** A value: it wraps at a space when the columns need the room, never ends in "…". */
    static Label val(String s) {
        Label l = new Label(s);
        l.getStyleClass().add("card-value");
        l.setWrapText(true);
        l.setMinWidth(70);
        l.setMinHeight(Label.USE_PREF_SIZE);
        return l;
    }

    /** A value that stands for both models: it spans both columns. */
    static Label span(Label l) {
        GridPane.setColumnSpan(l, 2);
        return l;
    }

    static String ms(long nanos) { return Numbers.ms(nanos / 1e6); }

    /**
     * "3.21 ms/token (2.9–4.0) · prefill 12 ms" of one side of a generation on the CPU; "–" when it made no token.
     */
    static String speed(SideBySideGeneration.Timing t) {
        if (t.tokens() == 0) return "–";
        String prefill = "prefill " + Numbers.ms(t.prefillMs());
        if (Double.isNaN(t.msPerToken())) return prefill;
        String spread = Double.isNaN(t.minStepMs()) ? "" : " (" + Numbers.sig(t.minStepMs(), 3) + "–"
                + Numbers.sig(t.maxStepMs(), 3) + ")";
        return Numbers.sig(t.msPerToken(), 3) + " ms/token" + spread + " · " + prefill;
    }
}

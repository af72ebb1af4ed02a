package dev.anewb.app.drift;

import dev.anewb.drift.DriftReport;
import javafx.scene.Node;
import javafx.scene.chart.LineChart;
import javafx.scene.chart.XYChart;
import javafx.scene.control.Label;

import java.util.EnumMap;
import java.util.Map;

/**
 * One colour per drift cause, whatever other series a chart shows: the chart's own colours go by series index,
 * so "fp16" would change colour when quantization is switched on. The full conversion ("all") is a wide translucent
 * band under the causes, the pinned configuration grey and dashed on top of everything; a decoder's curve has square
 * points.
 * Mid-tone colours so that every curve reads on the light and the dark theme alike.
 */
public final class DriftPalette {
    private static final Map<DriftReport.Cause, String> COLOURS = new EnumMap<>(Map.of(
            DriftReport.Cause.QUANTIZATION, "#e8590c",
            DriftReport.Cause.FP16, "#1c7ed6",
            DriftReport.Cause.CHUNKING, "#2f9e44",
            DriftReport.Cause.LAYOUT, "#ae3ec9",
            DriftReport.Cause.ACTIVATIONS, "#0c8599",
            DriftReport.Cause.ALL, "#d6336c"));
    static final String PINNED = "#868e96";

    private DriftPalette() { }

    /** The colour of a cause's curve; {@code null} is the pinned curve. */
    public static String colour(DriftReport.Cause cause) {
        return cause == null ? PINNED : COLOURS.get(cause);
    }

    /** As {@link #style(LineChart, XYChart.Series, DriftReport.Cause, String)} for a single-stack model. */
    public static void style(LineChart<?, ?> chart, XYChart.Series<?, ?> series, DriftReport.Cause cause) {
        style(chart, series, cause, "");
    }

    /**
     * Colours a series already added to {@code chart}: its line, its points and its legend entry.
     *
     * @param cause the cause the series shows, {@code null} for the pinned curve (dashed, on top)
     * @param stack "decoder" draws square points, so Whisper's two stacks read apart
     */
    public static void style(LineChart<?, ?> chart, XYChart.Series<?, ?> series, DriftReport.Cause cause,
                             String stack) {
        String c = colour(cause);
        boolean pinned = cause == null;
        boolean band = cause == DriftReport.Cause.ALL;
        double width = pinned ? 3 : band ? 9 : 2;
        if (series.getNode() != null) {
            series.getNode().setStyle("-fx-stroke: " + c + "; -fx-stroke-width: " + width + ";"
                    + (pinned ? " -fx-stroke-dash-array: 8 6;" : "") + (band ? " -fx-opacity: 0.35;" : ""));
        }
        String shape = "decoder".equals(stack) ? " -fx-background-radius: 0; -fx-padding: 4;" : "";
        String symbol = "-fx-background-color: " + c + ";" + shape + (band ? " -fx-padding: 6;" : "");
        for (XYChart.Data<?, ?> d : series.getData()) {
            if (d.getNode() != null) d.getNode().setStyle(symbol);
        }
        // The legend is rebuilt whenever a series is added; its entries carry the series' name as their text.
        for (Node n : chart.lookupAll(".chart-legend-item")) {
            if (n instanceof Label l && series.getName() != null && series.getName().equals(l.getText())
                    && l.getGraphic() != null) {
                l.getGraphic().setStyle(symbol);
            }
        }
    }
}

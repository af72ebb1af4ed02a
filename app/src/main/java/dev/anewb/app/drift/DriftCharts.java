package dev.anewb.app.drift;

import dev.anewb.drift.DriftReport;
import dev.anewb.drift.TapMetrics;
import javafx.scene.chart.CategoryAxis;
import javafx.scene.chart.LineChart;
import javafx.scene.chart.NumberAxis;
import javafx.scene.chart.XYChart;

import java.util.List;
import java.util.Map;

/** A stand-alone drift chart (hidden states, one series per cause) for reports: the same picture as the Drift area. */
public final class DriftCharts {
    private DriftCharts() { }

    private static DriftReport.Cause causeNamed(String label) {
        for (DriftReport.Cause c : DriftReport.Cause.values()) if (c.label().equals(label)) return c;
        return DriftReport.Cause.ALL;
    }

    public static LineChart<String, Number> perLayer(DriftReport report, DriftMetric metric, String title) {
        CategoryAxis x = new CategoryAxis();
        x.setLabel("hidden state (0 = embeddings, i = output of layer i)");
        NumberAxis y = new NumberAxis();
        y.setLabel(metric.axisLabel());
        y.setForceZeroInRange(false);
        LineChart<String, Number> chart = new LineChart<>(x, y);
        chart.setAnimated(false);
        chart.setTitle(title);
        Map<DriftReport.Cause, List<TapMetrics>> causes = report.byCause().isEmpty()
                ? Map.of(DriftReport.Cause.ALL, report.taps()) : report.byCause();
        for (Map.Entry<DriftReport.Cause, List<TapMetrics>> e : causes.entrySet()) {
            XYChart.Series<String, Number> s = new XYChart.Series<>();
            s.setName(e.getKey().label());
            for (TapMetrics t : e.getValue()) {
                double v = metric.of(t);
                if (DriftViewModel.isLayerOutput(t.name()) && Double.isFinite(v)) {
                    s.getData().add(new XYChart.Data<>(t.name(), v));
                }
            }
            chart.getData().add(s);
        }
        for (XYChart.Series<String, Number> s : chart.getData()) DriftPalette.style(chart, s, causeNamed(s.getName()));
        return chart;
    }
}

package dev.anewb.app.drift;

import dev.anewb.drift.DriftReport;
import dev.anewb.drift.TapMetrics;
import javafx.scene.chart.LineChart;
import javafx.scene.chart.XYChart;
import javafx.scene.control.Label;
import javafx.stage.Stage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The report chart: Whisper's encoder/decoder layer outputs are plotted, and each cause keeps its colour. */
@ExtendWith(ApplicationExtension.class)
class DriftChartsTest {
    @Start void start(Stage stage) { }

    private static TapMetrics tap(String name, double sqnr) {
        return new TapMetrics(name, sqnr, 0.999, 0.01, 0.02, 1);
    }

    @Test void whisperLayerOutputsArePlotted() throws Exception {
        List<TapMetrics> taps = List.of(tap("encoder_hidden_states.0", 60), tap("encoder.layers.0.attn_out", 55),
                tap("encoder_hidden_states.1", 50), tap("decoder_hidden_states.0", 45),
                tap("decoder_hidden_states.1", 40));
        DriftReport report = new DriftReport(taps, Map.of(), Map.of(DriftReport.Cause.FP16, taps));
        LineChart<String, Number> chart =
                WaitForAsyncUtils.asyncFx(() -> DriftCharts.perLayer(report, DriftMetric.SQNR, "t")).get();
        assertEquals(List.of("encoder_hidden_states.0", "encoder_hidden_states.1", "decoder_hidden_states.0",
                        "decoder_hidden_states.1"),
                chart.getData().getFirst().getData().stream().map(XYChart.Data::getXValue).toList());
    }

    @Test void aCauseKeepsItsColourWhateverElseIsShown() throws Exception {
        List<TapMetrics> taps = List.of(tap("hidden_states.0", 60), tap("hidden_states.1", 50));
        Map<DriftReport.Cause, List<TapMetrics>> fp16Only = Map.of(DriftReport.Cause.FP16, taps);
        Map<DriftReport.Cause, List<TapMetrics>> both = new LinkedHashMap<>();
        both.put(DriftReport.Cause.QUANTIZATION, taps);
        both.put(DriftReport.Cause.FP16, taps);
        String alone = WaitForAsyncUtils.asyncFx(() -> fp16Style(new DriftReport(taps, Map.of(), fp16Only))).get();
        String withQuantization =
                WaitForAsyncUtils.asyncFx(() -> fp16Style(new DriftReport(taps, Map.of(), both))).get();
        assertTrue(alone.contains(DriftPalette.colour(DriftReport.Cause.FP16)), alone);
        assertEquals(alone, withQuantization);
        assertNotEquals(DriftPalette.colour(DriftReport.Cause.FP16),
                DriftPalette.colour(DriftReport.Cause.QUANTIZATION));
    }

    private static String fp16Style(DriftReport report) {
        LineChart<String, Number> chart = DriftCharts.perLayer(report, DriftMetric.SQNR, "t");
        XYChart.Series<String, Number> fp16 = chart.getData().stream().filter(s -> s.getName().equals("fp16"))
                .findFirst().orElseThrow();
        String legend = chart.lookupAll(".chart-legend-item").stream().map(n -> (Label) n)
                .filter(l -> l.getText().equals("fp16")).findFirst().orElseThrow().getGraphic().getStyle();
        return fp16.getNode().getStyle() + " | " + fp16.getData().getFirst().getNode().getStyle() + " | " + legend;
    }
}

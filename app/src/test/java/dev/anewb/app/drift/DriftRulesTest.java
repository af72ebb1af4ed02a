package dev.anewb.app.drift;

import dev.anewb.api.ConvertedModel;
import dev.anewb.api.ModelSession;
import dev.anewb.app.session.GraphNames;
import dev.anewb.drift.DriftReport;
import dev.anewb.drift.TapMetrics;
import dev.anewb.io.BundledModel;
import dev.anewb.job.JobContext;
import dev.anewb.model.Conversion;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The Drift area's rules on real reports of the engine (no toolkit): scale, worst layer, ranges. */
class DriftRulesTest {
    private static TapMetrics m(String tap, double db) { return new TapMetrics(tap, db, 0.99, 0.01, 0.02, 1); }

    @Test void aCurveFarAboveTheOthersIsLeftOffTheScale() {
        Map<DriftReport.Cause, List<TapMetrics>> curves = new EnumMap<>(DriftReport.Cause.class);
        curves.put(DriftReport.Cause.ALL, List.of(m("hidden_states.1", 44), m("hidden_states.2", 40)));
        curves.put(DriftReport.Cause.QUANTIZATION, List.of(m("hidden_states.1", 45), m("hidden_states.2", 41)));
        curves.put(DriftReport.Cause.LAYOUT, List.of(m("hidden_states.1", 130), m("hidden_states.2", 121)));
        assertEquals(DriftReport.Cause.LAYOUT, DriftViewModel.offScaleCause(curves));
        curves.put(DriftReport.Cause.LAYOUT, List.of(m("hidden_states.1", 60), m("hidden_states.2", 58)));
        assertNull(DriftViewModel.offScaleCause(curves), "within 20 dB of the others it stays on the chart");
    }

    @Test void theRangeHoldsEveryPlottedValueOnWholeTicks() {
        List<DriftViewModel.Point> pts = List.of(new DriftViewModel.Point("a", "a", m("a", 35.6)),
                new DriftViewModel.Point("b", "b", m("b", 66.7)));
        DriftViewModel.YRange r = DriftViewModel.yRange(List.of(new DriftViewModel.Series("all", pts,
                DriftReport.Cause.ALL, "")));
        assertTrue(r.lower() < 35.6 && r.upper() > 66.7, r.toString());
        assertEquals(0, r.lower() % r.tick(), 1e-9);
        assertEquals(0, r.upper() % r.tick(), 1e-9);
    }

    @Test void ofTwoCausesStartingAtTheWorstLayerTheOneLosingMoreIsNamed() {
        // W8A8: INT8 weights and INT8 activations are both exact at the embeddings and both start at layer 0
        TapMetrics exact = new TapMetrics("hidden_states.0", Double.POSITIVE_INFINITY, 1, 0, 0, 1);
        Map<DriftReport.Cause, List<TapMetrics>> byCause = new EnumMap<>(DriftReport.Cause.class);
        byCause.put(DriftReport.Cause.QUANTIZATION, List.of(exact, m("hidden_states.1", 44.8)));
        byCause.put(DriftReport.Cause.ACTIVATIONS, List.of(exact, m("hidden_states.1", 17.5)));
        List<TapMetrics> all = List.of(m("hidden_states.0", 66.7), m("hidden_states.1", 17.4));
        byCause.put(DriftReport.Cause.ALL, all);
        DriftReport r = new DriftReport(all, Map.of(), byCause);
        DriftViewModel.Worst w = DriftViewModel.worstLayer(r);
        assertEquals(DriftReport.Cause.ACTIVATIONS, w.cause(), w.text());
        assertTrue(w.text().contains("activations alone starts there"), w.text());
    }

    @Test void theWorstLayerIsTheOneWhoseOutputLosesMost() {
        try (ModelSession s = ModelSession.open(BundledModel.ID, JobContext.NONE)) {
            ConvertedModel c = s.convert(Conversion.ANE_DEFAULT.withInt8(true, 64, false));
            DriftReport r = c.drift(ConvertedModel.SAMPLE_TEXTS, true, JobContext.NONE);
            DriftViewModel.Worst w = DriftViewModel.worstLayer(r);
            // the largest drop between consecutive layer outputs of the report itself
            List<TapMetrics> outs = new ArrayList<>(r.taps().stream()
                    .filter(t -> GraphNames.isLayerOutput(t.name())).toList());
            double best = Double.NEGATIVE_INFINITY;
            int at = -1;
            for (int i = 1; i < outs.size(); i++) {
                double d = outs.get(i - 1).sqnrDb() - outs.get(i).sqnrDb();
                if (d > best) {
                    best = d;
                    at = i - 1;
                }
            }
            assertEquals(new GraphNames.Layer("", at), w.layer());
            assertEquals(best, w.drop(), 1e-12);
            // the cause that loses most there: one exact before the layer and not after it starts its error there
            String before = outs.get(at).name(), after = outs.get(at + 1).name();
            DriftReport.Cause expected = null;
            double most = Double.NEGATIVE_INFINITY;
            for (var e : r.byCause().entrySet()) {
                if (e.getKey() == DriftReport.Cause.ALL) continue;
                TapMetrics b = e.getValue().stream().filter(t -> t.name().equals(before)).findFirst().orElseThrow();
                TapMetrics a = e.getValue().stream().filter(t -> t.name().equals(after)).findFirst().orElseThrow();
                if (a.exact()) continue;
                double d = b.exact() ? Double.POSITIVE_INFINITY : b.sqnrDb() - a.sqnrDb();
                if (d > most) {
                    most = d;
                    expected = e.getKey();
                }
            }
            assertEquals(expected, w.cause());
            assertTrue(w.text().startsWith("Worst: layer " + at + " loses"), w.text());
        }
    }

    @Test void largeModelsOfferRangesOfFourLayers() {
        List<DriftViewModel.RangeChoice> c = DriftViewModel.rangeChoices(16);
        assertNull(c.getFirst().range(), "the first choice is every layer");
        assertEquals(5, c.size());
        assertEquals("0-3", c.get(1).range().toString());
        assertEquals("12-15", c.get(4).range().toString());
        assertEquals(1, DriftViewModel.rangeChoices(4).size(), "four layers or fewer: only all of them");
        assertEquals("4-5", DriftViewModel.rangeChoices(6).getLast().range().toString(), "the last range is short");
    }
}

package dev.anewb.drift;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.api.ConvertedModel;
import dev.anewb.api.ModelSession;
import dev.anewb.io.BundledModel;
import dev.anewb.io.OnnxWeights;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.arch.Architectures;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** spec/drift.md attribution by cause on MiniLM: sanity relations between the curves. */
class DriftByCauseTest {
    @Test
    void allIsNeverMuchBetterThanTheWorstSingleCauseAndLayoutIsNearExact() throws Exception {
        JsonNode json = new ObjectMapper().readTree(Fixtures.fixture("minilm").resolve("reference.json").toFile());
        try (OnnxWeights w = OnnxWeights.open(BundledModel.onnxPath())) {
            ModelGraph g = Architectures.graph(Architectures.readConfig(BundledModel.configPath()),
                    new Architectures.GraphOptions(w::contains, true));
            ModelSession d = ModelSession.of(g, w);
            for (int s = 0; s < 3; s++) {
                JsonNode ids = json.get("token_ids").get(s);
                long[] a = new long[ids.size()];
                for (int i = 0; i < a.length; i++) a[i] = ids.get(i).asLong();
                Conversion c = new Conversion(Conversion.Layout.BC1S, Conversion.Precision.FP16, true, 128, false,
                        List.of(), Map.of(),
                        8, 2);
                DriftReport r = d.convert(c).drift(Batch.of(a), true, JobContext.NONE);
                assertEquals(5, r.byCause().size());
                for (int t = 0; t < r.taps().size(); t++) {
                    String name = r.taps().get(t).name();
                    double all = r.byCause().get(DriftReport.Cause.ALL).get(t).sqnrDb();
                    double worst = Double.POSITIVE_INFINITY;
                    for (DriftReport.Cause cause : List.of(DriftReport.Cause.QUANTIZATION, DriftReport.Cause.FP16,
                            DriftReport.Cause.CHUNKING)) {
                        worst = Math.min(worst, r.byCause().get(cause).get(t).sqnrDb());
                    }
                    assertTrue(all <= worst + 1.0, name + ": all " + all + " dB better than the worst cause " + worst
                            + " dB by more than 1 dB");
                    double layout = r.byCause().get(DriftReport.Cause.LAYOUT).get(t).sqnrDb();
                    assertTrue(layout >= 100, name + ": layout-only SQNR " + layout);
                }
                assertEquals(r.taps(), r.byCause().get(DriftReport.Cause.ALL));
            }
        }
    }

    /**
     * W8A8 adds the cause "activations": the original with only the projections' inputs INT8 (FP32 weights). Its
     * SQNR is finite from the first projection on (exact before it), and on the residual stream (hidden_states.i) all
     * together is again never much better than the worst single cause. On the bundled MiniLM (calibrated on the
     * built-in sample texts; measured on the fixture sentences and on that sample) and bert-tiny (its sample).
     *
     * <p>Not held to it: the branch taps (attn_out, mlp_out: INT8's noise without the residual's signal, 10–17 dB on
     * MiniLM) and the pooled embedding (one vector). Per-tensor INT8 errors that large do not add: on MiniLM's
     * fixture sentences INT8 weights move layers.5.mlp_out from 14.2 dB (activations alone) to 16.3 dB, and all
     * together sits up to 2.5 dB above the activations alone on such a tap.
     */
    @Test
    void activationsAreACauseOfTheirOwn() throws Exception {
        // the ANE default with INT8 activations (a window-8 chunking's own drift, near 0 dB, would drown the rest)
        Conversion w8a8 = new Conversion(Conversion.Layout.BC1S, Conversion.Precision.FP16, true, 128, false, List.of(),
                Map.of(), 0, 0, Conversion.Activations.INT8);
        JsonNode json = new ObjectMapper().readTree(Fixtures.fixture("minilm").resolve("reference.json").toFile());
        try (ModelSession minilm = ModelSession.open(BundledModel.ID, JobContext.NONE)) {
            for (int s = 0; s < 3; s++) {
                JsonNode ids = json.get("token_ids").get(s);
                long[] a = new long[ids.size()];
                for (int i = 0; i < a.length; i++) a[i] = ids.get(i).asLong();
                DriftReport r = minilm.convert(w8a8).drift(Batch.of(a), true, JobContext.NONE);
                checkActivationsCause("minilm sentence " + s, r);
            }
            ConvertedModel m = minilm.convert(w8a8);
            checkActivationsCause("minilm sample", m.drift(m.sampleInput(), true, JobContext.NONE));
        }
        try (ModelSession bert = ModelSession.open(Fixtures.fixture("bert-tiny").toString(), JobContext.NONE)) {
            ConvertedModel m = bert.convert(w8a8);
            checkActivationsCause("bert-tiny", m.drift(m.sampleInput(), true, JobContext.NONE));
        }
    }

    private static void checkActivationsCause(String what, DriftReport r) {
        assertEquals(5, r.byCause().size(), what);
        List<TapMetrics> a8 = r.byCause().get(DriftReport.Cause.ACTIVATIONS);
        assertTrue(Double.isInfinite(a8.getFirst().sqnrDb()), what + ": the embeddings come before any projection");
        for (int t = 0; t < r.taps().size(); t++) {
            String name = r.taps().get(t).name();
            double activations = a8.get(t).sqnrDb();
            if (t > 0) {
                assertTrue(Double.isFinite(activations) && activations > 0, what + " " + name + ": " + activations);
            }
            if (!name.startsWith("hidden_states.")) continue;
            double all = r.byCause().get(DriftReport.Cause.ALL).get(t).sqnrDb();
            double worst = Double.POSITIVE_INFINITY;
            for (DriftReport.Cause cause : List.of(DriftReport.Cause.QUANTIZATION, DriftReport.Cause.FP16,
                    DriftReport.Cause.ACTIVATIONS)) {
                worst = Math.min(worst, r.byCause().get(cause).get(t).sqnrDb());
            }
            assertTrue(all <= worst + 1.0, what + " " + name + ": all " + all + " dB better than the worst cause "
                    + worst + " dB by more than 1 dB");
        }
        TapMetrics last = r.lastHidden();
        int i = r.taps().indexOf(last);
        StringBuilder sb = new StringBuilder(what + " W8A8 " + last.name() + " SQNR by cause:");
        r.byCause().forEach((cause, taps) ->
                sb.append(' ').append(cause.label()).append(' ').append(taps.get(i).sqnrText()));
        System.out.println(sb);
    }
}

package dev.anewb.drift;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
            ModelGraph g = Architectures.graph(Architectures.readConfig(BundledModel.configPath()), new Architectures.GraphOptions(w::contains, true));
            ModelSession d = ModelSession.of(g, w);
            for (int s = 0; s < 3; s++) {
                JsonNode ids = json.get("token_ids").get(s);
                long[] a = new long[ids.size()];
                for (int i = 0; i < a.length; i++) a[i] = ids.get(i).asLong();
                Conversion c = new Conversion(Conversion.Layout.BC1S, Conversion.Precision.FP16, true, 128, false, List.of(), Map.of(),
                        8, 2);
                DriftReport r = d.convert(c).drift(Batch.of(a), true, JobContext.NONE);
                assertEquals(5, r.byCause().size());
                for (int t = 0; t < r.taps().size(); t++) {
                    String name = r.taps().get(t).name();
                    double all = r.byCause().get(DriftReport.Cause.ALL).get(t).sqnrDb();
                    double worst = Double.POSITIVE_INFINITY;
                    for (DriftReport.Cause cause : List.of(DriftReport.Cause.QUANTIZATION, DriftReport.Cause.FP16, DriftReport.Cause.CHUNKING)) {
                        worst = Math.min(worst, r.byCause().get(cause).get(t).sqnrDb());
                    }
                    assertTrue(all <= worst + 1.0, name + ": all " + all + " dB better than the worst cause " + worst + " dB by more than 1 dB");
                    double layout = r.byCause().get(DriftReport.Cause.LAYOUT).get(t).sqnrDb();
                    assertTrue(layout >= 100, name + ": layout-only SQNR " + layout);
                }
                assertEquals(r.taps(), r.byCause().get(DriftReport.Cause.ALL));
            }
        }
    }
}

package dev.anewb.drift;

import dev.anewb.api.ModelSession;
import dev.anewb.io.SafetensorsFile;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.arch.Architectures;
import dev.anewb.runtime.Activation;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Next-token KL, top-1 agreement and greedy continuation agreement (spec/drift.md task metrics for LMs). */
class LanguageModelDriftTest {

    /**
     * Three positions of a 2-token vocabulary, the middle one padding. Position 0: ref (0, 0) → p = (½, ½), conv
     * (ln 3, 0) → q = (¾, ¼): KL = ½·ln(½/¾) + ½·ln(½/¼) = ½·ln(4/3) = 0.1438410; both argmax 0. Position 2: ref (1,
     * 0),
     * conv (0, 1): p = (σ(1), σ(−1)) = (0.7310586, 0.2689414), q reversed, KL = (p0 − p1)·(ln p0 − ln p1) =
     * 0.4621172·1;
     * argmax differs. Mean over the two valid positions 0.3029791, top-1 agreement 50 %.
     */
    @Test
    void klAndTop1FollowTheClosedFormAndSkipPadding() {
        Activation ref = new Activation(1, 3, 2, new float[] {0, 0, 50, -50, 1, 0});
        Activation conv = new Activation(1, 3, 2, new float[] {(float) Math.log(3), 0, -50, 50, 0, 1});
        Batch input = new Batch(1, 3, new long[][] {{0, 0, 0}}, null, new int[][] {{1, 0, 1}});
        DriftAnalysis.TaskMetrics.NextToken nt = DriftAnalysis.TaskMetrics.nextToken(ref, conv, input);
        assertEquals(0.3029791, nt.meanKl(), 1e-6);
        assertEquals(50.0, nt.top1AgreementPct(), 1e-12);
        assertEquals(2, nt.positions());
        assertEquals(0.0, DriftAnalysis.TaskMetrics.nextToken(ref, ref, input).meanKl(), 1e-12);
    }

    @Test
    void gpt2Int8ReportsNextTokenMetricsAndGreedyAgreement() {
        Path dir = Fixtures.fixture("gpt2-tiny");
        try (SafetensorsFile weights = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            var config = Architectures.readConfig(dir.resolve("config.json"));
            ModelGraph g = Architectures.graph(config, new Architectures.GraphOptions(weights::contains, false));
            Conversion int8 = Conversion.ORIGINAL.withInt8(true, 128, false);
            Batch batch = Batch.of(917, 221, 266, 68, 85, 309, 83, 572, 275, 317, 87, 73, 68, 597);
            ModelSession s = ModelSession.of(g, weights);
            DriftReport r = s.convert(int8).drift(batch, false, JobContext.NONE);
            Map<String, Double> task = r.task();
            assertTrue(task.get("next_token_kl") > 0 && task.get("next_token_kl") < 0.05, "KL "
                    + task.get("next_token_kl"));
            assertTrue(task.get("top1_agreement_pct") >= 50 && task.get("top1_agreement_pct") <= 100);
                        var same = DriftAnalysis.greedyContinuation(s.executor(Conversion.ORIGINAL),
                                s.executor(Conversion.ORIGINAL),
                    new long[] {721, 496, 536}, Map.of(), 12, JobContext.NONE);
            assertEquals(100.0, same.agreementPct());
            var c = DriftAnalysis.greedyContinuation(s.executor(Conversion.ORIGINAL), s.executor(int8),
                    new long[] {721, 496, 536}, Map.of(), 12, JobContext.NONE);
            // The original's continuation is transformers' (fixture "generated" of prompt 0).
            assertArrayEquals(new long[] {1156, 1088, 368, 1120, 436, 753, 843, 404, 467, 467, 223, 417},
                    c.reference());
            assertEquals(12, c.converted().length);
            System.out.printf("gpt2-tiny INT8-B128: next_token_kl %.3g, top1 %.1f%%, greedy agreement %.1f%%%n",
                    task.get("next_token_kl"), task.get("top1_agreement_pct"), c.agreementPct());
        }
    }
}

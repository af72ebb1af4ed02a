package dev.anewb.ane;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.convert.Converter;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.WeightInfo;
import dev.anewb.model.WeightRole;
import dev.anewb.model.arch.Architectures;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AnePlannerTest {
    static final ChipProfiles PROFILES = ChipProfiles.bundled();
    static final Conversion FP16_BC1S = new Conversion(Conversion.Layout.BC1S, Conversion.Precision.FP16, false, 128, false, List.of(), Map.of(), 0, 0);

    @Test void bertBaseForwardFlopsAtSeq128() {
        // projections per layer: 4·768² + 2·768·3072 = 7 077 888; × 12 layers + pooler 768² = 85 524 480 weights
        // 2 × 85 524 480 × 128 tokens = 21 894 266 880; attention matmuls 2·2·128²·768 per layer × 12 = 603 979 776
        // closed form 22 498 246 656 (the pooler really runs on 1 token, −0.67%; biases, norms, softmax add ~0.2%)
        double closed = 2.0 * 85_524_480 * 128 + 12 * 2.0 * 2 * 128 * 128 * 768;
        assertEquals(22_498_246_656.0, closed);
        PlanResult r = AnePlanner.plan(TestModels.graph("bert-base-uncased"), FP16_BC1S, PROFILES.get("A17 Pro"), 1, 128, null);
        assertEquals(1.0, r.optimized().flops() / closed, 0.01);
        assertEquals(r.optimized().flops() - r.baseline().flops(), 0, "layout does not change the arithmetic");
    }

    @Test void occupancyNeverExceedsTheBuffer() {
        ModelGraph g = TestModels.graph("bert-base-uncased");
        for (double mb : new double[]{0.25, 1, 4, 32}) {
            for (int seq : new int[]{8, 128, 512, 2048}) {
                for (Conversion c : List.of(FP16_BC1S, FP16_BC1S.withInt8(true, 32, false).withChunking(256, 64), AnePlanner.BASELINE)) {
                    PlanResult r = AnePlanner.plan(g, c, PROFILES.get("A15"), 2, seq, mb);
                    long buf = r.chip().bufferBytes();
                    for (PlanTotals t : List.of(r.optimized(), r.baseline())) {
                        for (OpPlan o : t.ops()) assertTrue(o.sramTotal() <= buf, o.name() + " " + o.sramTotal() + " > " + buf);
                        assertTrue(t.peakSramBytes() <= buf);
                    }
                }
            }
        }
    }

    @Test void dramTrafficReadsEveryWeightOnTheAneAtLeastOnce() {
        ModelGraph g = TestModels.graph("distilbert-base-uncased");
        for (Conversion c : List.of(FP16_BC1S, FP16_BC1S.withInt8(true, 64, false))) {
            PlanResult r = AnePlanner.plan(g, c, PROFILES.get("M4"), 1, 64, null);
            long weightsOnAne = 0;
            for (WeightInfo w : Converter.convert(g, c).graph().weights().values()) {
                if (w.role() != WeightRole.EMBEDDING) weightsOnAne += PlannedWeights.storageOf(w, c).totalBytes();
            }
            assertTrue(r.optimized().dramBytes() >= weightsOnAne, r.optimized().dramBytes() + " < " + weightsOnAne);
            for (OpPlan o : r.optimized().ops()) {
                if (o.kind().equals("linear")) assertTrue(o.dramBytes() >= 2L * 768 * 768 / 2);
            }
        }
    }

    @Test void blockSizeChangesScaleAndZeroPointBytesByTheFormula() {
        // every projection of bert-base has in = 768 or 3072, divisible by 32 and 128: scale + zp = 3 B per (row, block)
        // Δ = 3·P·(1/32 − 1/128) = 9·P/128 with P = 85 524 480 projection weights → 6 013 440 B
        ModelGraph g = TestModels.graph("bert-base-uncased");
        PlanResult b32 = AnePlanner.plan(g, FP16_BC1S.withInt8(true, 32, false), PROFILES.get("A15"), 1, 128, null);
        PlanResult b128 = AnePlanner.plan(g, FP16_BC1S.withInt8(true, 128, false), PROFILES.get("A15"), 1, 128, null);
        assertEquals(6_013_440L, b32.optimized().weightBytes() - b128.optimized().weightBytes());
        assertEquals(6_013_440L, b32.optimized().dramBytes() - b128.optimized().dramBytes());
        // FP16 → INT8 B=128: projections go from 16 to 8 + 24/128 bits: saves P·(2 − 1 − 3/128) B = 83 520 000 B
        PlanResult fp16 = AnePlanner.plan(g, FP16_BC1S, PROFILES.get("A15"), 1, 128, null);
        assertEquals(83_520_000L, fp16.optimized().weightBytes() - b128.optimized().weightBytes());
    }

    @Test void chunkWindowChangesScoreBytesByTheFormula() {
        // one head, one chunk in the buffer at a time: S·W·2 B (FP16; W·2 is a multiple of 64 here)
        ModelGraph g = TestModels.graph("bert-base-uncased");
        ChipProfile a15 = PROFILES.get("A15");
        long full = AnePlanner.plan(g, FP16_BC1S, a15, 1, 512, null).optimized().op("layers.0.context").sram(BufferKind.SCORES);
        long w256 = AnePlanner.plan(g, FP16_BC1S.withChunking(256, 64), a15, 1, 512, null).optimized().op("layers.0.context").sram(BufferKind.SCORES);
        long w128 = AnePlanner.plan(g, FP16_BC1S.withChunking(128, 0), a15, 1, 512, null).optimized().op("layers.0.context").sram(BufferKind.SCORES);
        assertEquals(512L * 512 * 2, full);   // 524 288
        assertEquals(192L * 256 * 2, w256);   // S = 192: 98 304
        assertEquals(128L * 128 * 2, w128);   // 32 768
    }

    @Test void baselineCopiesAndSpillsTheBatchedScores() {
        // distilbert seq 512 on A15: batched scores 12·512·512 elements, each in a 64-byte row (chips.json
        // baseline_score_last_axis = 1) = 201 326 592 B > 4 MiB, so they spill
        PlanResult r = AnePlanner.plan(Calibration.distilbertBase(), FP16_BC1S, PROFILES.get("A15"), 1, 512, null);
        OpPlan att = r.baseline().op("layers.0.context");
        assertTrue(att.spillBytes() > 0);
        assertEquals(2L * 12 * 512 * 512 * 64, att.dramScratchBytes());
        assertEquals("copy", r.baseline().op("layers.0.context.q.to_heads").kind());
        assertEquals(0, r.optimized().op("layers.0.context").spillBytes(), "one head's 512×512 FP16 scores fit in 4 MiB");
    }

    @Test void warningsFollowRules3And5() {
        PlanResult r = AnePlanner.plan(TestModels.graph("distilbert-base-uncased"), FP16_BC1S.withInt8(true, 32, false),
                PROFILES.get("A15"), 1, 128, null);
        OpPlan embed = r.optimized().op("embeddings.sum");
        assertFalse(embed.onAne());
        assertTrue(embed.warnings().getFirst().startsWith("rule 5"));
        OpPlan q = r.optimized().op("layers.0.q");
        assertTrue(q.warnings().getFirst().contains("rule 3") && q.warnings().getFirst().contains("Per-channel alternative: 8.03"), q.warnings().toString());
    }

    @Test void dimensionsAbove16384AreFlagged() throws Exception {
        var node = new ObjectMapper().readTree(
                "{\"model_type\":\"bert\",\"hidden_size\":256,\"num_hidden_layers\":1,\"num_attention_heads\":4,\"intermediate_size\":20000,\"vocab_size\":100}");
        ModelGraph g = Architectures.graph(Architectures.parseConfig(node, Path.of("t")),
                Architectures.GraphOptions.CONFIG_ONLY);
        OpPlan up = AnePlanner.plan(g, FP16_BC1S, PROFILES.get("M4"), 1, 16, null).optimized().op("layers.0.mlp_up");
        assertFalse(up.onAne());
        assertTrue(up.warnings().getFirst().contains("rule 4") && up.warnings().getFirst().contains("20000"));
    }

    @Test void sramOverrideChangesTheBuffer() {
        PlanResult r = AnePlanner.plan(Calibration.distilbertBase(), FP16_BC1S, PROFILES.get("M4"), 1, 512, 1.0);
        assertEquals(1L << 20, r.chip().bufferBytes());
        assertTrue(r.optimized().peakSramBytes() <= 1L << 20);
    }
}

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
    static final Conversion FP16_BC1S = new Conversion(Conversion.Layout.BC1S, Conversion.Precision.FP16, false, 128,
            false, List.of(), Map.of(), 0, 0);

    @Test void bertBaseForwardFlopsAtSeq128() {
        // projections per layer: 4·768² + 2·768·3072 = 7 077 888; × 12 layers + pooler 768² = 85 524 480 weights
        // 2 × 85 524 480 × 128 tokens = 21 894 266 880; attention matmuls 2·2·128²·768 per layer × 12 = 603 979 776
        // closed form 22 498 246 656 (the pooler really runs on 1 token, −0.67%; biases, norms, softmax add ~0.2%)
        double closed = 2.0 * 85_524_480 * 128 + 12 * 2.0 * 2 * 128 * 128 * 768;
        assertEquals(22_498_246_656.0, closed);
        PlanResult r = AnePlanner.plan(TestModels.graph("bert-base-uncased"), FP16_BC1S, PROFILES.get("A17 Pro"), 1,
                128, null);
        assertEquals(1.0, r.optimized().flops() / closed, 0.01);
        assertEquals(r.optimized().flops() - r.baseline().flops(), 0, "layout does not change the arithmetic");
    }

    @Test void occupancyNeverExceedsTheBuffer() {
        ModelGraph g = TestModels.graph("bert-base-uncased");
        for (double mb : new double[]{0.25, 1, 4, 32}) {
            for (int seq : new int[]{8, 128, 512, 2048}) {
                for (Conversion c : List.of(FP16_BC1S, FP16_BC1S.withInt8(true, 32, false).withChunking(256, 64),
                        AnePlanner.BASELINE)) {
                    PlanResult r = AnePlanner.plan(g, c, PROFILES.get("A15"), 2, seq, mb);
                    long buf = r.chip().bufferBytes();
                    for (PlanTotals t : List.of(r.optimized(), r.baseline())) {
                        for (OpPlan o : t.ops()) assertTrue(o.sramTotal() <= buf, o.name() + " " + o.sramTotal()
                                + " > " + buf);
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
        // every projection of bert-base has in = 768 or 3072, divisible by 32 and 128: scale + zp = 3 B per (row,
        // block)
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
        long full = AnePlanner.plan(g, FP16_BC1S, a15, 1, 512,
                null).optimized().op("layers.0.context").sram(BufferKind.SCORES);
        long w256 = AnePlanner.plan(g, FP16_BC1S.withChunking(256, 64), a15, 1, 512,
                null).optimized().op("layers.0.context").sram(BufferKind.SCORES);
        long w128 = AnePlanner.plan(g, FP16_BC1S.withChunking(128, 0), a15, 1, 512,
                null).optimized().op("layers.0.context").sram(BufferKind.SCORES);
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
        assertEquals(0, r.optimized().op("layers.0.context").spillBytes(),
                "one head's 512×512 FP16 scores fit in 4 MiB");
    }

    @Test void warningsFollowRules3And5() {
        PlanResult r = AnePlanner.plan(TestModels.graph("distilbert-base-uncased"), FP16_BC1S.withInt8(true, 32, false),
                PROFILES.get("A15"), 1, 128, null);
        OpPlan embed = r.optimized().op("embeddings.sum");
        assertFalse(embed.onAne());
        assertTrue(embed.warnings().getFirst().startsWith("rule 5"));
        OpPlan q = r.optimized().op("layers.0.q");
        assertTrue(q.warnings().getFirst().contains("rule 3")
                && q.warnings().getFirst().contains("Per-channel alternative: 8.03"), q.warnings().toString());
    }

    static ModelGraph config(String json) throws Exception {
        return Architectures.graph(Architectures.parseConfig(new ObjectMapper().readTree(json), Path.of("t")),
                Architectures.GraphOptions.CONFIG_ONLY);
    }

    @Test void dimensionsAbove16384AreFlagged() throws Exception {
        ModelGraph g = config("""
                {"model_type": "bert", "hidden_size": 256, "num_hidden_layers": 1, "num_attention_heads": 4,
                 "intermediate_size": 20000, "vocab_size": 100}""");
        OpPlan up = AnePlanner.plan(g, FP16_BC1S, PROFILES.get("M4"), 1, 16, null).optimized().op("layers.0.mlp_up");
        assertFalse(up.onAne());
        assertTrue(up.warnings().getFirst().contains("rule 4") && up.warnings().getFirst().contains("20000"));
    }

    @Test void sramOverrideChangesTheBuffer() {
        PlanResult r = AnePlanner.plan(Calibration.distilbertBase(), FP16_BC1S, PROFILES.get("M4"), 1, 512, 1.0);
        assertEquals(1L << 20, r.chip().bufferBytes());
        assertTrue(r.optimized().peakSramBytes() <= 1L << 20);
    }

    /** A 12-layer, 384-wide BERT (bge-small / MiniLM-L12 shape): 12 heads of 32. */
    static final String BERT_384 = """
            {"model_type": "bert", "hidden_size": 384, "num_hidden_layers": 12, "num_attention_heads": 12,
             "intermediate_size": 1536, "vocab_size": 30522, "max_position_embeddings": 512}""";

    /**
     * Issue 20: the HF baseline of a 12-layer 384-wide BERT at seq 512 on M4 spills 677 MB per attention layer
     * although its FP16 scores are 6.3 MB. That is the baseline assumption (chips.json baseline_score_last_axis = 1):
     * each score in its own 64-byte row, 12·512·512·64 B = 201 326 592 B; with q, k, v and the context (12·512·32·2 B
     * each, rows of exactly 64 B) the working set is 202 899 456 B; what exceeds the 32 MiB buffer is written and read
     * back twice (scores, then probabilities): 4 · (202 899 456 − 33 554 432) = 677 380 096 B.
     */
    @Test void baselineSpillOfA384WideBertAtSeq512IsThePaddedScoresAssumption() throws Exception {
        ModelGraph g = config(BERT_384);
        ChipProfile m4 = PROFILES.get("M4");
        assertEquals(32L << 20, m4.bufferBytes());
        PlanResult r = AnePlanner.plan(g, FP16_BC1S, m4, 1, 512, null);
        OpPlan att = r.baseline().op("layers.0.context");
        assertEquals(6_291_456L, 12L * 512 * 512 * 2, "FP16 scores of one layer");
        assertEquals(677_380_096L, att.spillBytes());
        assertEquals(12 * 677_380_096L, r.baseline().spillBytes());
        assertTrue(att.warnings().stream().anyMatch(w -> w.startsWith("assumption (L") && w.contains("6 MiB")
                && w.contains("192 MiB")), att.warnings().toString());
        // without the assumption the 6.3 MB of scores fit the buffer: no spill at all
        ChipProfile natural = m4.withConstants(m4.constants().withBaselineScoreLastAxis(0, "test"));
        assertEquals(0, AnePlanner.plan(g, FP16_BC1S, natural, 1, 512, null).baseline().spillBytes());
        // and an HF conversion you plan yourself keeps the natural last axis (only Apple's measured baseline is
        // assumed)
        Conversion hf = new Conversion(Conversion.Layout.HF, Conversion.Precision.FP16, false, 128, false, List.of(),
                Map.of(), 0, 0);
        assertEquals(0, AnePlanner.plan(g, hf, m4, 1, 512, null).optimized().op("layers.0.context").spillBytes());
    }

    /** One token through a 4096 → 128256 head: output-channel tiles, the weights streamed exactly once. */
    @Test void lmHeadOfOneTokenStreamsItsWeightsOnce() {
        ModelGraph head = Calibration.lmHeadOnly(Calibration.builtIn(Calibration.LLAMA_LM_HEAD, "head"));
        ChipProfile m1 = PROFILES.get("M1");
        OpPlan o = AnePlanner.plan(head, FP16_BC1S, m1, 1, 1, null).optimized().op("logits");
        // the padded logits: 128256 BC1S rows of one FP16 position, 64 B each; the hidden state is this graph's input
        long w = 128256L * 4096 * 2, y = 128256L * 64;
        assertEquals(0, o.spillBytes());
        assertEquals(w + y, o.dramBytes());
        CostConstants k = m1.constants();
        assertEquals((w + y) / 60.87e9 * 1e3 + k.opOverheadMs().value(), o.latencyMs(), 1e-12,
                "memory-bound at the measured bandwidth");
    }

    /** CostModel's formula, typed out: per-class compute at its efficiency against DRAM time, plus the op overhead. */
    @Test void costModelPricesEachOpClassAtItsEfficiency() {
        ChipProfile a17 = PROFILES.get("A17 Pro");
        CostConstants k = a17.constants();
        double p = 17.5e12, bw = 51.2e9 * k.bandwidthUtilization().value();
        OpWork w = new OpWork(4_000_000_000L, 30_000_000L, 20_000_000L, 1_000_000L, 0, false, false);
        double compute = 4e9 / (p * k.matmulEfficiency().value()) + 3e7 / (p * k.elementwiseEfficiency().value())
                + 2e7 / (p * k.reductionEfficiency().value());
        assertEquals(Math.max(compute, 1e6 / bw) * 1e3 + k.opOverheadMs().value(), CostModel.latencyMs(w, a17), 1e-12);
        OpWork int8 = new OpWork(4_000_000_000L, 0, 0, 0, 0, true, false);
        assertEquals(4e9 / (35e12 * k.matmulEfficiency().value()) * 1e3 + k.opOverheadMs().value(),
                CostModel.latencyMs(int8, a17), 1e-12);
        OpWork mem = new OpWork(0, 0, 0, 10_000_000_000L, 4_000_000_000L, false, false);
        assertEquals((6e9 + 4e9 * k.int8WeightReadFactor().value()) / bw * 1e3 + k.opOverheadMs().value(),
                CostModel.latencyMs(mem, a17), 1e-9);
    }

    /** W8A8 is the conversion's: the planner reads which linears take INT8 inputs from the converted graph. */
    @Test void w8a8TakesTheInt8PathOnlyWhereTheChipHasIt() {
        ModelGraph g = TestModels.graph("distilbert-base-uncased");
        Conversion int8 = FP16_BC1S.withInt8(true, 768, true); // per-channel: one block per row
        Conversion w8a8 = int8.withActivations(Conversion.Activations.INT8);
        OpPlan m4 = AnePlanner.plan(g, w8a8, PROFILES.get("M4"), 1, 128, null).optimized().op("layers.0.q");
        OpPlan m4fp = AnePlanner.plan(g, int8, PROFILES.get("M4"), 1, 128, null).optimized().op("layers.0.q");
        assertTrue(m4.work().int8Matmul() && !m4fp.work().int8Matmul());
        // the q projection's input, (1, 768, 1, 128): 768 rows of 128 positions, 256 B in FP16, 128 B in INT8
        assertEquals(768L * 256, m4fp.sram(BufferKind.ACTIVATIONS_IN));
        assertEquals(768L * 128, m4.sram(BufferKind.ACTIVATIONS_IN));
        assertTrue(m4.warnings().stream().noneMatch(w -> w.startsWith("W8A8")), m4.warnings().toString());
        PlanResult a15Plan = AnePlanner.plan(g, w8a8, PROFILES.get("A15"), 1, 128, null);
        OpPlan a15 = a15Plan.optimized().op("layers.0.q");
        assertTrue(!a15.work().int8Matmul()
                && a15.warnings().stream().anyMatch(w -> w.startsWith("W8A8 on A15: no faster")));
        // the baseline is never W8A8, whatever the conversion says
        assertTrue(a15Plan.baseline().ops().stream().noneMatch(o -> o.work().int8Matmul()
                || o.warnings().stream().anyMatch(w -> w.startsWith("W8A8"))));
        Conversion a8 = FP16_BC1S.withActivations(Conversion.Activations.INT8);
        OpPlan a8only = AnePlanner.plan(g, a8, PROFILES.get("M4"), 1, 128, null).optimized().op("layers.0.q");
        assertTrue(!a8only.work().int8Matmul() && a8only.warnings().stream().anyMatch(w -> w.contains("not INT8")));
        assertEquals(768L * 128, a8only.sram(BufferKind.ACTIVATIONS_IN));
        // a projection kept FP16 keeps float inputs too (the quantization chooses both), and no W8A8 warning
        Conversion kept = w8a8.withOverrides(List.of("layer\\.0\\.attention\\.q_lin"), Map.of());
        OpPlan keptQ = AnePlanner.plan(g, kept, PROFILES.get("M4"), 1, 128, null).optimized().op("layers.0.q");
        assertTrue(!keptQ.work().int8Matmul() && keptQ.warnings().stream().noneMatch(w -> w.startsWith("W8A8")));
        assertEquals(768L * 256, keptQ.sram(BufferKind.ACTIVATIONS_IN));
    }

    /**
     * A 1.6 GB FP16 decoder on an A-series chip (1 GiB per Core ML model on iOS, Anemll README) needs two models:
     * one more evaluation and the hidden state through DRAM; on a Mac (2 GiB) it fits one.
     */
    @Test void modelAboveTheWeightLimitIsSplitAndItsCostCounted() throws Exception {
        ModelGraph g = config("""
                {"model_type": "llama", "hidden_size": 2048, "num_hidden_layers": 16, "num_attention_heads": 16,
                 "num_key_value_heads": 16, "intermediate_size": 5632, "vocab_size": 32000,
                 "max_position_embeddings": 2048, "tie_word_embeddings": false}""");
        PlanResult a18 = AnePlanner.plan(g, FP16_BC1S, PROFILES.get("A18 Pro"), 1, 64, null);
        AneCeiling c = a18.ceiling();
        long layers = 16L * (4L * 2048 * 2048 + 3L * 2048 * 5632) * 2; // q, k, v, o and the SwiGLU MLP in FP16
        assertTrue(c.aneWeightBytes() >= layers && c.aneWeightBytes() < layers + (1 << 20), "" + c.aneWeightBytes());
        assertEquals(2, c.models());
        assertEquals(2, a18.optimized().evaluations());
        OpPlan split = a18.optimized().op("split.1");
        double withOne = CostModel.runMs(a18.optimized().ops(), 1, a18.chip());
        assertEquals(withOne + a18.chip().constants().evaluationOverheadMs().value(), a18.optimized().latencyMs(),
                1e-9);
        assertEquals(a18.chip().constants().evaluationOverheadMs().value() + split.latencyMs(), c.splitCostMs(), 1e-9);
        assertTrue(c.lines().getFirst().contains("split into 2 models"), c.lines().getFirst());
        // the gather (rule 5) and the 32000-way head (rule 4) run off the ANE
        assertTrue(c.offAne().stream().anyMatch(o -> o.reason().startsWith("rule 5")));
        assertTrue(c.offAne().stream().anyMatch(o -> o.reason().startsWith("rule 4") && o.firstOp().equals("logits")));
        assertEquals(1, AnePlanner.plan(g, FP16_BC1S, PROFILES.get("M4"), 1, 64, null).ceiling().models());
    }

    @Test void footprintCountsOnlyTheTouchedPagesOfTheEmbeddingTable() {
        // 16 KiB pages; t uniform lookups over P pages touch P·(1 − (1 − 1/P)^t) of them
        long table = 30522L * 768 * 2, pages = (table + 16383) / 16384;
        assertEquals(2862, pages);
        double expected = pages * (1 - Math.pow(1 - 1.0 / pages, 512)) * 16384;
        assertEquals(expected, AnePlanner.touchedPageBytes(table, 512), 16384);
        assertEquals(16384, AnePlanner.touchedPageBytes(table, 1), 1);
        assertEquals(pages * 16384, AnePlanner.touchedPageBytes(table, 1_000_000), 16384);
        PlanResult r = AnePlanner.plan(Calibration.distilbertBase(), FP16_BC1S, PROFILES.get("A15"), 1, 512, null);
        assertTrue(r.optimized().peakDramBytes() < r.optimized().weightBytes(),
                "most of the 47 MB table is never read");
    }
}

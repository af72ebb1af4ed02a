package dev.anewb.ane;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.arch.Architectures;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The calibration table of spec/ane-model.md: the efficiency is fitted on row 1 only (distilbert-base,
 * seq 128, batch 1, ANE-optimized, A15: 3.47 ms, apple/ml-ane-transformers); every other row is validation,
 * reported estimate beside measurement.
 */
public final class Calibration {
    private Calibration() { }

    /** Row 1's measured latency, ms. */
    public static final double ROW1_MS = 3.47;
    /** Row 1's power, W ("3.47 ms at 0.454 W", Apple ML research article): 1.58 mJ per forward. */
    public static final double ROW1_WATTS = 0.454;

    /** distilbert-base-uncased's config.json (the fields the graph reads). */
    static final String DISTILBERT_BASE = """
            {"model_type": "distilbert", "architectures": ["DistilBertModel"], "dim": 768, "n_layers": 6, "n_heads": 12,
             "hidden_dim": 3072, "vocab_size": 30522, "max_position_embeddings": 512, "activation": "gelu", "pad_token_id": 0}""";

    /**
     * openai/whisper-tiny and whisper-base as published (the fields the graph reads): d_model 384 / 512, 4 / 6
     * encoder layers, 6 / 8 heads, ffn 1536 / 2048, 80 mel bins, 1500 source positions.
     */
    static final String WHISPER_TINY = """
            {"model_type": "whisper", "architectures": ["WhisperForConditionalGeneration"], "d_model": 384, "encoder_layers": 4,
             "decoder_layers": 4, "encoder_attention_heads": 6, "decoder_attention_heads": 6, "encoder_ffn_dim": 1536,
             "decoder_ffn_dim": 1536, "vocab_size": 51865, "num_mel_bins": 80, "max_source_positions": 1500,
             "max_target_positions": 448, "activation_function": "gelu"}""";
    static final String WHISPER_BASE = """
            {"model_type": "whisper", "architectures": ["WhisperForConditionalGeneration"], "d_model": 512, "encoder_layers": 6,
             "decoder_layers": 6, "encoder_attention_heads": 8, "decoder_attention_heads": 8, "encoder_ffn_dim": 2048,
             "decoder_ffn_dim": 2048, "vocab_size": 51865, "num_mel_bins": 80, "max_source_positions": 1500,
             "max_target_positions": 448, "activation_function": "gelu"}""";
    /**
     * anemll-bench's {@code llama_lm_head}: hidden 4096 (its models/meta.yalm) and a 128256-token vocabulary
     * (Llama 3; derived: Results.MD gives the FP16 model as 1050.67 MB = 128256 × 4096 × 2 bytes), one token.
     * Only the lm_head op of this Llama graph is planned.
     */
    static final String LLAMA_LM_HEAD = """
            {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 4096, "num_hidden_layers": 1,
             "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 128256,
             "max_position_embeddings": 8192, "rope_theta": 500000.0, "tie_word_embeddings": false}""";

    static ModelGraph builtIn(String json, String name) {
        try {
            var node = new ObjectMapper().readTree(json);
            return Architectures.graph(Architectures.parseConfig(node, Path.of(name + " (built-in config)")), Architectures.GraphOptions.CONFIG_ONLY);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The encoder of an encoder-decoder graph: every op that does not read the decoder's token ids. */
    public static ModelGraph encoderOnly(ModelGraph g) {
        Set<String> enc = g.tokenIndependentValues();
        return g.withOps(g.ops().stream().filter(op -> enc.contains(op.output())).toList());
    }

    /** The lm_head projection alone (row 6). */
    static ModelGraph lmHeadOnly(ModelGraph g) {
        return g.withOps(g.ops().stream().filter(op -> op.output().equals("logits")).toList());
    }

    /** Apple's ANE-optimized distilbert: (B, C, 1, S), per-head attention, FP16, no quantization, no chunking. */
    public static final Conversion APPLE_OPTIMIZED = new Conversion(Conversion.Layout.BC1S, Conversion.Precision.FP16, false, 128,
            false, List.of(), Map.of(), 0, 0);

    public static ModelGraph distilbertBase() {
        try {
            var node = new ObjectMapper().readTree(DISTILBERT_BASE);
            return Architectures.graph(Architectures.parseConfig(node, Path.of("distilbert-base-uncased (built-in config)")),
                    Architectures.GraphOptions.CONFIG_ONLY);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One row: what was measured, what we estimate, and the relative error (estimate / measured − 1). */
    public record Row(String id, String workload, String measuredText, double measured, double estimate, String unit, String source,
                      boolean plannable, String note) {
        public double error() { return plannable ? estimate / measured - 1 : Double.NaN; }
    }

    /**
     * Solves the efficiency so that row 1's optimized plan takes {@link #ROW1_MS} on {@code a15} (bisection;
     * latency falls as efficiency rises). The per-op overhead is the chip's (a fixed prior, see chips.json).
     */
    public static double solveEfficiency(ChipProfile a15) {
        ModelGraph g = distilbertBase();
        double lo = 1e-3, hi = 1.0;
        if (latency(g, a15, hi) > ROW1_MS) return hi; // cannot be reached: overheads alone exceed it
        for (int it = 0; it < 60; it++) {
            double mid = (lo + hi) / 2;
            if (latency(g, a15, mid) > ROW1_MS) lo = mid; else hi = mid;
        }
        return (lo + hi) / 2;
    }

    private static double latency(ModelGraph g, ChipProfile chip, double eff) {
        ChipProfile c = chip.withConstants(chip.constants().withEfficiency(eff, "trial"));
        return AnePlanner.plan(g, APPLE_OPTIMIZED, c, 1, 128, null).optimized().latencyMs();
    }

    /** Every row of the table with the estimate from the given profiles. */
    public static List<Row> rows(ChipProfiles profiles) {
        ChipProfile a15 = profiles.get("A15");
        ModelGraph g = distilbertBase();
        PlanResult r1 = AnePlanner.plan(g, APPLE_OPTIMIZED, a15, 1, 128, null);
        PlanResult r3 = AnePlanner.plan(g, APPLE_OPTIMIZED, a15, 1, 512, null);
        PlanResult r4 = AnePlanner.plan(g, APPLE_OPTIMIZED, a15, 8, 512, null);
        String apple = "apple/ml-ane-transformers README; Apple ML research 'Deploying Transformers on the Apple Neural Engine'";
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("1", "distilbert-base seq 128 batch 1, ANE-optimized, A15 latency (CALIBRATION ROW)", "3.47 ms", ROW1_MS,
                r1.optimized().latencyMs(), "ms", apple, true, "efficiency fitted here"));
        rows.add(new Row("1e", "same, energy per forward (0.454 W x 3.47 ms)", "1.58 mJ", ROW1_WATTS * ROW1_MS,
                r1.optimized().energyMj(), "mJ", "Apple ML research article", true, "energy constants are E estimates, not fitted"));
        rows.add(new Row("2", "same, baseline HF layout latency", "9.89 ms", 9.89, r1.baseline().latencyMs(), "ms", apple, true, ""));
        rows.add(new Row("2r", "row 2 / row 1 latency ratio", "2.85x", 9.89 / 3.47, r1.speedup(), "x", apple, true, ""));
        rows.add(new Row("3b", "distilbert seq 512 batch 1, baseline latency", "~170 ms", 170, r3.baseline().latencyMs(), "ms", apple, true, "read off a log chart, +-15%"));
        rows.add(new Row("3o", "distilbert seq 512 batch 1, optimized latency", "~20 ms", 20, r3.optimized().latencyMs(), "ms", apple, true, "read off a log chart, +-15%"));
        rows.add(new Row("3r", "row 3 latency ratio baseline/optimized", "8.5x", 170.0 / 20, r3.speedup(), "x", apple, true, ""));
        rows.add(new Row("3mb", "row 3 baseline peak memory", "~370 MB", 370, r3.baseline().peakDramBytes() / 1e6, "MB", apple, true, "measured = app peak memory; estimate = weights + live DRAM tensors"));
        rows.add(new Row("3mo", "row 3 optimized peak memory", "~98 MB", 98, r3.optimized().peakDramBytes() / 1e6, "MB", apple, true, ""));
        rows.add(new Row("3mr", "row 3 memory ratio", "3.8x", 370.0 / 98, r3.memoryReduction(), "x", apple, true, ""));
        rows.add(new Row("4b", "distilbert seq 512 batch 8, baseline latency", "~1680 ms", 1680, r4.baseline().latencyMs(), "ms", apple, true, ""));
        rows.add(new Row("4o", "distilbert seq 512 batch 8, optimized latency", "~180 ms", 180, r4.optimized().latencyMs(), "ms", apple, true, ""));
        rows.add(new Row("4r", "row 4 latency ratio", "9.3x", 1680.0 / 180, r4.speedup(), "x", apple, true, ""));
        rows.add(new Row("4mb", "row 4 baseline peak memory", "~2150 MB", 2150, r4.baseline().peakDramBytes() / 1e6, "MB", apple, true, ""));
        rows.add(new Row("4mo", "row 4 optimized peak memory", "~153 MB", 153, r4.optimized().peakDramBytes() / 1e6, "MB", apple, true, ""));
        rows.add(new Row("4mr", "row 4 memory ratio", "14x", 2150.0 / 153, r4.memoryReduction(), "x", apple, true, ""));
        // Row 5: whisper.cpp's Core ML encoder is converted from the PyTorch model without the ANE layout: planned as the
        // baseline (HF layout, FP16, batched heads). Measured on an M1 Pro; no M1 Pro profile exists, so the M1's is used.
        ChipProfile m1 = profiles.get("M1");
        String m1Note = "planned on the M1 profile (measured on an M1 Pro); HF layout FP16 (whisper.cpp's Core ML encoder)";
        PlanResult w5t = AnePlanner.plan(encoderOnly(builtIn(WHISPER_TINY, "whisper-tiny")), APPLE_OPTIMIZED, m1, 1, 1, null);
        PlanResult w5b = AnePlanner.plan(encoderOnly(builtIn(WHISPER_BASE, "whisper-base")), APPLE_OPTIMIZED, m1, 1, 1, null);
        rows.add(new Row("5", "whisper tiny encoder, one 30 s window (1500 frames), M1 Pro", "30 ms", 30, w5t.baseline().latencyMs(), "ms",
                "whisper.cpp PR #566", true, m1Note));
        rows.add(new Row("5b", "whisper base encoder, one 30 s window (1500 frames), M1 Pro", "64 ms", 64, w5b.baseline().latencyMs(), "ms",
                "whisper.cpp PR #566", true, m1Note));
        // Row 6: anemll converts for the ANE ((B, C, 1, S), FP16); one token through the 4096 x 128256 lm_head.
        ModelGraph head = lmHeadOnly(builtIn(LLAMA_LM_HEAD, "llama lm_head"));
        String headNote = "llama lm_head 4096 -> 128256 (hidden from anemll-bench meta.yalm, vocab derived from its 1050.67 MB FP16 size), BC1S FP16, 1 token";
        rows.add(new Row("6", "anemll-bench llama_lm_head, M1", "7.52 ms", 7.52,
                AnePlanner.plan(head, APPLE_OPTIMIZED, m1, 1, 1, null).optimized().latencyMs(), "ms", "Anemll/anemll-bench Results.MD", true, headNote));
        rows.add(new Row("6m4", "anemll-bench llama_lm_head, M4", "6.45 ms", 6.45,
                AnePlanner.plan(head, APPLE_OPTIMIZED, profiles.get("M4"), 1, 1, null).optimized().latencyMs(), "ms", "Anemll/anemll-bench Results.MD", true, headNote));
        rows.add(new Row("6p", "anemll-bench llama_lm_head, M4 Pro", "3.85 ms", 3.85, Double.NaN, "ms",
                "Anemll/anemll-bench Results.MD", false, "no M4 Pro chip profile (only M4): not planned"));
        return rows;
    }
}

package dev.anewb.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.AnewbException;
import dev.anewb.io.SafetensorsFile;
import dev.anewb.io.SafetensorsWriter;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.ModelConfig;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.Op;
import dev.anewb.model.WeightInfo;
import dev.anewb.model.arch.Architectures;
import dev.anewb.model.llama.LlamaConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Llama-family configs beyond the fixture: llama3 rope scaling with θ = 500000, the older rope_scaling key,
 * other head counts and GQA ratios, head_dim ≠ hidden/heads, tied heads, Qwen2 q/k/v biases. Weights are random;
 * what is checked is closed-form (inv_freq) or an invariant that must hold for any weights (prefill = decode).
 */
class LlamaVariantsTest {
    @TempDir Path tmp;

    /**
     * llama3 scaling, θ = 500000, rotary dim 8, factor 8, low 1, high 4, original context 8192. Worked out:
     * inv_freq_i = θ^(−2i/8) = 1, 0.0376060309, 0.00141421356, 5.3182959e-05; wavelengths 2π/inv_freq =
     * 6.283, 167.08, 4442.88, 118142.8 against high_freq_wavelen 8192/4 = 2048 and low_freq_wavelen 8192/1 = 8192:
     * i = 0, 1 are short (kept), i = 3 is long (÷ 8 = 6.64786987e-06), i = 2 is between: smooth = (8192/4442.88 − 1)/(4
     * − 1)
     * = 0.281282605, inv = (1 − smooth)·inv/8 + smooth·inv = 0.000524846161.
     */
    @Test
    void llama3InverseFrequenciesFollowTheClosedForm() {
        float[] inv = RotaryEmbedding.inverseFrequencies(new Op.Rope(500000, 8, "llama3", 8, 1, 4, 8192));
        double[] expected = {1, 0.0376060309, 0.000524846161, 6.64786987e-06};
        for (int i = 0; i < 4; i++) assertEquals(expected[i], inv[i], 1e-6 * expected[i], "inv_freq[" + i + "]");
        // linear: every frequency ÷ factor; default θ = 10000, d = 4: 1, 0.01.
        float[] lin = RotaryEmbedding.inverseFrequencies(new Op.Rope(10000, 4, "linear", 4, 0, 0, 0));
        assertArrayEquals(new float[] {0.25f, 0.0025f}, lin, 1e-9f);
    }

    @Test
    void rotationAtPositionZeroIsIdentityAndPreservesNorms() {
        RotaryEmbedding r = new RotaryEmbedding(new Op.Rope(10000, 4, "default", 1, 0, 0, 0));
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8};
        Activation at0 = r.apply(new Activation(1, 1, 8, x.clone()), 2, 4, 0);
        assertArrayEquals(x, at0.data());
        // Position 1, pair (0, 2) rotates by inv_freq 1 rad: (1·cos1 − 3·sin1, 3·cos1 + 1·sin1).
        Activation at1 = r.apply(new Activation(1, 1, 8, x.clone()), 2, 4, 1);
        assertEquals(Math.cos(1) - 3 * Math.sin(1), at1.data()[0], 1e-6);
        assertEquals(3 * Math.cos(1) + Math.sin(1), at1.data()[2], 1e-6);
        assertEquals(Math.hypot(2, 4), Math.hypot(at1.data()[1], at1.data()[3]), 1e-6);
    }

    private LlamaConfig config(String json) throws Exception {
        Path dir = tmp.resolve("m" + System.nanoTime());
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), json);
        return (LlamaConfig) Architectures.readConfig(dir.resolve("config.json"));
    }

    /** Random weights for every tensor the graph reads, written as a safetensors file. */
    private SafetensorsFile randomWeights(ModelGraph g) {
        Random rnd = new Random(11);
        SafetensorsWriter w = new SafetensorsWriter();
        for (WeightInfo info : g.weights().values()) {
            float[] v = new float[(int) info.elements()];
            for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * 0.2
                    + (info.name().endsWith("norm.weight") ? 1 : 0));
            long[] shape = info.storedTransposed() ? new long[] {info.shape()[1], info.shape()[0]}
                    : info.shape(); // Conv1D: [in, out]
            w.addFloats(info.name(), shape, v);
        }
        Path f = tmp.resolve("w" + System.nanoTime() + ".safetensors");
        w.write(f);
        return SafetensorsFile.open(f);
    }

    private static String json(String modelType, String extra) {
        return "{\"model_type\":\"" + modelType
                + "\",\"hidden_size\":48,\"num_hidden_layers\":2,\"num_attention_heads\":6,"
                + "\"num_key_value_heads\":2,\"head_dim\":10,\"intermediate_size\":64,\"vocab_size\":97,"
                + "\"max_position_embeddings\":64" + extra + "}";
    }

    private void buildsRunsAndDecodesLikePrefill(LlamaConfig c) {
        ModelGraph g = Architectures.graph(c, Architectures.GraphOptions.CONFIG_ONLY);
        try (SafetensorsFile w = randomWeights(g)) {
            long[] seq = new long[20];
            for (int i = 0; i < seq.length; i++) seq[i] = (13L * i + 3) % c.vocabSize();
            RunResult r = new Executor(g, w).run(Batch.of(seq), JobContext.NONE);
            assertArrayEquals(new long[] {1, 20, 97}, r.tap("logits").shape());
            for (float x : r.tap("logits").data()) assertTrue(Float.isFinite(x));
            double diff = GeneratorTest.maxRelativeDecodeDiff(g, w, seq, 7);
            assertTrue(diff <= 1e-5, c.modelType() + ": prefill/decode differ by " + diff);
        }
    }

    @Test
    void llama3ScalingWithTheta500000BuildsAndRuns() throws Exception {
        LlamaConfig c = config(json("llama",
                ",\"rope_parameters\":{\"rope_type\":\"llama3\",\"rope_theta\":500000.0,\"factor\":8.0,"
                + "\"low_freq_factor\":1.0,\"high_freq_factor\":4.0,\"original_max_position_embeddings\":16},"
                + "\"tie_word_embeddings\":true"));
        assertEquals(new Op.Rope(500000, 10, "llama3", 8, 1, 4, 16), c.rope());
        assertEquals(10, c.headDim());
        ModelGraph g = Architectures.graph(c, Architectures.GraphOptions.CONFIG_ONLY);
        assertFalse(g.weights().containsKey("lm_head.weight"), "tied head reads embed_tokens");
        buildsRunsAndDecodesLikePrefill(c);
        // The pre-transformers-5 spelling names the same rope.
        LlamaConfig old = config(json("llama",
                ",\"rope_theta\":500000.0,\"rope_scaling\":{\"type\":\"llama3\",\"factor\":8.0,"
                + "\"low_freq_factor\":1.0,\"high_freq_factor\":4.0,\"original_max_position_embeddings\":16}"));
        assertEquals(c.rope(), old.rope());
    }

    @Test
    void qwen2HasQkvBiasesAndMistralLoads() throws Exception {
        LlamaConfig q = config(json("qwen2", ",\"rope_theta\":1000000.0"));
        ModelGraph g = Architectures.graph(q, Architectures.GraphOptions.CONFIG_ONLY);
        assertTrue(g.weights().containsKey("model.layers.0.self_attn.q_proj.bias"));
        assertTrue(g.weights().containsKey("model.layers.0.self_attn.v_proj.bias"));
        assertFalse(g.weights().containsKey("model.layers.0.self_attn.o_proj.bias"));
        buildsRunsAndDecodesLikePrefill(q);
        LlamaConfig m = config(json("mistral", ",\"sliding_window\":32,\"num_key_value_heads\":3"));
        assertEquals(32, m.maxPositions(), "context capped at the sliding window");
        buildsRunsAndDecodesLikePrefill(m);
    }

    @Test
    void badConfigsAreMessages() {
        AnewbException gqa = assertThrows(AnewbException.class, () ->
                config(json("llama", ",\"num_key_value_heads\":4")));
        assertTrue(gqa.getMessage().contains("not a multiple of \"num_key_value_heads\" 4"), gqa.getMessage());
        AnewbException rope = assertThrows(AnewbException.class, () ->
                config(json("llama", ",\"rope_parameters\":{\"rope_type\":\"yarn\",\"factor\":4.0}")));
        assertTrue(rope.getMessage().contains("rope type \"yarn\" is not supported"), rope.getMessage());
        AnewbException missing = assertThrows(AnewbException.class, () ->
                config(json("llama", ",\"rope_parameters\":{\"rope_type\":\"llama3\",\"factor\":8.0}")));
        assertTrue(missing.getMessage().contains("low_freq_factor"), missing.getMessage());
    }

    @Test
    void plainGpt2WeightsWithoutPrefixBuild() throws Exception {
        ModelConfig c = Architectures.parseConfig(new ObjectMapper()
                .readTree("{\"model_type\":\"gpt2\",\"n_embd\":32,\"n_head\":4,\"n_layer\":1,"
                + "\"vocab_size\":50,\"n_positions\":16}"), tmp.resolve("config.json"));
        ModelGraph bare = Architectures.graph(c,
                new Architectures.GraphOptions(n -> !n.startsWith("transformer."), false));
        assertTrue(bare.weights().containsKey("h.0.attn.c_attn.weight"));
        assertTrue(bare.weights().get("h.0.attn.c_attn.weight").storedTransposed());
        ModelGraph prefixed = Architectures.graph(c, new Architectures.GraphOptions(n -> true, false));
        assertTrue(prefixed.weights().containsKey("transformer.h.0.attn.c_attn.weight"));
        try (SafetensorsFile w = randomWeights(bare)) {
            // hidden_states.0..1 (the last after ln_f) and logits from the tied wte.
            RunResult r = new Executor(bare, w).run(Batch.of(1, 2, 3), JobContext.NONE);
            assertArrayEquals(new long[] {1, 3, 50}, r.tap("logits").shape());
            assertTrue(GeneratorTest.maxRelativeDecodeDiff(bare, w, new long[] {4, 5, 6, 7, 8}, 2) <= 1e-5);
        }
    }
}

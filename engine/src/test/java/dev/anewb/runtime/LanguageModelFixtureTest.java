package dev.anewb.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.convert.Converter;
import dev.anewb.io.SafetensorsFile;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelConfig;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.arch.Architectures;
import dev.anewb.testing.Fixtures;
import dev.anewb.testing.References;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GPT-2 and Llama against transformers 5.17: every tap of both prompts, INT8 block 128 (GPT-2), greedy generation. */
class LanguageModelFixtureTest {
    static final double TOL = 1e-4;

    static long[][] promptIds(Path dir) throws IOException {
        JsonNode p = new ObjectMapper().readTree(dir.resolve("reference.json").toFile()).get("prompt_ids");
        long[][] out = new long[p.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new long[p.get(i).size()];
            for (int j = 0; j < out[i].length; j++) out[i][j] = p.get(i).get(j).asLong();
        }
        return out;
    }

    /** Runs {@code graph} on each prompt and compares every {@code p{k}.<prefix>hidden_states.i} and logits. */
    static int compareTaps(Path dir, ModelGraph graph, SafetensorsFile weights, String prefix) throws IOException {
        ModelConfig c = graph.config();
        int checked = 0;
        try (SafetensorsFile ref = SafetensorsFile.open(dir.resolve("reference.safetensors"))) {
            long[][] prompts = promptIds(dir);
            for (int k = 0; k < prompts.length; k++) {
                Batch batch = Batch.of(prompts[k]);
                RunResult out = new Executor(graph, weights).run(batch, JobContext.NONE);
                for (int i = 0; i <= c.numLayers(); i++) {
                    String tap = "hidden_states." + i, name = "p" + k + "." + prefix + tap;
                    References.assertClose(name, out.tap(tap), References.activation(ref.get(name)), batch, TOL);
                    checked++;
                }
                String name = "p" + k + "." + prefix + "logits";
                References.assertClose(name, out.tap("logits"), References.activation(ref.get(name)), batch, TOL);
                checked++;
            }
        }
        return checked;
    }

    static ModelGraph graph(Path dir, SafetensorsFile weights) {
        ModelConfig config = Architectures.readConfig(dir.resolve("config.json"));
        return Architectures.graph(config, new Architectures.GraphOptions(weights::contains, false));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny"})
    void everyTapOfBothPromptsMatchesTransformers(String fixture) throws IOException {
        Path dir = Fixtures.fixture(fixture);
        try (SafetensorsFile weights = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            ModelGraph g = graph(dir, weights);
            assertEquals(2 * (g.config().numLayers() + 2), compareTaps(dir, g, weights, ""));
        }
    }

    @Test
    void gpt2Int8Block128MatchesTheQuantizedReference() throws IOException {
        Path dir = Fixtures.fixture("gpt2-tiny");
        try (SafetensorsFile weights = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            ModelGraph g = graph(dir, weights);
            ModelGraph q = Converter.convert(g, Conversion.ORIGINAL.withInt8(true, 128, false)).graph();
            // c_attn, c_proj, c_fc, mlp.c_proj per layer; never wte (tied head) or wpe.
            long quantized = q.weights().values().stream().filter(w -> w.quant() != null).count();
            assertEquals(4L * g.config().numLayers(), quantized);
            assertTrue(q.weights().get("transformer.wte.weight").quant() == null);
            assertEquals(2 * (g.config().numLayers() + 2), compareTaps(dir, q, weights, "int8_block128."));
        }
    }
}

package dev.anewb.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.convert.Converter;
import dev.anewb.drift.TapMetrics;
import dev.anewb.io.BundledModel;
import dev.anewb.io.OnnxWeights;
import dev.anewb.io.SafetensorsFile;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.arch.Architectures;
import dev.anewb.testing.Fixtures;
import dev.anewb.testing.References;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bundled all-MiniLM-L6-v2 (weights from its ONNX file) against transformers, FP32 and INT8 block 128. */
class MiniLmFixtureTest {
    static final double TOL = 2e-4;
    static OnnxWeights weights;
    static SafetensorsFile ref;
    static ModelGraph graph;
    static JsonNode json;

    @BeforeAll
    static void load() throws IOException {
        Path dir = Fixtures.fixture("minilm");
        weights = OnnxWeights.open(BundledModel.onnxPath());
        ref = SafetensorsFile.open(dir.resolve("reference.safetensors"));
        json = new ObjectMapper().readTree(dir.resolve("reference.json").toFile());
        graph = Architectures.graph(Architectures.readConfig(BundledModel.configPath()),
                new Architectures.GraphOptions(weights::contains, true));
    }

    @AfterAll
    static void close() {
        if (weights != null) weights.close();
        if (ref != null) ref.close();
    }

    static Batch sentence(int s) {
        JsonNode ids = json.get("token_ids").get(s);
        long[] a = new long[ids.size()];
        for (int i = 0; i < a.length; i++) a[i] = ids.get(i).asLong();
        return Batch.of(a);
    }

    @Test
    void fp32MatchesEveryTapAndTheSentenceEmbedding() {
        Executor ex = new Executor(graph, weights);
        for (int s = 0; s < 3; s++) {
            Batch b = sentence(s);
            RunResult out = ex.run(b, JobContext.NONE);
            for (int i = 0; i <= 6; i++) {
                References.assertClose("s" + s + ".hidden_states." + i, out.tap("hidden_states." + i),
                        References.activation(ref.get("s" + s + ".hidden_states." + i)), b, TOL);
            }
            References.assertClose("s" + s + ".sentence_embedding", out.tap("sentence_embedding"),
                    References.activation(ref.get("s" + s + ".sentence_embedding")), b, TOL);
        }
    }

    @Test
    void int8Block128MatchesTheQuantizedReference() {
        ModelGraph q = Converter.convert(graph, Conversion.ORIGINAL.withInt8(true, 128, false)).graph();
        Executor ex = new Executor(q, weights);
        for (int s = 0; s < 3; s++) {
            Batch b = sentence(s);
            RunResult out = ex.run(b, JobContext.NONE);
            for (int i = 0; i <= 6; i++) {
                References.assertClose("s" + s + ".int8_block128.hidden_states." + i, out.tap("hidden_states." + i),
                        References.activation(ref.get("s" + s + ".int8_block128.hidden_states." + i)), b, TOL);
            }
            // drift.md reference point: last-layer SQNR ≈ 35–36 dB against FP32.
            TapMetrics m = TapMetrics.of("last", References.activation(ref.get("s" + s + ".hidden_states.6")),
                    out.tap("hidden_states.6"), b);
            assertTrue(m.sqnrDb() > 33 && m.sqnrDb() < 38, "INT8 B128 last-layer SQNR " + m.sqnrDb());
        }
    }

    @Test
    void fp16SimulationIsWithinSixDbOfTorchFp16() {
        ModelGraph h = Converter.convert(graph, Conversion.ORIGINAL.withPrecision(Conversion.Precision.FP16)).graph();
        Executor ex = new Executor(h, weights);
        for (int s = 0; s < 3; s++) {
            Batch b = sentence(s);
            RunResult out = ex.run(b, JobContext.NONE);
            var fp32 = References.activation(ref.get("s" + s + ".hidden_states.6"));
            double ours = TapMetrics.of("ours", fp32, out.tap("hidden_states.6"), b).sqnrDb();
            double torch = TapMetrics.of("torch", fp32,
                    References.activation(ref.get("s" + s + ".fp16_cuda.hidden_states.6")), b).sqnrDb();
            assertEquals(torch, ours, 6.0, "FP16 last-layer SQNR: ours " + ours + " dB vs torch fp16 " + torch + " dB");
        }
    }
}

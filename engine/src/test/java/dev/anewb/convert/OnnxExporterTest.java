package dev.anewb.convert;

import ai.onnxruntime.OrtException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.drift.TapMetrics;
import dev.anewb.io.BundledModel;
import dev.anewb.io.OnnxWeights;
import dev.anewb.io.SafetensorsFile;
import dev.anewb.job.JobContext;
import dev.anewb.model.Architectures;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.WeightSource;
import dev.anewb.runtime.Activation;
import dev.anewb.runtime.Batch;
import dev.anewb.runtime.Executor;
import dev.anewb.runtime.RunResult;
import dev.anewb.testing.Fixtures;
import dev.anewb.testing.References;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The exported ONNX model, run in ONNX Runtime 1.23 (CPU), against our executor on the same converted graph:
 * every tap within 1e-4 · max(1, max|ref|) over valid positions.
 */
class OnnxExporterTest {
    static final double TOL = 1e-4;

    @TempDir Path tmp;

    /** Exports {@code graph}, runs both and checks every tap; returns the metrics per tap. */
    List<TapMetrics> exportAndCompare(ModelGraph graph, WeightSource weights, Batch batch, OnnxExporter.Dequantize dq, double tol)
            throws OrtException {
        Path out = tmp.resolve("model-" + System.nanoTime() + ".onnx");
        OnnxExporter.export(graph, weights, out, dq, JobContext.NONE);
        RunResult ours = new Executor(graph, weights).run(batch, JobContext.NONE);
        Map<String, Activation> ort = OrtRunner.run(out, batch);
        assertEquals(List.copyOf(graph.taps().keySet()), List.copyOf(ort.keySet()), "ONNX outputs are the taps, in order");
        List<TapMetrics> all = new ArrayList<>();
        for (String tap : graph.taps().keySet()) all.add(References.assertClose(tap, ort.get(tap), ours.tap(tap), batch, tol));
        TapMetrics worst = all.stream().max((a, b) -> Double.compare(a.maxAbs() / Math.max(1, a.maxRef()), b.maxAbs() / Math.max(1, b.maxRef()))).orElseThrow();
        System.out.printf(Locale.ROOT, "%s %s %s: %d taps, worst %s max|diff| %.3g (max|ref| %.3g)%n", graph.config().modelType(),
                graph.conversion(), dq, all.size(), worst.name(), worst.maxAbs(), worst.maxRef());
        return all;
    }

    static ModelGraph convert(ModelGraph g, Conversion c) {
        return c.isOriginal() ? g : Converter.convert(g, c).graph();
    }

    // ---- bert-tiny: padded 3-sentence batch, pooler ----

    void bertTiny(Conversion c, OnnxExporter.Dequantize dq, double tol) throws OrtException {
        Path dir = Fixtures.fixture("bert-tiny");
        try (SafetensorsFile weights = SafetensorsFile.open(dir.resolve("model.safetensors"));
             SafetensorsFile ref = SafetensorsFile.open(dir.resolve("reference.safetensors"))) {
            var config = Architectures.readConfig(dir.resolve("config.json"));
            ModelGraph graph = Architectures.graph(config, new Architectures.GraphOptions(weights::contains, false));
            Batch batch = References.batch(ref, "");
            assertTrue(batch.validTokens(0) != batch.validTokens(2) || batch.validTokens(1) != batch.validTokens(2), "the batch is padded");
            List<TapMetrics> m = exportAndCompare(convert(graph, c), weights, batch, dq, tol);
            assertTrue(m.stream().anyMatch(t -> t.name().equals("pooler_output")), "pooler_output exported");
        }
    }

    @Test
    void bertTinyFp32() throws OrtException {
        bertTiny(Conversion.ORIGINAL, OnnxExporter.Dequantize.BLOCKED, TOL);
    }

    @Test
    void bertTinyInt8Block128BlockedDequantizeLinear() throws OrtException {
        bertTiny(Conversion.ORIGINAL.withInt8(true, 128, false), OnnxExporter.Dequantize.BLOCKED, TOL);
    }

    @Test
    void bertTinyInt8Block48DoesNotDivideTheRows() throws OrtException {
        // hidden 64 and intermediate 128: 48 leaves a short last block of 16 (64) and 32 (128).
        bertTiny(Conversion.ORIGINAL.withInt8(true, 48, false), OnnxExporter.Dequantize.BLOCKED, TOL);
        bertTiny(Conversion.ORIGINAL.withInt8(true, 48, true), OnnxExporter.Dequantize.EXPLICIT, TOL);
    }

    // ---- MiniLM (bundled): 3 sentences, sentence_embedding ----

    @Test
    void miniLmFp32AndInt8Block128() throws IOException, OrtException {
        Path dir = Fixtures.fixture("minilm");
        JsonNode json = new ObjectMapper().readTree(dir.resolve("reference.json").toFile());
        try (OnnxWeights weights = OnnxWeights.open(BundledModel.onnxPath())) {
            ModelGraph graph = Architectures.graph(Architectures.readConfig(BundledModel.configPath()),
                    new Architectures.GraphOptions(weights::contains, true));
            long[][] seqs = new long[3][];
            for (int s = 0; s < 3; s++) {
                JsonNode ids = json.get("token_ids").get(s);
                seqs[s] = new long[ids.size()];
                for (int i = 0; i < seqs[s].length; i++) seqs[s][i] = ids.get(i).asLong();
            }
            Batch batch = Batch.padded(seqs, 0);
            exportAndCompare(graph, weights, batch, OnnxExporter.Dequantize.BLOCKED, TOL);
            exportAndCompare(convert(graph, Conversion.ORIGINAL.withInt8(true, 128, false)), weights, batch, OnnxExporter.Dequantize.BLOCKED, TOL);
        }
    }
}

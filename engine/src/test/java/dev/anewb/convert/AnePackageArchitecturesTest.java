package dev.anewb.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.AnewbException;
import dev.anewb.api.ConvertedModel;
import dev.anewb.api.ModelLoader;
import dev.anewb.api.ModelSession;
import dev.anewb.drift.TapMetrics;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.OnnxWeights;
import dev.anewb.io.SafetensorsFile;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.model.DType;
import dev.anewb.model.FeatureTensor;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.ModelRef;
import dev.anewb.model.TensorData;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code .anepkg} for every architecture: converted with the ANE default (INT8 block 128, FP16, BC1S), written,
 * reopened from the package alone, and re-measured on the manifest's sample input (stored in the package for image
 * and audio models); the recheck reproduces the recorded SQNRs. And a package's stored INT8 weights exported to ONNX.
 */
class AnePackageArchitecturesTest {
    @TempDir Path tmp;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny", "vit-tiny", "whisper-tiny"})
    void aPackageReopensAndReproducesItsRecordedDrift(String fixture) throws Exception {
        Path out = tmp.resolve(fixture + ".anepkg");
        try (ConvertedModel m = ConvertedModel.open(Fixtures.fixture(fixture).toString(), Conversion.ANE_DEFAULT,
                JobContext.NONE)) {
            Batch sample = m.sampleInput();
            m.writePackage(out, false, null, JobContext.NONE);
            JsonNode manifest = AnePackage.readManifest(out);
            JsonNode in = manifest.path("drift").path("sample_input");
            boolean media = !sample.features().isEmpty();
            assertEquals(media, fixture.startsWith("vit") || fixture.startsWith("whisper"),
                    "image and audio models get a media sample");
            assertEquals(media, in.has("file"), in.toString());
            assertEquals(!media, in.has("texts"),
                    "only text samples record the sample texts (Whisper has a tokenizer, but an audio sample)");
            assertEquals(!fixture.startsWith("vit"), in.has("ids"), "ViT's sample has no token ids");

            // The sample read back from the package is the sample the drift was measured on, bit for bit.
            Batch again = AnePackage.sampleInput(out, manifest);
            assertEquals(sample.seq(), again.seq());
            assertEquals(sample.features().keySet(), again.features().keySet());
            for (var e : sample.features().entrySet()) {
                FeatureTensor f = again.feature(e.getKey());
                assertArrayEquals(e.getValue().shape(), f.shape(), e.getKey());
                assertArrayEquals(e.getValue().data(), f.data(), e.getKey());
            }
            if (sample.ids() != null) assertArrayEquals(sample.ids(), again.ids());
            if (media) {
                try (SafetensorsFile f = SafetensorsFile.open(out.resolve("sample_input.safetensors"))) {
                    String name = fixture.startsWith("vit") ? ModelGraph.PIXEL_VALUES : ModelGraph.INPUT_FEATURES;
                    assertEquals(DType.F32, f.get(name).dtype());
                    long[] expect = fixture.startsWith("vit") ? new long[]{1, 3, 32, 32} : new long[]{1, 80, 3000};
                    assertArrayEquals(expect, f.get(name).shape(), "transformers' shape");
                    if (fixture.startsWith("whisper")) {
                        assertEquals(DType.I64, f.get("input_ids").dtype());
                        assertEquals(1, f.get("input_ids").getLong(0), "decoder_start_token_id of the config");
                    }
                }
            }

            try (LoadedModel pkg = ModelLoader.load(ModelRef.parse(out.toString()), JobContext.NONE, true)) {
                assertTrue(pkg.isPackage());
                List<TapMetrics> re = ModelSession.of(pkg).recheckPackage(JobContext.NONE);
                JsonNode recorded = manifest.path("drift").path("taps");
                assertEquals(recorded.size(), re.size(), "every recorded tap rechecked");
                int inexact = 0;
                for (int i = 0; i < re.size(); i++) {
                    JsonNode r = recorded.get(i);
                    assertEquals(r.get("name").asText(), re.get(i).name());
                    if (r.get("sqnr_db").isNull()) {
                        assertTrue(re.get(i).exact(), re.get(i).name() + " was exact");
                    } else {
                        assertEquals(r.get("sqnr_db").asDouble(), re.get(i).sqnrDb(), 1e-9, re.get(i).name());
                        inexact++;
                    }
                }
                assertTrue(inexact > re.size() / 2, "INT8 + FP16 moves most taps (" + inexact + " of " + re.size()
                        + ")");
            }
        }
    }

    @Test
    void aSampleInputFileOutsideThePackageIsRefused() throws Exception {
        Path pkg = Files.createDirectories(tmp.resolve("shared.anepkg"));
        JsonNode m = new ObjectMapper().readTree(
                "{\"drift\":{\"sample_input\":{\"file\":\"../secret.safetensors\","
                        + "\"features\":{\"pixel_values\":[1,3,2,2]},\"tokens\":5}}}");
        AnewbException e = assertThrows(AnewbException.class, () -> AnePackage.sampleInput(pkg, m));
        assertTrue(e.getMessage().contains("points outside"), e.getMessage());
        // Without the package folder a media sample cannot be read: a message, not a batch missing its image.
        e = assertThrows(AnewbException.class, () -> AnePackage.sampleInput(m));
        assertTrue(e.getMessage().contains("package folder"), e.getMessage());
    }

    @Test
    void aPackagesStoredInt8WeightsExportToOnnx() throws Exception {
        Path out = tmp.resolve("llama.anepkg");
        Conversion c = Conversion.ORIGINAL.withInt8(true, 128, false);
        try (ConvertedModel m = ConvertedModel.open(Fixtures.fixture("llama-tiny").toString(), c, JobContext.NONE)) {
            m.writePackage(out, false, null, JobContext.NONE);
        }
        try (LoadedModel pkg = ModelLoader.load(ModelRef.parse(out.toString()), JobContext.NONE, true)) {
            Batch batch = OnnxArchitecturesTest.prompts(Fixtures.fixture("llama-tiny"));
            // ORT on the exported package against our executor on the package itself.
            OnnxExporterTest.exportAndCompare(tmp, pkg.graph(), pkg.weights(), batch, OnnxExporter.Dequantize.BLOCKED,
                    OnnxExporterTest.TOL);

            // The ONNX file carries the package's INT8 bytes as stored (transposed to [in, out]), not a
            // re-quantization.
            Path onnx = tmp.resolve("pkg.onnx");
            OnnxExporter.export(pkg.graph(), pkg.weights(), onnx, JobContext.NONE);
            String w = "model.layers.1.mlp.down_proj.weight";
            try (SafetensorsFile stored = SafetensorsFile.open(out.resolve("weights.safetensors"));
                 OnnxWeights exported = OnnxWeights.open(onnx)) {
                TensorData q = stored.get(w + ".q"), qo = exported.rawInitializer(w + ".q");
                TensorData z = stored.get(w + ".zero_point"), zo = exported.rawInitializer(w + ".zero_point");
                TensorData s = stored.get(w + ".scale"), so = exported.rawInitializer(w + ".scale");
                int rows = q.dim(0), k = q.dim(1), nb = s.dim(1);
                assertArrayEquals(new long[]{k, rows}, qo.shape());
                for (int r = 0; r < rows; r++) {
                    for (int i = 0; i < k; i++) assertEquals(q.getLong((long) r * k + i),
                            qo.getLong((long) i * rows + r));
                    for (int b = 0; b < nb; b++) {
                        assertEquals(z.getLong((long) r * nb + b), zo.getLong((long) b * rows + r));
                        assertEquals(s.getFloat((long) r * nb + b), so.getFloat((long) b * rows + r));
                    }
                }
            }
        }
    }
}

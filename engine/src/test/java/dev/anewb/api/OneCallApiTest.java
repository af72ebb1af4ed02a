package dev.anewb.api;

import dev.anewb.convert.OnnxExporter;
import dev.anewb.convert.coreml.CoreMlOptions;
import dev.anewb.convert.coreml.CoreMlPreview;
import dev.anewb.drift.DriftReport;
import dev.anewb.io.SafetensorsFile;
import dev.anewb.job.JobContext;
import dev.anewb.model.Conversion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's library example, as written there, on the bundled model. */
class OneCallApiTest {
    @TempDir Path tmp;

    @Test
    void theReadmeExampleRuns() throws Exception {
        Conversion c = Conversion.ANE_DEFAULT.withInt8(true, 64, false);
        try (ConvertedModel m = ConvertedModel.open("bundled:all-MiniLM-L6-v2", c, JobContext.NONE)) {
            DriftReport drift = m.drift(List.of("The neural engine runs transformers."), true, JobContext.NONE);
            double last = drift.lastHidden().sqnrDb();
            assertTrue(last > 20 && last < 60, "block-64 FP16 last-layer SQNR " + last);
            m.writePackage(tmp.resolve("minilm.anepkg"), false, null, JobContext.NONE);
            OnnxExporter.export(m.graph(), m.source().weights(), tmp.resolve("minilm.onnx"), JobContext.NONE);
            assertTrue(Files.size(tmp.resolve("minilm.onnx")) > 20_000_000);
            CoreMlPreview p = m.writeCoreMl(tmp.resolve("minilm.mlpackage"), CoreMlOptions.DEFAULT, JobContext.NONE);
            assertEquals(p.weightBytes(),
                    Files.size(tmp.resolve("minilm.mlpackage/Data/com.apple.CoreML/weights/weight.bin")));
            byte[] spec = Files.readAllBytes(tmp.resolve("minilm.mlpackage/Data/com.apple.CoreML/model.mlmodel"));
            assertTrue(new String(spec, StandardCharsets.ISO_8859_1).contains("apache-2.0"),
                    "the license of the model card is the package's license");
            try (SafetensorsFile w = SafetensorsFile.open(tmp.resolve("minilm.anepkg/weights.safetensors"))) {
                assertTrue(w.contains("encoder.layer.5.output.dense.weight.q"));
            }
        }
    }
}

package dev.anewb.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anewb.AnewbException;
import dev.anewb.api.ConvertedModel;
import dev.anewb.api.ModelLoader;
import dev.anewb.api.ModelSession;
import dev.anewb.drift.DriftReport;
import dev.anewb.drift.TapMetrics;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.SafetensorsFile;
import dev.anewb.job.JobCancelledException;
import dev.anewb.job.JobContext;
import dev.anewb.model.Conversion;
import dev.anewb.model.DType;
import dev.anewb.model.ModelRef;
import dev.anewb.model.Op;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class AnePackageTest {
    @TempDir Path tmp;

    static final Conversion CONV = new Conversion(Conversion.Layout.BC1S, Conversion.Precision.FP16, true, 48, false,
            List.of("pooler"), Map.of("intermediate", 32), 6, 2);

    @Test
    void aPackageHoldsTheSpecLayoutAndReproducesItsRecordedDrift() throws Exception {
        Path out = tmp.resolve("bert.anepkg");
        try (ConvertedModel m = ConvertedModel.open(Fixtures.fixture("bert-tiny").toString(), CONV, JobContext.NONE)) {
            m.writePackage(out, false, null, JobContext.NONE);
            JsonNode manifest = AnePackage.readManifest(out);
            assertEquals("anepkg", manifest.get("format").asText());
            assertEquals(48, manifest.get("conversion").get("block_size").asInt());
            assertEquals(64, manifest.get("source").get("weights_sha256").asText().length());
            try (SafetensorsFile w = SafetensorsFile.open(out.resolve("weights.safetensors"))) {
                String q = "encoder.layer.0.attention.self.query.weight";
                assertEquals(DType.I8, w.get(q + ".q").dtype());
                assertArrayEquals(new long[]{64, 64}, w.get(q + ".q").shape());
                assertArrayEquals(new long[]{64, 2}, w.get(q + ".scale").shape(), "ceil(64/48) blocks per row");
                assertEquals(DType.F16, w.get(q + ".scale").dtype());
                assertArrayEquals(new long[]{128, 2}, w.get("encoder.layer.0.intermediate.dense.weight.scale").shape(),
                        "override B=32 on k=64");
                assertEquals(DType.F16, w.get("pooler.dense.weight").dtype(), "kept FP16 by pattern");
                assertEquals(DType.F16, w.get("embeddings.word_embeddings.weight").dtype());
            }
            // The package runs its stored weights and reproduces the manifest's numbers exactly.
            DriftReport direct = m.drift(m.sampleInput(), false, JobContext.NONE);
            try (LoadedModel pkg = ModelLoader.load(ModelRef.parse(out.toString()), JobContext.NONE, true)) {
                assertTrue(pkg.isPackage());
                List<TapMetrics> again = ModelSession.of(pkg).recheckPackage(JobContext.NONE);
                assertEquals(direct.taps().size(), again.size());
                for (int i = 0; i < again.size(); i++) {
                    assertEquals(direct.taps().get(i).name(), again.get(i).name());
                    assertEquals(direct.taps().get(i).sqnrDb(), again.get(i).sqnrDb(), 1e-9, again.get(i).name());
                    double recorded = manifest.get("drift").get("taps").get(i).get("sqnr_db").asDouble();
                    assertEquals(recorded, again.get(i).sqnrDb(), 1e-9);
                }
            }
        }
    }

    /**
     * W8A8: the manifest records INT8 activations and every calibrated scale (here calibrated on the package's own
     * sample texts); the package runs with exactly those scales and reproduces its recorded drift. A package without
     * the setting (written before W8A8) has float activations; a missing or non-FP16 scale is a broken file.
     */
    @Test
    void aW8a8PackageKeepsItsCalibratedScales() throws Exception {
        Path out = tmp.resolve("w8a8.anepkg");
        Conversion w8a8 = Conversion.ANE_DEFAULT.withActivations(Conversion.Activations.INT8);
        Map<String, Float> scales = new LinkedHashMap<>();
        try (ConvertedModel m = ConvertedModel.open(Fixtures.fixture("bert-tiny").toString(), w8a8, JobContext.NONE)) {
            m.useSampleTexts(List.of("A quick brown fox jumps over the lazy dog near the river bank.",
                    "The neural engine runs transformers faster than the CPU."), false);
            for (Op op : m.graph().ops()) {
                if (op instanceof Op.Linear l && l.inputQuant() != null) scales.put(l.name(), l.inputQuant().scale());
            }
            m.writePackage(out, false, null, JobContext.NONE);
        }
        JsonNode manifest = AnePackage.readManifest(out);
        assertEquals("int8", manifest.get("conversion").get("activations").asText());
        assertEquals(13, scales.size());
        assertEquals(scales.size(), manifest.get("activation_scales").size());
        try (LoadedModel pkg = ModelLoader.load(ModelRef.parse(out.toString()), JobContext.NONE, true)) {
            assertTrue(pkg.graph().conversion().quantizesActivations());
            for (Op op : pkg.graph().ops()) {
                if (op instanceof Op.Linear l && l.inputQuant() != null) {
                    assertEquals(scales.get(l.name()), l.inputQuant().scale(), 0, l.name());
                }
            }
            List<TapMetrics> again = ModelSession.of(pkg).recheckPackage(JobContext.NONE);
            for (int i = 0; i < again.size(); i++) {
                double recorded = manifest.get("drift").get("taps").get(i).get("sqnr_db").asDouble();
                assertEquals(recorded, again.get(i).sqnrDb(), 1e-9, again.get(i).name());
            }
        }
        Path manifestFile = out.resolve(AnePackage.MANIFEST);
        ObjectMapper json = new ObjectMapper();
        ObjectNode broken = (ObjectNode) json.readTree(manifestFile.toFile());
        ((ObjectNode) broken.get("activation_scales")).put("layers.1.mlp_out", 0.1); // 0.1 is no FP16 value
        Files.writeString(manifestFile, json.writeValueAsString(broken));
        AnewbException e = assertThrows(AnewbException.class,
                () -> ModelLoader.load(ModelRef.parse(out.toString()), JobContext.NONE, true).close());
        assertTrue(e.getMessage().contains("layers.1.mlp_out") && e.getMessage().contains("activation_scales"),
                e.getMessage());
        broken.remove("activation_scales");
        Files.writeString(manifestFile, json.writeValueAsString(broken));
        assertThrows(AnewbException.class,
                () -> ModelLoader.load(ModelRef.parse(out.toString()), JobContext.NONE, true).close());
        ((ObjectNode) broken.get("conversion")).remove("activations");
        Files.writeString(manifestFile, json.writeValueAsString(broken));
        try (LoadedModel old = ModelLoader.load(ModelRef.parse(out.toString()), JobContext.NONE, true)) {
            assertFalse(old.graph().conversion().quantizesActivations(), "a package from before W8A8");
        }
    }

    @Test
    void anExistingPackageNeedsForceAndACancelledWriteLeavesNothing() throws Exception {
        Path out = tmp.resolve("p.anepkg");
        try (ConvertedModel m = ConvertedModel.open(Fixtures.fixture("distilbert-tiny").toString(),
                Conversion.ANE_DEFAULT, JobContext.NONE)) {
            m.writePackage(out, false, null, JobContext.NONE);
            long before = Files.getLastModifiedTime(out.resolve("manifest.json")).toMillis();
            AnewbException e = assertThrows(AnewbException.class, () ->
                    m.writePackage(out, false, null, JobContext.NONE));
            assertTrue(e.getMessage().contains("--force"), e.getMessage());

            AtomicInteger calls = new AtomicInteger();
            JobContext cancelMidway = new JobContext() {
                public void progress(double f, String msg) { calls.incrementAndGet(); }
                public boolean isCancelled() { return calls.get() > 8; }
            };
            assertThrows(JobCancelledException.class, () -> m.writePackage(out, true, null, cancelMidway));
            assertEquals(before, Files.getLastModifiedTime(out.resolve("manifest.json")).toMillis(),
                    "previous package intact");
            try (Stream<Path> s = Files.list(tmp)) {
                assertEquals(List.of(out), s.toList(), "no temporary folder left behind");
            }
            m.writePackage(out, true, null, JobContext.NONE);
            assertTrue(Files.exists(out.resolve("weights.safetensors")));
        }
    }
}

package dev.anewb.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.api.ConvertedModel;
import dev.anewb.convert.AnePackage;
import dev.anewb.drift.DriftReport;
import dev.anewb.drift.TapMetrics;
import dev.anewb.job.JobContext;
import dev.anewb.model.Conversion;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --activations none|int8}, the W8A8 conversion option every conversion command shares. */
class ActivationsOptionTest {
    @TempDir Path tmp;

    record Run(int exit, String out, String err) { }

    /** Runs the CLI with picocli's writers (plan prints there). */
    static Run runPicocli(String... args) {
        CommandLine cl = AnewbCli.commandLine(List.of());
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** Runs the CLI with System.out captured (drift and convert print there). */
    static Run run(String... args) {
        CommandLine cl = AnewbCli.commandLine(List.of());
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        PrintStream before = System.out;
        int exit;
        try {
            System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
            exit = cl.execute(args);
        } finally {
            System.setOut(before);
        }
        return new Run(exit, out + stdout.toString(StandardCharsets.UTF_8), err.toString());
    }

    @Test
    void driftAttributesTheActivationsCauseAsTheApiMeasuresIt() throws Exception {
        String model = Fixtures.fixture("bert-tiny").toString();
        Run r = run("drift", model, "--activations", "int8", "--by-cause", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertEquals("int8", json.get("conversion").get("activations").asText());
        JsonNode cause = json.get("by_cause").get("activations");
        assertTrue(cause != null && cause.size() == json.get("taps").size(), r.out());
        // the API on the same model, conversion and sample input
        Conversion c = Conversion.ANE_DEFAULT.withActivations(Conversion.Activations.INT8);
        try (ConvertedModel m = ConvertedModel.open(model, c, JobContext.NONE)) {
            DriftReport d = m.drift(m.sampleInput(), true, JobContext.NONE);
            List<TapMetrics> a8 = d.byCause().get(DriftReport.Cause.ACTIVATIONS);
            for (int i = 1; i < a8.size(); i++) {
                assertEquals(a8.get(i).sqnrDb(), cause.get(i).get("sqnr_db").asDouble(), 1e-9, a8.get(i).name());
            }
        }
        Run text = run("drift", model, "--activations", "int8", "--by-cause");
        assertEquals(0, text.exit(), text.err());
        assertTrue(text.out().contains("· int8 activations") && text.out().contains("activations"), text.out());
        // without the option there is no such cause
        Run plain = run("drift", model, "--by-cause", "--json");
        assertTrue(!new ObjectMapper().readTree(plain.out()).get("by_cause").has("activations"), plain.out());
    }

    @Test
    void aBadValueIsAUsageError() {
        Run r = run("drift", Fixtures.fixture("bert-tiny").toString(), "--activations", "int4");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--activations must be none or int8"), r.err());
    }

    @Test
    void convertWritesAW8a8Package() {
        Path out = tmp.resolve("w8a8.anepkg");
        Run r = run("convert", Fixtures.fixture("bert-tiny").toString(), "--out", out.toString(), "--activations",
                "int8");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("int8 activations"), r.out());
        JsonNode manifest = AnePackage.readManifest(out);
        assertEquals("int8", manifest.get("conversion").get("activations").asText());
        assertEquals(13, manifest.get("activation_scales").size());
    }

    /** The planner reads W8A8 from the conversion; plan's own old spelling (fp16 for float) still parses. */
    @Test
    void planReadsTheConversionsActivations() {
        String config = Fixtures.fixture("bert-tiny").resolve("config.json").toString();
        Run m4 = runPicocli("plan", config, "--chip", "M4", "--seq", "32", "--activations", "int8");
        assertEquals(0, m4.exit(), m4.err());
        assertTrue(m4.out().contains("W8A8 (INT8 activations)") && !m4.out().contains("W8A8 on M4"), m4.out());
        Run noWeights = runPicocli("plan", config, "--chip", "M4", "--seq", "32", "--activations", "int8", "--quant",
                "none");
        assertTrue(noWeights.out().contains("W8A8: this projection's weights are not INT8"), noWeights.out());
        Run legacy = runPicocli("plan", config, "--chip", "M4", "--seq", "32", "--activations", "fp16");
        assertEquals(0, legacy.exit(), legacy.err());
        assertTrue(legacy.out().contains("optimized = bc1s, fp16, int8 block 128, no chunking\n")
                && !legacy.out().contains("W8A8: ") && !legacy.out().contains("W8A8 on "), legacy.out());
    }
}

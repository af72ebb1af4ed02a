package dev.anewb.ane;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.cli.AnewbCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlanCliTest {
    record Run(int code, String out, String err) { }

    static Run run(String... args) {
        CommandLine cl = AnewbCli.commandLine(List.of());
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test void planJsonHasTheKeysOfTheCliSpec() throws Exception {
        Run r = run("plan", TestModels.config("distilbert-base-uncased").getParent().toString(), "--chip", "A15",
                "--seq", "128", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode n = new ObjectMapper().readTree(r.out());
        assertEquals("A15", n.get("chip").asText());
        for (String side : List.of("optimized", "baseline")) {
            JsonNode t = n.get(side);
            for (String k : List.of("latency_ms", "peak_sram_bytes", "dram_bytes", "energy_mj", "peak_dram_bytes",
                    "ops")) assertTrue(t.has(k), side + "." + k);
            JsonNode op = t.get("ops").get(1);
            for (String k : List.of("name", "kind", "flops", "sram_bytes", "spill_bytes", "dram_bytes", "latency_ms",
                    "on_ane", "warnings")) assertTrue(op.has(k), k);
            for (BufferKind b : BufferKind.values()) assertTrue(op.get("sram_bytes").has(b.key()));
        }
    }

    @Test void textSaysEstimateAndNamesTheChipAndSources() {
        Run r = run("plan", TestModels.config("bert-base-uncased").toString(), "--chip", "m4", "--seq", "64",
                "--sram-mb", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("ESTIMATE") && r.out().contains("M4") && r.out().contains("maderix/ANE"),
                r.out());
        assertTrue(r.out().contains("--sram-mb"));
    }

    @Test void unknownChipIsAUsageErrorListingChips() {
        Run r = run("plan", TestModels.config("bert-base-uncased").toString(), "--chip", "A99", "--seq", "64");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("A17 Pro"), r.err());
    }

    @Test void calibrationPrintsEveryRowWithItsLeaveOneOutError() {
        Run r = run("plan", "--calibration");
        assertEquals(0, r.code(), r.err());
        for (String id : List.of("1 ", "2 ", "3o", "4b", "5t", "5b", "5m", "6m1 ", "6m4max", "2r", "4mr")) {
            assertTrue(r.out().contains("\n" + id), id);
        }
        assertTrue(r.out().contains("whisper base encoder") && r.out().contains("llama_lm_head achieved bandwidth"),
                r.out());
        assertTrue(r.out().contains("fit rows within +-25%: 11 of 11") && r.out().contains("leave-one-out median"),
                r.out());
        assertTrue(r.out().contains("in fit") && r.out().contains("left out"), r.out());
    }

    @Test void measuredLatencyCalibratesAndSavesAUserProfile(@TempDir Path dir) {
        String old = System.getProperty("anewb.config.dir");
        System.setProperty("anewb.config.dir", dir.toString());
        try {
            String model = TestModels.config("distilbert-base-uncased").toString();
            Run r = run("plan", model, "--chip", "A15", "--seq", "128", "--quant", "none", "--measured", "4.5",
                    "--save-profile", "my phone");
            assertEquals(0, r.code(), r.err());
            assertTrue(r.err().contains("saved chip profile \"my phone\" (based on A15)"), r.err());
            assertTrue(r.out().contains("calibrated on your measurement")
                    && r.out().contains("measured 4.50 ms, estimate 4.50 ms"), r.out());
            assertTrue(Files.exists(dir.resolve("chips.json")));
            // a later plan on the saved profile says so, with measured and estimated side by side
            Run later = run("plan", model, "--chip", "my phone", "--seq", "64", "--json");
            assertEquals(0, later.code(), later.err());
            assertTrue(later.out().contains("\"chip_calibration\"") && later.out().contains("\"measured_ms\" : 4.5"),
                    later.out());
            Run bad = run("plan", model, "--chip", "A15", "--seq", "128", "--save-profile", "x");
            assertEquals(2, bad.code());
            assertTrue(bad.err().contains("--measured"), bad.err());
        } finally {
            if (old == null) System.clearProperty("anewb.config.dir"); else System.setProperty("anewb.config.dir", old);
        }
    }

    @Test void textShowsWhatWouldNotStayOnTheAneAndW8a8Warnings() {
        Run r = run("plan", TestModels.config("distilbert-base-uncased").toString(), "--chip", "A15", "--seq", "128",
                "--activations", "int8");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("what would not stay on the ANE") && r.out().contains("per Core ML model"),
                r.out());
        assertTrue(r.out().contains("W8A8 on A15: no faster INT8 x INT8"), r.out());
        Run bad = run("plan", TestModels.config("distilbert-base-uncased").toString(), "--seq", "8", "--activations",
                "int4");
        assertEquals(2, bad.code());
    }

    @Test void layoutPngIsWritten(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("q.png");
        Run r = run("layout", TestModels.config("bert-base-uncased").getParent().toString(), "--tensor", "layers.0.q",
                "--seq", "7", "--png", png.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("(1, 768, 1, 7)") && r.out().contains("allocated 49152"),
                r.out()); // 768 rows × 64 B
        assertTrue(ImageIO.read(png.toFile()).getWidth() >= 600);
        assertTrue(Files.size(png) > 1000);
    }
}

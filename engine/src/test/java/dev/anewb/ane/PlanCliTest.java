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
        Run r = run("plan", TestModels.config("distilbert-base-uncased").getParent().toString(), "--chip", "A15", "--seq", "128", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode n = new ObjectMapper().readTree(r.out());
        assertEquals("A15", n.get("chip").asText());
        for (String side : List.of("optimized", "baseline")) {
            JsonNode t = n.get(side);
            for (String k : List.of("latency_ms", "peak_sram_bytes", "dram_bytes", "energy_mj", "peak_dram_bytes", "ops")) assertTrue(t.has(k), side + "." + k);
            JsonNode op = t.get("ops").get(1);
            for (String k : List.of("name", "kind", "flops", "sram_bytes", "spill_bytes", "dram_bytes", "latency_ms", "on_ane", "warnings")) assertTrue(op.has(k), k);
            for (BufferKind b : BufferKind.values()) assertTrue(op.get("sram_bytes").has(b.key()));
        }
    }

    @Test void textSaysEstimateAndNamesTheChipAndSources() {
        Run r = run("plan", TestModels.config("bert-base-uncased").toString(), "--chip", "m4", "--seq", "64", "--sram-mb", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("ESTIMATE") && r.out().contains("M4") && r.out().contains("maderix/ANE"), r.out());
        assertTrue(r.out().contains("--sram-mb"));
    }

    @Test void unknownChipIsAUsageErrorListingChips() {
        Run r = run("plan", TestModels.config("bert-base-uncased").toString(), "--chip", "A99", "--seq", "64");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("A17 Pro"), r.err());
    }

    @Test void calibrationPrintsEveryRow() {
        Run r = run("plan", "--calibration");
        assertEquals(0, r.code(), r.err());
        for (String id : List.of("1 ", "2 ", "3r", "4mr", "5 ", "6 ")) assertTrue(r.out().contains("\n" + id), id);
        assertTrue(r.out().contains("whisper base encoder") && r.out().contains("llama_lm_head, M4"), r.out());
    }

    @Test void layoutPngIsWritten(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("q.png");
        Run r = run("layout", TestModels.config("bert-base-uncased").getParent().toString(), "--tensor", "layers.0.q", "--seq", "7", "--png", png.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("(1, 768, 1, 7)") && r.out().contains("allocated 49152"), r.out()); // 768 rows × 64 B
        assertTrue(ImageIO.read(png.toFile()).getWidth() >= 600);
        assertTrue(Files.size(png) > 1000);
    }
}

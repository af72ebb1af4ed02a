package dev.anewb.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sizes far beyond any real model, given on the command line or in a file (issue 17, items 3-6): each either runs in
 * bounded memory and time or is refused before anything of its size is allocated.
 */
class AbsurdSizesCliTest {
    @TempDir Path tmp;

    record Outcome(int exit, String out, String err) { }

    static Outcome run(String... args) {
        CommandLine cl = AnewbCli.commandLine(List.of());
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        return new Outcome(cl.execute(args), out.toString(), err.toString());
    }

    /**
     * Item 3: block sizes of 2^25, 2^26 and 2^31-1 are per-channel, as the help says: the same taps as a block as
     * long as the longest row (bert-tiny's rows are 64 and 128 long), without an int overflow or a 4 GB buffer.
     */
    @Test
    void hugeBlockSizesArePerChannel() throws IOException {
        String m = Fixtures.fixture("bert-tiny").toString();
        String ids = "101,2023,2003,1037,3231,1997,1996,4372,102"; // several tokens: the dequantize-per-block path
        byte[] reference = dump(m, ids, "128");
        for (String block : List.of("33554432", "67108864", "2147483647")) {
            assertArrayEquals(reference, dump(m, ids, block), "--block-size " + block + " is per-channel");
        }
        // one token: the fused decode path
        assertArrayEquals(dump(m, "101", "128"), dump(m, "101", "67108864"));
    }

    /**
     * Item 5: a config at the layer ceiling plans in seconds, every figure finite and non-negative (the footprint sum
     * over ops was quadratic: minutes and gigabytes for 10^5 layers).
     */
    @Test
    void aThousandLayersPlanQuickly() throws IOException {
        ObjectNode json = (ObjectNode) new ObjectMapper().readTree(Fixtures.fixture("bert-tiny/config.json").toFile());
        json.put("num_hidden_layers", 1024);
        Path cfg = Files.writeString(tmp.resolve("config.json"), json.toString());
        long t0 = System.nanoTime();
        Outcome o = run("plan", cfg.toString(), "--seq", "512", "--json");
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(0, o.exit(), o.err());
        assertTrue(seconds < 20, "1024 layers planned in " + seconds + " s");
        JsonNode plan = new ObjectMapper().readTree(o.out());
        for (String side : List.of("optimized", "baseline")) {
            for (String key : List.of("latency_ms", "dram_bytes", "energy_mj", "peak_dram_bytes")) {
                double v = plan.get(side).get(key).asDouble();
                assertTrue(v > 0 && Double.isFinite(v), side + "." + key + " = " + v);
            }
        }
    }

    /**
     * Found by fuzzing the ceiling seed: "type_vocab_size": null gave the token-type table 0 rows (the graph read
     * null as 0 where the config reader reads it as absent), and the planner divided by zero.
     */
    @Test
    void aNullTypeVocabularyIsTheDefault() throws IOException {
        ObjectNode json = (ObjectNode) new ObjectMapper().readTree(Fixtures.fixture("bert-tiny/config.json").toFile());
        json.putNull("type_vocab_size");
        Path cfg = Files.writeString(tmp.resolve("config.json"), json.toString());
        Outcome o = run("plan", cfg.toString(), "--seq", "16");
        assertEquals(0, o.exit(), o.err());
    }

    private byte[] dump(String model, String ids, String block) throws IOException {
        Path f = tmp.resolve("taps-" + ids.length() + "-" + block + ".safetensors");
        Outcome o = run("run", model, "--ids", ids, "--quant", "int8", "--block-size", block, "--dump", f.toString());
        assertEquals(0, o.exit(), o.err());
        return Files.readAllBytes(f);
    }
}

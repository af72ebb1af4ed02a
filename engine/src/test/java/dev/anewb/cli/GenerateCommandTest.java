package dev.anewb.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.io.HfTokenizer;
import dev.anewb.model.TextTokenizer;
import dev.anewb.runtime.Generator;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** {@code anewb generate} as spec/cli.md describes it: streamed text, --json, exit codes. */
class GenerateCommandTest {
    record Run(int code, String out, String err) { }

    static synchronized Run run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        try {
            System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
            var cl = AnewbCli.commandLine(List.of());
            cl.setErr(new PrintWriter(err, true));
            int code = cl.execute(args);
            return new Run(code, bytes.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(old);
        }
    }

    @Test
    void jsonGivesTransformersGreedyIdsAndStreamingPrintsTheSameText() throws Exception {
        String model = Fixtures.fixture("gpt2-tiny").toString();
        Run j = run("generate", model, "--ids", "721,496,536", "--max-new-tokens", "12", "--json");
        assertEquals(0, j.code(), j.err());
        JsonNode o = new ObjectMapper().readTree(j.out());
        long[] ids = new long[o.get("ids").size()];
        for (int i = 0; i < ids.length; i++) ids[i] = o.get("ids").get(i).asLong();
        assertArrayEquals(new long[] {1156, 1088, 368, 1120, 436, 753, 843, 404, 467, 467, 223, 417}, ids);
        Run s = run("generate", model, "--text", "The neural engine", "--max-new-tokens", "12");
        assertEquals(0, s.code(), s.err());
        assertEquals(o.get("text").asText() + System.lineSeparator(), s.out());
    }

    @Test
    void samplingWithASeedRepeatsAndUserErrorsExitTwo() {
        String model = Fixtures.fixture("llama-tiny").toString();
        Run a = run("generate", model, "--text", "The neural engine", "--max-new-tokens", "8", "--temperature", "0.9",
                "--top-k", "40",
                "--top-p", "0.9", "--seed", "5", "--json");
        Run b = run("generate", model, "--text", "The neural engine", "--max-new-tokens", "8", "--temperature", "0.9",
                "--top-k", "40",
                "--top-p", "0.9", "--seed", "5", "--json");
        assertEquals(0, a.code(), a.err());
        assertEquals(a.out(), b.out());
        Run tooMany = run("generate", model, "--ids", "1,674", "--max-new-tokens", "300");
        assertEquals(2, tooMany.code());
        assertTrue(tooMany.err().contains("passes the model's context of 256 positions"), tooMany.err());
        Run badId = run("generate", model, "--ids", "1,800", "--max-new-tokens", "3");
        assertEquals(2, badId.code());
        assertTrue(badId.err().contains("outside the vocabulary (0..799)"), badId.err());
        Run topKAlone = run("generate", model, "--ids", "1", "--max-new-tokens", "3", "--top-k", "5");
        assertEquals(2, topKAlone.code());
    }

    @Test
    void runDumpsLogitsForLanguageModels() {
        Run r = run("run", Fixtures.fixture("llama-tiny").toString(), "--ids", "1,674,410");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("logits") && l.contains("[1, 3, 800]")), r.out());
    }

    @Test
    void noTextFromIdsOutsideTheTokenizerSaysWhy() {
        try (TextTokenizer tok = HfTokenizer.open(Fixtures.fixture("tok-llama").resolve("tokenizer.json"))) {
            int vocab = tok.vocabSize();
            String why = GenerateCommand.emptyTextReason(new Generator.Result(new long[]{vocab + 5, vocab + 9, 3}, "",
                    null, false), tok);
            assertTrue(why != null
                    && why.contains("2 of them are not in the tokenizer's vocabulary (ids 0.." + (vocab - 1) + ")"),
                            why);
            assertEquals(null, GenerateCommand.emptyTextReason(new Generator.Result(new long[]{5}, "hi", null, false),
                    tok));
        }
    }
}

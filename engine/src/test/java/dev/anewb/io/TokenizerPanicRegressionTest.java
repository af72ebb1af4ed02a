package dev.anewb.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anewb.AnewbException;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Found by the long fuzz run: a TemplateProcessing that names a special token its map lacks made the native
 * tokenizer panic, which aborts the JVM (exit 134) — no catch can help, so it must be refused before loading.
 */
class TokenizerPanicRegressionTest {
    @TempDir Path tmp;

    @Test
    void aTemplateNamingAnUndefinedSpecialTokenIsRefusedNotLoaded() throws Exception {
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = (ObjectNode) om.readTree(Fixtures.fixture("tok-llama").resolve("tokenizer.json").toFile());
        ObjectNode special = (ObjectNode) root.get("post_processor").get("special_tokens");
        special.set("{{{{", special.remove("<s>"));   // the fuzzer's mutation: the key no longer matches the template
        Path f = tmp.resolve("tokenizer.json");
        Files.writeString(f, om.writeValueAsString(root));
        AnewbException e = assertThrows(AnewbException.class, () -> HfTokenizer.open(f).encode("hello"));
        assertTrue(e.getMessage().contains("post_processor") && e.getMessage().contains("<s>"), e.getMessage());
    }
}

package dev.anewb.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17 #13: convert measured the package's drift on built-in English sentences even for a Chinese model, whose
 * tokenizer turns them into [UNK]s. The "Chinese model" here is bert-tiny with a vocabulary cut to its CJK characters
 * (and the special tokens), under their original ids.
 */
class ConvertSampleTextsTest {
    @TempDir static Path tmp;
    static Path cjk;
    static String sentence;

    @BeforeAll
    static void cjkModel() throws IOException {
        cjk = Files.createDirectories(tmp.resolve("cjk"));
        try (Stream<Path> s = Files.list(Fixtures.fixture("bert-tiny"))) {
            for (Path f : s.toList()) Files.copy(f, cjk.resolve(f.getFileName()));
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode tok = (ObjectNode) json.readTree(cjk.resolve("tokenizer.json").toFile());
        ObjectNode vocab = (ObjectNode) tok.get("model").get("vocab");
        StringBuilder chars = new StringBuilder();
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.properties().iterator(); it.hasNext(); ) {
            String k = it.next().getKey();
            boolean han = k.length() == 1 && k.charAt(0) >= 0x4e00 && k.charAt(0) <= 0x9fff;
            if (han && chars.length() < 12) chars.append(k);
            if (!han && !(k.startsWith("[") && k.endsWith("]"))) it.remove();
        }
        Files.writeString(cjk.resolve("tokenizer.json"), tok.toString());
        sentence = chars.toString();
    }

    static HostileInputCliTest.Outcome convert(String... extra) {
        List<String> args = new ArrayList<>(List.of("convert", cjk.toString()));
        args.addAll(List.of(extra));
        return HostileInputCliTest.runCapturingStderr(args.toArray(String[]::new));
    }

    @Test
    void theBuiltInEnglishSampleIsFlaggedAndTextsInTheModelsLanguageAreUsed() throws IOException {
        HostileInputCliTest.Outcome english = convert("--out", tmp.resolve("en.anepkg").toString());
        assertEquals(0, english.exit(), english.err());
        assertTrue(english.err().contains("anewb: warning: sample text 1 is 100% unknown tokens for this tokenizer"),
                english.err());
        assertTrue(english.err().contains("--texts-file"), english.err());

        Path texts = Files.writeString(tmp.resolve("texts.txt"), sentence + "\n\n" + sentence.substring(3) + "\n",
                StandardCharsets.UTF_8);
        Path zh = tmp.resolve("zh.anepkg");
        HostileInputCliTest.Outcome own = convert("--texts-file", texts.toString(), "--out", zh.toString());
        assertEquals(0, own.exit(), own.err());
        assertFalse(own.err().contains("unknown tokens"), own.err());
        JsonNode manifest = new ObjectMapper().readTree(tmp.resolve("zh.anepkg/manifest.json").toFile());
        List<String> recorded = new ArrayList<>();
        manifest.path("drift").path("sample_input").path("texts").forEach(t -> recorded.add(t.asText()));
        assertEquals(List.of(sentence, sentence.substring(3)), recorded, "the package records the texts it measured");
    }

    @Test
    void badTextsFilesAndLongTextsAreClearRefusals() throws IOException {
        Path latin1 = Files.write(tmp.resolve("latin1.txt"), new byte[]{'c', 'a', 'f', (byte) 0xe9, '\n'});
        String x = tmp.resolve("x.anepkg").toString();
        HostileInputCliTest.Outcome o = convert("--texts-file", latin1.toString(), "--out", x);
        assertEquals(1, o.exit(), o.err());
        assertTrue(o.err().endsWith("latin1.txt: is not valid UTF-8 text"), o.err());
        Path blank = Files.writeString(tmp.resolve("blank.txt"), "\n  \n");
        o = convert("--texts-file", blank.toString(), "--out", tmp.resolve("x.anepkg").toString());
        assertTrue(o.exit() == 1 && o.err().endsWith("blank.txt: holds no text (every line is blank)"), o.err());

        String longText = String.join("", Collections.nCopies(600, sentence.substring(0, 1)));
        o = convert("--text", longText, "--out", tmp.resolve("long.anepkg").toString());
        assertEquals(2, o.exit(), o.err());
        assertTrue(o.err().contains("602 tokens long, more than the model's 512 positions; add --truncate"), o.err());
        assertFalse(Files.exists(tmp.resolve("long.anepkg")));
        o = convert("--text", longText, "--truncate", "--out", tmp.resolve("long.anepkg").toString());
        assertEquals(0, o.exit(), o.err());
    }
}

package dev.anewb.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.model.TextTokenizer;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class HfTokenizerTest {
    /** ids, tokens, offsets and decoded text of every case equal what transformers/tokenizers 0.23.2 produced. */
    @ParameterizedTest
    @ValueSource(strings = {"tok-wordpiece", "tok-bytelevel", "tok-llama", "gpt2-tiny", "llama-tiny", "whisper-tiny"})
    void matchesTransformersOnEveryFixtureCase(String folder) throws IOException {
        JsonNode cases = new ObjectMapper().readTree(Fixtures.fixture(folder + "/tokenizer_cases.json").toFile());
        boolean specials = cases.get("add_special_tokens").asBoolean();
        List<String> failures = new ArrayList<>();
        try (HfTokenizer tok = HfTokenizer.open(Fixtures.fixture(folder + "/tokenizer.json"))) {
            for (JsonNode c : cases.get("cases")) {
                String text = c.get("text").asText();
                TextTokenizer.Encoding e = tok.encode(text);
                long[] ids = new long[c.get("ids").size()];
                for (int i = 0; i < ids.length; i++) ids[i] = c.get("ids").get(i).asLong();
                String[] tokens = new String[c.get("tokens").size()];
                for (int i = 0; i < tokens.length; i++) tokens[i] = c.get("tokens").get(i).asText();
                int[][] offsets = new int[c.get("offsets").size()][];
                for (int i = 0; i < offsets.length; i++) {
                    offsets[i] = new int[] {c.get("offsets").get(i).get(0).asInt(),
                            c.get("offsets").get(i).get(1).asInt()};
                }
                String q = folder + " " + new ObjectMapper().writeValueAsString(text) + ": ";
                if (!specials && e.length() != ids.length) failures.add(q + "special tokens differ");
                if (!Arrays.equals(ids, e.ids())) failures.add(q + "ids " + Arrays.toString(e.ids()) + " != "
                        + Arrays.toString(ids));
                if (!Arrays.equals(tokens, e.tokens())) failures.add(q + "tokens " + Arrays.toString(e.tokens())
                        + " != " + Arrays.toString(tokens));
                if (!Arrays.deepEquals(offsets, e.offsets())) failures.add(q + "offsets "
                        + Arrays.deepToString(e.offsets()) + " != " + Arrays.deepToString(offsets));
                String decoded = tok.decode(ids, true);
                if (!decoded.equals(c.get("decoded").asText())) failures.add(q + "decoded "
                        + new ObjectMapper().writeValueAsString(decoded) + " != " + c.get("decoded"));
                for (int i = 0; i < ids.length; i++) {
                    if (tok.tokenToId(tokens[i]) != ids[i]) failures.add(q + "tokenToId(" + tokens[i] + ") = "
                            + tok.tokenToId(tokens[i]));
                    if (!tokens[i].equals(tok.idToToken(ids[i]))) failures.add(q + "idToToken(" + ids[i] + ") = "
                            + tok.idToToken(ids[i]));
                }
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    @Test
    void nativeLibraryCacheFallsBackToTempWhenHomeCannotBeWritten(@TempDir Path tmp) throws IOException {
        Path home = Files.createDirectories(tmp.resolve("home"));
        assertNull(HfTokenizer.djlCacheDir(home, tmp.resolve("t")));
        Path blocked = Files.writeString(tmp.resolve("file-not-home"), "x");
        assertEquals(tmp.resolve("t").resolve("djl"), HfTokenizer.djlCacheDir(blocked, tmp.resolve("t")));
    }

    @Test
    void bundledTokenizerIgnoresItsStoredPaddingUnlessAskedAndTruncatesKeepingSpecials() {
        try (HfTokenizer tok = HfTokenizer.open(BundledModel.tokenizerPath())) {
            assertEquals(30522, tok.vocabSize());
            TextTokenizer.Encoding e = tok.encode("hello world");
            assertArrayEquals(new long[] {101, 7592, 2088, 102}, e.ids());
            assertArrayEquals(new long[] {1, 1, 1, 1}, e.attentionMask());
            assertArrayEquals(new long[] {0, 0, 0, 0}, e.typeIds());

            List<TextTokenizer.Encoding> batch = tok.encodeBatch(List.of("hello world", "hello"), true, 0);
            assertArrayEquals(new long[] {101, 7592, 2088, 102}, batch.get(0).ids());
            assertArrayEquals(new long[] {101, 7592, 102, 0}, batch.get(1).ids());
            assertArrayEquals(new long[] {1, 1, 1, 0}, batch.get(1).attentionMask());
            assertArrayEquals(new int[] {0, 0}, batch.get(1).offsets()[3]);

            List<TextTokenizer.Encoding> cut = tok.encodeBatch(List.of("hello world again"), false, 3);
            assertArrayEquals(new long[] {101, 7592, 102}, cut.get(0).ids());
            assertEquals("[CLS] hello world [SEP]", tok.decode(new long[] {101, 7592, 2088, 102}, false));
        }
    }
}

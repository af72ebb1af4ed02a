package dev.anewb.io;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anewb.AnewbException;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The child-process probe: a tokenizer whose native load aborts the child is refused in the parent with a message
 * naming the file (the parent keeps running — this test is the proof), a good one loads and is remembered.
 */
class NativeTokenizerProbeTest {
    @TempDir Path tmp;
    private String home;

    @BeforeEach
    void isolateTheMarkerFolder() {
        home = System.getProperty("user.home");
        System.setProperty("user.home", tmp.resolve("home").toString());
    }

    @AfterEach
    void restore() {
        System.setProperty("user.home", home);
        NativeTokenizerProbe.childMain = NativeTokenizerProbe.class.getName();
    }

    /**
     * The fuzz-found shape (a TemplateProcessing naming a special token its map lacks) handed to the native library
     * WITHOUT our Java check, in the child: the Rust panic aborts that process, and the parent refuses the file.
     */
    @Test
    void aNativePanicInTheChildIsRefusedHere() throws Exception {
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = (ObjectNode) om.readTree(Fixtures.fixture("tok-llama").resolve("tokenizer.json").toFile());
        ObjectNode special = (ObjectNode) root.get("post_processor").get("special_tokens");
        special.set("{{{{", special.remove("<s>"));
        Path f = tmp.resolve("tokenizer.json");
        String json = om.writeValueAsString(root);
        Files.writeString(f, json);
        NativeTokenizerProbe.childMain = RawNativeLoad.class.getName();
        AnewbException e = assertThrows(AnewbException.class, () -> NativeTokenizerProbe.check(f, json));
        // 134 = 128 + SIGABRT: the Rust panic really ended the child (a Java exception there would exit 1 or 3).
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("exit code 134"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("home/.cache/anewb/tokenizer-probe"))
                && Files.list(tmp.resolve("home/.cache/anewb/tokenizer-probe")).findAny().isPresent(),
                "a refused tokenizer must not be remembered as good");
    }

    @Test
    void aGoodTokenizerLoadsAndIsProbedOnce() throws Exception {
        // A content no earlier test probed: the fixture with its keys re-serialised.
        ObjectMapper om = new ObjectMapper();
        String json = om.writerWithDefaultPrettyPrinter()
                .writeValueAsString(om.readTree(Fixtures.fixture("tok-bytelevel").resolve("tokenizer.json").toFile()));
        Path f = tmp.resolve("good").resolve("tokenizer.json");
        Files.createDirectories(f.getParent());
        Files.writeString(f, json);
        try (HfTokenizer t = HfTokenizer.open(f)) {
            assertTrue(t.encode("hello world").ids().length > 0);
        }
        Path marker = tmp.resolve("home/.cache/anewb/tokenizer-probe").resolve(NativeTokenizerProbe.sha256(json));
        assertTrue(Files.exists(marker), "probed content remembered in " + marker);
    }

    /** A child that dies like a native abort must be refused even for a file our Java checks accept. */
    @Test
    void aChildThatDiesIsRefusedForAnyFile() throws Exception {
        String json = Files.readString(Fixtures.fixture("tok-wordpiece").resolve("tokenizer.json")) + "\n ";
        Path f = tmp.resolve("tokenizer.json");
        Files.writeString(f, json);
        NativeTokenizerProbe.childMain = Dies.class.getName();
        AnewbException e = assertThrows(AnewbException.class, () -> HfTokenizer.open(f));
        assertTrue(e.getMessage().contains("exit code 134") && e.getMessage().contains("native abort stand-in"),
                e.getMessage());
    }

    /** Child main: our Java checks skipped, the file straight into the native library. */
    public static final class RawNativeLoad {
        public static void main(String[] args) throws Exception {
            String json = Files.readString(Path.of(args[0]), StandardCharsets.UTF_8);
            try (HuggingFaceTokenizer t =
                    HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)),
                    Map.of("addSpecialTokens", "true", "padding", "false", "truncation", "false"))) {
                t.encode("hello");
            }
            System.exit(0);
        }
    }

    /** Child main: prints a line and ends the process the way an abort does. */
    public static final class Dies {
        public static void main(String[] args) {
            System.out.println("native abort stand-in");
            System.out.flush();
            Runtime.getRuntime().halt(134);
        }
    }
}

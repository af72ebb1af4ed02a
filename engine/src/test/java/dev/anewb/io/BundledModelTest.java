package dev.anewb.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

class BundledModelTest {
    @TempDir Path tmp;

    @Test
    void extractsToTheFirstWritableRootAndReusesIt() throws IOException {
        // A root below a regular file can never be created (even as root), standing in for a read-only home.
        Path blocker = Files.writeString(tmp.resolve("not-a-folder"), "x");
        Path fallback = tmp.resolve("fallback");
        Path dir = BundledModel.extract(List.of(blocker.resolve("bundled"), fallback));
        assertEquals(fallback, dir.getParent());
        long jarSize = BundledModel.onnxResource().openConnection().getContentLengthLong();
        assertEquals(jarSize, Files.size(dir.resolve("model.onnx")));
        assertTrue(Files.size(dir.resolve("tokenizer.json")) > 100_000);
        JsonNode cfg = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        assertEquals(384, cfg.get("hidden_size").asInt());
        assertEquals(6, cfg.get("num_hidden_layers").asInt());
        assertEquals(1e-12, cfg.get("layer_norm_eps").asDouble());

        FileTime before = FileTime.fromMillis(1_000_000L);
        Files.setLastModifiedTime(dir.resolve("model.onnx"), before);
        assertEquals(dir, BundledModel.extract(List.of(blocker.resolve("bundled"), fallback)));
        assertEquals(before, Files.getLastModifiedTime(dir.resolve("model.onnx")), "an intact extraction is reused");
        try (var files = Files.list(dir)) {
            assertEquals(Set.of("model.onnx", "tokenizer.json", "config.json", "README.md"),
                    files.map(p -> p.getFileName().toString()).collect(Collectors.toSet()),
                    "the model, its tokenizer, config and card; no temp files left behind");
        }
    }

    @Test
    void recognisesTheBundledId() {
        assertTrue(BundledModel.isBundled("bundled:all-MiniLM-L6-v2"));
        assertFalse(BundledModel.isBundled("sentence-transformers/all-MiniLM-L6-v2"));
    }
}

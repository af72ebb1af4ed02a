package dev.anewb.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.AnewbException;
import dev.anewb.convert.AnePackage;
import dev.anewb.hub.HfCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Names from untrusted files stay inside their folder; Hub names too. */
class ContainedPathsTest {
    @TempDir Path tmp;

    @Test
    void namesInsideAreResolvedAndEscapesRefused() {
        assertEquals(tmp.resolve("a/b.safetensors"),
                ContainedPaths.resolveInside(tmp, "a/./b.safetensors", tmp.resolve("i.json"), "shard"));
        for (String bad : new String[]{"../x", "a/../../x", "/etc/passwd", "", ".", "a/.."}) {
            AnewbException e = assertThrows(AnewbException.class, () ->
                    ContainedPaths.resolveInside(tmp, bad, tmp.resolve("i.json"), "shard"), bad);
            assertTrue(e.getMessage().startsWith(tmp.resolve("i.json") + ": shard"), e.getMessage());
        }
    }

    @Test
    void hubFileNamesAndEtagsCannotLeaveTheCache() throws Exception {
        HfCache cache = new HfCache(tmp.resolve("hub"));
        String commit = "0123456789abcdef0123456789abcdef01234567";
        assertThrows(AnewbException.class, () -> cache.blob("org/m", "../../../evil"));
        assertThrows(AnewbException.class, () -> cache.incompleteBlob("org/m", "a/b"));
        Files.createDirectories(cache.blob("org/m", "abc123").getParent());
        Files.writeString(cache.blob("org/m", "abc123"), "x");
        AnewbException e = assertThrows(AnewbException.class, () ->
                cache.linkSnapshotFile("org/m", commit, "../../../../.bashrc", "abc123"));
        assertTrue(e.getMessage().contains("points outside"), e.getMessage());
        Path ok = cache.linkSnapshotFile("org/m", commit, "sub/config.json", "abc123");
        assertEquals("x", Files.readString(ok));
        // a snapshot's links into blobs/ are inside its trust root
        ContainedPaths.requireRealInside(ContainedPaths.trustRoot(ok.getParent().getParent()), ok);
    }

    @Test
    void aManifestWithRaggedSampleRowsIsAMessage() throws Exception {
        var m = new ObjectMapper().readTree(
                "{\"drift\":{\"sample_input\":{\"ids\":[[1,2,3],[1]],\"attention_mask\":[[1,1,1],[1]]}}}");
        AnewbException e = assertThrows(AnewbException.class, () -> AnePackage.sampleInput(m));
        assertTrue(e.getMessage().contains("row 1"), e.getMessage());
    }
}

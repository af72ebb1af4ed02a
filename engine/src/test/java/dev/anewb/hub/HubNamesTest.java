package dev.anewb.hub;

import dev.anewb.AnewbException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Hub's naming rules: huggingface_hub's validate_repo_id, git's check-ref-format, git paths. */
class HubNamesTest {
    @Test
    void repoIds() {
        for (String ok : List.of("sentence-transformers/all-MiniLM-L6-v2", "hf-internal-testing/bert-tiny", "a/b",
                "Org_1/x.y-z", "0-hero/OIG")) {
            assertTrue(HubNames.isRepoId(ok), ok);
        }
        for (String bad : List.of("acme/a--b", "acme/a..b", "acme/.x", "acme/x.", "acme/-x", "acme/x.git", "a/b/c",
                "noslash", "/x", "x/", "acme/" + "n".repeat(97), "acme/caf\u00e9", "acme/a b", "../x")) {
            assertFalse(HubNames.isRepoId(bad), bad);
        }
    }

    @Test
    void revisions() {
        String commit = "0123456789abcdef0123456789abcdef01234567";
        for (String ok : List.of("main", "v1.0", "refs/pr/1", "feature/x", commit)) {
            assertTrue(HubNames.isRevision(ok), ok);
        }
        for (String bad : List.of("", "@", "..", "../x", "a/../b", "/main", "main/", "a//b", ".x", "a/.x", "x.lock",
                "x.", "a b", "a~1", "a^", "a:b", "a?", "a*", "a[", "a\\b", "a@{1}", "a\u0000b", "a\nb",
                "x".repeat(256))) {
            assertFalse(HubNames.isRevision(bad), bad);
        }
    }

    @Test
    void listedFileNames() {
        for (String ok : List.of("config.json", "1_Pooling/config.json", "onnx/model.onnx", ".gitattributes")) {
            assertDoesNotThrow(() -> HubNames.requireFileName(ok, "r"), ok);
        }
        for (String bad : List.of("", "/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", "a/", ".git/config", "a\\b",
                "a\u0001")) {
            assertThrows(AnewbException.class, () -> HubNames.requireFileName(bad, "r"), bad);
        }
    }
}

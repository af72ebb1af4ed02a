package dev.anewb.hub;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checks a cached repository the way {@code huggingface_hub} reads it ({@code scan_cache_dir} and
 * {@code try_to_load_from_cache}): {@code refs/main} holds the bare commit; every snapshot file is a relative
 * symlink {@code ../../blobs/{etag}} (one more {@code ../} per folder level) that resolves inside the repo's
 * {@code blobs/}; a blob is named by the sha256 of its content for LFS files and by the git blob id otherwise;
 * no {@code .incomplete} file is left; each blob has its {@code .locks} lock file.
 */
final class HfCacheLayout {
    private HfCacheLayout() { }

    static void assertLayout(Path cacheRoot, String repoId, String commit, Map<String, byte[]> expected,
            Set<String> lfs) throws IOException {
        Path repo = cacheRoot.resolve("models--" + repoId.replace("/", "--"));
        assertEquals(commit, Files.readString(repo.resolve("refs").resolve("main")),
                "refs/main holds the commit, without a newline");
        Path snap = repo.resolve("snapshots").resolve(commit);
        Set<String> expectedBlobs = new TreeSet<>();
        for (var e : expected.entrySet()) {
            String file = e.getKey();
            byte[] content = e.getValue();
            String etag = lfs.contains(file) ? FakeHub.sha256Hex(content) : FakeHub.gitBlobId(content);
            expectedBlobs.add(etag);
            Path link = snap.resolve(file);
            assertTrue(Files.isSymbolicLink(link), file + " is a symlink");
            Path target = Files.readSymbolicLink(link);
            assertFalse(target.isAbsolute(), file + " links relatively");
            int depth = file.split("/").length - 1;
            assertEquals("../".repeat(depth + 2) + "blobs/" + etag, target.toString().replace('\\', '/'), file
                    + " links to its blob");
            assertEquals(repo.resolve("blobs").resolve(etag).toRealPath(), link.toRealPath(), file
                    + " resolves inside blobs/");
            assertArrayEquals(content, Files.readAllBytes(link), file + " has the repository's bytes");
            assertTrue(Files.isRegularFile(cacheRoot.resolve(".locks").resolve(repo.getFileName()).resolve(etag
                    + ".lock")), file + " has its lock file");
        }
        Set<String> blobs = new TreeSet<>();
        try (Stream<Path> s = Files.list(repo.resolve("blobs"))) {
            s.forEach(p -> blobs.add(p.getFileName().toString()));
        }
        assertEquals(expectedBlobs, blobs, "one blob per distinct content and nothing else (no .incomplete)");
        try (Stream<Path> s = Files.walk(snap)) {
            long files = s.filter(p -> !Files.isDirectory(p)).count();
            assertEquals(expected.size(), files, "the snapshot holds exactly the pulled files");
        }
    }
}

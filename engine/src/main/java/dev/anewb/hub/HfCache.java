package dev.anewb.hub;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The Hugging Face cache as {@code huggingface_hub} lays it out, shared with Python:
 * {@code HF_HUB_CACHE}, else {@code $HF_HOME/hub}, else {@code ~/.cache/huggingface/hub}; a model lives in
 * {@code models--{org}--{name}} with {@code refs/{revision}} holding the commit and
 * {@code snapshots/{commit}/} holding its files.
 */
public final class HfCache {
    private final Path root;

    public HfCache(Path root) {
        this.root = root;
    }

    public static HfCache fromEnvironment() {
        return new HfCache(hubCacheDir(System.getenv()));
    }

    public static Path hubCacheDir(Map<String, String> env) {
        String cache = env.get("HF_HUB_CACHE");
        if (cache != null && !cache.isBlank()) return Path.of(cache);
        String home = env.get("HF_HOME");
        if (home != null && !home.isBlank()) return Path.of(home, "hub");
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) return Path.of(xdg, "huggingface", "hub");
        return Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub");
    }

    public Path root() { return root; }

    /** {@code models--org--name}. */
    public Path repoFolder(String repoId) {
        return root.resolve("models--" + repoId.replace("/", "--"));
    }

    /** The snapshot folder of a repo at a revision (branch, tag or commit), if it is in the cache. */
    public Optional<Path> snapshot(String repoId, String revision) {
        Path repo = repoFolder(repoId);
        String commit = revision;
        if (!revision.matches("[0-9a-f]{40}")) {
            Path ref = repo.resolve("refs").resolve(revision);
            if (!Files.isRegularFile(ref)) return Optional.empty();
            try {
                commit = Files.readString(ref).trim();
            } catch (IOException e) {
                return Optional.empty();
            }
        }
        if (!commit.matches("[0-9a-f]{40}")) return Optional.empty();
        Path snap = repo.resolve("snapshots").resolve(commit);
        return Files.isDirectory(snap) ? Optional.of(snap) : Optional.empty();
    }
}

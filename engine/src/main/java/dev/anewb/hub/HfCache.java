package dev.anewb.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.AnewbException;
import dev.anewb.io.AtomicFiles;
import dev.anewb.io.ContainedPaths;
import dev.anewb.model.arch.Architectures;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The Hugging Face cache as {@code huggingface_hub} lays it out, shared with Python:
 * {@code HF_HUB_CACHE}, else {@code $HF_HOME/hub}, else {@code ~/.cache/huggingface/hub}; a model lives in
 * {@code models--{org}--{name}} with {@code blobs/{etag}} holding file contents (the sha256 for LFS files, the
 * git object id otherwise), {@code refs/{revision}} holding the commit, and {@code snapshots/{commit}/{file}}
 * as relative symlinks {@code ../../blobs/{etag}}. Downloads go to {@code blobs/{etag}.incomplete} and are
 * serialised per blob by {@code .locks/models--{org}--{name}/{etag}.lock}. This class is the one place that
 * knows the layout.
 */
public final class HfCache {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path root;

    public HfCache(Path root) {
        this.root = root;
    }

    /** The cache an environment names (pass {@code System.getenv()} in production, a map in tests). */
    public HfCache(Map<String, String> env) {
        this(hubCacheDir(env));
    }

    public static HfCache fromEnvironment() {
        return new HfCache(System.getenv());
    }

    public static Path hubCacheDir(Map<String, String> env) {
        String cache = env.get("HF_HUB_CACHE");
        if (cache != null && !cache.isBlank()) return Path.of(cache);
        return hfHome(env).resolve("hub");
    }

    /** {@code HF_HOME}, else {@code $XDG_CACHE_HOME/huggingface}, else {@code ~/.cache/huggingface} (where the token
     * file lives).
     */
    public static Path hfHome(Map<String, String> env) {
        String home = env.get("HF_HOME");
        if (home != null && !home.isBlank()) return Path.of(home);
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) return Path.of(xdg, "huggingface");
        return Path.of(System.getProperty("user.home"), ".cache", "huggingface");
    }

    public Path root() { return root; }

    /** {@code models--org--name}; the id must follow the Hub's rules, so it cannot name another folder. */
    public Path repoFolder(String repoId) {
        return root.resolve(repoFolderName(HubNames.requireRepoId(repoId)));
    }

    /** {@code refs/{revision}}, for a revision by git's ref rules, inside the repository's {@code refs/}. */
    private Path refFile(String repoId, String revision) {
        Path refs = repoFolder(repoId).resolve("refs");
        return ContainedPaths.resolveInside(refs, HubNames.requireRevision(revision), refs, "revision");
    }

    private static String repoFolderName(String repoId) {
        return "models--" + repoId.replace("/", "--");
    }

    /** The ETag comes from the Hub (or a mirror): it must be a plain name, or it could place the blob anywhere. */
    public Path blob(String repoId, String etag) {
        return repoFolder(repoId).resolve("blobs").resolve(ContainedPaths.requireSimpleName(etag, "ETag", repoId));
    }

    /** Where a blob is written while it downloads; renamed to {@link #blob} once complete (and verified). */
    public Path incompleteBlob(String repoId, String etag) {
        String name = ContainedPaths.requireSimpleName(etag, "ETag", repoId);
        return repoFolder(repoId).resolve("blobs").resolve(name + INCOMPLETE);
    }

    /** The lock file huggingface_hub takes around a blob's download, so Python and we never write one blob twice. */
    public Path blobLock(String repoId, String etag) {
        return root.resolve(".locks").resolve(repoFolderName(repoId)).resolve(ContainedPaths.requireSimpleName(etag,
                "ETag", repoId) + ".lock");
    }

    public Path snapshotFolder(String repoId, String commit) {
        return repoFolder(repoId).resolve("snapshots").resolve(commit);
    }

    /** The commit a ref (branch or tag) points to in the cache, if recorded. */
    public Optional<String> refCommit(String repoId, String revision) {
        Path ref = refFile(repoId, revision);
        if (!Files.isRegularFile(ref)) return Optional.empty();
        try {
            String commit = Files.readString(ref).trim();
            return isCommit(commit) ? Optional.of(commit) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    public static boolean isCommit(String revision) {
        return revision != null && revision.matches("[0-9a-f]{40}");
    }

    /** The snapshot folder of a repo at a revision (branch, tag or commit), if it is in the cache. */
    public Optional<Path> snapshot(String repoId, String revision) {
        String commit = isCommit(revision) ? revision : refCommit(repoId, revision).orElse(null);
        if (commit == null) return Optional.empty();
        Path snap = snapshotFolder(repoId, commit);
        return Files.isDirectory(snap) ? Optional.of(snap) : Optional.empty();
    }

    /** Records {@code refs/{revision}} = commit (no newline, as huggingface_hub writes it); written atomically. */
    public void writeRef(String repoId, String revision, String commit) throws IOException {
        if (revision.equals(commit)) return;
        Path ref = refFile(repoId, revision);
        Optional<String> current = refCommit(repoId, revision);
        if (current.isPresent() && current.get().equals(commit)) return;
        Files.createDirectories(ref.getParent());
        Path tmp = Files.createTempFile(ref.getParent(), ".ref-", ".tmp");
        try {
            Files.writeString(tmp, commit);
            moveReplacing(tmp, ref);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Points {@code snapshots/{commit}/{file}} at {@code blobs/{etag}} with a relative symlink (one more
     * {@code ../} per folder in the file's path), or copies the blob where the file system has no symlinks.
     */
    public Path linkSnapshotFile(String repoId, String commit, String file, String etag) throws IOException {
        // file is a name from the Hub's listing: "../../../.bashrc" must not leave the snapshot.
        Path link = ContainedPaths.resolveInside(snapshotFolder(repoId, commit), file, repoFolder(repoId),
                "repository file");
        Path blob = blob(repoId, etag);
        Files.createDirectories(link.getParent());
        Path target = link.getParent().relativize(blob);
        if (Files.isSymbolicLink(link)) {
            if (Files.readSymbolicLink(link).equals(target)) return link;
            Files.delete(link);
        } else if (Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
            Files.delete(link);
        }
        try {
            Files.createSymbolicLink(link, target);
        } catch (FileAlreadyExistsException e) {
            // another download of the same snapshot linked it first; it points at the same content-addressed blob
            if (!Files.isSymbolicLink(link) || !Files.readSymbolicLink(link).equals(target)) throw e;
        } catch (UnsupportedOperationException | IOException e) {
            if (Files.exists(link, LinkOption.NOFOLLOW_LINKS)) throw e instanceof IOException io ? io
                    : new IOException(e);
            // e.g. Windows without developer mode, or FAT volumes: huggingface_hub copies there too
            Path tmp = Files.createTempFile(link.getParent(), ".copy-", ".tmp");
            Files.copy(blob, tmp, StandardCopyOption.REPLACE_EXISTING);
            moveReplacing(tmp, link);
        }
        return link;
    }

    static void moveReplacing(Path from, Path to) throws IOException {
        AtomicFiles.moveReplacing(from, to);
    }

    /** A partial download in a repository's {@code blobs/}: {@code {etag}.incomplete}. */
    public record Partial(Path file, String etag, long bytes) { }

    static final String INCOMPLETE = ".incomplete";

    /** The partial downloads of a repository (Python's and ours: both name them {@code {etag}.incomplete}). */
    public List<Partial> partials(String repoId) throws IOException {
        Path blobs = repoFolder(repoId).resolve("blobs");
        List<Partial> out = new ArrayList<>();
        if (!Files.isDirectory(blobs)) return out;
        try (Stream<Path> s = Files.list(blobs)) {
            for (Path p : s.sorted().toList()) {
                String name = p.getFileName().toString();
                if (!name.endsWith(INCOMPLETE) || !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) continue;
                out.add(new Partial(p, name.substring(0, name.length() - INCOMPLETE.length()), Files.size(p)));
            }
        }
        return out;
    }

    /**
     * Deletes the partial downloads of a repository that nobody is writing: those whose blob lock is free (a
     * download in progress, ours or Python's, holds it). Called after a successful pull, so what is left is from
     * interrupted pulls (a blob of another revision, or one the Hub no longer serves). Returns the bytes removed.
     */
    public long cleanPartials(String repoId) throws IOException {
        long removed = 0;
        for (Partial p : partials(repoId)) {
            if (!p.etag().matches("[A-Za-z0-9._-]+") || p.etag().contains("..")) continue;
            try (BlobLock lock = BlobLock.tryAcquire(blobLock(repoId, p.etag()))) {
                if (lock == null) continue; // being downloaded right now
                if (Files.deleteIfExists(p.file())) removed += p.bytes();
            }
        }
        return removed;
    }

    /** One model in the cache, as {@code anewb models list} shows it. */
    public record CachedModel(String repoId, Map<String, String> refs, List<String> commits, long sizeOnDisk,
                              String modelType, long partialBytes) {
        /** The engine can load this model's architecture (unknown when no snapshot holds a config.json). */
        public Boolean supported() {
            return modelType == null ? null : Architectures.isSupported(modelType);
        }
    }

    /** The models in the cache (datasets and spaces are skipped), sorted by repo id. */
    public List<CachedModel> models() {
        List<CachedModel> out = new ArrayList<>();
        if (!Files.isDirectory(root)) return out;
        try (Stream<Path> s = Files.list(root)) {
            for (Path repo : s.sorted().toList()) {
                String name = repo.getFileName().toString();
                if (!name.startsWith("models--") || !Files.isDirectory(repo)) continue;
                out.add(describe(name.substring("models--".length()).replace("--", "/"), repo));
            }
        } catch (IOException e) {
            throw new AnewbException(root + ": cannot list the Hugging Face cache (" + e.getMessage() + ")", e);
        }
        return out;
    }

    private CachedModel describe(String repoId, Path repo) throws IOException {
        Map<String, String> refs = new TreeMap<>();
        Path refsDir = repo.resolve("refs");
        if (Files.isDirectory(refsDir)) {
            try (Stream<Path> s = Files.walk(refsDir)) {
                for (Path r : s.filter(Files::isRegularFile).toList()) {
                    String rev = refsDir.relativize(r).toString().replace('\\', '/');
                    // a stray file Python would never write is not a revision (and not a reason to fail the listing)
                    if (HubNames.isRevision(rev)) refCommit(repoId, rev).ifPresent(c -> refs.put(rev, c));
                }
            }
        }
        List<String> commits = new ArrayList<>();
        Path snaps = repo.resolve("snapshots");
        if (Files.isDirectory(snaps)) {
            try (Stream<Path> s = Files.list(snaps)) {
                s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().forEach(commits::add);
            }
        }
        // partial downloads apart: a 329 MB model with a 117 MB orphaned partial showed as 446 MiB
        long size = 0, partial = 0;
        Path blobs = repo.resolve("blobs");
        if (Files.isDirectory(blobs)) {
            try (Stream<Path> s = Files.list(blobs)) {
                for (Path b : s.filter(Files::isRegularFile).toList()) {
                    if (b.getFileName().toString().endsWith(INCOMPLETE)) partial += Files.size(b);
                    else size += Files.size(b);
                }
            }
        }
        // prefer the snapshot main points to, else any snapshot with a config.json
        String modelType = null;
        List<String> order = new ArrayList<>();
        if (refs.containsKey("main")) order.add(refs.get("main"));
        order.addAll(commits);
        for (String c : order) {
            Path cfg = snaps.resolve(c).resolve("config.json");
            if (Files.isRegularFile(cfg)) {
                modelType = modelType(cfg);
                break;
            }
        }
        return new CachedModel(repoId, refs, commits, size, modelType, partial);
    }

    private static String modelType(Path configJson) {
        try {
            JsonNode n = JSON.readTree(configJson.toFile());
            JsonNode t = n == null ? null : n.get("model_type");
            return t != null && t.isTextual() ? t.asText() : "";
        } catch (IOException e) {
            return "";
        }
    }
}

package dev.anewb.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.AnewbException;
import dev.anewb.Version;
import dev.anewb.job.JobCancelledException;
import dev.anewb.job.JobContext;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Hugging Face Hub, spoken the way {@code huggingface_hub} speaks it: search and model info from the
 * REST API, file metadata by {@code HEAD} on {@code resolve/}, downloads into the shared cache ({@link HfCache}).
 * The token goes only to the endpoint's own origin, never to a CDN it redirects to, and is never printed.
 * With {@code HF_HUB_OFFLINE=1} nothing touches the network: pulls resolve from the cache.
 */
public final class HubClient {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration API_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");

    private final HubSettings settings;
    private final HttpClient http;

    public HubClient(HubSettings settings) {
        this.settings = settings;
        // redirects by hand: the token must not follow a redirect to another host, and HEAD must stop at the CDN hop
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** A client configured by an environment map ({@code System.getenv()} in production). */
    public HubClient(Map<String, String> env) {
        this(HubSettings.from(env));
    }

    public static HubClient fromEnvironment() {
        return new HubClient(System.getenv());
    }

    public HubSettings settings() { return settings; }

    public HfCache cache() { return settings.cache(); }

    public boolean offline() { return settings.offline(); }

    // ---------------------------------------------------------------- search and info

    /** Search filters as {@code huggingface_hub.list_models} takes them; null fields are not sent. */
    public record SearchQuery(String search, String author, String filter, int limit) { }

    /** Models matching {@code query}, most downloaded first, at most {@code limit}. */
    public List<HubModelSummary> search(String query, int limit) {
        return search(new SearchQuery(query, null, null, limit), JobContext.NONE);
    }

    public List<HubModelSummary> search(SearchQuery q, JobContext ctx) {
        requireOnline("search the Hub");
        if (q.limit() <= 0) throw AnewbException.usage("--limit must be positive, not " + q.limit());
        StringBuilder query = new StringBuilder();
        param(query, "search", q.search());
        param(query, "author", q.author());
        param(query, "filter", q.filter());
        param(query, "sort", "downloads");
        param(query, "direction", "-1");
        param(query, "limit", Integer.toString(Math.min(q.limit(), 1000)));
        // config=True makes each hit carry config.model_type, which decides "supported" without a request per model
        param(query, "config", "True");
        URI next = URI.create(settings.endpoint() + "/api/models?" + query);
        List<HubModelSummary> out = new ArrayList<>();
        while (next != null && out.size() < q.limit()) {
            ctx.checkCancelled();
            HttpResponse<String> r = getApi(next, ctx);
            requireOk(r, null, null, "search");
            JsonNode page = parse(r, next);
            if (!page.isArray()) throw new AnewbException(next + ": expected a JSON list of models");
            for (JsonNode m : page) {
                if (out.size() >= q.limit()) break;
                out.add(summary(m));
            }
            next = nextPage(r.headers(), next);
        }
        return out;
    }

    private static HubModelSummary summary(JsonNode m) {
        String id = text(m, "id", text(m, "modelId", null));
        List<String> tags = new ArrayList<>();
        m.path("tags").forEach(t -> tags.add(t.asText()));
        return new HubModelSummary(id, m.path("downloads").asLong(0), m.path("likes").asLong(0), List.copyOf(tags),
                text(m, "pipeline_tag", null), modelType(m), isGated(m), m.path("private").asBoolean(false));
    }

    private static URI nextPage(HttpHeaders headers, URI current) {
        for (String link : headers.allValues("Link")) {
            Matcher mt = NEXT_LINK.matcher(link);
            if (mt.find()) return current.resolve(mt.group(1));
        }
        return null;
    }

    /** The repository at a revision (branch, tag or commit), with its files' sizes and LFS sha256. */
    public HubModelInfo info(String repoId, String revision) {
        return info(repoId, revision, JobContext.NONE);
    }

    public HubModelInfo info(String repoId, String revision, JobContext ctx) {
        HubNames.requireRepoId(repoId);
        if (revision != null) HubNames.requireRevision(revision);
        requireOnline("ask the Hub about " + repoId);
        String path = "/api/models/" + repoId + (revision == null ? "" : "/revision/" + encode(revision));
        URI uri = URI.create(settings.endpoint() + path + "?blobs=true");
        HttpResponse<String> r = getApi(uri, ctx);
        requireOk(r, repoId, revision, null);
        JsonNode m = parse(r, uri);
        String commit = text(m, "sha", null);
        if (!HfCache.isCommit(commit)) throw new AnewbException(uri + ": the Hub's answer has no commit (\"sha\")");
        List<HubModelInfo.RepoFile> files = new ArrayList<>();
        for (JsonNode s : m.path("siblings")) {
            JsonNode lfs = s.get("lfs");
            String sha = lfs != null && lfs.isObject() ? text(lfs, "sha256", null) : null;
            long size = s.has("size") ? s.path("size").asLong(-1) : lfs != null ? lfs.path("size").asLong(-1) : -1;
            files.add(new HubModelInfo.RepoFile(text(s, "rfilename", null), size, text(s, "blobId", null), sha));
        }
        List<String> tags = new ArrayList<>();
        m.path("tags").forEach(t -> tags.add(t.asText()));
        return new HubModelInfo(text(m, "id", repoId), commit, List.copyOf(files), modelType(m), List.copyOf(tags),
                isGated(m),
                m.path("private").asBoolean(false));
    }

    private static String modelType(JsonNode m) {
        JsonNode cfg = m.get("config");
        return cfg != null && cfg.isObject() ? text(cfg, "model_type", null) : null;
    }

    private static boolean isGated(JsonNode m) {
        JsonNode g = m.get("gated");
        return g != null && (g.isTextual() || g.asBoolean(false)); // false, or "auto" / "manual"
    }

    // ---------------------------------------------------------------- file metadata

    public URI resolveUrl(String repoId, String revision, String file) {
        StringBuilder path = new StringBuilder();
        for (String part : file.split("/")) path.append('/').append(encode(part));
        return URI.create(settings.endpoint() + "/" + repoId + "/resolve/" + encode(revision) + path);
    }

    /**
     * {@code HEAD} on the file's resolve URL, following only relative redirects (a renamed repository), so the
     * Hub's headers are read before the redirect to the CDN, which does not carry them.
     */
    public HubFileMetadata fileMetadata(String repoId, String revision, String file, JobContext ctx) {
        requireOnline("ask the Hub about " + repoId);
        URI uri = resolveUrl(repoId, revision, file);
        for (int hops = 0; hops < 10; hops++) {
            HttpRequest.Builder head = request(uri).method("HEAD",
                    HttpRequest.BodyPublishers.noBody()).header("Accept-Encoding", "identity");
            HttpResponse<Void> r = send(head, HttpResponse.BodyHandlers.discarding(), ctx);
            int status = r.statusCode();
            Optional<String> location = r.headers().firstValue("Location");
            if (isRedirect(status) && location.isPresent() && URI.create(location.get()).getHost() == null) {
                uri = uri.resolve(location.get());
                continue;
            }
            if (!isRedirect(status)) requireOk(r, repoId, revision, file);
            HttpHeaders h = r.headers();
            String linked = h.firstValue("X-Linked-Etag").orElse(null);
            String etag = HubFileMetadata.normalizeEtag(linked != null ? linked : h.firstValue("ETag").orElse(null));
            long size = h.firstValue("X-Linked-Size")
                    .or(() -> h.firstValue("Content-Length")).map(Long::parseLong).orElse(-1L);
            URI where = location.map(uri::resolve).orElse(uri);
            return new HubFileMetadata(h.firstValue("X-Repo-Commit").orElse(null), etag, size, where, linked != null);
        }
        throw new AnewbException(resolveUrl(repoId, revision, file) + ": too many redirects");
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    // ---------------------------------------------------------------- pull

    /**
     * Downloads the selected files of {@code repoId@revision} into the cache and returns the snapshot. Files
     * already in the cache are not fetched again; an interrupted download resumes with {@code Range}; LFS files
     * are verified against their sha256. Offline, returns the cached snapshot or says it is missing.
     * Progress messages carry bytes and speed; a cancel takes effect within a fraction of a second.
     */
    public PullResult pull(String repoId, String revision, FileSelection selection, JobContext ctx) {
        HubNames.requireRepoId(repoId);
        HubNames.requireRevision(revision);
        if (offline()) return cached(repoId, revision).orElseThrow(() -> notCachedOffline(repoId, revision));
        ctx.progress(-1, "asking the Hub about " + repoId + "@" + revision);
        HubModelInfo info = info(repoId, revision, ctx);
        List<String> wanted = selection.select(info.fileNames());
        if (wanted.isEmpty()) {
            throw new AnewbException(repoId + "@" + revision
                    + ": no files to fetch (the engine reads config.json with *.safetensors or model.onnx; the "
                            + "repository has "
                    + String.join(", ", info.fileNames().stream().limit(12).toList())
                            + (info.files().size() > 12 ? ", …" : "") + ")");
        }
        String commit = info.commit();
        for (String f : wanted) HubNames.requireFileName(f, repoId + "@" + commit);
        long total = wanted.stream().mapToLong(f -> info.file(f).map(HubModelInfo.RepoFile::size).orElse(0L))
                .map(s -> Math.max(0, s)).sum();
        PullProgress progress = new PullProgress(ctx, total);
        List<PullResult.PulledFile> pulled = new ArrayList<>();
        for (String file : wanted) {
            ctx.checkCancelled();
            pulled.add(pullFile(repoId, commit, file, info.file(file).orElse(null), progress, ctx));
        }
        try {
            cache().writeRef(repoId, revision, commit);
        } catch (IOException e) {
            throw new AnewbException(cache().repoFolder(repoId) + ": cannot write refs/" + revision + " ("
                    + e.getMessage() + ")", e);
        }
        long removed = 0;
        try {
            removed = cache().cleanPartials(repoId);
        } catch (IOException e) {
            // the pull succeeded; leftovers are tried again by the next one
        }
        ctx.progress(1, "pulled " + repoId + "@" + commit.substring(0, 8) + " (" + pulled.size() + " files, "
                + PullProgress.bytes(pulled.stream().filter(PullResult.PulledFile::downloaded)
                        .mapToLong(PullResult.PulledFile::size).sum()) + " downloaded)");
        return new PullResult(repoId, revision, commit, cache().snapshotFolder(repoId, commit), List.copyOf(pulled),
                removed);
    }

    private PullResult.PulledFile pullFile(String repoId, String commit, String file, HubModelInfo.RepoFile known,
            PullProgress progress, JobContext ctx) {
        HubFileMetadata meta = fileMetadata(repoId, commit, file, ctx);
        if (meta.etag() == null) throw new AnewbException(resolveUrl(repoId, commit, file)
                + ": the Hub sent no ETag; cannot place the file in the cache");
        if (meta.commit() != null && !meta.commit().equals(commit)) {
            throw new AnewbException(resolveUrl(repoId, commit, file) + ": the Hub resolved commit " + commit + " to "
                    + meta.commit());
        }
        // the sha256 to verify: LFS files are named by it; the API's listing is a second witness when present
        String sha256 = meta.lfs() ? meta.etag() : known != null ? known.lfsSha256() : null;
        if (sha256 != null && !sha256.matches("[0-9a-f]{64}")) sha256 = null;
        long size = meta.size() >= 0 ? meta.size() : known != null ? known.size() : -1;
        Path blob = cache().blob(repoId, meta.etag());
        boolean downloaded = false;
        try {
            if (!Files.isRegularFile(blob)) {
                try (BlobLock ignored = BlobLock.acquire(cache().blobLock(repoId, meta.etag()), ctx)) {
                    // another thread or process may have finished it while we waited for the lock
                    if (!Files.isRegularFile(blob)) {
                        new BlobDownload(this, resolveUrl(repoId, commit, file).toString(), file, meta.location(),
                                cache().incompleteBlob(repoId, meta.etag()), blob, size, sha256, progress, ctx).run();
                        downloaded = true;
                    }
                }
            }
            if (!downloaded) progress.skipped(file, Math.max(0, size));
            cache().linkSnapshotFile(repoId, commit, file, meta.etag());
        } catch (IOException e) {
            throw new AnewbException(blob + ": cannot write to the Hugging Face cache (" + e.getMessage() + ")", e);
        }
        return new PullResult.PulledFile(file, size, meta.etag(), downloaded);
    }

    /** The cached snapshot of a revision, without touching the network. */
    public Optional<PullResult> cached(String repoId, String revision) {
        HubNames.requireRepoId(repoId);
        HubNames.requireRevision(revision);
        return cache().snapshot(repoId, revision).map(snap -> {
            String commit = snap.getFileName().toString();
            List<PullResult.PulledFile> files = new ArrayList<>();
            try (Stream<Path> s = Files.walk(snap)) {
                for (Path f : s.filter(Files::isRegularFile).sorted().toList()) {
                    Path real = f.toRealPath();
                    files.add(new PullResult.PulledFile(snap.relativize(f).toString().replace('\\', '/'),
                            Files.size(real),
                            real.getFileName().toString(), false));
                }
            } catch (IOException e) {
                throw new AnewbException(snap + ": cannot read the cached snapshot (" + e.getMessage() + ")", e);
            }
            return new PullResult(repoId, revision, commit, snap, List.copyOf(files));
        });
    }

    /**
     * A snapshot folder the engine can load: the cached one when it already holds config.json (and weights, when
     * asked for), else pulled from the Hub; with {@code HF_HUB_OFFLINE=1} only the cache is used.
     */
    public Path localSnapshot(String repoId, String revision, boolean withWeights, JobContext ctx) {
        HubNames.requireRepoId(repoId);
        HubNames.requireRevision(revision);
        Optional<Path> snap = cache().snapshot(repoId, revision);
        if (snap.isPresent() && isLoadable(snap.get(), withWeights)) return snap.get();
        if (offline()) {
            if (snap.isPresent()) {
                throw new AnewbException(repoId + "@" + revision + ": the cached snapshot " + snap.get() + " has no "
                        + (Files.isRegularFile(snap.get().resolve("config.json")) ? "weights" : "config.json")
                        + " and HF_HUB_OFFLINE is set, so they cannot be downloaded");
            }
            throw notCachedOffline(repoId, revision);
        }
        return pull(repoId, revision, withWeights ? FileSelection.ENGINE : FileSelection.CONFIG_ONLY, ctx).snapshot();
    }

    /** config.json, and with weights a complete set of them (all shards an index names). */
    static boolean isLoadable(Path snap, boolean withWeights) {
        if (!Files.isRegularFile(snap.resolve("config.json"))) return false;
        if (!withWeights) return true;
        if (Files.isRegularFile(snap.resolve("model.safetensors"))
                || Files.isRegularFile(snap.resolve("model.onnx"))) return true;
        Path index = snap.resolve("model.safetensors.index.json");
        if (!Files.isRegularFile(index)) return false;
        try {
            JsonNode map = JSON.readTree(index.toFile()).path("weight_map");
            if (map.isEmpty()) return false;
            for (JsonNode shard : map) if (!Files.isRegularFile(snap.resolve(shard.asText()))) return false;
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private AnewbException notCachedOffline(String repoId, String revision) {
        return new AnewbException(repoId + "@" + revision + ": not in the local Hugging Face cache (" + cache().root()
                + ") and HF_HUB_OFFLINE is set, so it cannot be downloaded");
    }

    // ---------------------------------------------------------------- HTTP

    private void requireOnline(String what) {
        if (offline()) throw new AnewbException("cannot " + what
                + ": HF_HUB_OFFLINE is set (unset it to use the network)");
    }

    private static void param(StringBuilder q, String name, String value) {
        if (value == null || value.isBlank()) return;
        if (!q.isEmpty()) q.append('&');
        q.append(name).append('=').append(URLEncoder.encode(value, StandardCharsets.UTF_8));
    }

    private static String encode(String pathSegment) {
        return URLEncoder.encode(pathSegment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** An API GET, following redirects (a renamed repository answers 307); the token is re-decided at every hop. */
    private HttpResponse<String> getApi(URI uri, JobContext ctx) {
        for (int hops = 0; hops < 10; hops++) {
            HttpResponse<String> r = send(request(uri).GET().timeout(API_TIMEOUT),
                    HttpResponse.BodyHandlers.ofString(), ctx);
            Optional<String> location = r.headers().firstValue("Location");
            if (!isRedirect(r.statusCode()) || location.isEmpty()) return r;
            uri = uri.resolve(location.get());
        }
        throw new AnewbException(uri + ": too many redirects");
    }

    /** A request carrying the user agent, and the token only when the URL is on the endpoint's own origin. */
    HttpRequest.Builder request(URI uri) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).header("User-Agent", "anewb/" + Version.get() + "; java/"
                + Runtime.version().feature());
        if (settings.token().isPresent() && sameOrigin(uri, settings.endpoint())) {
            b.header("Authorization", "Bearer " + settings.token().get());
        }
        return b;
    }

    static boolean sameOrigin(URI a, URI b) {
        return Objects.equals(a.getScheme(), b.getScheme()) && a.getHost() != null
                && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    /** Sends asynchronously and waits in short steps, so a cancel is honoured even while a server is silent. */
    <T> HttpResponse<T> send(HttpRequest.Builder request, HttpResponse.BodyHandler<T> handler, JobContext ctx) {
        HttpRequest req = request.build();
        CompletableFuture<HttpResponse<T>> future = http.sendAsync(req, handler);
        try {
            while (true) {
                if (ctx.isCancelled()) {
                    future.cancel(true);
                    throw new JobCancelledException();
                }
                try {
                    return future.get(100, TimeUnit.MILLISECONDS);
                } catch (TimeoutException stillWaiting) {
                    // loop to look at the cancel flag again
                }
            }
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new JobCancelledException();
        } catch (ExecutionException e) {
            throw networkError(req.uri(), e.getCause());
        }
    }

    /** Turns a transport failure into a user message; the URL never carries the token, so it is safe to show. */
    AnewbException networkError(URI uri, Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && !(c instanceof ConnectException)
                && !(c instanceof UnresolvedAddressException)) c = c.getCause();
        if (c instanceof ConnectException || c instanceof UnresolvedAddressException
                || t instanceof HttpConnectTimeoutException
                || c instanceof UnknownHostException) {
            return new HubUnreachableException("cannot reach " + origin(uri) + " (" + describe(c)
                    + "): no network? Set HF_HUB_OFFLINE=1 to use only the local cache", t);
        }
        if (t instanceof HttpTimeoutException) {
            return new HubUnreachableException(uri + ": no answer within " + API_TIMEOUT.toSeconds()
                    + " s (is the network down?)", t);
        }
        return new HubUnreachableException(uri + ": " + describe(t), t);
    }

    private static String origin(URI u) {
        return u.getScheme() + "://" + u.getAuthority();
    }

    private static String describe(Throwable t) {
        if (t instanceof ConnectException
                && (t.getMessage() == null || t.getMessage().isBlank())) return "connection refused";
        if (t instanceof UnresolvedAddressException || t instanceof UnknownHostException) return "host not found";
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }

    /**
     * Maps an HTTP error to a user message. huggingface_hub's {@code X-Error-Code} header tells a missing file from
     * a missing revision from a missing (or private) repository.
     */
    void requireOk(HttpResponse<?> r, String repoId, String revision, String file) {
        int s = r.statusCode();
        if (s >= 200 && s < 300) return;
        String code = r.headers().firstValue("X-Error-Code").orElse("");
        String what = repoId == null ? r.request().uri().toString() : repoId;
        if (s == 401 || s == 403) {
            if (repoId == null) throw new AnewbException(r.request().uri() + ": HTTP " + s
                    + " (set HF_TOKEN to a valid token)");
            throw new AnewbException(repoId + " is gated or private: accept its terms on " + settings.endpoint() + "/"
                    + repoId
                    + " and set HF_TOKEN"
                            + (settings.token().isPresent() ? " (the token in use has no access to it)"
                                    : " (no token is set)"));
        }
        if (s == 404) {
            if (code.equals("EntryNotFound") && file != null) throw new AnewbException(repoId + "@" + revision
                    + ": no file " + file);
            if (code.equals("RevisionNotFound")) throw new AnewbException(repoId + ": no revision \"" + revision
                    + "\" on the Hub");
            throw new AnewbException(what + ": no such model on the Hub (or it is private: set HF_TOKEN)");
        }
        if (s == 429) throw new AnewbException(what + ": the Hub is rate-limiting requests (HTTP 429); try again later"
                + (settings.token().isPresent() ? "" : " or set HF_TOKEN"));
        throw new AnewbException(r.request().method() + " " + r.request().uri() + ": HTTP " + s);
    }

    private static JsonNode parse(HttpResponse<String> r, URI uri) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new AnewbException(uri + ": the Hub's answer is not JSON", e);
        }
    }

    private static String text(JsonNode n, String field, String fallback) {
        JsonNode v = n.get(field);
        return v != null && v.isTextual() ? v.asText() : fallback;
    }
}

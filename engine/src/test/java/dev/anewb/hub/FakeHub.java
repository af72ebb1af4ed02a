package dev.anewb.hub;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An in-process stand-in for huggingface.co on 127.0.0.1, behaving as the real Hub does where the client
 * depends on it: the {@code /api/models} search (two hits per page, {@code Link: rel="next"}, {@code config}
 * only when asked with {@code config=True}), model info with {@code ?blobs=true} siblings, {@code resolve/}
 * answering LFS files with a 302 to a CDN on another origin carrying {@code X-Linked-Etag}, {@code X-Linked-Size}
 * and {@code X-Repo-Commit}, git files with a plain 200 and their git blob id as ETag, {@code Range} (206),
 * 401 for gated repositories without the right token, 307 for a renamed repository. Faults are injected per
 * file: a dropped connection, a corrupted byte, a slow stream.
 */
public final class FakeHub implements AutoCloseable {
    /** A repository: its commit, files, which of them are LFS, and the token it demands (null: public). */
    public record Repo(String id, String commit, Map<String, byte[]> files, Set<String> lfs, String requiredToken,
            String modelType) { }

    /** A search hit that is not a served repository (config null: the repo has none). */
    public record Listing(String id, long downloads, long likes, List<String> tags, String modelType) { }

    /** One request as the servers saw it. */
    public record Seen(String server, String method, String path, String range, String authorization) { }

    private final HttpServer hub;
    private final HttpServer cdn;
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final Map<String, Repo> repos = new ConcurrentHashMap<>();
    private final Map<String, String> renamed = new ConcurrentHashMap<>();
    private final List<Listing> listings = new CopyOnWriteArrayList<>();
    public final List<Seen> requests = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> dropAfterBytes = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> corruptions = new ConcurrentHashMap<>();
    private final Map<String, Integer> slowBytesPerTick = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private static final ObjectMapper JSON = new ObjectMapper();

    public FakeHub() throws IOException {
        hub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        cdn = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hub.createContext("/", ex -> handle("hub", ex));
        cdn.createContext("/", ex -> handle("cdn", ex));
        hub.setExecutor(pool);
        cdn.setExecutor(pool);
        hub.start();
        cdn.start();
    }

    public String endpoint() { return "http://127.0.0.1:" + hub.getAddress().getPort(); }

    public String cdnOrigin() { return "http://127.0.0.1:" + cdn.getAddress().getPort(); }

    /** Serves a folder's files as a repository; files larger than 100 kB are LFS, as git-lfs would store them. */
    public Repo serveFolder(String id, Path folder, String requiredToken, Map<String,
            byte[]> extraFiles) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (var s = Files.list(folder)) {
            for (Path p : s.sorted().toList()) files.put(p.getFileName().toString(), Files.readAllBytes(p));
        }
        files.putAll(extraFiles);
        Set<String> lfs = new TreeSet<>();
        files.forEach((name, bytes) -> { if (bytes.length > 100_000) lfs.add(name); });
        String modelType = JSON.readTree(files.get("config.json")).path("model_type").asText();
        Repo repo = new Repo(id, sha1Hex(("commit of " + id).getBytes(StandardCharsets.UTF_8)), files, lfs,
                requiredToken, modelType);
        repos.put(id, repo);
        listings.add(new Listing(id, 1000, 10, List.of("transformers", "safetensors", modelType), modelType));
        return repo;
    }

    public void list(Listing listing) { listings.add(listing); }

    public void rename(String oldId, String newId) { renamed.put(oldId, newId); }

    /** The next GET of {@code file} sends only {@code bytes} bytes of its body and then drops the connection. */
    public void dropConnectionOnce(String file, int bytes) { dropAfterBytes.put(file, bytes); }

    /** The next {@code times} GETs of {@code file} flip one byte in the middle of the file. */
    public void corrupt(String file, int times) { corruptions.put(file, new AtomicInteger(times)); }

    /** GETs of {@code file} trickle {@code bytesPerTick} every 20 ms. */
    public void slow(String file, int bytesPerTick) { slowBytesPerTick.put(file, bytesPerTick); }

    public void fast(String file) { slowBytesPerTick.remove(file); }

    public long count(String server, String method, String pathContains) {
        return requests.stream().filter(r -> r.server().equals(server) && r.method().equals(method)
                && r.path().contains(pathContains)).count();
    }

    // ---------------------------------------------------------------- routing

    private static final Pattern INFO = Pattern.compile("/api/models/([^/]+/[^/]+)(?:/revision/([^/]+))?");
    private static final Pattern RESOLVE = Pattern.compile("/([^/]+/[^/]+)/resolve/([^/]+)/(.+)");
    private static final Pattern CDN = Pattern.compile("/cdn/([0-9a-f]{64})");

    private void handle(String server, HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getRawPath();
        requests.add(new Seen(server, ex.getRequestMethod(), path
                + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery()),
                ex.getRequestHeaders().getFirst("Range"), ex.getRequestHeaders().getFirst("Authorization")));
        try (ex) {
            Matcher m;
            if (server.equals("cdn") && (m = CDN.matcher(path)).matches()) {
                serveCdn(ex, m.group(1));
            } else if (server.equals("hub") && path.equals("/api/models")) {
                search(ex);
            } else if (server.equals("hub") && (m = INFO.matcher(path)).matches()) {
                info(ex, decode(m.group(1)), m.group(2) == null ? "main" : decode(m.group(2)));
            } else if (server.equals("hub") && (m = RESOLVE.matcher(path)).matches()) {
                resolve(ex, decode(m.group(1)), decode(m.group(2)), decode(m.group(3)));
            } else {
                error(ex, 404, "EntryNotFound");
            }
        } catch (IOException e) {
            // the client went away (cancel, or a connection we dropped on purpose)
        }
    }

    private static String decode(String s) { return URLDecoder.decode(s, StandardCharsets.UTF_8); }

    private void search(HttpExchange ex) throws IOException {
        Map<String, String> q = query(ex.getRequestURI().getRawQuery());
        String text = q.getOrDefault("search", "");
        int limit = Integer.parseInt(q.getOrDefault("limit", "1000"));
        int cursor = Integer.parseInt(q.getOrDefault("cursor", "0"));
        boolean withConfig = "True".equals(q.get("config"));
        List<Listing> hits = listings.stream().filter(l -> l.id().contains(text))
                .sorted(Comparator.comparingLong(Listing::downloads).reversed()).limit(limit).toList();
        int pageSize = 2;
        ArrayNode page = JSON.createArrayNode();
        for (Listing l : hits.subList(Math.min(cursor, hits.size()), Math.min(cursor + pageSize, hits.size()))) {
            ObjectNode o = page.addObject();
            o.put("id", l.id()).put("modelId", l.id()).put("downloads", l.downloads()).put("likes",
                    l.likes()).put("private", false);
            l.tags().forEach(o.putArray("tags")::add);
            if (withConfig && l.modelType() != null) o.putObject("config").put("model_type", l.modelType());
        }
        if (cursor + pageSize < hits.size()) {
            String raw = ex.getRequestURI().getRawQuery().replaceAll("&?cursor=\\d+", "");
            ex.getResponseHeaders().add("Link", "<" + endpoint() + "/api/models?" + raw + "&cursor="
                    + (cursor + pageSize) + ">; rel=\"next\"");
        }
        json(ex, page.toString());
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null) return out;
        for (String kv : raw.split("&")) {
            int eq = kv.indexOf('=');
            if (eq > 0) out.put(decode(kv.substring(0, eq)), decode(kv.substring(eq + 1)));
        }
        return out;
    }

    private boolean authorized(HttpExchange ex, Repo repo) {
        return repo.requiredToken() == null
                || ("Bearer " + repo.requiredToken()).equals(ex.getRequestHeaders().getFirst("Authorization"));
    }

    private void info(HttpExchange ex, String id, String revision) throws IOException {
        if (renamed.containsKey(id)) {
            ex.getResponseHeaders().add("Location", "/api/models/" + renamed.get(id) + "/revision/" + revision
                    + "?blobs=true");
            ex.sendResponseHeaders(307, -1);
            return;
        }
        Repo repo = repos.get(id);
        if (repo == null) { error(ex, 404, "RepoNotFound"); return; }
        if (!authorized(ex, repo)) { error(ex, 401, "GatedRepo"); return; }
        if (!revision.equals("main") && !revision.equals(repo.commit())) { error(ex, 404, "RevisionNotFound"); return; }
        boolean blobs = "true".equals(query(ex.getRequestURI().getRawQuery()).get("blobs"));
        ObjectNode o = JSON.createObjectNode();
        o.put("id", id).put("sha", repo.commit()).put("private", false).put("gated", repo.requiredToken() == null
                ? "false" : "manual");
        if (repo.requiredToken() == null) o.put("gated", false);
        o.putObject("config").put("model_type", repo.modelType());
        ArrayNode siblings = o.putArray("siblings");
        repo.files().forEach((name, bytes) -> {
            ObjectNode s = siblings.addObject().put("rfilename", name);
            if (blobs) {
                s.put("size", bytes.length).put("blobId", gitBlobId(bytes));
                if (repo.lfs().contains(name)) s.putObject("lfs").put("sha256", sha256Hex(bytes)).put("size",
                        bytes.length).put("pointerSize", 134);
            }
        });
        json(ex, o.toString());
    }

    private void resolve(HttpExchange ex, String id, String revision, String file) throws IOException {
        if (renamed.containsKey(id)) {
            // relative, as the Hub answers for a renamed repository
            ex.getResponseHeaders().add("Location", "/" + renamed.get(id) + "/resolve/" + revision + "/" + file);
            ex.sendResponseHeaders(307, -1);
            return;
        }
        Repo repo = repos.get(id);
        if (repo == null) { error(ex, 404, "RepoNotFound"); return; }
        if (!authorized(ex, repo)) { error(ex, 401, "GatedRepo"); return; }
        if (!revision.equals("main") && !revision.equals(repo.commit())) { error(ex, 404, "RevisionNotFound"); return; }
        byte[] bytes = repo.files().get(file);
        if (bytes == null) { error(ex, 404, "EntryNotFound"); return; }
        ex.getResponseHeaders().add("X-Repo-Commit", repo.commit());
        if (repo.lfs().contains(file)) {
            String sha = sha256Hex(bytes);
            ex.getResponseHeaders().add("X-Linked-Etag", "\"" + sha + "\"");
            ex.getResponseHeaders().add("X-Linked-Size", Integer.toString(bytes.length));
            ex.getResponseHeaders().add("ETag", "\""
                    + gitBlobId(("pointer of " + sha).getBytes(StandardCharsets.UTF_8)) + "\"");
            ex.getResponseHeaders().add("Location", cdnOrigin() + "/cdn/" + sha);
            ex.sendResponseHeaders(302, -1);
            return;
        }
        // the Hub sends weak etags for some git files; huggingface_hub strips the W/
        ex.getResponseHeaders().add("ETag", (file.endsWith(".json") && file.startsWith("tokenizer") ? "W/" : "") + "\""
                + gitBlobId(bytes) + "\"");
        body(ex, file, bytes);
    }

    private void serveCdn(HttpExchange ex, String sha) throws IOException {
        for (Repo repo : repos.values()) {
            for (var e : repo.files().entrySet()) {
                if (repo.lfs().contains(e.getKey()) && sha256Hex(e.getValue()).equals(sha)) {
                    body(ex, e.getKey(), e.getValue());
                    return;
                }
            }
        }
        error(ex, 404, null);
    }

    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

    /** A file body honouring an open-ended Range, with the injected faults for this file. */
    private void body(HttpExchange ex, String file, byte[] bytes) throws IOException {
        int start = 0;
        String range = ex.getRequestHeaders().getFirst("Range");
        if (range != null) {
            Matcher m = RANGE.matcher(range);
            if (m.matches()) start = Integer.parseInt(m.group(1));
            if (start >= bytes.length) { ex.sendResponseHeaders(416, -1); return; }
        }
        int length = bytes.length - start;
        if (start > 0) ex.getResponseHeaders().add("Content-Range", "bytes " + start + "-" + (bytes.length - 1) + "/"
                + bytes.length);
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().add("Content-Length", Integer.toString(length));
            ex.sendResponseHeaders(start > 0 ? 206 : 200, -1);
            return;
        }
        byte[] out = Arrays.copyOfRange(bytes, start, bytes.length);
        AtomicInteger corrupt = corruptions.get(file);
        if (corrupt != null && corrupt.getAndDecrement() > 0) {
            int middle = bytes.length / 2 - start;
            if (middle >= 0 && middle < out.length) out[middle] ^= 0x01;
        }
        ex.sendResponseHeaders(start > 0 ? 206 : 200, length);
        OutputStream os = ex.getResponseBody();
        Integer drop = dropAfterBytes.remove(file);
        if (drop != null) {
            os.write(out, 0, Math.min(drop, out.length));
            os.flush();
            // closing short of Content-Length makes the server drop the connection
            return;
        }
        Integer perTick = slowBytesPerTick.get(file);
        if (perTick == null) {
            os.write(out);
            return;
        }
        for (int off = 0; off < out.length && !closed; off += perTick) {
            os.write(out, off, Math.min(perTick, out.length - off));
            os.flush();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static void json(HttpExchange ex, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(200, b.length);
        ex.getResponseBody().write(b);
    }

    private static void error(HttpExchange ex, int status, String errorCode) throws IOException {
        if (errorCode != null) ex.getResponseHeaders().add("X-Error-Code", errorCode);
        byte[] b = ("{\"error\":\"" + (errorCode == null ? "not found" : errorCode)
                + "\"}").getBytes(StandardCharsets.UTF_8);
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }

    // ---------------------------------------------------------------- hashes the Hub names things by

    public static String sha256Hex(byte[] b) { return digest("SHA-256", b, null); }

    static String sha1Hex(byte[] b) { return digest("SHA-1", b, null); }

    /** The git object id of a file's content: sha1 of "blob {size}\0" + content, what the Hub's ETag holds for git
     * files.
     */
    public static String gitBlobId(byte[] b) { return digest("SHA-1", b,
            ("blob " + b.length + "\0").getBytes(StandardCharsets.UTF_8)); }

    private static String digest(String algorithm, byte[] b, byte[] prefix) {
        try {
            MessageDigest md = MessageDigest.getInstance(algorithm);
            if (prefix != null) md.update(prefix);
            return HexFormat.of().formatHex(md.digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override public void close() {
        closed = true;
        hub.stop(0);
        cdn.stop(0);
        pool.shutdownNow();
    }

}

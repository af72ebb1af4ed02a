package dev.anewb.hub;

import dev.anewb.AnewbException;
import dev.anewb.api.ModelLoader;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.ModelCard;
import dev.anewb.io.WeightSources;
import dev.anewb.job.JobCancelledException;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.ModelRef;
import dev.anewb.model.WeightSource;
import dev.anewb.model.arch.Architectures;
import dev.anewb.runtime.Executor;
import dev.anewb.runtime.RunResult;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** HubClient against {@link FakeHub}: real HTTP on 127.0.0.1, the bert-tiny fixture served as a Hub repository. */
class HubClientTest {
    static final String BERT = "hf-internal-testing/bert-tiny";
    static final String TOKEN = "hf_test_secret_0123456789";
    /** The files the engine selects from the served repository (not reference.* or onnx/). */
    static final List<String> ENGINE_FILES = List.of("1_Pooling/config.json", "README.md", "config.json",
            "model.safetensors", "tokenizer.json", "tokenizer_config.json");

    @TempDir Path tmp;
    FakeHub hub;
    FakeHub.Repo bert;

    @BeforeEach
    void serve() throws Exception {
        hub = new FakeHub();
        Map<String, byte[]> extra = new LinkedHashMap<>();
        extra.put("tokenizer_config.json", "{\"do_lower_case\": true}".getBytes(StandardCharsets.UTF_8));
        extra.put("1_Pooling/config.json", "{\"pooling_mode_mean_tokens\": true}".getBytes(StandardCharsets.UTF_8));
        extra.put("README.md", "---\nlicense: apache-2.0\n---\n# bert-tiny".getBytes(StandardCharsets.UTF_8));
        extra.put("onnx/model.onnx", "not used: safetensors win".getBytes(StandardCharsets.UTF_8));
        bert = hub.serveFolder(BERT, Fixtures.fixture("bert-tiny"), null, extra);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    Path cacheRoot() { return tmp.resolve("cache"); }

    /** A client that sees only this test's environment: the fake endpoint, a fresh cache, an HF_HOME, no token. */
    HubClient client(String... keyValues) {
        Map<String, String> env = new HashMap<>();
        env.put("HF_ENDPOINT", hub.endpoint());
        env.put("HF_HUB_CACHE", cacheRoot().toString());
        env.put("HF_HOME", tmp.resolve("hf-home").toString());
        for (int i = 0; i < keyValues.length; i += 2) env.put(keyValues[i], keyValues[i + 1]);
        return new HubClient(env);
    }

    Map<String, byte[]> engineFiles(FakeHub.Repo repo) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        for (String f : ENGINE_FILES) m.put(f, repo.files().get(f));
        return m;
    }

    static String sha(FakeHub.Repo repo, String file) { return FakeHub.sha256Hex(repo.files().get(file)); }

    // ---------------------------------------------------------------- search and info

    @Test
    void searchFollowsLinkPagesAndJudgesSupportFromConfigModelType() {
        hub.list(new FakeHub.Listing("acme/tiny-gpt-neox", 5000, 3, List.of("gpt_neox"), "gpt_neox"));
        hub.list(new FakeHub.Listing("acme/tiny-distil", 3000, 2, List.of("distilbert"), "distilbert"));
        hub.list(new FakeHub.Listing("acme/tiny-no-config", 2000, 1, List.of(), null));
        hub.list(new FakeHub.Listing("acme/other", 9999, 1, List.of(), "bert"));

        List<HubModelSummary> three = client().search("tiny", 3);
        assertEquals(List.of("acme/tiny-gpt-neox", "acme/tiny-distil", "acme/tiny-no-config"),
                three.stream().map(HubModelSummary::id).toList());
        assertEquals(Boolean.FALSE, three.get(0).supported());
        assertEquals(Boolean.TRUE, three.get(1).supported());
        assertNull(three.get(2).supported(), "no config on the Hub: support unknown, not \"no\"");
        assertEquals(5000, three.get(0).downloads());
        assertEquals(2, hub.count("hub", "GET", "/api/models?"),
                "three hits at two per page: the second page came from the Link header");
        assertTrue(hub.requests.stream().allMatch(r -> r.path().contains("config=True")
                && r.path().contains("sort=downloads")));

        List<HubModelSummary> all = client().search("tiny", 50);
        assertEquals(4, all.size());
        assertEquals(BERT, all.get(3).id());
        assertEquals(Boolean.TRUE, all.get(3).supported());
    }

    @Test
    void infoListsFilesWithSizesAndLfsSha256() {
        HubModelInfo info = client().info(BERT, "main");
        assertEquals(bert.commit(), info.commit());
        assertEquals("bert", info.modelType());
        HubModelInfo.RepoFile weights = info.file("model.safetensors").orElseThrow();
        assertEquals(bert.files().get("model.safetensors").length, weights.size());
        assertEquals(sha(bert, "model.safetensors"), weights.lfsSha256());
        assertFalse(info.file("config.json").orElseThrow().isLfs());
        assertTrue(hub.requests.getFirst().path().startsWith("/api/models/" + BERT + "/revision/main?blobs=true"));
        AnewbException missing = assertThrows(AnewbException.class, () -> client().info("acme/missing", "main"));
        assertTrue(missing.getMessage().startsWith("acme/missing: no such model on the Hub"), missing.getMessage());
    }

    @Test
    void headReadsTheHubsHeadersBeforeTheCdnRedirectAndNormalisesEtags() {
        HubClient c = client();
        HubFileMetadata lfs = c.fileMetadata(BERT, "main", "model.safetensors", JobContext.NONE);
        assertEquals(bert.commit(), lfs.commit());
        assertEquals(sha(bert, "model.safetensors"), lfs.etag());
        assertEquals(bert.files().get("model.safetensors").length, lfs.size());
        assertTrue(lfs.lfs());
        assertTrue(lfs.location().toString().startsWith(hub.cdnOrigin() + "/cdn/"), lfs.location().toString());
        assertEquals(0, hub.count("cdn", "HEAD", "/"), "HEAD stops at the CDN hop");

        HubFileMetadata weak = c.fileMetadata(BERT, "main", "tokenizer_config.json", JobContext.NONE);
        assertEquals(FakeHub.gitBlobId(bert.files().get("tokenizer_config.json")), weak.etag(),
                "W/\"…\" normalised to the bare git id");
        assertFalse(weak.lfs());
        assertEquals(bert.files().get("tokenizer_config.json").length, weak.size());

        assertEquals("abc", HubFileMetadata.normalizeEtag("W/\"abc\""));
        assertEquals("abc", HubFileMetadata.normalizeEtag("\"abc\""));
        assertEquals("abc", HubFileMetadata.normalizeEtag("abc"));
        assertNull(HubFileMetadata.normalizeEtag("\"\""));
    }

    // ---------------------------------------------------------------- pull

    @Test
    void pullFetchesOnlyTheEngineFilesIntoTheHuggingFaceLayout() throws Exception {
        List<String> messages = new CopyOnWriteArrayList<>();
        PullResult r = client().pull(BERT, "main", FileSelection.ENGINE, progressInto(messages));
        assertEquals(bert.commit(), r.commit());
        assertEquals(cacheRoot().resolve("models--hf-internal-testing--bert-tiny/snapshots/" + bert.commit()),
                r.snapshot());
        assertEquals(Set.copyOf(ENGINE_FILES),
                Set.copyOf(r.files().stream().map(PullResult.PulledFile::name).toList()));
        assertTrue(r.files().stream().allMatch(PullResult.PulledFile::downloaded));
        HfCacheLayout.assertLayout(cacheRoot(), BERT, bert.commit(), engineFiles(bert), bert.lfs());
        assertEquals("apache-2.0", ModelCard.license(r.snapshot()), "the model card comes along for its license");
        assertEquals(1, hub.count("cdn", "GET", "/cdn/" + sha(bert, "model.safetensors")));
        assertEquals(0, hub.count("hub", "GET", "/resolve/" + bert.commit() + "/model.safetensors"),
                "LFS bytes come from the CDN only");
        assertEquals(0, hub.count("hub", "HEAD", "reference"), "reference files are not the engine's");
        assertTrue(hub.requests.stream().allMatch(q -> q.authorization() == null), "no token, no Authorization header");
        assertTrue(messages.stream().anyMatch(m -> m.startsWith("model.safetensors ") && m.contains(" MiB")
                && m.endsWith("/s")), messages.toString());

        int before = hub.requests.size();
        PullResult again = client().pull(BERT, "main", FileSelection.ENGINE, JobContext.NONE);
        assertTrue(again.files().stream().noneMatch(PullResult.PulledFile::downloaded));
        assertEquals(0, hub.requests.subList(before, hub.requests.size()).stream().filter(q -> q.method().equals("GET")
                && q.path().contains("resolve") || q.server().equals("cdn")).count(),
                "a second pull only asks for metadata");
        HfCacheLayout.assertLayout(cacheRoot(), BERT, bert.commit(), engineFiles(bert), bert.lfs());
    }

    @Test
    void droppedConnectionAndAnEarlierPartialFileAreResumedWithRange() throws Exception {
        HfCache cache = client().cache();
        byte[] tokenizer = bert.files().get("tokenizer.json");
        Path partial = cache.incompleteBlob(BERT, sha(bert, "tokenizer.json"));
        Files.createDirectories(partial.getParent());
        Files.write(partial, Arrays.copyOf(tokenizer, 1000));
        hub.dropConnectionOnce("model.safetensors", 3_000_000);

        client().pull(BERT, "main", FileSelection.ENGINE, JobContext.NONE);

        List<FakeHub.Seen> tok = hub.requests.stream().filter(q ->
                q.path().equals("/cdn/" + sha(bert, "tokenizer.json"))).toList();
        assertEquals(List.of("bytes=1000-"), tok.stream().map(FakeHub.Seen::range).toList(),
                "the partial file from an earlier run was resumed");
        List<FakeHub.Seen> weights = hub.requests.stream().filter(q ->
                q.path().equals("/cdn/" + sha(bert, "model.safetensors"))).toList();
        assertEquals(2, weights.size());
        assertNull(weights.get(0).range());
        long resumedAt = Long.parseLong(weights.get(1).range().replaceAll("bytes=(\\d+)-", "$1"));
        assertTrue(resumedAt > 0 && resumedAt <= 3_000_000, "resumed after the drop at byte " + resumedAt);
        HfCacheLayout.assertLayout(cacheRoot(), BERT, bert.commit(), engineFiles(bert), bert.lfs());
    }

    @Test
    void aCorruptedByteIsRejectedAndNothingIsCached() throws Exception {
        hub.corrupt("model.safetensors", 1);
        AnewbException e = assertThrows(AnewbException.class, () ->
                client().pull(BERT, "main", FileSelection.ENGINE, JobContext.NONE));
        assertTrue(e.getMessage().contains("model.safetensors") && e.getMessage().contains("sha256 mismatch")
                && e.getMessage().contains("deleted"),
                e.getMessage());
        HfCache cache = client().cache();
        assertFalse(Files.exists(cache.blob(BERT, sha(bert, "model.safetensors"))));
        assertFalse(Files.exists(cache.incompleteBlob(BERT, sha(bert, "model.safetensors"))));
        assertFalse(Files.exists(cache.snapshotFolder(BERT, bert.commit()).resolve("model.safetensors"),
                LinkOption.NOFOLLOW_LINKS));
        assertTrue(cache.refCommit(BERT, "main").isEmpty(), "main is not pointed at an incomplete snapshot");

        client().pull(BERT, "main", FileSelection.ENGINE, JobContext.NONE);
        HfCacheLayout.assertLayout(cacheRoot(), BERT, bert.commit(), engineFiles(bert), bert.lfs());
    }

    @Test
    void aGatedRepositoryNeedsTheTokenWhichNeverReachesTheCdn() throws Exception {
        String gated = "acme/gated-bert";
        FakeHub.Repo repo = hub.serveFolder(gated, Fixtures.fixture("bert-tiny"), TOKEN, Map.of());

        AnewbException none = assertThrows(AnewbException.class, () ->
                client().pull(gated, "main", FileSelection.ENGINE, JobContext.NONE));
        assertEquals("acme/gated-bert is gated or private: accept its terms on " + hub.endpoint()
                + "/acme/gated-bert and set HF_TOKEN (no token is set)",
                none.getMessage());
        AnewbException wrong = assertThrows(AnewbException.class,
                () -> client("HF_TOKEN", "hf_wrong_token").pull(gated, "main", FileSelection.ENGINE, JobContext.NONE));
        assertTrue(wrong.getMessage().contains("gated or private") && !wrong.getMessage().contains("hf_wrong_token"),
                wrong.getMessage());

        HubClient withToken = client("HF_TOKEN", TOKEN);
        assertFalse(withToken.settings().toString().contains(TOKEN), "the token never reaches a log through toString");
        withToken.pull(gated, "main", FileSelection.ENGINE, JobContext.NONE);
        Map<String, byte[]> expected = new LinkedHashMap<>();
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) expected.put(f,
                repo.files().get(f));
        HfCacheLayout.assertLayout(cacheRoot(), gated, repo.commit(), expected, repo.lfs());
        assertTrue(hub.count("cdn", "GET", "/cdn/") >= 2);
        assertTrue(hub.requests.stream().filter(q -> q.server().equals("cdn")).allMatch(q ->
                q.authorization() == null), "the CDN never sees the token");
        assertTrue(hub.requests.stream().filter(q -> q.server().equals("hub")
                && q.path().contains("gated-bert")).anyMatch(q -> ("Bearer " + TOKEN).equals(q.authorization())));
    }

    @Test
    void theTokenComesFromHfTokenThenTheOldNameThenTheTokenFile() throws Exception {
        Path home = tmp.resolve("home-with-token");
        Files.createDirectories(home);
        Files.writeString(home.resolve("token"), "hf_from_file\n");
        assertEquals("hf_from_file", HubSettings.token(Map.of("HF_HOME", home.toString())).orElseThrow());
        assertEquals("hf_old",
                HubSettings.token(Map.of("HF_HOME", home.toString(), "HUGGING_FACE_HUB_TOKEN",
                        "hf_old")).orElseThrow());
        assertEquals("hf_new",
                HubSettings.token(Map.of("HF_HOME", home.toString(), "HUGGING_FACE_HUB_TOKEN", "hf_old", "HF_TOKEN",
                        "hf_new")).orElseThrow());
        assertTrue(HubSettings.token(Map.of("HF_HOME", tmp.resolve("nowhere").toString())).isEmpty());

        String gated = "acme/gated-bert";
        hub.serveFolder(gated, Fixtures.fixture("bert-tiny"), "hf_from_file", Map.of());
        PullResult r = client("HF_HOME", home.toString()).pull(gated, "main", FileSelection.CONFIG_ONLY,
                JobContext.NONE);
        assertEquals(List.of("config.json"), r.files().stream().map(PullResult.PulledFile::name).toList());
    }

    @Test
    void cancelStopsASlowDownloadWithinASecondAndTheRestIsResumedLater() throws Exception {
        hub.slow("model.safetensors", 16 * 1024); // 8 MB at 800 kB/s: ten seconds
        HubClient c = client();
        Path partial = c.cache().incompleteBlob(BERT, sha(bert, "model.safetensors"));
        AtomicBoolean cancelled = new AtomicBoolean();
        JobContext ctx = new JobContext() {
            @Override public void progress(double fraction, String message) { }
            @Override public boolean isCancelled() { return cancelled.get(); }
        };
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<PullResult> pull = pool.submit(() -> c.pull(BERT, "main", FileSelection.ENGINE, ctx));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!(Files.exists(partial) && Files.size(partial) > 64 * 1024)
                    && System.nanoTime() < deadline) Thread.sleep(10);
            assertTrue(Files.size(partial) > 0, "the slow download started");
            long t0 = System.nanoTime();
            cancelled.set(true);
            var e = assertThrows(ExecutionException.class, () -> pull.get(5, TimeUnit.SECONDS));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertInstanceOf(JobCancelledException.class, e.getCause());
            assertTrue(ms < 1000, "cancelled after " + ms + " ms");
        } finally {
            pool.shutdownNow();
        }
        long kept = Files.size(partial);
        assertTrue(kept > 0 && kept < bert.files().get("model.safetensors").length,
                "the partial download is kept for a resume");
        assertFalse(Files.exists(c.cache().blob(BERT, sha(bert, "model.safetensors"))));

        hub.fast("model.safetensors");
        client().pull(BERT, "main", FileSelection.ENGINE, JobContext.NONE);
        FakeHub.Seen last = hub.requests.stream().filter(q ->
                q.path().equals("/cdn/" + sha(bert, "model.safetensors"))).reduce((a, b) -> b).orElseThrow();
        assertEquals("bytes=" + kept + "-", last.range());
        HfCacheLayout.assertLayout(cacheRoot(), BERT, bert.commit(), engineFiles(bert), bert.lfs());
    }

    @Test
    void twoConcurrentPullsOfTheSameModelBothSucceedWithOneDownloadPerBlob() throws Exception {
        hub.slow("model.safetensors", 512 * 1024); // ~0.3 s, so the two pulls overlap
        CyclicBarrier start = new CyclicBarrier(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<PullResult>> pulls = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                pulls.add(pool.submit(() -> {
                    start.await();
                    return client().pull(BERT, "main", FileSelection.ENGINE, JobContext.NONE);
                }));
            }
            PullResult a = pulls.get(0).get(30, TimeUnit.SECONDS), b = pulls.get(1).get(30, TimeUnit.SECONDS);
            assertEquals(a.snapshot(), b.snapshot());
            long downloads = Stream.of(a, b).flatMap(r -> r.files().stream())
                    .filter(f -> f.name().equals("model.safetensors") && f.downloaded()).count();
            assertEquals(1, downloads, "one pull downloaded the weights, the other found them after the lock");
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, hub.count("cdn", "GET", "/cdn/" + sha(bert, "model.safetensors")));
        HfCacheLayout.assertLayout(cacheRoot(), BERT, bert.commit(), engineFiles(bert), bert.lfs());
    }

    @Test
    void aRenamedRepositoryIsFollowedThroughRelativeRedirects() throws Exception {
        hub.rename("old-org/bert-tiny", BERT);
        PullResult r = client().pull("old-org/bert-tiny", "main", FileSelection.CONFIG_ONLY, JobContext.NONE);
        assertEquals(bert.commit(), r.commit());
        assertArrayEquals(bert.files().get("config.json"), Files.readAllBytes(r.snapshot().resolve("config.json")));
        assertEquals(cacheRoot().resolve("models--old-org--bert-tiny/snapshots/" + bert.commit()), r.snapshot(),
                "cached under the name asked for, as huggingface_hub does");
        assertEquals(1, hub.count("hub", "HEAD", "/old-org/bert-tiny/resolve/"));
        assertEquals(1, hub.count("hub", "HEAD", "/" + BERT + "/resolve/"));
    }

    // ---------------------------------------------------------------- offline and errors

    @Test
    void offlineNeverTouchesTheNetworkAndResolvesFromTheCache() throws Exception {
        client().pull(BERT, "main", FileSelection.ENGINE, JobContext.NONE);
        int before = hub.requests.size();
        HubClient offline = client("HF_HUB_OFFLINE", "1");
        assertTrue(offline.offline());
        PullResult cached = offline.pull(BERT, "main", FileSelection.ENGINE, JobContext.NONE);
        assertEquals(bert.commit(), cached.commit());
        assertEquals(Set.copyOf(ENGINE_FILES),
                Set.copyOf(cached.files().stream().map(PullResult.PulledFile::name).toList()));
        try (LoadedModel m = ModelLoader.load(ModelRef.parse(BERT), JobContext.NONE, true, () -> offline)) {
            assertTrue(m.hasWeights());
        }
        AnewbException search = assertThrows(AnewbException.class, () -> offline.search("bert", 5));
        assertTrue(search.getMessage().contains("HF_HUB_OFFLINE"), search.getMessage());
        AnewbException missing = assertThrows(AnewbException.class, () ->
                offline.pull("acme/elsewhere", "main", FileSelection.ENGINE, JobContext.NONE));
        assertTrue(missing.getMessage().startsWith("acme/elsewhere@main: not in the local Hugging Face cache"),
                missing.getMessage());
        assertEquals(before, hub.requests.size(), "offline made no request");
    }

    /** Issue 17 #2: a revision with ../ wrote a ref outside the cache once refs/ existed; offline info read it back. */
    @Test
    void revisionsRepoIdsAndListedFileNamesNeverBecomePathsOutsideTheCache() throws Exception {
        client().pull(BERT, "main", FileSelection.CONFIG_ONLY, JobContext.NONE);
        assertTrue(Files.isDirectory(cacheRoot().resolve("models--hf-internal-testing--bert-tiny/refs")));
        int before = hub.requests.size();
        for (String rev : List.of("../../../../escaped", "../../../escaped", "main/../../x", ".hidden", "a..b",
                "x.lock", "a b")) {
            AnewbException e = assertThrows(AnewbException.class,
                    () -> client().pull(BERT, rev, FileSelection.ENGINE, JobContext.NONE), rev);
            assertEquals(AnewbException.Kind.USAGE, e.kind(), e.getMessage());
            assertTrue(e.getMessage().contains("revision '" + rev + "'"), e.getMessage());
        }
        for (String id : List.of("acme/../../x", "acme/a--b", "../x/y", "acme/.x", "acme/x.git", "a/b/c")) {
            assertThrows(AnewbException.class, () -> client().pull(id, "main", FileSelection.ENGINE, JobContext.NONE),
                    id);
        }
        assertEquals(before, hub.requests.size(), "refused before asking the Hub");
        // a file planted where the escaping ref would point is never read back offline
        Files.writeString(tmp.resolve("escaped"), bert.commit());
        HubClient offline = client("HF_HUB_OFFLINE", "1");
        assertThrows(AnewbException.class,
                () -> offline.localSnapshot(BERT, "../../../escaped", true, JobContext.NONE));
        assertThrows(AnewbException.class, () -> offline.cache().refCommit(BERT, "../../../escaped"));
        try (var s = Files.walk(tmp)) {
            List<Path> named = s.filter(p -> p.getFileName().toString().contains("escaped")).toList();
            assertEquals(List.of(tmp.resolve("escaped")), named, "nothing was written outside the cache");
        }
    }

    @Test
    void aListedFileNameWithDotDotIsRefusedBeforeItIsFetched() throws Exception {
        hub.serveFolder("acme/hostile", Fixtures.fixture("bert-tiny"), null,
                Map.of("sub/../../../.bashrc", "evil".getBytes(StandardCharsets.UTF_8)));
        AnewbException e = assertThrows(AnewbException.class,
                () -> client().pull("acme/hostile", "main", FileSelection.ALL, JobContext.NONE));
        assertTrue(e.getMessage().contains("'sub/../../../.bashrc'"), e.getMessage());
        assertTrue(e.getMessage().contains("not a plain relative path"), e.getMessage());
        assertEquals(0, hub.count("hub", "HEAD", "/acme/hostile/resolve/"), "no file was fetched");
        assertFalse(Files.exists(tmp.resolve(".bashrc")));
    }

    @Test
    void anUnreachableHubIsAClearMessage() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        HubClient c = client("HF_ENDPOINT", "http://127.0.0.1:" + closedPort);
        HubUnreachableException e = assertThrows(HubUnreachableException.class, () -> c.search("bert", 3));
        assertTrue(e.getMessage().startsWith("cannot reach http://127.0.0.1:" + closedPort)
                && e.getMessage().contains("HF_HUB_OFFLINE=1"), e.getMessage());
    }

    // ---------------------------------------------------------------- the engine on a pulled model

    @Test
    void modelLoaderPullsAHubIdAndRunsItLikeTheFixtureFolder() throws Exception {
        HubClient c = client();
        // planning needs config.json alone
        try (LoadedModel plan = ModelLoader.load(ModelRef.parse(BERT), JobContext.NONE, false, () -> c)) {
            assertFalse(plan.hasWeights());
            assertEquals(1, hub.count("hub", "HEAD", "/resolve/"), "config.json alone was fetched");
        }
        Batch batch = Batch.of(101, 2023, 102);
        RunResult pulled;
        try (LoadedModel m = ModelLoader.load(ModelRef.parse(BERT), JobContext.NONE, true, () -> c)) {
            assertEquals(BERT, m.displayName());
            assertEquals(c.cache().snapshotFolder(BERT, bert.commit()), m.folder());
            pulled = new Executor(m.graph(), m.weights()).run(batch, JobContext.NONE);
        }
        Path fixture = Fixtures.fixture("bert-tiny");
        RunResult direct;
        try (WeightSource w = WeightSources.openFolder(fixture)) {
            ModelGraph g = Architectures.graph(Architectures.readConfig(fixture.resolve("config.json")),
                    new Architectures.GraphOptions(w::contains, false));
            direct = new Executor(g, w).run(batch, JobContext.NONE);
        }
        for (String tap : List.of("hidden_states.0", "hidden_states.2", "pooler_output")) {
            float[] a = pulled.tap(tap).data(), b = direct.tap(tap).data();
            assertTrue(a.length > 0 && Float.isFinite(a[0]));
            assertArrayEquals(b, a, tap + " of the pulled model equals the fixture's");
        }
        HfCacheLayout.assertLayout(cacheRoot(), BERT, bert.commit(), engineFiles(bert), bert.lfs());
    }

    static JobContext progressInto(List<String> messages) {
        AtomicReference<String> last = new AtomicReference<>();
        return new JobContext() {
            @Override public void progress(double fraction, String message) {
                if (!message.equals(last.getAndSet(message))) messages.add(message);
            }
            @Override public boolean isCancelled() { return false; }
        };
    }
}

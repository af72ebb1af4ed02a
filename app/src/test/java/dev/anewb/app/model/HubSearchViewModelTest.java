package dev.anewb.app.model;

import dev.anewb.app.jobs.FxJobs;
import dev.anewb.app.session.Session;
import dev.anewb.app.settings.SettingsStore;
import dev.anewb.hub.FakeHub;
import dev.anewb.hub.HubClient;
import dev.anewb.hub.HubModelInfo;
import dev.anewb.io.BundledModel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.util.WaitForAsyncUtils;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Hub search against an in-process fake Hub: search, plan from config.json, download with progress, cancel, offline,
 * token.
 */
@ExtendWith(ApplicationExtension.class)
class HubSearchViewModelTest {
    static final String REPO = "acme/mini-bert";
    @TempDir Path tmp;
    private FakeHub hub;
    private FxJobs jobs;
    private Session session;
    private HubSearchViewModel vm;

    @BeforeEach void serve(FxRobot robot) throws Exception {
        hub = new FakeHub();
        Path folder = Files.createDirectories(tmp.resolve("repo"));
        Files.writeString(folder.resolve("config.json"), BundledModel.CONFIG_JSON);
        byte[] weights = new byte[400_000];
        new Random(1).nextBytes(weights);
        Files.write(folder.resolve("model.safetensors"), weights);
        byte[] readme = "---\nlicense: mit\n---".getBytes(StandardCharsets.UTF_8);
        hub.serveFolder(REPO, folder, null, Map.of("README.md", readme));
        hub.list(new FakeHub.Listing("acme/mini-gpt-unknown", 5, 1, List.of("license:mit"), null));
        robot.interact(() -> {
            jobs = new FxJobs();
            session = new Session(SettingsStore.inMemory(), jobs);
            session.setHubClientFactory(() -> client());
            vm = new HubSearchViewModel(session, tmp.resolve("hf-home/token"));
        });
    }

    private HubClient client(String... kv) {
        Map<String, String> env = new HashMap<>();
        env.put("HF_ENDPOINT", hub.endpoint());
        env.put("HF_HUB_CACHE", tmp.resolve("cache").toString());
        env.put("HF_HOME", tmp.resolve("hf-home").toString());
        for (int i = 0; i < kv.length; i += 2) env.put(kv[i], kv[i + 1]);
        return new HubClient(env);
    }

    @AfterEach void stop(FxRobot robot) {
        robot.interact(() -> {
            vm.dispose();
            session.close();
            jobs.close();
        });
        hub.close();
    }

    @Test void theCardListsFilesByNameWithSizesUnderATotal() {
        var info = new HubModelInfo("o/m", "c", List.of(
                new HubModelInfo.RepoFile("tokenizer.json", 2048, "b", null),
                new HubModelInfo.RepoFile("README.md", 100, "b", null),
                new HubModelInfo.RepoFile("config.json", 500, "b", null),
                new HubModelInfo.RepoFile("model.safetensors", 3L << 20, "b", "sha")), null, List.of(), false, false);
        assertEquals(List.of(
                new HubSearchViewModel.FileRow("4 files", HubSearchViewModel.size(2048 + 100 + 500 + (3L << 20))),
                new HubSearchViewModel.FileRow("config.json", "500 B"),
                new HubSearchViewModel.FileRow("model.safetensors", "3.0 MB"),
                new HubSearchViewModel.FileRow("README.md", "100 B"),
                new HubSearchViewModel.FileRow("tokenizer.json", "2.0 KB")), HubSearchViewModel.fileRows(info));
    }

    @Test void searchListsResultsWithSupportAndTheCardShowsFiles(FxRobot robot) throws Exception {
        robot.interact(() -> {
            vm.queryProperty().set("mini");
            vm.search();
        });
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS,
                () -> vm.results().size() == 2 && !vm.searchingProperty().get());
        assertEquals(REPO, vm.results().getFirst().id(), "most downloaded first");
        assertEquals("yes", HubSearchViewModel.supportedText(vm.results().get(0)));
        assertEquals("?", HubSearchViewModel.supportedText(vm.results().get(1)));
        assertEquals("mit", HubSearchViewModel.license(vm.results().get(1).tags()));
        assertFalse(vm.offlineProperty().get());
        robot.interact(() -> vm.selectedProperty().set(vm.results().getFirst()));
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> vm.infoProperty().get() != null);
        assertTrue(vm.infoProperty().get().fileNames().containsAll(List.of("config.json", "model.safetensors")));
        assertEquals(400_000, vm.infoProperty().get().file("model.safetensors").orElseThrow().size());
    }

    @Test void planFetchesTheConfigAloneLoadsItAndAsksForMemory(FxRobot robot) throws Exception {
        robot.interact(() -> { vm.queryProperty().set("mini-bert"); vm.search(); });
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> vm.results().size() == 1);
        robot.interact(() -> { vm.selectedProperty().set(vm.results().getFirst()); vm.plan(); });
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> session.model() != null);
        WaitForAsyncUtils.waitForFxEvents();
        assertFalse(session.model().hasWeights(), "config only");
        assertEquals("memory", session.requestedAreaProperty().get());
        assertEquals(0, hub.count("cdn", "GET", "/cdn/"), "no weights fetched");
    }

    @Test void downloadReportsProgressCancelsAndResumes(FxRobot robot) throws Exception {
        hub.slow("model.safetensors", 4000);
        robot.interact(() -> { vm.queryProperty().set("mini-bert"); vm.search(); });
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> vm.results().size() == 1);
        robot.interact(() -> { vm.selectedProperty().set(vm.results().getFirst()); vm.download(); });
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> vm.progressProperty().get() > 0.05);
        assertTrue(vm.downloadingProperty().get());
        assertTrue(vm.progressMessageProperty().get().contains("/s"), vm.progressMessageProperty().get());
        robot.interact(vm::cancelDownload);
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> !vm.downloadingProperty().get());
        assertTrue(vm.progressMessageProperty().get().startsWith("Cancelled"));
        hub.fast("model.safetensors");
        robot.interact(vm::download);
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> !vm.downloadingProperty().get()
                && vm.progressMessageProperty().get().startsWith("Downloaded"));
        assertTrue(hub.requests.stream().anyMatch(r -> r.range() != null), "the second pull resumed with Range");
    }

    @Test void offlineByEnvironmentOrByAFailedRequest(FxRobot robot) throws Exception {
        robot.interact(() -> {
            session.setHubClientFactory(() -> client("HF_HUB_OFFLINE", "1"));
            vm.refreshSettings();
        });
        assertTrue(vm.offlineProperty().get());
        assertTrue(vm.offlineReasonProperty().get().contains("HF_HUB_OFFLINE"));

        int port;
        try (var s = new ServerSocket(0)) { port = s.getLocalPort(); }
        int closed = port;
        robot.interact(() -> {
            session.setHubClientFactory(() -> client("HF_ENDPOINT", "http://127.0.0.1:" + closed));
            vm.refreshSettings();
            vm.queryProperty().set("bert");
            vm.search();
        });
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> !vm.searchingProperty().get());
        WaitForAsyncUtils.waitForFxEvents();
        assertTrue(vm.offlineProperty().get(), vm.statusProperty().get());
    }

    @Test void tokenIsWrittenOnlyWithConsentAndNeverKept(FxRobot robot) throws Exception {
        Path file = vm.tokenFile();
        assertNotNull(vm.storeToken("hf_abcdefghijklmnop", false));
        assertFalse(Files.exists(file));
        robot.interact(() -> assertNull(vm.storeToken("hf_abcdefghijklmnop", true)));
        assertEquals("hf_abcdefghijklmnop", Files.readString(file));
        assertTrue(vm.tokenPresentProperty().get());
    }
}

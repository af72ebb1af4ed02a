package dev.anewb.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.hub.BlobLockTest;
import dev.anewb.hub.FakeHub;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** {@code anewb models list|search|pull --json} against the in-process fake Hub, with an injected environment. */
class ModelsCommandTest {
    static final String BERT = "hf-internal-testing/bert-tiny";
    @TempDir Path tmp;
    FakeHub hub;
    FakeHub.Repo bert;

    @BeforeEach
    void serve() throws Exception {
        hub = new FakeHub();
        bert = hub.serveFolder(BERT, Fixtures.fixture("bert-tiny"), null, Map.of());
        hub.list(new FakeHub.Listing("acme/tiny-mamba", 50, 1, List.of("mamba"), "mamba"));
    }

    @AfterEach
    void stop() { hub.close(); }

    Map<String, String> env() {
        return Map.of("HF_ENDPOINT", hub.endpoint(), "HF_HUB_CACHE", tmp.resolve("cache").toString(), "HF_HOME",
                tmp.resolve("home").toString());
    }

    JsonNode run(String... args) throws Exception {
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new ModelsCommand(env()));
        cl.setOut(new PrintWriter(out));
        assertEquals(0, cl.execute(args), String.join(" ", args));
        return new ObjectMapper().readTree(out.toString());
    }

    @Test
    void searchPullAndListSpeakJson() throws Exception {
        JsonNode hits = run("search", "tiny", "--limit", "5", "--json");
        assertEquals(2, hits.size());
        assertEquals(BERT, hits.get(0).get("id").asText());
        assertTrue(hits.get(0).get("supported").asBoolean());
        assertEquals("acme/tiny-mamba", hits.get(1).get("id").asText());
        assertFalse(hits.get(1).get("supported").asBoolean(), "mamba is not an engine architecture");

        JsonNode plan = run("pull", BERT, "--config-only", "--json");
        assertEquals(bert.commit(), plan.get("commit").asText());
        assertEquals(1, plan.get("files").size());

        JsonNode pulled = run("pull", BERT + "@main", "--json");
        assertEquals(List.of("config.json", "model.safetensors", "tokenizer.json"),
                pulled.get("files").findValuesAsText("name").stream().sorted().toList());
        assertTrue(Files.isSymbolicLink(Path.of(pulled.get("snapshot").asText()).resolve("model.safetensors")));

        JsonNode list = run("list", "--json");
        JsonNode model = list.get("models").get(0);
        assertEquals(BERT, model.get("id").asText());
        assertEquals(bert.commit(), model.get("refs").get("main").asText());
        long expectedSize = bert.files().get("config.json").length + bert.files().get("model.safetensors").length
                + bert.files().get("tokenizer.json").length;
        assertEquals(expectedSize, model.get("size_bytes").asLong(), "size counts each blob once");
        assertEquals("bert", model.get("model_type").asText());
        assertTrue(model.get("supported").asBoolean());
    }

    /**
     * Issue 17 #15: partial downloads stayed forever and list counted them in the size. The next successful pull
     * removes those nobody is writing (a download in progress holds the blob lock: that one stays), and list shows
     * them apart.
     */
    @Test
    void partialDownloadsAreListedApartAndTheNextPullRemovesTheOrphans() throws Exception {
        run("pull", BERT, "--config-only", "--json");
        Path blobs = tmp.resolve("cache/models--" + BERT.replace("/", "--") + "/blobs");
        String orphanEtag = "a".repeat(64), liveEtag = "b".repeat(64);
        Path orphan = Files.write(blobs.resolve(orphanEtag + ".incomplete"), new byte[117_000]);
        Path live = Files.write(blobs.resolve(liveEtag + ".incomplete"), new byte[5_000]);
        JsonNode before = run("list", "--json").get("models").get(0);
        assertEquals(bert.files().get("config.json").length, before.get("size_bytes").asLong(),
                "partials are not in the size");
        assertEquals(122_000, before.get("partial_bytes").asLong());

        // another process is downloading the live one: it holds that blob's lock
        Path liveLock = tmp.resolve("cache/.locks/models--" + BERT.replace("/", "--") + "/" + liveEtag + ".lock");
        Process downloader = BlobLockTest.hold("blob", liveLock);
        JsonNode pulled;
        try {
            pulled = run("pull", BERT, "--json");
        } finally {
            BlobLockTest.release(downloader);
        }
        assertEquals(117_000, pulled.get("removed_partial_bytes").asLong());
        assertFalse(Files.exists(orphan), "the orphan is removed");
        assertTrue(Files.exists(live), "the partial being downloaded stays");
        assertEquals(5_000, run("list", "--json").get("models").get(0).get("partial_bytes").asLong());
    }

    @Test
    void pullOfSomethingThatIsNotAHubIdIsAUsageError() {
        CommandLine cl = AnewbCli.commandLine(List.of());
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertEquals(2, cl.execute("models", "pull", "not-a-hub-id"));
        assertTrue(err.toString().contains("not-a-hub-id"), err.toString());
    }
}

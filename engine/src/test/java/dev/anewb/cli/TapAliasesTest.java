package dev.anewb.cli;

import dev.anewb.io.OnnxWeights;
import dev.anewb.io.SafetensorsFile;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.arch.Architectures;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 17 #12: the names transformers users look for (last_hidden_state, pooler_output) are offered. */
class TapAliasesTest {
    @TempDir Path tmp;

    static int run(String... args) {
        CommandLine cl = AnewbCli.commandLine(List.of());
        cl.setErr(new PrintWriter(new StringWriter()));
        return cl.execute(args);
    }

    static ModelGraph graph(String fixture) {
        return Architectures.graph(Architectures.readConfig(Fixtures.fixture(fixture + "/config.json")),
                Architectures.GraphOptions.CONFIG_ONLY);
    }

    @Test
    void aliasesNameTheLastHiddenStateOfEachArchitecture() {
        assertEquals(Map.of("last_hidden_state", "hidden_states.2"), graph("bert-tiny").tapAliases());
        assertEquals(Map.of("last_hidden_state", "hidden_states.2"), graph("llama-tiny").tapAliases());
        assertEquals(Map.of(), graph("vit-tiny").tapAliases(), "ViT has a last_hidden_state tap (after the norm)");
        assertTrue(graph("vit-tiny").taps().containsKey("last_hidden_state"));
        Map<String, String> whisper = graph("whisper-tiny").tapAliases();
        assertTrue(whisper.get("last_hidden_state").startsWith("decoder_hidden_states."), whisper.toString());
        assertTrue(whisper.get("encoder_last_hidden_state").startsWith("encoder_hidden_states."), whisper.toString());
    }

    @Test
    void theDumpAndTheOnnxExportCarryLastHiddenStateAndPoolerOutput() {
        String m = Fixtures.fixture("bert-tiny").toString();
        Path dump = tmp.resolve("taps.safetensors");
        assertEquals(0, run("run", m, "--ids", "101,2023,102", "--dump", dump.toString()));
        try (SafetensorsFile f = SafetensorsFile.open(dump)) {
            assertArrayEquals(f.get("hidden_states.2").toFloatArray(), f.get("last_hidden_state").toFloatArray());
            assertArrayEquals(new long[]{1, 3, 64}, f.get("last_hidden_state").shape());
            assertArrayEquals(new long[]{1, 64}, f.get("pooler_output").shape());
        }
        Path onnx = tmp.resolve("m.onnx");
        assertEquals(0, run("export", m, "--onnx", onnx.toString()));
        try (OnnxWeights o = OnnxWeights.open(onnx)) {
            List<String> out = o.graphOutputs();
            assertEquals(out.indexOf("hidden_states.2") + 1, out.indexOf("last_hidden_state"), out.toString());
            assertTrue(out.contains("pooler_output"), out.toString());
        }
    }
}

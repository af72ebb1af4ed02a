package dev.anewb.convert;

import dev.anewb.drift.TapMetrics;
import dev.anewb.io.SafetensorsFile;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.arch.Architectures;
import dev.anewb.runtime.Executor;
import dev.anewb.runtime.RunResult;
import dev.anewb.testing.Fixtures;
import dev.anewb.testing.References;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Conversion passes on the random-weight fixtures: INT8 against transformers' quantized references, layout and
 * chunking against FP32.
 */
class ConversionFixtureTest {

    record Loaded(SafetensorsFile weights, SafetensorsFile ref, ModelGraph graph,
            Batch batch) implements AutoCloseable {
        public void close() {
            weights.close();
            ref.close();
        }
    }

    static Loaded load(String fixture) {
        Path dir = Fixtures.fixture(fixture);
        SafetensorsFile w = SafetensorsFile.open(dir.resolve("model.safetensors"));
        SafetensorsFile r = SafetensorsFile.open(dir.resolve("reference.safetensors"));
        ModelGraph g = Architectures.graph(Architectures.readConfig(dir.resolve("config.json")),
                new Architectures.GraphOptions(w::contains, false));
        return new Loaded(w, r, g, References.batch(r, ""));
    }

    @ParameterizedTest
    @CsvSource({"bert-tiny,128", "distilbert-tiny,64"})
    void int8MatchesTheQuantizedReference(String fixture, int block) {
        try (Loaded l = load(fixture)) {
            ModelGraph q = Converter.convert(l.graph(), Conversion.ORIGINAL.withInt8(true, block, false)).graph();
            RunResult out = new Executor(q, l.weights()).run(l.batch(), JobContext.NONE);
            for (int i = 0; i <= q.config().numLayers(); i++) {
                String name = "int8_block" + block + ".hidden_states." + i;
                References.assertClose(name, out.tap("hidden_states." + i), References.activation(l.ref().get(name)),
                        l.batch(), 2e-4);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"bert-tiny", "distilbert-tiny"})
    void bc1sLayoutEqualsTheOriginalUpToSummationOrder(String fixture) {
        try (Loaded l = load(fixture)) {
            RunResult ref = new Executor(l.graph(), l.weights()).run(l.batch(), JobContext.NONE);
            ModelGraph g = Converter.convert(l.graph(), Conversion.ORIGINAL.withLayout(Conversion.Layout.BC1S)).graph();
            RunResult out = new Executor(g, l.weights()).run(l.batch(), JobContext.NONE);
            for (String tap : ref.taps().keySet()) {
                TapMetrics m = TapMetrics.of(tap, ref.tap(tap), out.tap(tap), l.batch());
                assertTrue(m.sqnrDb() >= 100, tap + ": layout-only SQNR " + m.sqnrDb() + " dB < 100");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {16, 17, 512})
    void aWindowCoveringTheSequenceIsExactlyFullAttention(int window) {
        try (Loaded l = load("bert-tiny")) {
            RunResult ref = new Executor(l.graph(), l.weights()).run(l.batch(), JobContext.NONE);
            ModelGraph g = Converter.convert(l.graph(), Conversion.ORIGINAL.withChunking(window, 3)).graph();
            RunResult out = new Executor(g, l.weights()).run(l.batch(), JobContext.NONE);
            for (String tap : ref.taps().keySet()) assertArrayEquals(ref.tap(tap).data(), out.tap(tap).data(), tap);
        }
    }

    @Test
    void aSmallWindowChangesTheOutputButKeepsItClose() {
        try (Loaded l = load("bert-tiny")) {
            RunResult ref = new Executor(l.graph(), l.weights()).run(l.batch(), JobContext.NONE);
            ModelGraph g = Converter.convert(l.graph(), Conversion.ORIGINAL.withChunking(6, 2)).graph();
            RunResult out = new Executor(g, l.weights()).run(l.batch(), JobContext.NONE);
            TapMetrics m = TapMetrics.of("hidden_states.2", ref.tap("hidden_states.2"), out.tap("hidden_states.2"),
                    l.batch());
            assertTrue(!m.exact() && m.cosine() > 0.5, "chunked W=6 O=2: " + m);
        }
    }
}

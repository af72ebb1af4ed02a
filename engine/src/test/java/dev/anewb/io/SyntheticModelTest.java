package dev.anewb.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.api.ModelSession;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.DType;
import dev.anewb.model.WeightInfo;
import dev.anewb.runtime.RunResult;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Random-weight models for a config: the tensors the architecture reads, sharded like the Hub, loadable and runnable.
 *
 */
class SyntheticModelTest {
    @TempDir Path tmp;

    @Test
    void writesEveryTensorShardedAndTheModelRuns() throws Exception {
        Path config = Fixtures.fixture("llama-tiny").resolve("config.json");
        // 40 kB shards: llama-tiny's BF16 weights (~180 kB) need several, as an 8B model needs several 5 GB ones
        Path dir = SyntheticModel.write(config, tmp.resolve("synth"), DType.BF16, 7, 40_000, null, false,
                JobContext.NONE);
        JsonNode index = new ObjectMapper().readTree(dir.resolve("model.safetensors.index.json").toFile());
        try (ModelSession s = ModelSession.open(dir.toString(), JobContext.NONE)) {
            long expectBytes = 0;
            for (WeightInfo w : s.model().graph().weights().values()) {
                assertTrue(s.model().weights().contains(w.name()), w.name());
                var t = s.model().weights().get(w.name());
                assertEquals(DType.BF16, t.dtype(), w.name());
                assertArrayEquals(w.shape(), t.shape(), w.name());
                expectBytes += 2 * w.elements();
                assertTrue(index.path("weight_map").has(w.name()), w.name());
            }
            assertEquals(expectBytes, index.path("metadata").path("total_size").asLong());
            assertTrue(Files.list(dir).filter(p -> p.getFileName().toString().startsWith("model-0")).count() > 1,
                    "sharded");
            RunResult r = s.executor().run(Batch.of(1, 5, 9), JobContext.NONE);
            float[] logits = r.tap("logits").data();
            assertTrue(Arrays.stream(toDoubles(logits)).allMatch(Double::isFinite));
            assertFalse(Arrays.stream(toDoubles(logits)).allMatch(v -> v == 0), "random weights give non-zero logits");
        }
        // the same seed gives the same bytes
        Path again = SyntheticModel.write(config, tmp.resolve("again"), DType.BF16, 7, 40_000, null, false,
                JobContext.NONE);
        assertArrayEquals(Files.readAllBytes(dir.resolve("model-00001-of-" + shards(dir) + ".safetensors")),
                Files.readAllBytes(again.resolve("model-00001-of-" + shards(dir) + ".safetensors")));
    }

    private static String shards(Path dir) throws Exception {
        try (var s = Files.list(dir)) {
            return String.format("%05d", s.filter(p -> p.getFileName().toString().startsWith("model-0")).count());
        }
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}

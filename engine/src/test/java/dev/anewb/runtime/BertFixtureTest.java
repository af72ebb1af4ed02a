package dev.anewb.runtime;

import dev.anewb.io.SafetensorsFile;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.arch.Architectures;
import dev.anewb.testing.Fixtures;
import dev.anewb.testing.References;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** BertModel and DistilBertModel against transformers on the padded 3-sentence batch of the fixtures. */
class BertFixtureTest {
    static final double TOL = 1e-4;

    @ParameterizedTest
    @ValueSource(strings = {"bert-tiny", "distilbert-tiny"})
    void everyTapMatchesTransformers(String fixture) {
        Path dir = Fixtures.fixture(fixture);
        try (SafetensorsFile weights = SafetensorsFile.open(dir.resolve("model.safetensors"));
             SafetensorsFile ref = SafetensorsFile.open(dir.resolve("reference.safetensors"))) {
            var config = Architectures.readConfig(dir.resolve("config.json"));
            ModelGraph graph = Architectures.graph(config, new Architectures.GraphOptions(weights::contains, false));
            Batch batch = References.batch(ref, "");
            RunResult out = new Executor(graph, weights).run(batch, JobContext.NONE);
            int checked = 0;
            for (int i = 0; i <= config.numLayers(); i++) {
                String tap = "hidden_states." + i;
                References.assertClose(tap, out.tap(tap), References.activation(ref.get(tap)), batch, TOL);
                checked++;
            }
            if (ref.contains("pooler_output")) {
                References.assertClose("pooler_output", out.tap("pooler_output"),
                        References.activation(ref.get("pooler_output")), batch, TOL);
                checked++;
            }
            assertEquals(config.numLayers() + 1 + (ref.contains("pooler_output") ? 1 : 0), checked);
        }
    }
}

package dev.anewb.runtime;

import dev.anewb.convert.Converter;
import dev.anewb.io.SafetensorsFile;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.Op;
import dev.anewb.model.arch.Architectures;
import dev.anewb.runtime.kernel.LinearWeight;
import dev.anewb.testing.Fixtures;
import dev.anewb.testing.References;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Models whose float weights are too large to pack run them from the mapped file: the same taps as transformers
 * within the fixtures' tolerance (the fixtures' weights run that way here), and within rounding of the packed path.
 */
class MappedWeightsFixtureTest {
    static final double TOL = 1e-4;

    @Test
    void bertAndLlamaFromTheMappedFileMatchTransformers() throws Exception {
        for (String fixture : new String[]{"bert-tiny", "llama-tiny"}) {
            Path dir = Fixtures.fixture(fixture);
            try (SafetensorsFile weights = SafetensorsFile.open(dir.resolve("model.safetensors"));
                 SafetensorsFile ref = SafetensorsFile.open(dir.resolve("reference.safetensors"))) {
                ModelGraph g = Architectures.graph(Architectures.readConfig(dir.resolve("config.json")),
                        new Architectures.GraphOptions(weights::contains, false));
                Executor mapped = new Executor(g, weights, new PreparedWeights(false));
                Batch batch = fixture.equals("bert-tiny") ? References.batch(ref, "")
                        : Batch.of(LanguageModelFixtureTest.promptIds(dir)[0]);
                String prefix = fixture.equals("bert-tiny") ? "" : "p0.";
                RunResult out = mapped.run(batch, JobContext.NONE);
                String w = g.ops().stream().filter(o -> o instanceof Op.Linear).map(o ->
                        ((Op.Linear) o).weight()).findFirst()
                        .orElseThrow();
                assertInstanceOf(LinearWeight.Mapped.class, mapped.preparedWeight(w));
                int checked = 0;
                for (int i = 0; i <= g.config().numLayers(); i++) {
                    String tap = "hidden_states." + i;
                    References.assertClose(fixture + " " + tap, out.tap(tap),
                            References.activation(ref.get(prefix + tap)), batch, TOL);
                    checked++;
                }
                assertEquals(g.config().numLayers() + 1, checked);
                RunResult packed = new Executor(g, weights, new PreparedWeights(true)).run(batch, JobContext.NONE);
                for (String tap : out.taps().keySet()) {
                    References.assertClose(fixture + " mapped vs packed " + tap, out.tap(tap), packed.tap(tap), batch,
                            1e-5);
                }
            }
        }
    }

    @Test
    void theAneDefaultConversionKeepsItsFloatHeadMappedAndRoundedToFp16() throws Exception {
        Path dir = Fixtures.fixture("llama-tiny");
        try (SafetensorsFile weights = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            ModelGraph g = Architectures.graph(Architectures.readConfig(dir.resolve("config.json")),
                    new Architectures.GraphOptions(weights::contains, false));
            ModelGraph c = Converter.convert(g, Conversion.ANE_DEFAULT.withInt8(true, 32, false)).graph();
            Batch batch = Batch.of(LanguageModelFixtureTest.promptIds(dir)[0]);
            RunResult mapped = new Executor(c, weights, new PreparedWeights(false)).run(batch, JobContext.NONE);
            RunResult packed = new Executor(c, weights, new PreparedWeights(true)).run(batch, JobContext.NONE);
            // Same FP16 weights, same INT8 codes: only the head's float32 summation order differs.
            var logits = References.assertClose("logits", mapped.tap("logits"), packed.tap("logits"), batch, 1e-3);
            assertTrue(logits.sqnrDb() > 60, "mapped FP16 head vs packed: " + logits.sqnrText() + " dB");
        }
    }
}

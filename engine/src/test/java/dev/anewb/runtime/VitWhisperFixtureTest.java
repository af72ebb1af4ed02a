package dev.anewb.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.io.ImagePreprocessor;
import dev.anewb.io.SafetensorsFile;
import dev.anewb.io.WhisperFeatures;
import dev.anewb.job.JobContext;
import dev.anewb.model.Axis;
import dev.anewb.model.Batch;
import dev.anewb.model.FeatureTensor;
import dev.anewb.model.ModelConfig;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.TensorData;
import dev.anewb.model.arch.Architectures;
import dev.anewb.model.whisper.WhisperConfig;
import dev.anewb.testing.Fixtures;
import dev.anewb.testing.References;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ViT and Whisper against transformers 5.17: preprocessing, every tap, and Whisper's greedy decoding with the KV
 * cache.
 */
class VitWhisperFixtureTest {
    static final double TOL = 1e-4;

    static ModelGraph graph(Path dir, SafetensorsFile weights) {
        ModelConfig config = Architectures.readConfig(dir.resolve("config.json"));
        return Architectures.graph(config, new Architectures.GraphOptions(weights::contains, false));
    }

    static Activation asActivation(TensorData t) {
        long[] s = t.shape();
        long rest = 1;
        for (int i = 2; i < s.length; i++) rest *= s[i];
        return new Activation((int) s[0], (int) s[1], (int) rest, t.toFloatArray());
    }

    @Test
    void vitPreprocessingAndEveryTapMatchTransformers() {
        Path dir = Fixtures.fixture("vit-tiny");
        List<String> warnings = new ArrayList<>();
        try (SafetensorsFile weights = SafetensorsFile.open(dir.resolve("model.safetensors"));
             SafetensorsFile ref = SafetensorsFile.open(dir.resolve("reference.safetensors"))) {
            ModelGraph g = graph(dir, weights);
            TensorData img = ref.get("image_hwc_uint8");
            int h = img.dim(0), w = img.dim(1);
            int[] hwc = new int[h * w * 3];
            for (int i = 0; i < hwc.length; i++) hwc[i] = (int) img.getLong(i) & 0xFF;
            ImagePreprocessor pre = ImagePreprocessor.forModel(dir, 32, 32, warnings::add);
            assertTrue(warnings.isEmpty(), warnings::toString);
            FeatureTensor pixels = pre.pixelValues(new ImagePreprocessor.Rgb(h, w, hwc));
            References.assertClose("pixel_values", Activation.of(pixels), asActivation(ref.get("pixel_values")), null,
                    TOL);

            Batch batch = Batch.ofFeatures(g.fixedLength(Axis.TOKENS), Map.of(ModelGraph.PIXEL_VALUES, pixels));
            RunResult out = new Executor(g, weights).run(batch, JobContext.NONE);
            for (int i = 0; i <= g.config().numLayers(); i++) {
                String tap = "hidden_states." + i;
                References.assertClose(tap, out.tap(tap), References.activation(ref.get(tap)), batch, TOL);
            }
            References.assertClose("pooler_output", out.tap("pooler_output"),
                    References.activation(ref.get("pooler_output")), batch, TOL);
            assertEquals(17, out.tap("hidden_states.0").length());
        }
    }

    @Test
    void whisperFeaturesEveryTapAndGreedyTokensMatchTransformers() throws IOException {
        Path dir = Fixtures.fixture("whisper-tiny");
        JsonNode meta = new ObjectMapper().readTree(dir.resolve("reference.json").toFile());
        long[] prefix = new long[meta.get("decoder_prefix").size()];
        for (int i = 0; i < prefix.length; i++) prefix[i] = meta.get("decoder_prefix").get(i).asLong();
        try (SafetensorsFile weights = SafetensorsFile.open(dir.resolve("model.safetensors"));
             SafetensorsFile ref = SafetensorsFile.open(dir.resolve("reference.safetensors"))) {
            ModelGraph g = graph(dir, weights);
            WhisperConfig c = (WhisperConfig) g.config();
            List<String> warnings = new ArrayList<>();
            WhisperFeatures fe = WhisperFeatures.forModel(dir, c.numMelBins(), warnings::add);
            assertTrue(warnings.isEmpty(), warnings::toString);
            FeatureTensor features = fe.extract(ref.get("waveform").toFloatArray());
            References.assertClose("input_features", Activation.of(features), asActivation(ref.get("input_features")),
                    null, TOL);

            Batch batch = Batch.of(prefix).withFeatures(Map.of(ModelGraph.INPUT_FEATURES, features));
            RunResult out = new Executor(g, weights).run(batch, JobContext.NONE);
            for (int i = 0; i <= c.encoderLayers(); i++) {
                String tap = "encoder_hidden_states." + i;
                References.assertClose(tap, out.tap(tap), References.activation(ref.get(tap)), batch, TOL);
            }
            for (int i = 0; i <= c.decoderLayers(); i++) {
                String tap = "decoder_hidden_states." + i;
                References.assertClose(tap, out.tap(tap), References.activation(ref.get(tap)), batch, TOL);
            }
            References.assertClose("logits", out.tap("logits"), References.activation(ref.get("logits")), batch, TOL);

            JsonNode gen = meta.get("generated"), margins = meta.get("margins");
            Generator.Result r = new Generator(new Executor(g, weights), null, Set.of())
                    .generate(prefix, Map.of(ModelGraph.INPUT_FEATURES, features), gen.size(),
                            Generator.Sampling.GREEDY, null, JobContext.NONE);
            int compared = 0;
            for (int i = 0; i < gen.size(); i++) {
                if (margins.get(i).asDouble() <= 1e-3) break; // after a near tie the continuations may differ
                assertEquals(gen.get(i).asLong(), r.ids()[i], "greedy token " + i);
                compared++;
            }
            assertEquals(gen.size(), compared);
        }
    }
}

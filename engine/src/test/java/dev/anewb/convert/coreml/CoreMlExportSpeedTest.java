package dev.anewb.convert.coreml;

import dev.anewb.api.ConvertedModel;
import dev.anewb.api.ModelLoader;
import dev.anewb.api.ModelSession;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.SafetensorsWriter;
import dev.anewb.job.JobContext;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.WeightInfo;
import dev.anewb.model.arch.Architectures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 16's speed goal: a BERT-base-sized ANE default export (quantization included) in under 10 s. It writes a
 * 440 MB random model first, so it runs only when asked: {@code -Dcoreml.speed=true}.
 */
@EnabledIfSystemProperty(named = "coreml.speed", matches = "true")
class CoreMlExportSpeedTest {
    static final String BERT_BASE = """
            {"model_type": "bert", "architectures": ["BertModel"], "hidden_size": 768, "num_hidden_layers": 12,
             "num_attention_heads": 12, "intermediate_size": 3072, "hidden_act": "gelu", "vocab_size": 30522,
             "max_position_embeddings": 512, "type_vocab_size": 2, "layer_norm_eps": 1e-12}
            """;

    @TempDir Path tmp;

    @Test
    void bertBaseAneDefaultUnderTenSeconds() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("bert-base-random"));
        Files.writeString(dir.resolve("config.json"), BERT_BASE);
        ModelGraph g = Architectures.graph(Architectures.readConfig(dir.resolve("config.json")),
                Architectures.GraphOptions.CONFIG_ONLY);
        SafetensorsWriter w = new SafetensorsWriter();
        Random r = new Random(7);
        for (WeightInfo info : g.weights().values()) {
            float[] v = new float[Math.toIntExact(info.elements())];
            for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * 0.02);
            w.addFloats(info.name(), info.shape(), v);
        }
        w.write(dir.resolve("model.safetensors"));
        try (LoadedModel m = ModelLoader.load(dir.toString(), JobContext.NONE)) {
            for (int run = 0; run < 2; run++) {
                long start = System.nanoTime();
                ConvertedModel c = ModelSession.of(m).convert(Conversion.ANE_DEFAULT);
                CoreMlPreview p = PackagesUnderTest.export(c, CoreMlOptions.DEFAULT.withForce(true),
                        tmp.resolve("bert-base.mlpackage"), JobContext.NONE);
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("coreml BERT-base ANE default export (run %d): %.2f s, %d MB, %d ops%n", run + 1,
                        seconds,
                        p.packageBytes() >> 20, p.operations());
                assertTrue(seconds < 10, "export took " + seconds + " s");
            }
        }
    }
}

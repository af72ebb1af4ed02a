package dev.anewb.convert;

import ai.onnxruntime.OrtException;
import dev.anewb.drift.TapMetrics;
import dev.anewb.io.SafetensorsFile;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.model.GraphBuilder;
import dev.anewb.model.ModelConfig;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.arch.Architectures;
import dev.anewb.runtime.Activation;
import dev.anewb.runtime.Executor;
import dev.anewb.testing.Fixtures;
import dev.anewb.testing.References;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The band mask of chunked attention in the exported graph (spec/chunked-attention.md), checked on a graph of
 * bert-tiny's embeddings feeding one attention op (q = k = v = embeddings, 4 heads of 16) over the padded fixture
 * batch, against a direct Java implementation of the spec's key ranges.
 */
class OnnxChunkedAttentionTest {
    static final double TOL = 1e-5;

    @TempDir Path tmp;

    static ModelGraph embedAttention(ModelConfig config, boolean causal) {
        GraphBuilder g = new GraphBuilder(config);
        String x = g.embed("emb", "embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight", 0,
                "embeddings.token_type_embeddings.weight");
        g.tap("emb", x);
        int heads = 4, hd = config.hiddenSize() / heads;
        String y = g.attention("ctx", 0, x, x, x, heads, heads, hd, causal, true, null, (float) (1 / Math.sqrt(hd)),
                false);
        g.tap("ctx", y);
        return g.build();
    }

    /** Attention with the spec's windows written out: block k = i / S sees [k·S − before, (k+1)·S + after). */
    static float[] reference(Activation x, Batch batch, int heads, int window, int overlap, boolean causal) {
        int n = x.length(), c = x.channels(), hd = c / heads;
        int s = window - overlap;
        int before = causal ? overlap : overlap / 2, after = causal ? 0 : overlap - overlap / 2;
        float[] y = new float[x.data().length];
        for (int b = 0; b < x.batch(); b++) for (int h = 0; h < heads; h++) for (int i = 0; i < n; i++) {
            int k = i / s;
            int from = Math.max(0, k * s - before), to = Math.min(n, (k + 1) * s + after);
            double[] p = new double[n];
            double max = Double.NEGATIVE_INFINITY;
            boolean[] ok = new boolean[n];
            for (int j = from; j < to; j++) {
                if (batch.mask()[b][j] == 0 || (causal && j > i)) continue;
                ok[j] = true;
                double dot = 0;
                for (int d = 0; d < hd; d++) dot += (double) x.get(b, i, h * hd + d) * x.get(b, j, h * hd + d);
                p[j] = dot / Math.sqrt(hd);
                max = Math.max(max, p[j]);
            }
            double sum = 0;
            for (int j = 0; j < n; j++) if (ok[j]) sum += p[j] = Math.exp(p[j] - max);
            for (int j = 0; j < n; j++) {
                if (!ok[j]) continue;
                for (int d = 0; d < hd; d++) y[(b * n + i) * c + h * hd + d] += (float) (p[j] / sum
                        * x.get(b, j, h * hd + d));
            }
        }
        return y;
    }

    Map<String, Activation> exportAndRun(ModelGraph g, SafetensorsFile weights, Batch batch,
            String name) throws OrtException {
        Path out = tmp.resolve(name + ".onnx");
        OnnxExporter.export(g, weights, out, JobContext.NONE);
        return OrtRunner.run(out, batch);
    }

    @ParameterizedTest(name = "W={0} O={1} causal={2}")
    @CsvSource({"4,1,false", "5,2,false", "6,3,false", "4,2,true", "3,0,true"})
    void bandMaskFollowsTheSpec(int window, int overlap, boolean causal) throws OrtException {
        Path dir = Fixtures.fixture("bert-tiny");
        try (SafetensorsFile weights = SafetensorsFile.open(dir.resolve("model.safetensors"));
             SafetensorsFile ref = SafetensorsFile.open(dir.resolve("reference.safetensors"))) {
            ModelConfig config = Architectures.readConfig(dir.resolve("config.json"));
            Batch batch = References.batch(ref, "");
            assertTrue(batch.seq() > 2 * window, "the batch spans several windows (" + batch.seq() + " tokens)");
            ModelGraph g = embedAttention(config, causal);
            ModelGraph chunked = Converter.convert(g, Conversion.ORIGINAL.withChunking(window, overlap)).graph();
            Map<String, Activation> ort = exportAndRun(chunked, weights, batch, "chunked");
            Activation emb = ort.get("emb");
            Activation expected = new Activation(emb.batch(), emb.length(), emb.channels(),
                    reference(emb, batch, 4, window, overlap, causal));
            References.assertClose("ctx", ort.get("ctx"), expected, batch, TOL);
            // The executor's chunked attention (same conversion) agrees too.
            References.assertClose("ctx vs executor", ort.get("ctx"),
                    new Executor(chunked, weights).run(batch, JobContext.NONE).tap("ctx"), batch, TOL);
            // Padded queries whose whole window is padding have no key: zeros, as the executor gives, never NaN.
            for (float v : ort.get("ctx").data()) assertTrue(Float.isFinite(v), "finite everywhere, padding included");
            // The band really masks something: full attention differs.
            Activation full = new Executor(g, weights).run(batch, JobContext.NONE).tap("ctx");
            assertTrue(TapMetrics.of("ctx", full, ort.get("ctx"), batch).maxAbs() > 1e-3,
                    "chunking changes the output");
        }
    }

    @Test
    void aWindowCoveringTheSequenceIsFullAttentionBitForBit() throws OrtException {
        Path dir = Fixtures.fixture("bert-tiny");
        try (SafetensorsFile weights = SafetensorsFile.open(dir.resolve("model.safetensors"));
             SafetensorsFile ref = SafetensorsFile.open(dir.resolve("reference.safetensors"))) {
            ModelConfig config = Architectures.readConfig(dir.resolve("config.json"));
            Batch batch = References.batch(ref, "");
            for (boolean causal : new boolean[]{false, true}) {
                ModelGraph g = embedAttention(config, causal);
                float[] full = exportAndRun(g, weights, batch, "full").get("ctx").data();
                ModelGraph wide = Converter.convert(g, Conversion.ORIGINAL.withChunking(batch.seq() + 2, 2)).graph();
                assertArrayEquals(full, exportAndRun(wide, weights, batch, "wide").get("ctx").data());
                References.assertClose("ctx vs executor",
                        new Executor(g, weights).run(batch, JobContext.NONE).tap("ctx"),
                        new Activation(batch.batch(), batch.seq(), config.hiddenSize(), full), batch, TOL);
            }
        }
    }
}

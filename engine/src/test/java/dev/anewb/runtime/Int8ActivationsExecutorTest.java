package dev.anewb.runtime;

import dev.anewb.convert.Converter;
import dev.anewb.io.SafetensorsFile;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.Op;
import dev.anewb.model.TensorData;
import dev.anewb.model.WeightRole;
import dev.anewb.model.arch.Architectures;
import dev.anewb.testing.Fixtures;
import dev.anewb.testing.References;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The executor's W8A8 projections on bert-tiny, in both layouts: every linear the converter chose must compute
 * W·x' + b with x' = clamp(rint(x / s), −128, 127)·s of the input it received, recomputed here in double from the
 * stored weights; every other linear x itself.
 */
class Int8ActivationsExecutorTest {
    @ParameterizedTest
    @EnumSource(Conversion.Layout.class)
    void everyChosenProjectionReadsItsInputFakeQuantized(Conversion.Layout layout) {
        Path dir = Fixtures.fixture("bert-tiny");
        try (SafetensorsFile weights = SafetensorsFile.open(dir.resolve("model.safetensors"));
             SafetensorsFile ref = SafetensorsFile.open(dir.resolve("reference.safetensors"))) {
            ModelGraph original = Architectures.graph(Architectures.readConfig(dir.resolve("config.json")),
                    new Architectures.GraphOptions(weights::contains, true));
            Conversion c = Conversion.ORIGINAL.withLayout(layout).withActivations(Conversion.Activations.INT8);
            ModelGraph marked = Converter.convert(original, c).graph();
            // Scales small enough that the largest inputs clamp (the LayerNorm outputs reach beyond 2).
            Map<String, Float> scales = new HashMap<>();
            int i = 0;
            for (Op op : marked.ops()) {
                if (op instanceof Op.Linear l && l.inputQuant() != null) {
                    scales.put(l.name(), Op.InputQuant.calibrated(1.5 + 0.25 * i++).scale());
                }
            }
            long projections = original.ops().stream().filter(o -> o instanceof Op.Linear l
                    && original.weights().get(l.weight()).role() == WeightRole.PROJECTION).count();
            assertTrue(projections >= 2 * 6, "q, k, v, attention output, intermediate, output in both layers");
            assertEquals(projections, scales.size());
            ModelGraph g = Converter.calibrate(marked, scales);
            Batch batch = References.batch(ref, "");
            assertThrows(IllegalStateException.class, () -> new Executor(marked, weights).run(batch, JobContext.NONE));

            Set<String> observed = new HashSet<>();
            List<Op.Linear> linears = g.ops().stream().filter(o -> o instanceof Op.Linear).map(o -> (Op.Linear) o)
                    .toList();
            for (Op.Linear l : linears) {
                observed.add(l.input());
                observed.add(l.output());
            }
            Map<String, float[]> seen = new LinkedHashMap<>();
            // arrays are reused by later ops: keep copies
            new Executor(g, weights).run(batch, observed, (v, a) -> seen.put(v, a.data().clone()), JobContext.NONE);
            int clamped = 0;
            for (Op.Linear l : linears) {
                float[] x = seen.get(l.input()), y = seen.get(l.output());
                assertTrue(x != null && y != null, l.name());
                boolean chosen = g.weights().get(l.weight()).role() == WeightRole.PROJECTION;
                assertEquals(chosen, l.inputQuant() != null, l.name());
                double s = l.inputQuant() == null ? 0 : l.inputQuant().scale();
                double[] xq = new double[x.length];
                for (int j = 0; j < x.length; j++) {
                    if (s == 0) {
                        xq[j] = x[j];
                        continue;
                    }
                    double q = Math.rint(x[j] / s);
                    if (q < -128 || q > 127) clamped++;
                    xq[j] = Math.max(-128, Math.min(127, q)) * s;
                }
                double[] expect = linear(weights.get(l.weight()), l.bias() == null ? null : weights.get(l.bias()), xq,
                        l.in(), l.out());
                double max = 0, err = 0;
                for (int j = 0; j < y.length; j++) {
                    max = Math.max(max, Math.abs(expect[j]));
                    err = Math.max(err, Math.abs(expect[j] - y[j]));
                }
                assertTrue(err <= 1e-5 * Math.max(1, max), l.name() + " (" + layout + "): max |diff| " + err);
            }
            assertTrue(clamped > 0, "some inputs beyond the range must have been clamped");
        }
    }

    /** y = W x + b per token, in double, from the stored [out, in] weight. */
    private static double[] linear(TensorData w, TensorData b, double[] x, int in, int out) {
        float[] wf = w.toFloatArray(), bf = b == null ? null : b.toFloatArray();
        int tokens = x.length / in;
        double[] y = new double[tokens * out];
        for (int t = 0; t < tokens; t++) {
            for (int o = 0; o < out; o++) {
                double acc = bf == null ? 0 : bf[o];
                for (int k = 0; k < in; k++) acc += (double) wf[o * in + k] * x[t * in + k];
                y[t * out + o] = acc;
            }
        }
        return y;
    }
}

package dev.anewb.api;

import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.Op;
import dev.anewb.model.WeightRole;
import dev.anewb.runtime.Activation;
import dev.anewb.runtime.Executor;
import dev.anewb.runtime.RunResult;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * W8A8's calibration, as coremltools' {@code linear_quantize_activations} does it: run the model on sample inputs and
 * keep each quantized tensor's range. Here the FP32 original runs once on the sample and every projection input's
 * max |x| is kept, over the valid positions only (attention_mask = 1): coremltools calibrates each sample at its own
 * length, and a padded position's values are ones nothing reads.
 *
 * <p>Why the FP32 original and not the converted model: coremltools' recipe calibrates the float model before its
 * weights are compressed ({@code linear_quantize_activations}, then {@code linear_quantize_weights}); and one set of
 * ranges per model and sample gives every conversion of it — the drift causes too — the same scales, so the cause
 * "activations" measures exactly the quantization the full conversion applies. FP16 would change a range by at most
 * one FP16 step, which the scale's own FP16 rounding already spans.
 *
 * @param maxAbs projection input value → max |x|
 * @param run    the calibration run's taps (the FP32 reference of the sample, which drift needs anyway)
 */
record ActivationRanges(Map<String, Double> maxAbs, RunResult run) {

    static ActivationRanges measure(Executor original, Batch sample, JobContext ctx) {
        ModelGraph g = original.graph();
        Set<String> inputs = new HashSet<>();
        for (Op op : g.ops()) {
            if (op instanceof Op.Linear l && g.weights().get(l.weight()).role() == WeightRole.PROJECTION) {
                inputs.add(l.input());
            }
        }
        Map<String, Double> max = new HashMap<>();
        RunResult run = original.run(sample, inputs, (value, a) -> max.merge(value, maxAbs(a, sample), Math::max), ctx);
        return new ActivationRanges(Map.copyOf(max), run);
    }

    /** max |x| over the valid positions: a value with the batch's positions skips those with attention_mask 0. */
    static double maxAbs(Activation a, Batch in) {
        boolean masked = a.length() > 1 && a.length() == in.seq();
        double max = 0;
        float[] d = a.data();
        for (int b = 0; b < a.batch(); b++) {
            for (int t = 0; t < a.length(); t++) {
                if (masked && in.mask()[b][t] == 0) continue;
                int o = (b * a.length() + t) * a.channels();
                for (int c = 0; c < a.channels(); c++) max = Math.max(max, Math.abs(d[o + c]));
            }
        }
        return max;
    }

    /** Op name → INT8 input scale of every linear {@code converted} quantizes the input of. */
    Map<String, Float> scales(ModelGraph converted) {
        Map<String, Float> s = new LinkedHashMap<>();
        for (Op op : converted.ops()) {
            if (!(op instanceof Op.Linear l) || l.inputQuant() == null) continue;
            Double m = maxAbs.get(l.input());
            if (m == null) {
                throw new IllegalStateException("calibration did not see " + l.input() + ", input of " + l.name());
            }
            s.put(l.name(), Op.InputQuant.calibrated(m).scale());
        }
        return s;
    }
}

package dev.anewb.drift;

import java.util.List;
import java.util.Map;

/**
 * Drift of one converted configuration against the FP32 original on the same input: per-tap metrics in
 * graph order, the task-level metrics where the model has a head, and per cause the per-tap metrics of the
 * configuration with only that change applied (empty unless attribution was asked for).
 */
public record DriftReport(List<TapMetrics> taps, Map<String, Double> task, Map<Cause, List<TapMetrics>> byCause) {

    /**
     * One change at a time (spec/drift.md "attribution by cause"); QUANTIZATION is the weights', ACTIVATIONS the INT8
     * inputs of the projections (W8A8).
     */
    public enum Cause {
        QUANTIZATION("quantization"), FP16("fp16"), CHUNKING("chunking"), LAYOUT("layout"), ACTIVATIONS("activations"),
        ALL("all");

        private final String label;

        Cause(String label) { this.label = label; }

        public String label() { return label; }
    }

    public TapMetrics tap(String name) {
        for (TapMetrics t : taps) if (t.name().equals(name)) return t;
        throw new IllegalArgumentException("no tap " + name);
    }

    /** The last hidden-state tap (the model's output before any head). */
    public TapMetrics lastHidden() {
        TapMetrics last = null;
        for (TapMetrics t : taps) if (t.name().startsWith("hidden_states.")
                || t.name().startsWith("encoder_hidden_states.")) last = t;
        return last;
    }
}

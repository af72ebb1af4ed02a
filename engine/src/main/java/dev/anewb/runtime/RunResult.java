package dev.anewb.runtime;

import dev.anewb.model.Batch;

import java.util.Map;

/**
 * The taps of one forward pass (transformers naming: hidden_states.i, pooler_output, ...) with the batch
 * that produced them, so that metrics can skip padding.
 */
public record RunResult(Batch batch, Map<String, Activation> taps, long nanos) {
    public Activation tap(String name) {
        Activation a = taps.get(name);
        if (a == null) throw new IllegalArgumentException("no tap " + name + " (have " + taps.keySet() + ")");
        return a;
    }
}

package dev.anewb.app.model;

import dev.anewb.app.shell.AreaViewModel;

import java.util.List;

/** State of the Model area. Until models load it only describes what the area will hold. */
public final class ModelViewModel extends AreaViewModel {
    public ModelViewModel() {
        super("Model",
                "The loaded model as one graph of ops: its architecture and config, every layer's ops with their inputs, outputs, weights, FLOPs and bytes, and the named taps where activations are compared.",
                List.of("Architecture, config.json fields and parameter count",
                        "Ops per layer with tensor shapes and data types",
                        "FLOPs and bytes moved per op",
                        "Named taps (hidden_states.i) that Drift compares"),
                "Load a model to inspect its graph.");
    }
}

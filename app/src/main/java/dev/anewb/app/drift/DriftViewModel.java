package dev.anewb.app.drift;

import dev.anewb.app.shell.AreaViewModel;

import java.util.List;

/** State of the Drift area. Until models load it only describes what the area will hold. */
public final class DriftViewModel extends AreaViewModel {
    public DriftViewModel() {
        super("Drift",
                "Per-layer accuracy drift of the converted model against the FP32 original: SQNR, cosine, rel. L2 and max-abs per tap, attributed by cause (quantization, FP16, chunking, layout).",
                List.of("Drift per tap across all layers, measured on the CPU executor",
                        "Attribution by cause: quantization, FP16, chunking, layout",
                        "The tensors that drift most, with the input that shows it"),
                "Load a model to measure it.");
    }
}

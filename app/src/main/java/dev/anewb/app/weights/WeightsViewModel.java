package dev.anewb.app.weights;

import dev.anewb.app.shell.AreaViewModel;

import java.util.List;

/** State of the Weights area. Until models load it only describes what the area will hold. */
public final class WeightsViewModel extends AreaViewModel {
    public WeightsViewModel() {
        super("Weights",
                "Weight distributions before and after block INT8 quantization: histograms per tensor, the scale and zero point of every block, and the error each block introduces.",
                List.of("Histogram of each weight tensor",
                        "Heatmap of per-block scales",
                        "Quantization error per block"),
                "Load a model to inspect its weights.");
    }
}

package dev.anewb.app.run;

import dev.anewb.app.shell.AreaViewModel;

import java.util.List;

/** State of the Run area. Until models load it only describes what the area will hold. */
public final class RunViewModel extends AreaViewModel {
    public RunViewModel() {
        super("Run",
                "Run the original and the converted model side by side on your own input (text, image or audio) with the CPU executor, and compare their outputs, embeddings and generated tokens.",
                List.of("Input editor for text, images and audio",
                        "Outputs of both models side by side",
                        "Time taken by each forward pass"),
                "Load a model to run it.");
    }
}

package dev.anewb.app.export;

import dev.anewb.app.shell.AreaViewModel;

import java.util.List;

/** State of the Export area. Until models load it only describes what the area will hold. */
public final class ExportViewModel extends AreaViewModel {
    public ExportViewModel() {
        super("Export",
                "Write the converted model as an .anepkg package or as ONNX, together with a report of the conversion settings and the drift measured for them.",
                List.of(".anepkg package for deployment",
                        "ONNX graph",
                        "Conversion report with the measured drift"),
                "Load and convert a model to export it.");
    }
}

package dev.anewb.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anewb.AnewbException;
import dev.anewb.ane.ChipProfiles;
import dev.anewb.ane.LayoutCatalog;
import dev.anewb.ane.LayoutPng;
import dev.anewb.ane.TensorLayout;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.OwnInputs;
import dev.anewb.model.ModelGraph;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/** {@code anewb layout}: how one tensor sits in ANE memory (64-byte rows, strides, padding, owners). */
@Command(name = "layout", mixinStandardHelpOptions = true,
        description = {"Strides, 64-byte rows, bytes used vs allocated and padding of one tensor in the converted "
                + "layout.",
                "NAME: a value (layers.0.q), its per-head split (layers.0.q.heads), a weight by its Hugging Face name",
                "(with .q/.scale/.zero_point when INT8), or an attention op's scores (layers.0.context.scores)."})
public final class LayoutCommand implements Runnable {
    @Parameters(index = "0", paramLabel = "MODEL", description = "A folder with a config.json, or a config.json.")
    String model;

    @Option(names = "--tensor", required = true, paramLabel = "NAME", description = "The tensor to show.")
    String tensor;

    @Mixin ConversionOptions conversion;

    @Option(names = "--seq", paramLabel = "N", defaultValue = "128",
            description = "Sequence length (default ${DEFAULT-VALUE}).")
    int seq;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "1", description = "Batch size (default 1).")
    int batch;

    @Option(names = "--json", description = "JSON output.")
    boolean json;

    @Option(names = "--png", paramLabel = "FILE", description = "Draw the 64-byte rows into a PNG.")
    Path png;

    @Spec CommandSpec spec;

    @Override public void run() {
        if (seq < 1 || batch < 1) throw AnewbException.usage("--seq and --batch must be at least 1");
        ModelGraph graph;
        try (LoadedModel m = PlanningModels.load(model)) {
            if (png != null) OwnInputs.of(m).refuseOutput("--png", png);
            graph = m.graph();
        }
        TensorLayout t = LayoutCatalog.find(graph, conversion.toConversion(PlanCommand.DEFAULTS), batch, seq, tensor,
                ChipProfiles.load().constants());
        PrintWriter out = spec.commandLine().getOut();
        if (png != null) {
            try {
                LayoutPng.write(t, png);
            } catch (IOException e) {
                throw AnewbException.file(png, "cannot write PNG (" + e.getMessage() + ")");
            }
        }
        if (json) {
            ObjectNode n = new ObjectMapper().createObjectNode();
            n.put("name", t.name());
            n.put("description", t.description());
            n.putPOJO("shape", t.shape());
            n.put("element_bytes", t.elementBytes());
            n.putPOJO("strides_bytes", t.strides());
            n.put("rows", t.rows());
            n.put("row_bytes_used", t.rowBytesUsed());
            n.put("row_bytes_allocated", t.rowBytesAllocated());
            n.put("bytes_used", t.bytesUsed());
            n.put("bytes_allocated", t.bytesAllocated());
            n.put("padding_bytes", t.paddingBytes());
            n.put("row_owner", t.rowGroups().none() ? null : t.rowGroups().label() + " = (row / "
                    + t.rowGroups().period() + ")"
                            + (t.rowGroups().count() > 0 ? " mod " + t.rowGroups().count() : ""));
            n.put("column_owner", t.columnGroups().none() ? null : t.columnGroups().label() + " = (element / "
                    + t.columnGroups().period() + ")"
                            + (t.columnGroups().count() > 0 ? " mod " + t.columnGroups().count() : ""));
            try {
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(n));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        } else {
            out.println(t.name() + ": " + t.description());
            out.println("  shape " + t.shapeText() + ", " + t.elementBytes() + " B/element, last axis contiguous");
            out.println("  strides (bytes) " + Arrays.toString(t.strides()));
            out.printf(Locale.ROOT, "  %d rows of %d B used -> %d B allocated (64-byte aligned)%n", t.rows(),
                    t.rowBytesUsed(), t.rowBytesAllocated());
            out.printf(Locale.ROOT, "  bytes used %d, allocated %d, padding %d (%.1f%%, %.2fx)%n", t.bytesUsed(),
                    t.bytesAllocated(), t.paddingBytes(),
                    100.0 * t.paddingBytes() / Math.max(1, t.bytesAllocated()), t.wasteFactor());
            if (!t.rowGroups().none()) out.printf(Locale.ROOT, "  rows owned by %s: %d consecutive rows each%n",
                    t.rowGroups().label(), t.rowGroups().period());
            if (!t.columnGroups().none()) out.printf(Locale.ROOT, "  each row split by %s: %d elements each%n",
                    t.columnGroups().label(), t.columnGroups().period());
            if (png != null) out.println("  drawn to " + png);
        }
        out.flush();
    }
}

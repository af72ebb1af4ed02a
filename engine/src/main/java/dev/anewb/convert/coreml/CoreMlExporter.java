package dev.anewb.convert.coreml;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anewb.AnewbException;
import dev.anewb.Version;
import dev.anewb.io.AtomicFiles;
import dev.anewb.job.JobContext;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.WeightSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a converted model as a Core ML ML Program package ({@code .mlpackage}), laid out as coremltools writes one:
 * <pre>
 * X.mlpackage/Manifest.json
 * X.mlpackage/Data/com.apple.CoreML/model.mlmodel        the Model protobuf holding the MLProgram (MlModelSpec)
 * X.mlpackage/Data/com.apple.CoreML/weights/weight.bin   the MIL blob storage file (WeightBlobFile)
 * </pre>
 * The program is the converted graph op for op ({@link ProgramTranslator}). Everything is written into a temporary
 * sibling folder and renamed into place, so a failed or cancelled export leaves nothing behind.
 * <pre>{@code
 * try (ConvertedModel m = ConvertedModel.open("bundled:all-MiniLM-L6-v2", Conversion.ANE_DEFAULT, JobContext.NONE)) {
 *     CoreMlPreview p = m.coreMlPreview(CoreMlOptions.DEFAULT);
 *     m.writeCoreMl(Path.of("minilm.mlpackage"), CoreMlOptions.DEFAULT, JobContext.NONE);
 * }
 * }</pre>
 */
public final class CoreMlExporter {
    static final String DATA = "Data/com.apple.CoreML";
    static final String MODEL = DATA + "/model.mlmodel";
    static final String WEIGHTS = DATA + "/weights/weight.bin";
    static final String MANIFEST = "Manifest.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private CoreMlExporter() { }

    /** The valid INT8 block sizes for a model (the conversion panel's hint; see {@link CoreMlBlockSizes}). */
    public static CoreMlBlockSizes validBlockSizes(ModelGraph graph) {
        return CoreMlBlockSizes.of(graph);
    }

    /** What {@link #export} would write, without writing or reading any weight. */
    public static CoreMlPreview preview(ModelGraph graph, WeightSource weights, CoreMlOptions options) {
        Planned p = plan(graph, weights, options);
        return p.preview;
    }

    /**
     * Writes {@code graph} with {@code weights} to {@code out} (an {@code .mlpackage} folder). Refuses, in one line and
     * before writing anything, an existing target without {@code force}, a missing or unwritable folder, and
     * anything the program cannot express (architecture, op, block size, a minimum OS below what the ops need).
     */
    public static CoreMlPreview export(ModelGraph graph, WeightSource weights, CoreMlOptions options, Path out,
                                       JobContext ctx) {
        Path target = out.toAbsolutePath().normalize();
        if (Files.exists(target) && !options.force()) {
            throw AnewbException.usage(target + ": already exists (use --force to replace it)");
        }
        Path parent = target.getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw AnewbException.file(target, "its folder does not exist");
        }
        if (!Files.isWritable(parent)) throw AnewbException.file(parent, "folder is not writable");
        ctx.progress(0, "planning the Core ML program");
        Planned p = plan(graph, weights, options);
        Path tmp = null;
        try {
            // also deletes what a killed export of the same target left behind
            tmp = AtomicFiles.tempFolderBeside(target);
            Files.createDirectories(tmp.resolve(WEIGHTS).getParent());
            p.program.blobs().write(tmp.resolve(WEIGHTS), ctx.slice(0, 0.97));
            ctx.checkCancelled();
            ctx.progress(0.98, "writing the model spec");
            Files.write(tmp.resolve(MODEL), p.spec);
            Files.writeString(tmp.resolve(MANIFEST), manifest(), StandardCharsets.UTF_8);
            ctx.checkCancelled();
            AtomicFiles.replaceFolder(tmp, target);
            ctx.progress(1, "wrote " + target.getFileName());
            return p.preview;
        } catch (IOException e) {
            AtomicFiles.deleteTree(tmp);
            throw AnewbException.file(target, "cannot write the Core ML package (" + AnewbException.reason(e) + ")", e);
        } catch (RuntimeException | Error e) {
            AtomicFiles.deleteTree(tmp);
            throw e;
        }
    }

    /** The program, its serialized spec and the preview computed from them. */
    private record Planned(ProgramTranslator.Program program, byte[] spec, CoreMlPreview preview) { }

    private static Planned plan(ModelGraph graph, WeightSource weights, CoreMlOptions options) {
        if (graph.conversion().isOriginal()) {
            throw new AnewbException("the Core ML export takes a converted model, not an original graph");
        }
        ProgramTranslator.Program program = ProgramTranslator.translate(graph, weights, options);
        MlModelSpec.Metadata metadata = metadata(graph, options, program);
        List<String> outputNames = program.outputs().stream().map(MlModelSpec.Feature::name).toList();
        CoreMlTarget target = program.target();
        byte[] spec = MlModelSpec.serialize(target.specificationVersion, target.opset, program.inputs(),
                program.outputs(), metadata, program.block(), outputNames);
        int computing = 0;
        for (MilOperation op : program.block().operations()) {
            if (!op.type().equals("const") && !op.type().startsWith("constexpr_")) computing++;
        }
        long weightBytes = program.blobs().size();
        long packageBytes = weightBytes + spec.length + manifest().length();
        List<String> inputs = program.inputs().stream().map(CoreMlExporter::describe).toList();
        List<String> outputs = program.outputs().stream().map(CoreMlExporter::describe).toList();
        CoreMlPreview preview = new CoreMlPreview(packageBytes, weightBytes, computing, target,
                program.block().histogram(), inputs, outputs, program.notes());
        return new Planned(program, spec, preview);
    }

    private static String describe(MlModelSpec.Feature f) {
        StringBuilder b = new StringBuilder(f.name()).append(' ').append(f.dtype().castName).append(" [");
        for (int i = 0; i < f.shape().length; i++) {
            if (i > 0) b.append(", ");
            int axis = i;
            switch (f.flexibility()) {
                case MlModelSpec.Flexibility.Range r when r.axis() == axis ->
                        b.append(r.min()).append("..").append(r.max());
                case MlModelSpec.Flexibility.Enumerated e when e.axis() == axis ->
                        b.append(String.join("|", Arrays.stream(e.sizes()).mapToObj(String::valueOf).toList()));
                case null, default -> b.append(f.shape()[i]);
            }
        }
        return b.append(']').toString();
    }

    private static MlModelSpec.Metadata metadata(ModelGraph graph, CoreMlOptions options,
                                                 ProgramTranslator.Program program) {
        Conversion c = graph.conversion();
        String settings = settings(c);
        Map<String, String> user = new LinkedHashMap<>();
        user.put("dev.anewb.producer", "ANE Workbench " + Version.get());
        user.put("dev.anewb.model_type", graph.config().modelType());
        user.put("dev.anewb.architecture", graph.config().architecture());
        user.put("dev.anewb.conversion", settings);
        user.put("dev.anewb.layout", c.layout().name());
        user.put("dev.anewb.precision", c.precision().name());
        String scheme = c.symmetric() ? "symmetric" : "asymmetric";
        user.put("dev.anewb.int8", c.int8() ? scheme + " block " + c.blockSize() : "off");
        user.put("dev.anewb.chunk_window", String.valueOf(c.chunkWindow()));
        user.put("dev.anewb.chunk_overlap", String.valueOf(c.chunkOverlap()));
        user.put("dev.anewb.activations", c.activations().name().toLowerCase(Locale.ROOT));
        CoreMlOptions.Sequence s = options.sequence();
        user.put("dev.anewb.sequence", s.text());
        user.put("dev.anewb.io", options.fp16Io() ? "fp16" : "fp32");
        for (var e : options.driftSummary().entrySet()) user.put("dev.anewb.drift." + e.getKey(), e.getValue());
        List<String> notes = new ArrayList<>(program.notes());
        String description = graph.config().architecture() + " converted by ANE Workbench (" + settings + ")";
        if (!notes.isEmpty()) user.put("dev.anewb.notes", String.join("; ", notes));
        return new MlModelSpec.Metadata(description, Version.get(), "ANE Workbench", options.license(), user);
    }

    /** "INT8 block 128, FP16, BC1S(, INT8 activations)" — the conversion in the words the workbench uses. */
    static String settings(Conversion c) {
        List<String> parts = new ArrayList<>();
        if (c.int8()) parts.add("INT8 " + (c.symmetric() ? "symmetric " : "") + "block " + c.blockSize());
        parts.add(c.precision().name());
        parts.add(c.layout().name());
        if (c.chunked()) parts.add("chunk window " + c.chunkWindow() + " overlap " + c.chunkOverlap());
        if (c.quantizesActivations()) parts.add("INT8 activations");
        return String.join(", ", parts);
    }

    /** Manifest.json as coremltools writes it: the spec and the weights folder as items, the spec the root model. */
    static String manifest() {
        ObjectNode root = JSON.createObjectNode();
        root.put("fileFormatVersion", "1.0.0");
        ObjectNode items = root.putObject("itemInfoEntries");
        // Fixed identifiers: the same model always gives the same manifest (coremltools draws random ones).
        String weightsId = "5C1E3A4D-0B6F-4E2A-9D7C-2F1B0A9E8D61", modelId = "7A2F4C1B-3E5D-4B6A-8C9E-1D0F2A3B4C5D";
        ObjectNode w = items.putObject(weightsId);
        w.put("author", "com.apple.CoreML");
        w.put("description", "CoreML Model Weights");
        w.put("name", "weights");
        w.put("path", "com.apple.CoreML/weights");
        ObjectNode m = items.putObject(modelId);
        m.put("author", "com.apple.CoreML");
        m.put("description", "CoreML Model Specification");
        m.put("name", "model.mlmodel");
        m.put("path", "com.apple.CoreML/model.mlmodel");
        root.put("rootModelIdentifier", modelId);
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}

package dev.anewb.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anewb.AnewbException;
import dev.anewb.Version;
import dev.anewb.convert.AnePackage;
import dev.anewb.drift.DriftJson;
import dev.anewb.drift.DriftReport;
import dev.anewb.io.AtomicFiles;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.SafetensorsWriter;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.model.DType;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.TensorData;
import dev.anewb.model.WeightInfo;
import dev.anewb.quant.BlockQuantizer;
import dev.anewb.quant.Int8BlockWeight;
import dev.anewb.runtime.Activation;
import dev.anewb.runtime.RunResult;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes a converted model as an {@link AnePackage} (its layout is described there): the weights in the package's
 * layout, the FP32 reference taps and the sample input, copies of the source's config and tokenizer files, and the
 * manifest with the drift measured on the sample. Written into a hidden temporary folder beside the target and
 * renamed at the end: an interrupted conversion leaves no package (and an existing package intact unless
 * {@code force} replaced it).
 */
final class AnePackageWriter {
    private static final List<String> COPIED = List.of("config.json", "tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "preprocessor_config.json", "generation_config.json", "modules.json",
            "sentence_bert_config.json");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private AnePackageWriter() { }

    /**
     * Writes {@code converted} (a graph of {@code source} rewritten by {@code Converter}) to {@code out}.
     *
     * @param drift       the drift measured on {@code sample}, recorded in the manifest
     * @param reference   the FP32 original's taps on {@code sample}
     * @param planSummary optional simulator totals (may be null)
     */
    static Path write(LoadedModel source, ModelGraph converted, List<String> warnings, Batch sample,
            List<String> sampleTexts,
                             RunResult reference, DriftReport drift, JsonNode planSummary, Path out, boolean force,
                                     JobContext ctx) {
        Path target = out.toAbsolutePath().normalize();
        if (Files.exists(target) && !force) throw AnewbException.usage(target
                + ": already exists (use --force to replace it)");
        Path parent = target.getParent();
        if (parent == null || !Files.isDirectory(parent)) throw AnewbException.file(target,
                "its folder does not exist");
        if (!Files.isWritable(parent)) throw AnewbException.file(parent, "folder is not writable");
        Path tmp = null;
        try {
            // also deletes what a killed conversion of the same target left behind
            tmp = AtomicFiles.tempFolderBeside(target);
            ctx.progress(0.05, "writing weights");
            long params = writeWeights(source, converted, tmp.resolve(AnePackage.WEIGHTS), ctx.slice(0.05, 0.8));
            ctx.checkCancelled();
            ctx.progress(0.85, "writing reference taps");
            SafetensorsWriter ref = new SafetensorsWriter();
            for (Map.Entry<String, Activation> e : reference.taps().entrySet()) ref.addFloats(e.getKey(),
                    e.getValue().shape(), e.getValue().data());
            ref.write(tmp.resolve(AnePackage.REFERENCE));
            if (!sample.features().isEmpty()) writeSampleInput(sample, tmp.resolve(AnePackage.SAMPLE_INPUT));
            for (String f : COPIED) {
                Path src = source.folder().resolve(f);
                if (Files.isRegularFile(src)) Files.copy(src, tmp.resolve(f));
            }
            ctx.progress(0.9, "writing manifest");
            ObjectNode manifest = manifest(source, converted, warnings, sample, sampleTexts, drift, planSummary,
                    params);
            Files.writeString(tmp.resolve(AnePackage.MANIFEST), JSON.writeValueAsString(manifest));
            ctx.checkCancelled();
            AtomicFiles.replaceFolder(tmp, target);
            ctx.progress(1, "wrote " + target.getFileName());
            return target;
        } catch (IOException e) {
            AtomicFiles.deleteTree(tmp);
            throw AnewbException.file(target, "cannot write the package (" + e.getMessage() + ")", e);
        } catch (RuntimeException | Error e) {
            AtomicFiles.deleteTree(tmp);
            throw e;
        }
    }

    private static long writeWeights(LoadedModel source, ModelGraph g, Path file, JobContext ctx) {
        SafetensorsWriter w = new SafetensorsWriter();
        boolean fp16 = g.conversion().precision() == Conversion.Precision.FP16;
        int i = 0, n = g.weights().size();
        long params = 0;
        for (WeightInfo info : g.weights().values()) {
            ctx.checkCancelled();
            ctx.progress(i++ / (double) n, info.name());
            params += info.elements();
            TensorData t = source.weights().get(info.name());
            if (info.quant() != null) {
                Int8BlockWeight q = BlockQuantizer.of(info.quant()).quantize(t, info);
                long[] qs = {q.rows(), q.k()}, ss = {q.rows(), q.blocksPerRow()};
                w.addBytes(info.name() + ".q", DType.I8, qs, q.q());
                w.addShorts(info.name() + ".scale", DType.F16, ss, q.scaleF16());
                w.addBytes(info.name() + ".zero_point", DType.I8, ss, q.zeroPoint());
                continue;
            }
            float[] v = t.toFloatArray();
            long[] shape = info.shape();
            if (info.storedTransposed()) {
                int rows = t.dim(0), cols = t.dim(1);
                float[] tr = new float[v.length];
                for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) tr[c * rows + r] = v[r * cols + c];
                v = tr;
            } else {
                shape = t.shape();
            }
            if (fp16) {
                short[] h = new short[v.length];
                for (int k = 0; k < v.length; k++) h[k] = Float.floatToFloat16(v[k]);
                w.addShorts(info.name(), DType.F16, shape, h);
            } else {
                w.addFloats(info.name(), shape, v);
            }
        }
        w.metadata("format", AnePackage.FORMAT);
        w.write(file);
        return params;
    }

    private static ObjectNode manifest(LoadedModel source, ModelGraph g, List<String> warnings, Batch sample,
            List<String> sampleTexts,
                                       DriftReport drift, JsonNode plan, long params) throws IOException {
        ObjectNode m = JSON.createObjectNode();
        m.put("format", AnePackage.FORMAT);
        m.put("format_version", AnePackage.FORMAT_VERSION);
        m.put("tool", "anewb " + Version.get());
        m.put("created", Instant.now().toString());
        ObjectNode src = m.putObject("source");
        src.put("model", source.ref().text());
        src.put("path", source.folder().toString());
        if (source.ref().revision() != null) src.put("revision", source.ref().revision());
        src.put("weights_sha256", weightsSha256(source));
        m.put("architecture", g.config().architecture());
        m.put("model_type", g.config().modelType());
        m.put("parameters", params);
        m.put("sentence_embedding", g.taps().containsKey("sentence_embedding"));
        m.set("config", g.config().raw());
        m.set("conversion", AnePackage.conversionJson(g.conversion()));
        if (g.conversion().quantizesActivations()) m.set("activation_scales", AnePackage.activationScalesJson(g));
        ArrayNode tensors = m.putArray("tensors");
        for (WeightInfo info : g.weights().values()) {
            ObjectNode t = tensors.addObject();
            t.put("name", info.name());
            t.put("role", info.role().name().toLowerCase());
            ArrayNode shape = t.putArray("shape");
            for (long d : info.shape()) shape.add(d);
            if (info.quant() != null) {
                t.put("dtype", "I8");
                ObjectNode q = t.putObject("quantization");
                q.put("scheme", info.quant().symmetric() ? "symmetric" : "asymmetric");
                q.put("block_size", info.quant().blockSize());
                q.put("axis", 1);
                q.put("scale_dtype", "F16");
                q.put("zero_point_dtype", "I8");
            } else {
                t.put("dtype", g.conversion().precision() == Conversion.Precision.FP16 ? "F16" : "F32");
            }
        }
        ObjectNode d = m.putObject("drift");
        ObjectNode input = d.putObject("sample_input");
        if (sampleTexts != null) {
            ArrayNode texts = input.putArray("texts");
            sampleTexts.forEach(texts::add);
        }
        if (!sample.features().isEmpty()) {
            // Images and audio do not fit a JSON manifest: the tensors sit in their own file, named here with their
            // shapes.
            input.put("file", AnePackage.SAMPLE_INPUT);
            ObjectNode features = input.putObject("features");
            sample.features().forEach((name, f) -> {
                ArrayNode shape = features.putArray(name);
                for (long dim : f.shape()) shape.add(dim);
            });
        }
        input.put("tokens", sample.seq());
        if (sample.ids() != null) {
            ArrayNode ids = input.putArray("ids");
            for (long[] row : sample.ids()) {
                ArrayNode r = ids.addArray();
                for (long v : row) r.add(v);
            }
        }
        ArrayNode mask = input.putArray("attention_mask");
        for (int[] row : sample.mask()) {
            ArrayNode r = mask.addArray();
            for (int v : row) r.add(v);
        }
        d.set("taps", DriftJson.taps(drift.taps()));
        ObjectNode task = d.putObject("task");
        drift.task().forEach(task::put);
        if (plan != null) m.set("plan", plan);
        ArrayNode warn = m.putArray("warnings");
        warnings.forEach(warn::add);
        return m;
    }


    /** SHA-256 over the source's weight files in name order (the identity of what was converted). */
    static String weightsSha256(LoadedModel source) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(source.folder())) {
            files = s.filter(p -> {
                String n = p.getFileName().toString();
                return n.endsWith(".safetensors") || n.endsWith(".onnx");
            }).sorted().toList();
        }
        byte[] buf = new byte[1 << 20];
        for (Path f : files) {
            try (InputStream in = Files.newInputStream(f)) {
                for (int r; (r = in.read(buf)) > 0; ) md.update(buf, 0, r);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** The sample's float inputs and (when it has ids) decoder ids and mask, in transformers' shapes. */
    private static void writeSampleInput(Batch sample, Path file) {
        SafetensorsWriter w = new SafetensorsWriter();
        sample.features().forEach((name, f) -> w.addFloats(name, f.shape(), f.data()));
        if (sample.ids() != null) {
            long[] shape = {sample.batch(), sample.seq()};
            ByteBuffer ids = ByteBuffer.allocate(sample.batch() * sample.seq() * 8).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer mask = ByteBuffer.allocate(sample.batch() * sample.seq() * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (int b = 0; b < sample.batch(); b++) for (int t = 0; t < sample.seq(); t++) {
                ids.putLong(sample.ids()[b][t]);
                mask.putLong(sample.mask()[b][t]);
            }
            w.addBytes("input_ids", DType.I64, shape, ids.array());
            w.addBytes("attention_mask", DType.I64, shape, mask.array());
        }
        w.metadata("format", AnePackage.FORMAT);
        w.write(file);
    }
}

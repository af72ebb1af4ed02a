package dev.anewb.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anewb.AnewbException;
import dev.anewb.Version;
import dev.anewb.drift.DriftReport;
import dev.anewb.drift.TapMetrics;
import dev.anewb.io.AtomicFiles;
import dev.anewb.io.ContainedPaths;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.SafetensorsFile;
import dev.anewb.io.SafetensorsWriter;
import dev.anewb.job.JobContext;
import dev.anewb.model.Architectures;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelConfig;
import dev.anewb.model.ModelRef;
import dev.anewb.model.DType;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.TensorData;
import dev.anewb.model.WeightInfo;
import dev.anewb.runtime.Activation;
import dev.anewb.runtime.Batch;
import dev.anewb.runtime.RunResult;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The converted package, a folder {@code NAME.anepkg}: {@code manifest.json} (everything needed to rebuild and
 * check the converted graph), {@code weights.safetensors} (spec/quantization.md layout: {@code W.q} I8
 * [out, in], {@code W.scale} F16 [out, ceil(in/B)], {@code W.zero_point} I8; other tensors FP16 when the
 * conversion computes in FP16, else F32, projections in [out, in]), {@code reference.safetensors} (the FP32
 * original's taps on the built-in sample input, so a package can re-measure its own drift without its source),
 * {@code sample_input.safetensors} for vision and audio models (the sample's float inputs {@code pixel_values} /
 * {@code input_features} in transformers' shape, F32, and the decoder ids and mask as I64 when there are any;
 * referenced from the manifest's {@code drift.sample_input.file}), and copies of the source's config, tokenizer and
 * preprocessor files.
 *
 * <p>Written into a hidden temporary folder beside the target and renamed at the end: an interrupted
 * conversion leaves no package (and an existing package intact unless {@code force} replaced it).
 */
public final class AnePackage {
    public static final String FORMAT = "anepkg";
    public static final int FORMAT_VERSION = 1;
    static final String MANIFEST = "manifest.json";
    static final String WEIGHTS = "weights.safetensors";
    static final String REFERENCE = "reference.safetensors";
    static final String SAMPLE_INPUT = "sample_input.safetensors";
    private static final List<String> COPIED = List.of("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
            "preprocessor_config.json", "generation_config.json", "modules.json", "sentence_bert_config.json");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private AnePackage() { }

    /**
     * Writes {@code converted} (a graph of {@code source} rewritten by {@link Converter}) to {@code out}.
     *
     * @param drift       the drift measured on {@code sample}, recorded in the manifest
     * @param reference   the FP32 original's taps on {@code sample}
     * @param planSummary optional simulator totals (may be null)
     */
    public static Path write(LoadedModel source, ModelGraph converted, List<String> warnings, Batch sample, List<String> sampleTexts,
                             RunResult reference, DriftReport drift, JsonNode planSummary, Path out, boolean force, JobContext ctx) {
        Path target = out.toAbsolutePath().normalize();
        if (Files.exists(target) && !force) throw AnewbException.usage(target + ": already exists (use --force to replace it)");
        Path parent = target.getParent();
        if (parent == null || !Files.isDirectory(parent)) throw AnewbException.file(target, "its folder does not exist");
        if (!Files.isWritable(parent)) throw AnewbException.file(parent, "folder is not writable");
        Path tmp = null;
        try {
            // also deletes what a killed conversion of the same target left behind
            tmp = AtomicFiles.tempFolderBeside(target);
            ctx.progress(0.05, "writing weights");
            long params = writeWeights(source, converted, tmp.resolve(WEIGHTS), ctx.slice(0.05, 0.8));
            ctx.checkCancelled();
            ctx.progress(0.85, "writing reference taps");
            SafetensorsWriter ref = new SafetensorsWriter();
            for (Map.Entry<String, Activation> e : reference.taps().entrySet()) ref.addFloats(e.getKey(), e.getValue().shape(), e.getValue().data());
            ref.write(tmp.resolve(REFERENCE));
            if (!sample.features().isEmpty()) writeSampleInput(sample, tmp.resolve(SAMPLE_INPUT));
            for (String f : COPIED) {
                Path src = source.folder().resolve(f);
                if (Files.isRegularFile(src)) Files.copy(src, tmp.resolve(f));
            }
            ctx.progress(0.9, "writing manifest");
            ObjectNode manifest = manifest(source, converted, warnings, sample, sampleTexts, drift, planSummary, params);
            Files.writeString(tmp.resolve(MANIFEST), JSON.writeValueAsString(manifest));
            ctx.checkCancelled();
            replace(tmp, target);
            ctx.progress(1, "wrote " + target.getFileName());
            return target;
        } catch (IOException e) {
            deleteTree(tmp);
            throw AnewbException.file(target, "cannot write the package (" + e.getMessage() + ")", e);
        } catch (RuntimeException | Error e) {
            deleteTree(tmp);
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
        w.metadata("format", FORMAT);
        w.write(file);
        return params;
    }

    private static ObjectNode manifest(LoadedModel source, ModelGraph g, List<String> warnings, Batch sample, List<String> sampleTexts,
                                       DriftReport drift, JsonNode plan, long params) throws IOException {
        ObjectNode m = JSON.createObjectNode();
        m.put("format", FORMAT);
        m.put("format_version", FORMAT_VERSION);
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
        m.set("conversion", conversionJson(g.conversion()));
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
            // Images and audio do not fit a JSON manifest: the tensors sit in their own file, named here with their shapes.
            input.put("file", SAMPLE_INPUT);
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
        d.set("taps", tapsJson(drift.taps()));
        ObjectNode task = d.putObject("task");
        drift.task().forEach(task::put);
        if (plan != null) m.set("plan", plan);
        ArrayNode warn = m.putArray("warnings");
        warnings.forEach(warn::add);
        return m;
    }

    /** The drift JSON of spec/cli.md: name, sqnr_db (null when exact), cosine, rel_l2, max_abs. */
    public static ArrayNode tapsJson(List<TapMetrics> taps) {
        ArrayNode a = JSON.createArrayNode();
        for (TapMetrics t : taps) {
            ObjectNode o = a.addObject();
            o.put("name", t.name());
            if (t.exact()) o.putNull("sqnr_db");
            else o.put("sqnr_db", t.sqnrDb());
            o.put("cosine", t.cosine());
            o.put("rel_l2", t.relL2());
            o.put("max_abs", t.maxAbs());
        }
        return a;
    }

    public static ObjectNode conversionJson(Conversion c) {
        ObjectNode o = JSON.createObjectNode();
        o.put("layout", c.layout().name().toLowerCase());
        o.put("precision", c.precision().name().toLowerCase());
        o.put("quant", c.int8() ? "int8" : "none");
        o.put("block_size", c.blockSize());
        o.put("symmetric", c.symmetric());
        ArrayNode keep = o.putArray("keep_fp16");
        c.keepFp16().forEach(keep::add);
        ObjectNode ov = o.putObject("block_overrides");
        c.blockOverrides().forEach(ov::put);
        o.put("chunk_window", c.chunkWindow());
        o.put("chunk_overlap", c.chunkOverlap());
        return o;
    }

    public static Conversion conversionFrom(JsonNode o, Path file) {
        try {
            java.util.List<String> keep = new java.util.ArrayList<>();
            o.path("keep_fp16").forEach(k -> keep.add(k.asText()));
            java.util.Map<String, Integer> ov = new java.util.LinkedHashMap<>();
            o.path("block_overrides").properties().forEach(e -> ov.put(e.getKey(), e.getValue().asInt()));
            Conversion c = new Conversion(Conversion.Layout.valueOf(o.get("layout").asText().toUpperCase()),
                    Conversion.Precision.valueOf(o.get("precision").asText().toUpperCase()), "int8".equals(o.get("quant").asText()),
                    o.get("block_size").asInt(), o.get("symmetric").asBoolean(), keep, ov, o.get("chunk_window").asInt(), o.get("chunk_overlap").asInt());
            try {
                Converter.validate(c);
            } catch (AnewbException e) {
                // a setting the CLI would call a usage error is, in a manifest, a broken file
                throw AnewbException.file(file, "the \"conversion\" section is invalid: " + e.getMessage());
            }
            return c;
        } catch (NullPointerException | IllegalArgumentException e) {
            throw AnewbException.file(file, "the \"conversion\" section is incomplete or invalid (" + e.getMessage() + ")");
        }
    }

    /** SHA-256 over the source's weight files in name order (the identity of what was converted). */
    static String weightsSha256(LoadedModel source) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
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

    /** Moves tmp into place; an existing target (only with force) is moved aside first and deleted after. */
    private static void replace(Path tmp, Path target) throws IOException {
        Path old = null;
        if (Files.exists(target)) {
            // named as a temp of this process: if we are killed before deleting it, the next write cleans it
            old = target.resolveSibling("." + target.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-old" + Long.toHexString(System.nanoTime()));
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            if (old != null) Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
            throw e;
        }
        if (old != null) deleteTree(old);
    }

    static void deleteTree(Path p) {
        dev.anewb.io.AtomicFiles.deleteTree(p);
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }

    /** Reads the manifest of a package folder. */
    public static JsonNode readManifest(Path pkg) {
        Path f = pkg.resolve(MANIFEST);
        if (!Files.isRegularFile(f)) throw AnewbException.file(pkg, "not an .anepkg package (no manifest.json)");
        try {
            if (Files.size(f) > 64L << 20) throw AnewbException.file(f, "manifest larger than 64 MB");
            JsonNode m = JSON.readTree(f.toFile());
            if (!FORMAT.equals(m.path("format").asText())) throw AnewbException.file(f, "not an anepkg manifest (format is \"" + m.path("format").asText() + "\")");
            JsonNode version = m.path("format_version");
            // a missing or non-numeric version printed as blank ("format version  is not supported"): say what is there
            if (version.isMissingNode() || version.isNull()) {
                throw AnewbException.file(f, "has no \"format_version\" (this tool reads version " + FORMAT_VERSION
                        + ")");
            }
            if (!version.isIntegralNumber()) {
                throw AnewbException.file(f, "\"format_version\" is " + abbreviate(version.toString())
                        + ", not a version number (this tool reads " + FORMAT_VERSION + ")");
            }
            if (version.asLong() != FORMAT_VERSION) {
                throw AnewbException.file(f, "package format version " + version.asText()
                        + " is not supported (this tool reads " + FORMAT_VERSION + ")");
            }
            return m;
        } catch (IOException e) {
            throw AnewbException.file(f, "cannot read the manifest (" + AnewbException.reason(e) + ")", e);
        }
    }

    /**
     * Opens a package as a model: the graph rebuilt from its config and converted with its recorded settings,
     * running the weights exactly as stored.
     */
    public static LoadedModel open(ModelRef ref, JobContext ctx) {
        Path pkg = ref.path();
        // Every file the package is read from must really be inside it: a shared package must not read ~/.ssh.
        for (String f : List.of(MANIFEST, WEIGHTS, REFERENCE, "config.json", "tokenizer.json")) {
            ContainedPaths.requireRealInside(pkg, pkg.resolve(f));
        }
        JsonNode m = readManifest(pkg);
        Path mf = pkg.resolve(MANIFEST);
        Conversion c = conversionFrom(m.path("conversion"), mf);
        ctx.progress(0.2, "reading config.json");
        ModelConfig config = Architectures.readConfig(pkg.resolve("config.json"));
        Map<String, Integer> blocks = new java.util.HashMap<>();
        Map<String, Boolean> sym = new java.util.HashMap<>();
        for (JsonNode t : m.path("tensors")) {
            JsonNode q = t.get("quantization");
            if (q != null) {
                blocks.put(t.path("name").asText(), q.path("block_size").asInt());
                sym.put(t.path("name").asText(), "symmetric".equals(q.path("scheme").asText()));
            }
        }
        ctx.progress(0.4, "mapping weights");
        PackageWeights weights = new PackageWeights(SafetensorsFile.open(pkg.resolve(WEIGHTS)), blocks, sym);
        try {
            ModelGraph original = Architectures.graph(config, new Architectures.GraphOptions(weights::contains, m.path("sentence_embedding").asBoolean()));
            ModelGraph converted = Converter.convert(original, c).graph();
            // The package stores every projection [out, in], whatever the source's orientation.
            Map<String, WeightInfo> stored = new java.util.LinkedHashMap<>();
            for (WeightInfo w : converted.weights().values()) {
                stored.put(w.name(), new WeightInfo(w.name(), w.shape(), w.role(), false, w.quant()));
                if (w.quant() != null && !blocks.containsKey(w.name())) {
                    throw AnewbException.file(mf, "weight \"" + w.name() + "\" should be INT8 by the recorded conversion but the manifest lists it as float");
                }
            }
            ModelGraph graph = converted.rewrite(stored, c);
            Path tok = pkg.resolve("tokenizer.json");
            List<Path> files;
            try (Stream<Path> s = Files.list(pkg)) {
                files = s.sorted().toList();
            } catch (IOException e) {
                files = List.of();
            }
            ctx.progress(1, "loaded " + pkg.getFileName());
            return LoadedModel.ofPackage(ref, pkg.getFileName().toString(), pkg, config, graph, weights, Files.isRegularFile(tok) ? tok : null, files, m);
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    /** The sample's float inputs and (when it has ids) decoder ids and mask, in transformers' shapes. */
    private static void writeSampleInput(Batch sample, Path file) {
        SafetensorsWriter w = new SafetensorsWriter();
        sample.features().forEach((name, f) -> w.addFloats(name, f.shape(), f.data()));
        if (sample.ids() != null) {
            long[] shape = {sample.batch(), sample.seq()};
            java.nio.ByteBuffer ids = java.nio.ByteBuffer.allocate(sample.batch() * sample.seq() * 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            java.nio.ByteBuffer mask = java.nio.ByteBuffer.allocate(sample.batch() * sample.seq() * 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (int b = 0; b < sample.batch(); b++) for (int t = 0; t < sample.seq(); t++) {
                ids.putLong(sample.ids()[b][t]);
                mask.putLong(sample.mask()[b][t]);
            }
            w.addBytes("input_ids", DType.I64, shape, ids.array());
            w.addBytes("attention_mask", DType.I64, shape, mask.array());
        }
        w.metadata("format", FORMAT);
        w.write(file);
    }

    /**
     * The manifest's sample input as a batch: token ids and mask from the manifest, and for vision and audio
     * models the float inputs from the file it names in {@code pkg}.
     */
    public static Batch sampleInput(Path pkg, JsonNode manifest) {
        return readSample(pkg, manifest);
    }

    /** The sample input of a text model's manifest (token ids only; image and audio samples need the package folder). */
    public static Batch sampleInput(JsonNode manifest) {
        return readSample(null, manifest);
    }

    private static Batch readSample(Path pkg, JsonNode manifest) {
        JsonNode in = manifest.path("drift").path("sample_input");
        JsonNode ids = in.path("ids"), mask = in.path("attention_mask");
        java.util.Map<String, dev.anewb.runtime.FeatureTensor> features = new java.util.LinkedHashMap<>();
        if (in.hasNonNull("file")) {
            if (pkg == null) throw AnewbException.file(Path.of(MANIFEST), "the sample input is stored in a file; the package folder is needed to read it");
            // A manifest is input: its file name must not lead out of the package (a symlink included).
            Path file = ContainedPaths.resolveInside(pkg, in.get("file").asText(), pkg.resolve(MANIFEST), "sample input file");
            ContainedPaths.requireRealInside(pkg, file);
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                for (var e : in.path("features").properties()) {
                    TensorData t = f.get(e.getKey());
                    long[] expect = new long[e.getValue().size()];
                    for (int i = 0; i < expect.length; i++) expect[i] = e.getValue().get(i).asLong();
                    if (!java.util.Arrays.equals(expect, t.shape())) {
                        throw AnewbException.file(file, "\"" + e.getKey() + "\" has shape " + t.shapeString() + " but the manifest says "
                                + java.util.Arrays.toString(expect));
                    }
                    features.put(e.getKey(), new dev.anewb.runtime.FeatureTensor(t.shape(), t.toFloatArray()));
                }
            }
            if (features.isEmpty()) throw AnewbException.file(pkg.resolve(MANIFEST), "the sample input names a file but no features");
        }
        if (ids.isMissingNode() && !features.isEmpty()) {
            // A vision model: no ids, every position valid.
            int tokens = in.path("tokens").asInt(0);
            if (tokens < 1) throw AnewbException.file(pkg.resolve(MANIFEST), "the sample input has no token count");
            return Batch.ofFeatures(tokens, features);
        }
        int b = ids.size();
        if (b == 0 || mask.size() != b) throw new AnewbException("package manifest has no sample input");
        int s = ids.get(0).size();
        for (int i = 0; i < b; i++) {
            JsonNode r = ids.get(i), mr = mask.get(i);
            if (!r.isArray() || !mr.isArray() || r.size() != s || mr.size() != s || s == 0) {
                throw new AnewbException("package manifest: sample input row " + i + " is not " + s + " ids with as many mask values");
            }
        }
        long[][] idv = new long[b][s];
        int[][] m = new int[b][s];
        for (int i = 0; i < b; i++) for (int t = 0; t < s; t++) {
            idv[i][t] = ids.get(i).get(t).asLong();
            m[i][t] = mask.get(i).get(t).asInt();
        }
        return new Batch(b, s, idv, null, m, features);
    }

    /**
     * Runs the package on its manifest's sample input and measures drift against the stored FP32 reference:
     * the numbers must reproduce the manifest's, since the package runs the very weights it was measured with.
     */
    public static List<TapMetrics> recheck(LoadedModel pkg, JobContext ctx) {
        if (!pkg.isPackage()) throw new IllegalArgumentException("not a package");
        Batch sample = sampleInput(pkg.folder(), pkg.manifest());
        RunResult out = new dev.anewb.runtime.Executor(pkg.graph(), pkg.weights()).run(sample, ctx);
        List<TapMetrics> taps = new java.util.ArrayList<>();
        try (SafetensorsFile ref = openReference(pkg.folder())) {
            for (String tap : ref.names()) {
                TensorData t = ref.get(tap);
                Activation a = new Activation(t.dim(0), t.dim(1), t.dim(2), t.toFloatArray());
                taps.add(TapMetrics.of(tap, a, out.tap(tap), sample));
            }
        }
        java.util.Map<String, Integer> order = new java.util.HashMap<>();
        int i = 0;
        for (String t : pkg.graph().taps().keySet()) order.put(t, i++);
        taps.sort(java.util.Comparator.comparingInt(t -> order.getOrDefault(t.name(), Integer.MAX_VALUE)));
        return taps;
    }

    /** The package's stored reference taps. */
    public static SafetensorsFile openReference(Path pkg) {
        return SafetensorsFile.open(pkg.resolve(REFERENCE));
    }
}

package dev.anewb.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anewb.AnewbException;
import dev.anewb.io.ContainedPaths;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.SafetensorsFile;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.model.FeatureTensor;
import dev.anewb.model.ModelConfig;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.ModelRef;
import dev.anewb.model.Op;
import dev.anewb.model.TensorData;
import dev.anewb.model.WeightInfo;
import dev.anewb.model.arch.Architectures;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
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
 * <p>This class is the format: its names, the conversion settings as JSON, and reading a package back as a model
 * (the api's writer writes one).
 */
public final class AnePackage {
    public static final String FORMAT = "anepkg";
    public static final int FORMAT_VERSION = 1;
    public static final String MANIFEST = "manifest.json";
    public static final String WEIGHTS = "weights.safetensors";
    public static final String REFERENCE = "reference.safetensors";
    public static final String SAMPLE_INPUT = "sample_input.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private AnePackage() { }

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
        o.put("activations", c.activations().name().toLowerCase());
        return o;
    }

    /** Op name → INT8 input scale of every linear with INT8 activations (W8A8), for the manifest. */
    public static ObjectNode activationScalesJson(ModelGraph g) {
        ObjectNode o = JSON.createObjectNode();
        for (Op op : g.ops()) {
            // an FP16 value, written exactly as a double
            if (op instanceof Op.Linear l && l.inputQuant() != null) o.put(l.name(), (double) l.inputQuant().scale());
        }
        return o;
    }

    public static Conversion conversionFrom(JsonNode o, Path file) {
        try {
            List<String> keep = new ArrayList<>();
            o.path("keep_fp16").forEach(k -> keep.add(k.asText()));
            Map<String, Integer> ov = new LinkedHashMap<>();
            o.path("block_overrides").properties().forEach(e -> ov.put(e.getKey(), e.getValue().asInt()));
            Conversion c = new Conversion(Conversion.Layout.valueOf(o.get("layout").asText().toUpperCase()),
                    Conversion.Precision.valueOf(o.get("precision").asText().toUpperCase()),
                            "int8".equals(o.get("quant").asText()),
                    o.get("block_size").asInt(), o.get("symmetric").asBoolean(), keep, ov,
                    o.get("chunk_window").asInt(), o.get("chunk_overlap").asInt(),
                    // packages written before W8A8 have float activations
                    Conversion.Activations.valueOf(o.path("activations").asText("none").toUpperCase()));
            try {
                c.validate();
            } catch (AnewbException e) {
                // a setting the CLI would call a usage error is, in a manifest, a broken file
                throw AnewbException.file(file, "the \"conversion\" section is invalid: " + e.getMessage());
            }
            return c;
        } catch (NullPointerException | IllegalArgumentException e) {
            throw AnewbException.file(file, "the \"conversion\" section is incomplete or invalid (" + e.getMessage()
                    + ")");
        }
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
            if (!FORMAT.equals(m.path("format").asText())) throw AnewbException.file(f,
                    "not an anepkg manifest (format is \"" + m.path("format").asText() + "\")");
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
        Map<String, Integer> blocks = new HashMap<>();
        Map<String, Boolean> sym = new HashMap<>();
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
            ModelGraph original = Architectures.graph(config,
                    new Architectures.GraphOptions(weights::contains, m.path("sentence_embedding").asBoolean()));
            ModelGraph converted = Converter.convert(original, c).graph();
            if (Converter.needsCalibration(converted)) {
                converted = withStoredScales(converted, m.path("activation_scales"), mf);
            }
            // The package stores every projection [out, in], whatever the source's orientation.
            Map<String, WeightInfo> stored = new LinkedHashMap<>();
            for (WeightInfo w : converted.weights().values()) {
                stored.put(w.name(), new WeightInfo(w.name(), w.shape(), w.role(), false, w.quant()));
                if (w.quant() != null && !blocks.containsKey(w.name())) {
                    throw AnewbException.file(mf, "weight \"" + w.name()
                            + "\" should be INT8 by the recorded conversion but the manifest lists it as float");
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
            return LoadedModel.ofPackage(ref, pkg.getFileName().toString(), pkg, config, graph, weights,
                    Files.isRegularFile(tok) ? tok : null, files, m);
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    /** The INT8 input scales the package was calibrated with: one finite positive FP16 value per chosen linear. */
    private static ModelGraph withStoredScales(ModelGraph converted, JsonNode scales, Path mf) {
        Map<String, Float> s = new HashMap<>();
        for (Op op : converted.ops()) {
            if (!(op instanceof Op.Linear l) || l.inputQuant() == null) continue;
            JsonNode v = scales.get(l.name());
            float f = v == null || !v.isNumber() ? Float.NaN : v.floatValue();
            if (!(f > 0) || Float.isInfinite(f) || Float.float16ToFloat(Float.floatToFloat16(f)) != f) {
                throw AnewbException.file(mf, "\"activation_scales\" has no valid INT8 input scale for \"" + l.name()
                        + "\" (a positive FP16 value), found " + (v == null ? "none" : abbreviate(v.toString())));
            }
            s.put(l.name(), f);
        }
        return Converter.calibrate(converted, s);
    }

    /**
     * The manifest's sample input as a batch: token ids and mask from the manifest, and for vision and audio
     * models the float inputs from the file it names in {@code pkg}.
     */
    public static Batch sampleInput(Path pkg, JsonNode manifest) {
        return readSample(pkg, manifest);
    }

    /** The sample input of a text model's manifest (token ids only; image and audio samples need the package folder).
     *
     */
    public static Batch sampleInput(JsonNode manifest) {
        return readSample(null, manifest);
    }

    private static Batch readSample(Path pkg, JsonNode manifest) {
        JsonNode in = manifest.path("drift").path("sample_input");
        JsonNode ids = in.path("ids"), mask = in.path("attention_mask");
        Map<String, FeatureTensor> features = new LinkedHashMap<>();
        if (in.hasNonNull("file")) {
            if (pkg == null) throw AnewbException.file(Path.of(MANIFEST),
                    "the sample input is stored in a file; the package folder is needed to read it");
            // A manifest is input: its file name must not lead out of the package (a symlink included).
            Path file = ContainedPaths.resolveInside(pkg, in.get("file").asText(), pkg.resolve(MANIFEST),
                    "sample input file");
            ContainedPaths.requireRealInside(pkg, file);
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                for (var e : in.path("features").properties()) {
                    TensorData t = f.get(e.getKey());
                    long[] expect = new long[e.getValue().size()];
                    for (int i = 0; i < expect.length; i++) expect[i] = e.getValue().get(i).asLong();
                    if (!Arrays.equals(expect, t.shape())) {
                        throw AnewbException.file(file, "\"" + e.getKey() + "\" has shape " + t.shapeString()
                                + " but the manifest says "
                                + Arrays.toString(expect));
                    }
                    features.put(e.getKey(), new FeatureTensor(t.shape(), t.toFloatArray()));
                }
            }
            if (features.isEmpty()) throw AnewbException.file(pkg.resolve(MANIFEST),
                    "the sample input names a file but no features");
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
                throw new AnewbException("package manifest: sample input row " + i + " is not " + s
                        + " ids with as many mask values");
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

    /** The package's stored reference taps. */
    public static SafetensorsFile openReference(Path pkg) {
        return SafetensorsFile.open(pkg.resolve(REFERENCE));
    }
}

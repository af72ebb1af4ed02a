package dev.anewb.convert.coreml;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.convert.BlockQuantizer;
import dev.anewb.convert.ConvertedModel;
import dev.anewb.convert.Converter;
import dev.anewb.drift.TapMetrics;
import dev.anewb.io.BundledModel;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.ModelLoader;
import dev.anewb.io.SafetensorsFile;
import dev.anewb.io.TextInputs;
import dev.anewb.job.JobContext;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.TensorData;
import dev.anewb.runtime.Activation;
import dev.anewb.runtime.Batch;
import dev.anewb.runtime.Executor;
import dev.anewb.runtime.FeatureTensor;
import dev.anewb.runtime.RunResult;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Exports the bundled MiniLM and every fixture architecture in the ANE default (INT8 at block 128, or the nearest size
 * Core ML can express, FP16, BC1S), per-channel INT8, FP16 only and the HF layout; coreml-check validates each
 * package with coremltools' loader and runs it with its numpy interpreter. Every output must agree with our engine's
 * run of the same converted graph (SQNR ≥ 50 dB: the two differ only in where FP16 rounding happens), and its drift
 * against the FP32 original must be within 0.5 dB of ours.
 */
class CoreMlExportIntegrationTest {
    static final double MIN_SQNR_DB = 50;
    static final double MAX_DRIFT_DIFFERENCE_DB = 0.5;

    @TempDir Path tmp;

    @BeforeAll
    static void toolPresent() {
        CoreMlCheck.tool();
    }

    /** One model's sample input: the engine's batch and the package's inputs as .npy files. */
    record Sample(Batch batch, Map<String, Path> inputs) { }

    record Measured(String model, String config, String output, double sqnrVsEngine, double driftCoreMl, double driftEngine) {
        @Override public String toString() {
            return String.format(Locale.ROOT, "%-16s %-18s %-18s vs engine %6.1f dB | vs FP32: Core ML %6.2f dB, engine %6.2f dB",
                    model, config, output, sqnrVsEngine, driftCoreMl, driftEngine);
        }
    }

    static final List<Measured> RESULTS = new ArrayList<>();

    @Test
    void bundledMiniLm() throws Exception {
        try (LoadedModel m = ModelLoader.load(BundledModel.ID, JobContext.NONE)) {
            JsonNode ref = json(Fixtures.fixture("minilm").resolve("reference.json"));
            check("minilm", m, textSample(m, ids(ref.get("token_ids").get(0)), 3), standardConfigs(m.graph()));
        }
    }

    @Test
    void bertTiny() throws Exception {
        text("bert-tiny");
    }

    @Test
    void distilbertTiny() throws Exception {
        text("distilbert-tiny");
    }

    private void text(String fixture) throws Exception {
        try (LoadedModel m = ModelLoader.load(Fixtures.fixture(fixture).toString(), JobContext.NONE)) {
            String text = json(m.folder().resolve("reference.json")).get("texts").get(0).asText();
            Batch b = TextInputs.batch(m.tokenizer(), List.of(text));
            check(fixture, m, textSample(m, b.ids()[0], 3), standardConfigs(m.graph()));
        }
    }

    @Test
    void gpt2Tiny() throws Exception {
        decoder("gpt2-tiny");
    }

    @Test
    void llamaTiny() throws Exception {
        decoder("llama-tiny");
    }

    /** Decoders also at block 32, so that the tiny models (64 and 128 input channels) run block-wise INT8 too. */
    private void decoder(String fixture) throws Exception {
        try (LoadedModel m = ModelLoader.load(Fixtures.fixture(fixture).toString(), JobContext.NONE)) {
            long[] prompt = ids(json(m.folder().resolve("reference.json")).get("prompt_ids").get(1));
            Map<String, Conversion> configs = standardConfigs(m.graph());
            configs.put("int8-b32", Conversion.ANE_DEFAULT.withInt8(true, 32, false));
            configs.put("int8-b32-hf", Conversion.ANE_DEFAULT.withInt8(true, 32, false).withLayout(Conversion.Layout.HF));
            check(fixture, m, textSample(m, prompt, 2), configs);
        }
    }

    @Test
    void vitTiny() throws Exception {
        Path dir = Fixtures.fixture("vit-tiny");
        try (LoadedModel m = ModelLoader.load(dir.toString(), JobContext.NONE);
             SafetensorsFile ref = SafetensorsFile.open(dir.resolve("reference.safetensors"))) {
            TensorData pixels = ref.get(ModelGraph.PIXEL_VALUES);
            FeatureTensor f = new FeatureTensor(pixels.shape(), pixels.toFloatArray());
            Batch batch = Batch.ofFeatures(m.graph().fixedLength(dev.anewb.model.Axis.TOKENS), Map.of(ModelGraph.PIXEL_VALUES, f));
            Path npy = tmp.resolve("pixel_values.npy");
            NumpyArrays.writeFloat32(npy, f.data(), f.shape());
            check("vit-tiny", m, new Sample(batch, Map.of(ModelGraph.PIXEL_VALUES, npy)), standardConfigs(m.graph()));
        }
    }

    @Test
    void whisperTinyEncoder() throws Exception {
        Path dir = Fixtures.fixture("whisper-tiny");
        try (LoadedModel m = ModelLoader.load(dir.toString(), JobContext.NONE);
             SafetensorsFile ref = SafetensorsFile.open(dir.resolve("reference.safetensors"))) {
            TensorData features = ref.get(ModelGraph.INPUT_FEATURES);
            FeatureTensor f = new FeatureTensor(features.shape(), features.toFloatArray());
            long[] prefix = ids(json(dir.resolve("reference.json")).get("decoder_prefix"));
            // The engine runs the whole model (the decoder needs a prefix); the package is the encoder.
            Batch batch = Batch.of(prefix).withFeatures(Map.of(ModelGraph.INPUT_FEATURES, f));
            Path npy = tmp.resolve("input_features.npy");
            NumpyArrays.writeFloat32(npy, f.data(), f.shape());
            check("whisper-tiny", m, new Sample(batch, Map.of(ModelGraph.INPUT_FEATURES, npy)), standardConfigs(m.graph()));
        }
    }

    /** ANE default (block 128 where Core ML can express it, else the nearest valid size), per-channel, FP16 only, HF. */
    static Map<String, Conversion> standardConfigs(ModelGraph original) {
        int block = CoreMlBlockSizes.of(original).nearest(128);
        Conversion ane = Conversion.ANE_DEFAULT.withInt8(true, block, false);
        Map<String, Conversion> c = new LinkedHashMap<>();
        c.put("ane-default-b" + block, ane);
        c.put("int8-per-channel", Conversion.ANE_DEFAULT.withInt8(true, BlockQuantizer.PER_CHANNEL, false));
        c.put("fp16-only", Conversion.ANE_DEFAULT.withInt8(false, 128, false));
        c.put("hf-layout", ane.withLayout(Conversion.Layout.HF));
        return c;
    }

    /** Token ids padded on the right with {@code padding} positions (mask 0) so that the padding mask is exercised. */
    private Sample textSample(LoadedModel m, long[] tokens, int padding) throws IOException {
        int s = tokens.length + padding;
        long[][] ids = new long[1][s];
        int[][] mask = new int[1][s];
        System.arraycopy(tokens, 0, ids[0], 0, tokens.length);
        for (int t = 0; t < tokens.length; t++) mask[0][t] = 1;
        Batch batch = new Batch(1, s, ids, null, mask);
        int[] idsI = new int[s], maskI = new int[s];
        for (int t = 0; t < s; t++) {
            idsI[t] = (int) ids[0][t];
            maskI[t] = mask[0][t];
        }
        Map<String, Path> in = new LinkedHashMap<>();
        in.put(ModelGraph.INPUT_IDS, tmp.resolve("input_ids.npy"));
        in.put(ProgramTranslator.ATTENTION_MASK, tmp.resolve("attention_mask.npy"));
        NumpyArrays.writeInt32(in.get(ModelGraph.INPUT_IDS), idsI, 1, s);
        NumpyArrays.writeInt32(in.get(ProgramTranslator.ATTENTION_MASK), maskI, 1, s);
        if (m.graph().values().containsKey(ModelGraph.TOKEN_TYPE_IDS)) {
            in.put(ModelGraph.TOKEN_TYPE_IDS, tmp.resolve("token_type_ids.npy"));
            NumpyArrays.writeInt32(in.get(ModelGraph.TOKEN_TYPE_IDS), new int[s], 1, s);
        }
        return new Sample(batch, in);
    }

    private void check(String model, LoadedModel m, Sample sample, Map<String, Conversion> configs) throws IOException {
        RunResult fp32 = new Executor(m.graph(), m.weights()).run(sample.batch(), JobContext.NONE);
        CoreMlOptions options = CoreMlOptions.DEFAULT.withSequence(CoreMlOptions.Sequence.fixed(sample.batch().seq()));
        Map<String, Path> packages = new LinkedHashMap<>();
        Map<String, RunResult> engine = new LinkedHashMap<>();
        for (var c : configs.entrySet()) {
            ConvertedModel converted = Converter.convert(m, c.getValue());
            Path pkg = tmp.resolve(model + "-" + c.getKey() + ".mlpackage");
            CoreMlExporter.export(converted, options, pkg, JobContext.NONE);
            packages.put(c.getKey(), pkg);
            engine.put(c.getKey(), converted.run(sample.batch(), JobContext.NONE));
        }
        CoreMlCheck.validate(packages.values().toArray(Path[]::new));
        List<String> failures = new ArrayList<>();
        for (var p : packages.entrySet()) {
            Map<String, NumpyArrays.Array> out = CoreMlCheck.run(p.getValue(), sample.inputs(), tmp.resolve(model + "-" + p.getKey() + ".npz"));
            assertTrue(!out.isEmpty(), "no outputs");
            for (var o : out.entrySet()) {
                String tap = tapFor(o.getKey(), fp32);
                Activation coreMl = activation(o.getValue());
                Activation ours = engine.get(p.getKey()).tap(tap);
                Activation original = fp32.tap(tap);
                assertEquals(ours.length(), coreMl.length(), o.getKey() + " length");
                double vsEngine = TapMetrics.of(tap, ours, coreMl, sample.batch()).sqnrDb();
                double driftCoreMl = TapMetrics.of(tap, original, coreMl, sample.batch()).sqnrDb();
                double driftEngine = TapMetrics.of(tap, original, ours, sample.batch()).sqnrDb();
                Measured r = new Measured(model, p.getKey(), o.getKey(), vsEngine, driftCoreMl, driftEngine);
                RESULTS.add(r);
                System.out.println("coreml " + r);
                if (vsEngine < MIN_SQNR_DB) failures.add(r + ": below " + MIN_SQNR_DB + " dB against the engine");
                if (Math.abs(driftCoreMl - driftEngine) > MAX_DRIFT_DIFFERENCE_DB && !(Double.isInfinite(driftEngine) && Double.isInfinite(driftCoreMl))) {
                    failures.add(r + ": drift differs by more than " + MAX_DRIFT_DIFFERENCE_DB + " dB");
                }
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /** The engine tap a package output corresponds to. */
    static String tapFor(String output, RunResult r) {
        if (r.taps().containsKey(output)) return output;
        if (!output.equals(ProgramTranslator.LAST_HIDDEN_STATE)) throw new AssertionError("no tap for output " + output);
        for (String stack : List.of("encoder_hidden_states.", "hidden_states.")) {
            int last = -1;
            for (String t : r.taps().keySet()) if (t.startsWith(stack)) last = Math.max(last, Integer.parseInt(t.substring(stack.length())));
            if (last >= 0) return stack + last;
        }
        throw new AssertionError("no last hidden state tap in " + r.taps().keySet());
    }

    /** [1, S, C] or pooled [1, C] as an activation. */
    static Activation activation(NumpyArrays.Array a) {
        long[] s = a.shape();
        return s.length == 2 ? new Activation((int) s[0], 1, (int) s[1], a.data()) : new Activation((int) s[0], (int) s[1], (int) s[2], a.data());
    }

    static long[] ids(JsonNode n) {
        long[] ids = new long[n.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = n.get(i).asLong();
        return ids;
    }

    static JsonNode json(Path p) throws IOException {
        return new ObjectMapper().readTree(p.toFile());
    }
}

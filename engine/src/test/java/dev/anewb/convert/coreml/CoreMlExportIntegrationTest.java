package dev.anewb.convert.coreml;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import dev.anewb.api.ConvertedModel;
import dev.anewb.api.ModelLoader;
import dev.anewb.api.ModelSession;
import dev.anewb.drift.TapMetrics;
import dev.anewb.io.BundledModel;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.SafetensorsFile;
import dev.anewb.io.TextInputs;
import dev.anewb.job.JobContext;
import dev.anewb.model.Axis;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.model.FeatureTensor;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.TensorData;
import dev.anewb.quant.BlockQuantizer;
import dev.anewb.runtime.Activation;
import dev.anewb.runtime.Executor;
import dev.anewb.runtime.KvCache;
import dev.anewb.runtime.RunResult;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Exports the bundled MiniLM and every fixture architecture in the ANE default (INT8 at block 128, or the nearest size
 * Core ML can express, FP16, BC1S), per-channel INT8, FP16 only and the HF layout; coreml-check validates each
 * package with coremltools' loader and runs it with its numpy interpreter. Every output must agree with our engine's
 * run of the same converted graph (SQNR ≥ 50 dB: the two differ only in where FP16 rounding happens), and its drift
 * against the FP32 original must be within 0.5 dB of ours. With INT8 activations in FP16 that rounding difference
 * flips some quantization steps: see {@link Case#roundingFlips}.
 */
class CoreMlExportIntegrationTest {
    static final double MIN_SQNR_DB = 50;
    static final double MAX_DRIFT_DIFFERENCE_DB = 0.5;
    /** Two float32 computations of the same arithmetic in another order, no INT8 step flipped: bert-tiny's W8A8. */
    static final double EXACT_SQNR_DB = 100;

    @TempDir Path tmp;

    /** One model's sample input: the engine's batch and the package's inputs as .npy files. */
    record Sample(Batch batch, Map<String, Path> inputs) { }

    /** One exported package with what it is compared against. */
    record Case(String model, String config, Path pkg, Sample sample, RunResult engine, RunResult fp32,
                Conversion conversion) {
        /**
         * INT8 activations in FP16: Core ML rounds every MIL op's output, the engine every graph op's, so values next
         * to a quantization boundary land on the other side of it and move by a whole step, and those differences
         * grow through the layers (MiniLM, whose coarse scales make its INT8 noise 14 dB: 14.2 dB between package
         * and engine). Both are then two draws of the same INT8 noise: the package must drift like the engine (within
         * 0.5 dB) and differ from it by at most what two uncorrelated draws do (its drift − 3 dB). That the pair
         * computes the engine's arithmetic exactly, the FP32 variant shows (bert-tiny, ≥ 100 dB).
         */
        boolean roundingFlips() {
            return conversion.quantizesActivations() && conversion.precision() == Conversion.Precision.FP16;
        }
    }

    record Measured(String model, String config, String output, double sqnrVsEngine, double driftCoreMl,
            double driftEngine) {
        @Override public String toString() {
            return String.format(Locale.ROOT,
                    "%-16s %-18s %-18s vs engine %6.1f dB | vs FP32: Core ML %6.2f dB, engine %6.2f dB",
                    model, config, output, sqnrVsEngine, driftCoreMl, driftEngine);
        }
    }

    /**
     * Every model × configuration is exported first and validated in one coreml-check process (each start costs
     * seconds: coremltools is imported), then each package runs once.
     */
    @Test
    void everyArchitectureAndConfiguration() throws Exception {
        CoreMlCheck.tool();
        List<Case> cases = new ArrayList<>();
        // -Dcoreml.only=FIXTURE limits the run to one model while working on it.
        String only = System.getProperty("coreml.only", "");
        if (only.isEmpty()) try (LoadedModel m = ModelLoader.load(BundledModel.ID, JobContext.NONE)) {
            JsonNode ref = json(Fixtures.fixture("minilm").resolve("reference.json"));
            cases.addAll(export("minilm", m, textSample("minilm", m, longer(ref.get("token_ids")), 3),
                    standardConfigs(m.graph())));
        }
        for (String fixture : List.of("bert-tiny", "distilbert-tiny")) {
            if (!only.isEmpty() && !only.equals(fixture)) continue;
            try (LoadedModel m = ModelLoader.load(Fixtures.fixture(fixture).toString(), JobContext.NONE)) {
                List<Long> ids = new ArrayList<>();
                for (JsonNode t : json(m.folder().resolve("reference.json")).get("texts")) {
                    for (long id : TextInputs.batch(m.tokenizer(), List.of(t.asText())).ids()[0]) ids.add(id);
                }
                long[] tokens = repeat(ids.stream().mapToLong(Long::longValue).toArray());
                cases.addAll(export(fixture, m, textSample(fixture, m, tokens, 3), standardConfigs(m.graph())));
            }
        }
        for (String fixture : List.of("gpt2-tiny", "llama-tiny")) {
            if (!only.isEmpty() && !only.equals(fixture)) continue;
            try (LoadedModel m = ModelLoader.load(Fixtures.fixture(fixture).toString(), JobContext.NONE)) {
                long[] prompt = longer(json(m.folder().resolve("reference.json")).get("prompt_ids"));
                Map<String, Conversion> configs = standardConfigs(m.graph());
                // The tiny models' 64 and 128 input channels are per-channel at block 128: block 32 runs block-wise
                // INT8.
                if (fixture.equals("llama-tiny")) configs.put("int8-b32", Conversion.ANE_DEFAULT.withInt8(true, 32,
                        false));
                cases.addAll(export(fixture, m, textSample(fixture, m, prompt, 2), configs));
            }
        }
        if (only.isEmpty() || only.equals("vit-tiny")) cases.addAll(vit());
        if (only.isEmpty() || only.equals("whisper-tiny")) cases.addAll(whisperEncoder());

        compare(cases);
    }

    /**
     * Validates every package and runs every case in one coreml-check process, then compares each output with our
     * engine; fails with every miss listed.
     */
    private void compare(List<Case> cases) throws IOException {
        List<CoreMlCheck.Job> jobs = new ArrayList<>();
        cases.stream().map(Case::pkg).distinct().forEach(p -> jobs.add(CoreMlCheck.Job.validate(p)));
        for (Case c : cases) jobs.add(CoreMlCheck.Job.run(c.pkg(), strings(c.sample().inputs()), npz(c)));
        CoreMlCheck.batch(jobs, tmp);
        List<String> failures = new ArrayList<>();
        List<Measured> results = new ArrayList<>();
        for (Case c : cases) {
            Map<String, NumpyArrays.Array> out = NumpyArrays.readNpz(npz(c));
            assertTrue(!out.isEmpty(), c.pkg() + ": no outputs");
            boolean main = true;
            for (var o : out.entrySet()) {
                // An encoder's cross-attention keys and values are checked through the decoder that reads them.
                if (o.getKey().startsWith("cross_")) continue;
                String tap = tapFor(o.getKey(), c.fp32());
                Activation coreMl = activation(o.getValue());
                Activation ours = c.engine().tap(tap);
                Activation original = c.fp32().tap(tap);
                assertEquals(ours.length(), coreMl.length(), o.getKey() + " length");
                Batch batch = c.sample().batch();
                Measured r = new Measured(c.model(), c.config(), o.getKey(), TapMetrics.of(tap, ours, coreMl,
                        batch).sqnrDb(),
                        TapMetrics.of(tap, original, coreMl, batch).sqnrDb(), TapMetrics.of(tap, original, ours,
                                batch).sqnrDb());
                results.add(r);
                if (c.roundingFlips()) {
                    // the main output only: a pooled vector is too few values (see the drift criterion below)
                    if (main && r.sqnrVsEngine() < r.driftEngine() - 3) {
                        failures.add(r + ": further from the engine than two draws of its INT8 noise");
                    }
                } else {
                    // INT8 activations in FP32: float32 on both sides, only the summation order differs (on bert-tiny
                    // no value sits that close to a boundary; MiniLM and Whisper flip a step or two: 54 and 56 dB)
                    double min = c.conversion().quantizesActivations() && c.model().equals("bert-tiny") ? EXACT_SQNR_DB
                            : MIN_SQNR_DB;
                    if (r.sqnrVsEngine() < min) failures.add(r + ": below " + min + " dB against the engine");
                }
                // The drift criterion is on the last tap (last_hidden_state or logits, the first output); pooled
                // outputs
                // are one vector (64 values in the tiny models): too few for a 0.5 dB comparison, so they are only
                // reported.
                if (main && Math.abs(r.driftCoreMl() - r.driftEngine()) > MAX_DRIFT_DIFFERENCE_DB) {
                    failures.add(r + ": drift differs by more than " + MAX_DRIFT_DIFFERENCE_DB + " dB");
                }
                main = false;
            }
        }
        results.forEach(r -> System.out.println("coreml " + r));
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /**
     * A sequence range (RangeDim) and enumerated lengths (positions, causal and chunk masks computed from the input's
     * own length) run at a length within the chunk window (full attention, as spec/chunked-attention.md says) and one
     * beyond it; symmetric INT8 (block-wise without offsets); chunked attention at a fixed length (the band as a
     * constant); an explicit iOS17 target with FP16 inputs and outputs.
     */
    @Test
    void sequenceRangeChunkingAndIo() throws Exception {
        CoreMlCheck.tool();
        record Variant(String fixture, String config, Conversion conversion, CoreMlOptions options, int[] lengths) { }
        CoreMlOptions range = CoreMlOptions.DEFAULT.withSequence(CoreMlOptions.Sequence.range(4, 64));
        Conversion chunked = Conversion.ANE_DEFAULT.withChunking(16, 4);
        List<Variant> variants = List.of(
                new Variant("bert-tiny", "range-chunk16-4", chunked, range, new int[]{11, 41}),
                new Variant("gpt2-tiny", "enumerated-chunk16-4", chunked,
                        CoreMlOptions.DEFAULT.withSequence(CoreMlOptions.Sequence.enumerated(12, 40, 64)),
                        new int[]{12, 40}),
                new Variant("llama-tiny", "range-int8-b32-hf", Conversion.ANE_DEFAULT.withInt8(true, 32,
                        false).withLayout(Conversion.Layout.HF)
                        .withChunking(16, 4), range, new int[]{9, 37}),
                new Variant("bert-tiny", "fixed-chunk16-4-hf", chunked.withLayout(Conversion.Layout.HF),
                        CoreMlOptions.DEFAULT, new int[]{40}),
                new Variant("gpt2-tiny", "symmetric-b32", Conversion.ANE_DEFAULT.withInt8(true, 32, true),
                        CoreMlOptions.DEFAULT, new int[]{20}),
                new Variant("llama-tiny", "ios17-fp16-io", Conversion.ANE_DEFAULT,
                        CoreMlOptions.DEFAULT.withMinimumOs(CoreMlTarget.IOS17)
                        .withFp16Io(true), new int[]{24}),
                // W8A8 through linear ops (HF) and in an FP32 program (FP32 scales), over a sequence range
                new Variant("llama-tiny", "w8a8-hf-range", Conversion.ANE_DEFAULT.withLayout(Conversion.Layout.HF)
                        .withActivations(Conversion.Activations.INT8), range, new int[]{9, 37}),
                new Variant("bert-tiny", "w8a8-fp32", Conversion.ANE_DEFAULT.withPrecision(Conversion.Precision.FP32)
                        .withActivations(Conversion.Activations.INT8), CoreMlOptions.DEFAULT, new int[]{20}));
        List<Case> cases = new ArrayList<>();
        for (Variant v : variants) {
            try (LoadedModel m = ModelLoader.load(Fixtures.fixture(v.fixture()).toString(), JobContext.NONE)) {
                ConvertedModel converted = ModelSession.of(m).convert(v.conversion());
                CoreMlOptions options = v.options().sequence().flexible() ? v.options()
                        : v.options().withSequence(CoreMlOptions.Sequence.fixed(v.lengths()[0]));
                Path pkg = tmp.resolve(v.fixture() + "-" + v.config() + ".mlpackage");
                PackagesUnderTest.export(converted, options, pkg, JobContext.NONE);
                for (int n : v.lengths()) {
                    long[] tokens = new long[n];
                    // Deterministic ids spread over the vocabulary (the fixture prompts are shorter than the window).
                    for (int i = 0; i < n; i++) tokens[i] = (7L + 37L * i + 11L * i * i) % m.config().vocabSize();
                    Sample sample = textSample(v.fixture() + "-" + v.config() + "-" + n, m, tokens, 0);
                    RunResult fp32 = new Executor(m.graph(), m.weights()).run(sample.batch(), JobContext.NONE);
                    cases.add(new Case(v.fixture(), v.config() + "@" + n, pkg, sample, converted.run(sample.batch(),
                            JobContext.NONE), fp32, v.conversion()));
                }
            }
        }
        compare(cases);
    }

    /**
     * KV-cache decoding (GPT-2, Llama with GQA and RoPE; Llama also chunked): a prefill step (the prompt after an empty
     * one-slot cache) gives logits and every layer's new keys and values; those become the cache of a one-token step.
     * Both steps' logits are compared with the engine's prefill and decode through its own KvCache.
     */
    @Test
    void kvCacheDecoding() throws Exception {
        CoreMlCheck.tool();
        record Variant(String fixture, String config, Conversion conversion) { }
        List<Variant> variants = List.of(new Variant("gpt2-tiny", "ane-default", Conversion.ANE_DEFAULT),
                new Variant("llama-tiny", "ane-default", Conversion.ANE_DEFAULT),
                new Variant("llama-tiny", "int8-b32-hf-chunk8-2", Conversion.ANE_DEFAULT.withInt8(true, 32, false)
                        .withLayout(Conversion.Layout.HF).withChunking(8, 2)));
        List<CoreMlCheck.Job> jobs = new ArrayList<>();
        List<Runnable> checks = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (Variant v : variants) {
            try (LoadedModel m = ModelLoader.load(Fixtures.fixture(v.fixture()).toString(), JobContext.NONE)) {
                long[] prompt = ids(json(m.folder().resolve("reference.json")).get("prompt_ids").get(1));
                int n = prompt.length;
                long next = prompt[n / 2];
                ConvertedModel converted = ModelSession.of(m).convert(v.conversion());
                String tag = v.fixture() + "-" + v.config();
                Path prefillPkg = tmp.resolve(tag + "-prefill.mlpackage");
                Path stepPkg = tmp.resolve(tag + "-step.mlpackage");
                PackagesUnderTest.export(converted, CoreMlOptions.DEFAULT.withKvCache(1, n), prefillPkg,
                        JobContext.NONE);
                PackagesUnderTest.export(converted, CoreMlOptions.DEFAULT.withKvCache(n, 1), stepPkg, JobContext.NONE);
                // Engine: prefill and one decoded token through the KV cache, converted and FP32 original.
                RunResult[] engine = decode(new Executor(converted.graph(), m.weights()), m, prompt, next);
                RunResult[] fp32 = decode(new Executor(m.graph(), m.weights()), m, prompt, next);
                // Core ML prefill: the prompt after one empty cache slot (zeros, masked out); then the step with the
                // prompt's keys and values (the prefill's new_* outputs) as the cache and the next token at position n.
                Map<String, String> pre = strings(stepInputs(tag + "-prefill", "", prompt, 0, 1, n));
                pre.putAll(zeroPast(prefillPkg, tag));
                Path preOut = tmp.resolve(tag + "-prefill.npz"), stepOut = tmp.resolve(tag + "-step.npz");
                Map<String, String> stepIn = strings(stepInputs(tag + "-step", "", new long[]{next}, n, n, 1));
                for (String name : inputNames(stepPkg)) {
                    if (name.startsWith("past_")) stepIn.put(name, preOut + "#new_" + name.substring(5));
                }
                jobs.addAll(List.of(CoreMlCheck.Job.validate(prefillPkg), CoreMlCheck.Job.validate(stepPkg),
                        CoreMlCheck.Job.run(prefillPkg, pre, preOut), CoreMlCheck.Job.run(stepPkg, stepIn, stepOut)));
                checks.add(() -> {
                    measure(failures, v.fixture(), v.config() + "@prefill", logits(preOut), engine[0].tap("logits"),
                            fp32[0].tap("logits"));
                    measure(failures, v.fixture(), v.config() + "@step", logits(stepOut), engine[1].tap("logits"),
                            fp32[1].tap("logits"));
                });
            }
        }
        CoreMlCheck.batch(jobs, tmp);
        checks.forEach(Runnable::run);
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /** Zero caches for every past_* input of a package (a prefill's one empty slot). */
    private Map<String, String> zeroPast(Path pkg, String tag) throws IOException {
        Map<String, String> in = new LinkedHashMap<>();
        for (String name : inputNames(pkg)) {
            if (!name.startsWith("past_")) continue;
            long[] shape = inputShape(pkg, name);
            Path p = tmp.resolve(tag + "-zero-" + name + ".npy");
            NumpyArrays.writeFloat32(p, new float[(int) Arrays.stream(shape).reduce(1, (a, b) -> a * b)],
                    shape);
            in.put(name, p.toString());
        }
        return in;
    }

    private static Activation logits(Path npz) {
        try {
            return activation(NumpyArrays.readNpz(npz).get("logits"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Whisper's decoder (stretch): the encoder package's cross-attention keys and values feed the decoder package,
     * whose
     * logits on the fixture's decoder prefix are compared with the engine's whole-model run; in BC1S also as KV-cache
     * steps (prefill of the prefix, then one token) against the engine's decoding with its cached encoder.
     */
    @Test
    void whisperDecoder() throws Exception {
        CoreMlCheck.tool();
        Path dir = Fixtures.fixture("whisper-tiny");
        List<String> failures = new ArrayList<>();
        List<CoreMlCheck.Job> jobs = new ArrayList<>();
        List<Runnable> checks = new ArrayList<>();
        try (LoadedModel m = ModelLoader.load(dir.toString(), JobContext.NONE);
             SafetensorsFile ref = SafetensorsFile.open(dir.resolve("reference.safetensors"))) {
            TensorData features = ref.get(ModelGraph.INPUT_FEATURES);
            FeatureTensor f = new FeatureTensor(features.shape(), features.toFloatArray());
            Path featuresNpy = tmp.resolve("whisper-features.npy");
            NumpyArrays.writeFloat32(featuresNpy, f.data(), f.shape());
            long[] prefix = ids(json(dir.resolve("reference.json")).get("decoder_prefix"));
            long next = json(dir.resolve("reference.json")).get("generated").get(0).asLong();
            Batch batch = Batch.of(prefix).withFeatures(Map.of(ModelGraph.INPUT_FEATURES, f));
            RunResult original = new Executor(m.graph(), m.weights()).run(batch, JobContext.NONE);
            RunResult[] fp32 = decode(new Executor(m.graph(), m.weights()), m, batch, next);
            for (Conversion c : List.of(Conversion.ANE_DEFAULT,
                    Conversion.ANE_DEFAULT.withLayout(Conversion.Layout.HF))) {
                String tag = "whisper-" + c.layout();
                ConvertedModel converted = ModelSession.of(m).convert(c);
                Path encoder = tmp.resolve(tag + "-encoder.mlpackage");
                Path decoder = tmp.resolve(tag + "-decoder.mlpackage");
                PackagesUnderTest.export(converted, CoreMlOptions.DEFAULT, encoder, JobContext.NONE);
                CoreMlOptions dec = CoreMlOptions.DEFAULT.withDecoder(true);
                PackagesUnderTest.export(converted, dec.withSequence(CoreMlOptions.Sequence.fixed(prefix.length)),
                        decoder, JobContext.NONE);
                Path encOut = tmp.resolve(tag + "-enc.npz"), decOut = tmp.resolve(tag + "-dec.npz");
                jobs.addAll(List.of(CoreMlCheck.Job.validate(encoder), CoreMlCheck.Job.validate(decoder),
                        CoreMlCheck.Job.run(encoder, Map.of(ModelGraph.INPUT_FEATURES, featuresNpy.toString()),
                                encOut)));
                Map<String, String> crossIn = new LinkedHashMap<>();
                for (String name : inputNames(decoder)) {
                    if (name.startsWith("cross_")) crossIn.put(name, encOut + "#" + name);
                }
                assertEquals(4, crossIn.size(), "keys and values of both decoder layers");
                Map<String, String> in = strings(stepInputs(tag + "-dec", "decoder_", prefix, 0, 0, prefix.length));
                in.remove(ProgramTranslator.POSITION_IDS);
                in.putAll(crossIn);
                jobs.add(CoreMlCheck.Job.run(decoder, in, decOut));
                RunResult ours = converted.run(batch, JobContext.NONE);
                checks.add(() -> measure(failures, "whisper-tiny", tag + "-decoder", logits(decOut),
                        ours.tap("logits"), original.tap("logits")));
                if (c.layout() != Conversion.Layout.BC1S) continue;
                // KV-cache steps: prefill of the prefix after one empty slot, then one token with the prefix's keys.
                Path prefill = tmp.resolve(tag + "-prefill.mlpackage"), step = tmp.resolve(tag + "-step.mlpackage");
                PackagesUnderTest.export(converted, dec.withKvCache(1, prefix.length), prefill, JobContext.NONE);
                PackagesUnderTest.export(converted, dec.withKvCache(prefix.length, 1), step, JobContext.NONE);
                RunResult[] engine = decode(new Executor(converted.graph(), m.weights()), m, batch, next);
                Path preOut = tmp.resolve(tag + "-prefill.npz"), stepOut = tmp.resolve(tag + "-step.npz");
                Map<String, String> pre = strings(stepInputs(tag + "-prefill", "decoder_", prefix, 0, 1,
                        prefix.length));
                pre.putAll(crossIn);
                pre.putAll(zeroPast(prefill, tag));
                Map<String, String> stepIn = strings(stepInputs(tag + "-step", "decoder_", new long[]{next},
                        prefix.length, prefix.length, 1));
                stepIn.putAll(crossIn);
                for (String name : inputNames(step)) {
                    if (name.startsWith("past_")) stepIn.put(name, preOut + "#new_" + name.substring(5));
                }
                jobs.addAll(List.of(CoreMlCheck.Job.validate(prefill), CoreMlCheck.Job.validate(step),
                        CoreMlCheck.Job.run(prefill, pre, preOut), CoreMlCheck.Job.run(step, stepIn, stepOut)));
                checks.add(() -> {
                    measure(failures, "whisper-tiny", tag + "@prefill", logits(preOut), engine[0].tap("logits"),
                            fp32[0].tap("logits"));
                    measure(failures, "whisper-tiny", tag + "@step", logits(stepOut), engine[1].tap("logits"),
                            fp32[1].tap("logits"));
                });
            }
        }
        CoreMlCheck.batch(jobs, tmp);
        checks.forEach(Runnable::run);
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    private static void measure(List<String> failures, String model, String config, Activation coreMl, Activation ours,
            Activation original) {
        Measured r = new Measured(model, config, "logits", TapMetrics.of("logits", ours, coreMl, null).sqnrDb(),
                TapMetrics.of("logits", original, coreMl, null).sqnrDb(), TapMetrics.of("logits", original, ours,
                        null).sqnrDb());
        System.out.println("coreml " + r);
        if (r.sqnrVsEngine() < MIN_SQNR_DB) failures.add(r + ": below " + MIN_SQNR_DB + " dB against the engine");
        if (Math.abs(r.driftCoreMl() - r.driftEngine()) > MAX_DRIFT_DIFFERENCE_DB) failures.add(r + ": drift differs");
    }

    /** The engine's prefill of a batch and its decoding of {@code next} through one KV cache. */
    private static RunResult[] decode(Executor e, LoadedModel m, Batch prefill, long next) {
        KvCache cache = new KvCache(1, m.config().maxPositions());
        RunResult first = e.run(prefill, cache, JobContext.NONE);
        RunResult step = e.run(Batch.of(next), cache, JobContext.NONE);
        return new RunResult[]{first, step};
    }

    /** The engine's prefill of {@code prompt} and its decoding of {@code next} through one KV cache. */
    private static RunResult[] decode(Executor e, LoadedModel m, long[] prompt, long next) {
        return decode(e, m, Batch.of(prompt), next);
    }

    /**
     * input_ids, position_ids (from {@code first}) and an attention_mask over {@code slots} cache slots (the first
     * {@code first} filled) and the new tokens.
     */
    private Map<String, Path> stepInputs(String tag, long[] ids, int first, int slots,
            int newTokens) throws IOException {
        return stepInputs(tag, "", ids, first, slots, newTokens);
    }

    /** With a name prefix on the token inputs (a decoder's "decoder_"). */
    private Map<String, Path> stepInputs(String tag, String prefix, long[] ids, int first, int slots,
            int newTokens) throws IOException {
        int[] idsI = new int[ids.length], pos = new int[ids.length], mask = new int[slots + newTokens];
        for (int i = 0; i < ids.length; i++) {
            idsI[i] = (int) ids[i];
            pos[i] = first + i;
        }
        for (int j = 0; j < slots; j++) mask[j] = j < first ? 1 : 0;
        for (int t = 0; t < newTokens; t++) mask[slots + t] = 1;
        Map<String, Path> in = new LinkedHashMap<>();
        in.put(prefix + ModelGraph.INPUT_IDS, tmp.resolve(tag + "-ids.npy"));
        in.put(ProgramTranslator.POSITION_IDS, tmp.resolve(tag + "-pos.npy"));
        in.put(prefix + ProgramTranslator.ATTENTION_MASK, tmp.resolve(tag + "-mask.npy"));
        NumpyArrays.writeInt32(in.get(prefix + ModelGraph.INPUT_IDS), idsI, 1, ids.length);
        NumpyArrays.writeInt32(in.get(ProgramTranslator.POSITION_IDS), pos, 1, ids.length);
        NumpyArrays.writeInt32(in.get(prefix + ProgramTranslator.ATTENTION_MASK), mask, 1, mask.length);
        return in;
    }

    /** The model description's input names, read from the spec by field numbers. */
    static List<String> inputNames(Path pkg) throws IOException {
        ProtoFields model = ProtoFields.parse(Files.readAllBytes(pkg.resolve(CoreMlExporter.MODEL)));
        return model.message(2).messages(1).stream().map(f -> f.string(1)).toList();
    }

    static long[] inputShape(Path pkg, String name) throws IOException {
        ProtoFields model = ProtoFields.parse(Files.readAllBytes(pkg.resolve(CoreMlExporter.MODEL)));
        for (ProtoFields f : model.message(2).messages(1)) {
            if (!f.string(1).equals(name)) continue;
            // ArrayFeatureType.shape: packed int64 (field 1).
            ByteString packed = f.message(3).message(5).fields().getField(1).getLengthDelimitedList().getFirst();
            CodedInputStream in = packed.newCodedInput();
            List<Long> dims = new ArrayList<>();
            while (!in.isAtEnd()) dims.add(in.readInt64());
            return dims.stream().mapToLong(Long::longValue).toArray();
        }
        throw new AssertionError("no input " + name);
    }

    private Path npz(Case c) {
        return tmp.resolve(c.model() + "-" + c.config() + ".npz");
    }

    static Map<String, String> strings(Map<String, Path> inputs) {
        Map<String, String> m = new LinkedHashMap<>();
        inputs.forEach((k, v) -> m.put(k, v.toString()));
        return m;
    }

    /**
     * The two commands as a CI script calls them, one process each: {@code coreml-check validate PKG} says RESULT: OK,
     * {@code coreml-check run PKG --input ... --out OUT.npz} reproduces the engine (the other tests batch the same
     * functions in one process).
     */
    @Test
    void commandLineValidateAndRun() throws Exception {
        CoreMlCheck.tool();
        try (LoadedModel m = ModelLoader.load(Fixtures.fixture("bert-tiny").toString(), JobContext.NONE)) {
            long[] tokens = {101, 1996, 15756, 3194, 102};
            Sample sample = textSample("cli", m, tokens, 2);
            ConvertedModel converted = ModelSession.of(m).convert(Conversion.ANE_DEFAULT);
            Path pkg = tmp.resolve("cli.mlpackage");
            PackagesUnderTest.export(converted,
                    CoreMlOptions.DEFAULT.withSequence(CoreMlOptions.Sequence.fixed(sample.batch().seq())), pkg,
                    JobContext.NONE);
            assertTrue(CoreMlCheck.validate(pkg).contains("RESULT: OK"));
            Map<String, NumpyArrays.Array> out = CoreMlCheck.run(pkg, sample.inputs(), tmp.resolve("cli.npz"));
            RunResult ours = converted.run(sample.batch(), JobContext.NONE);
            double sqnr = TapMetrics.of("hidden_states.2", ours.tap("hidden_states.2"),
                    activation(out.get("last_hidden_state")), sample.batch()).sqnrDb();
            assertTrue(sqnr >= MIN_SQNR_DB, "last_hidden_state " + sqnr + " dB against the engine");
        }
    }

    /** The batch fails on what the commands fail on: a truncated weight.bin, an input the program does not have. */
    @Test
    void batchReportsBrokenPackagesAndBadInputs() throws Exception {
        CoreMlCheck.tool();
        try (LoadedModel m = ModelLoader.load(Fixtures.fixture("bert-tiny").toString(), JobContext.NONE)) {
            Sample sample = textSample("broken", m, new long[]{101, 102}, 0);
            Path good = tmp.resolve("good.mlpackage"), broken = tmp.resolve("broken.mlpackage");
            CoreMlOptions options = CoreMlOptions.DEFAULT.withSequence(CoreMlOptions.Sequence.fixed(2));
            PackagesUnderTest.export(ModelSession.of(m).convert(Conversion.ANE_DEFAULT), options, good,
                    JobContext.NONE);
            PackagesUnderTest.export(ModelSession.of(m).convert(Conversion.ANE_DEFAULT), options, broken,
                    JobContext.NONE);
            Path weights = broken.resolve(CoreMlExporter.WEIGHTS);
            byte[] bytes = Files.readAllBytes(weights);
            Files.write(weights, Arrays.copyOf(bytes, bytes.length / 2));
            Map<String, String> wrong = new LinkedHashMap<>(strings(sample.inputs()));
            wrong.put("no_such_input", wrong.get(ModelGraph.INPUT_IDS));
            List<CoreMlCheck.Job> jobs = List.of(CoreMlCheck.Job.validate(good), CoreMlCheck.Job.validate(broken),
                    CoreMlCheck.Job.run(good, wrong, tmp.resolve("wrong.npz")));
            AssertionError e = assertThrows(AssertionError.class, () -> CoreMlCheck.batch(jobs, tmp));
            assertTrue(e.getMessage().contains("validate broken.mlpackage"), e.getMessage());
            assertTrue(e.getMessage().contains("run good.mlpackage (exit 2)"), e.getMessage());
            assertTrue(!e.getMessage().contains("validate good.mlpackage"), e.getMessage());
        }
    }

    /** Positions of every text sample: more positions make the FP16 drift comparison steadier. */
    static final int TEXT_POSITIONS = Integer.getInteger("positions", 64);

    /**
     * The fixture's sequences joined and repeated to {@link #TEXT_POSITIONS} tokens: one FP16 rounding pattern over a
     * dozen positions decides a drift figure to a few tenths of a dB; over 64 it is steadier.
     */
    static long[] longer(JsonNode sequences) {
        List<Long> ids = new ArrayList<>();
        for (JsonNode s : sequences) for (JsonNode t : s) ids.add(t.asLong());
        return repeat(ids.stream().mapToLong(Long::longValue).toArray());
    }

    static long[] repeat(long[] ids) {
        long[] out = new long[TEXT_POSITIONS];
        for (int i = 0; i < out.length; i++) out[i] = ids[i % ids.length];
        return out;
    }

    private List<Case> vit() throws IOException {
        Path dir = Fixtures.fixture("vit-tiny");
        try (LoadedModel m = ModelLoader.load(dir.toString(), JobContext.NONE);
             SafetensorsFile ref = SafetensorsFile.open(dir.resolve("reference.safetensors"))) {
            TensorData pixels = ref.get(ModelGraph.PIXEL_VALUES);
            FeatureTensor f = new FeatureTensor(pixels.shape(), pixels.toFloatArray());
            Batch batch = Batch.ofFeatures(m.graph().fixedLength(Axis.TOKENS),
                    Map.of(ModelGraph.PIXEL_VALUES, f));
            Path npy = tmp.resolve("vit-pixel_values.npy");
            NumpyArrays.writeFloat32(npy, f.data(), f.shape());
            return export("vit-tiny", m, new Sample(batch, Map.of(ModelGraph.PIXEL_VALUES, npy)),
                    standardConfigs(m.graph()));
        }
    }

    private List<Case> whisperEncoder() throws IOException {
        Path dir = Fixtures.fixture("whisper-tiny");
        try (LoadedModel m = ModelLoader.load(dir.toString(), JobContext.NONE);
             SafetensorsFile ref = SafetensorsFile.open(dir.resolve("reference.safetensors"))) {
            TensorData features = ref.get(ModelGraph.INPUT_FEATURES);
            FeatureTensor f = new FeatureTensor(features.shape(), features.toFloatArray());
            long[] prefix = ids(json(dir.resolve("reference.json")).get("decoder_prefix"));
            // The engine runs the whole model (its decoder needs a prefix); the package is the encoder.
            Batch batch = Batch.of(prefix).withFeatures(Map.of(ModelGraph.INPUT_FEATURES, f));
            Path npy = tmp.resolve("whisper-input_features.npy");
            NumpyArrays.writeFloat32(npy, f.data(), f.shape());
            return export("whisper-tiny", m, new Sample(batch, Map.of(ModelGraph.INPUT_FEATURES, npy)),
                    standardConfigs(m.graph()));
        }
    }

    /**
     * ANE default (block 128 where Core ML can express it, else the nearest valid size), per-channel, FP16 only, HF,
     * and the ANE default with INT8 activations (coreml_batch.py adds quantize and dequantize to the interpreter).
     * Where block 128 already covers every projection's input channels, the ANE default is the per-channel package.
     */
    static Map<String, Conversion> standardConfigs(ModelGraph original) {
        CoreMlBlockSizes sizes = CoreMlBlockSizes.of(original);
        int block = sizes.nearest(128);
        Conversion ane = Conversion.ANE_DEFAULT.withInt8(true, block, false);
        Map<String, Conversion> c = new LinkedHashMap<>();
        boolean perChannel = block >= sizes.perChannelFrom();
        c.put("ane-default-b" + block + (perChannel ? "=per-channel" : ""), ane);
        if (!perChannel) c.put("int8-per-channel", Conversion.ANE_DEFAULT.withInt8(true, BlockQuantizer.PER_CHANNEL,
                false));
        c.put("fp16-only", Conversion.ANE_DEFAULT.withInt8(false, 128, false));
        c.put("hf-layout", ane.withLayout(Conversion.Layout.HF));
        // W8A8: quantize/dequantize pairs in front of the projections, calibrated on the model's sample input
        c.put("w8a8", ane.withActivations(Conversion.Activations.INT8));
        return c;
    }

    /** Token ids padded on the right with {@code padding} positions (mask 0) so that the padding mask is exercised. */
    private Sample textSample(String model, LoadedModel m, long[] tokens, int padding) throws IOException {
        int s = Math.min(tokens.length, m.config().maxPositions() - padding) + padding;
        long[][] ids = new long[1][s];
        int[][] mask = new int[1][s];
        int[] idsI = new int[s], maskI = new int[s];
        for (int t = 0; t < s - padding; t++) {
            ids[0][t] = tokens[t];
            mask[0][t] = 1;
            idsI[t] = (int) tokens[t];
            maskI[t] = 1;
        }
        Batch batch = new Batch(1, s, ids, null, mask);
        Map<String, Path> in = new LinkedHashMap<>();
        in.put(ModelGraph.INPUT_IDS, tmp.resolve(model + "-input_ids.npy"));
        in.put(ProgramTranslator.ATTENTION_MASK, tmp.resolve(model + "-attention_mask.npy"));
        NumpyArrays.writeInt32(in.get(ModelGraph.INPUT_IDS), idsI, 1, s);
        NumpyArrays.writeInt32(in.get(ProgramTranslator.ATTENTION_MASK), maskI, 1, s);
        if (m.graph().values().containsKey(ModelGraph.TOKEN_TYPE_IDS)) {
            in.put(ModelGraph.TOKEN_TYPE_IDS, tmp.resolve(model + "-token_type_ids.npy"));
            NumpyArrays.writeInt32(in.get(ModelGraph.TOKEN_TYPE_IDS), new int[s], 1, s);
        }
        return new Sample(batch, in);
    }

    /** Converts and exports each configuration, and runs our engine (FP32 original and converted) on the sample. */
    private List<Case> export(String model, LoadedModel m, Sample sample, Map<String, Conversion> configs) {
        RunResult fp32 = new Executor(m.graph(), m.weights()).run(sample.batch(), JobContext.NONE);
        CoreMlOptions options = CoreMlOptions.DEFAULT.withSequence(CoreMlOptions.Sequence.fixed(sample.batch().seq()));
        List<Case> cases = new ArrayList<>();
        for (var c : configs.entrySet()) {
            ConvertedModel converted = ModelSession.of(m).convert(c.getValue());
            Path pkg = tmp.resolve(model + "-" + c.getKey() + ".mlpackage");
            PackagesUnderTest.export(converted, options, pkg, JobContext.NONE);
            cases.add(new Case(model, c.getKey(), pkg, sample, converted.run(sample.batch(), JobContext.NONE), fp32,
                    c.getValue()));
        }
        return cases;
    }

    /** The engine tap a package output corresponds to. */
    static String tapFor(String output, RunResult r) {
        if (r.taps().containsKey(output)) return output;
        if (!output.equals(ProgramTranslator.LAST_HIDDEN_STATE)) throw new AssertionError("no tap for output "
                + output);
        for (String stack : List.of("encoder_hidden_states.", "hidden_states.")) {
            int last = -1;
            for (String t : r.taps().keySet()) {
                if (t.startsWith(stack)) last = Math.max(last, Integer.parseInt(t.substring(stack.length())));
            }
            if (last >= 0) return stack + last;
        }
        throw new AssertionError("no last hidden state tap in " + r.taps().keySet());
    }

    /** [1, S, C] or pooled [1, C] as an activation. */
    static Activation activation(NumpyArrays.Array a) {
        long[] s = a.shape();
        return s.length == 2 ? new Activation((int) s[0], 1, (int) s[1], a.data()) : new Activation((int) s[0],
                (int) s[1], (int) s[2], a.data());
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

package dev.anewb.convert.coreml;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anewb.api.ConvertedModel;
import dev.anewb.api.ModelLoader;
import dev.anewb.api.ModelSession;
import dev.anewb.io.BundledModel;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.SafetensorsWriter;
import dev.anewb.job.JobContext;
import dev.anewb.model.Axis;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.model.FeatureTensor;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.WeightInfo;
import dev.anewb.model.WeightRole;
import dev.anewb.model.arch.Architectures;
import dev.anewb.quant.BlockQuantizer;
import dev.anewb.runtime.Activation;
import dev.anewb.runtime.RunResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Writes the packages a Mac checks with Core ML itself ({@code .github/workflows/packages.yml}, job coreml-macos):
 * the bundled MiniLM and a random tiny model of every architecture (so no fixture folder is needed on GitHub), each in
 * the ANE default, per-channel INT8, FP16 only and the HF layout, with their inputs and our engine's outputs as .npy
 * files and a {@code jobs.json} that lists them. Runs only when asked: {@code -Dcoreml.artifacts=DIR}.
 */
@EnabledIfSystemProperty(named = "coreml.artifacts", matches = ".+")
class CoreMlDeviceArtifactsTest {
    /** Tiny random configurations of every exported architecture (hidden 64, 2 layers, as the fixtures). */
    static final Map<String, String> CONFIGS = new LinkedHashMap<>();

    static {
        CONFIGS.put("bert", """
                {"model_type": "bert", "architectures": ["BertModel"], "hidden_size": 64, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "intermediate_size": 128, "hidden_act": "gelu", "vocab_size": 500,
                 "max_position_embeddings": 128, "type_vocab_size": 2}""");
        CONFIGS.put("distilbert", """
                {"model_type": "distilbert", "architectures": ["DistilBertModel"], "dim": 64, "n_layers": 2,
                 "n_heads": 4, "hidden_dim": 128, "activation": "gelu", "vocab_size": 500,
                 "max_position_embeddings": 128}""");
        CONFIGS.put("gpt2", """
                {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "n_embd": 64, "n_layer": 2, "n_head": 4,
                 "n_positions": 128, "vocab_size": 500, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5,
                 "tie_word_embeddings": true}""");
        CONFIGS.put("llama", """
                {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 64,
                 "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
                 "intermediate_size": 128, "hidden_act": "silu", "max_position_embeddings": 128, "rms_norm_eps": 1e-6,
                 "vocab_size": 500, "tie_word_embeddings": false}""");
        CONFIGS.put("vit", """
                {"model_type": "vit", "architectures": ["ViTModel"], "hidden_size": 64, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "intermediate_size": 128, "hidden_act": "gelu", "image_size": 32,
                 "patch_size": 8, "num_channels": 3, "qkv_bias": true}""");
        CONFIGS.put("whisper", """
                {"model_type": "whisper", "architectures": ["WhisperForConditionalGeneration"], "d_model": 64,
                 "encoder_layers": 2, "decoder_layers": 2, "encoder_attention_heads": 4, "decoder_attention_heads": 4,
                 "encoder_ffn_dim": 128, "decoder_ffn_dim": 128, "num_mel_bins": 80, "max_source_positions": 1500,
                 "max_target_positions": 64, "vocab_size": 500, "activation_function": "gelu",
                 "tie_word_embeddings": true}""");
    }

    static final int SEQ = 24;

    @Test
    void writeArtifacts() throws IOException {
        Path out = Files.createDirectories(Path.of(System.getProperty("coreml.artifacts")).toAbsolutePath());
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ArrayNode jobs = json.createArrayNode();
        try (LoadedModel m = ModelLoader.load(BundledModel.ID, JobContext.NONE)) {
            export(out, "minilm", m, jobs);
        }
        for (var e : CONFIGS.entrySet()) {
            Path dir = randomModel(out.resolve("models").resolve(e.getKey()), e.getValue());
            try (LoadedModel m = ModelLoader.load(dir.toString(), JobContext.NONE)) {
                export(out, e.getKey(), m, jobs);
            }
        }
        Files.writeString(out.resolve("jobs.json"), json.writeValueAsString(jobs));
    }

    private void export(Path out, String name, LoadedModel m, ArrayNode jobs) throws IOException {
        ModelGraph g = m.graph();
        Map<String, Conversion> configs = new LinkedHashMap<>();
        Conversion ane = Conversion.ANE_DEFAULT.withInt8(true, CoreMlBlockSizes.of(g).nearest(128), false);
        configs.put("ane-default", ane);
        configs.put("int8-per-channel", Conversion.ANE_DEFAULT.withInt8(true, BlockQuantizer.PER_CHANNEL, false));
        configs.put("fp16-only", Conversion.ANE_DEFAULT.withInt8(false, 128, false));
        configs.put("hf-layout", ane.withLayout(Conversion.Layout.HF));
        configs.put("int8-b32", Conversion.ANE_DEFAULT.withInt8(true, 32, false));
        Path inputs = Files.createDirectories(out.resolve("inputs"));
        Map<String, String> inputFiles = new LinkedHashMap<>();
        Batch batch = sample(name, m, inputs, inputFiles);
        for (var c : configs.entrySet()) {
            String tag = name + "-" + c.getKey();
            ConvertedModel converted = ModelSession.of(m).convert(c.getValue());
            Path pkg = out.resolve("packages").resolve(tag + ".mlpackage");
            Files.createDirectories(pkg.getParent());
            CoreMlOptions options = CoreMlOptions.DEFAULT.withSequence(CoreMlOptions.Sequence.fixed(SEQ))
                    .withForce(true);
            CoreMlPreview p = PackagesUnderTest.export(converted, options, pkg, JobContext.NONE);
            RunResult ours = converted.run(batch, JobContext.NONE);
            ObjectNode job = jobs.addObject();
            job.put("name", tag);
            job.put("package", out.relativize(pkg).toString());
            ObjectNode in = job.putObject("inputs");
            inputFiles.forEach(in::put);
            ObjectNode expected = job.putObject("expected");
            for (String output : p.outputs().stream().map(d -> d.substring(0, d.indexOf(' '))).toList()) {
                if (output.startsWith("cross_")) continue;
                Activation a = ours.tap(CoreMlExportIntegrationTest.tapFor(output, ours));
                Path f = Files.createDirectories(out.resolve("expected")).resolve(tag + "." + output + ".npy");
                if (output.equals("last_hidden_state") || output.equals("logits")) NumpyArrays.writeFloat32(f,
                        a.data(), 1, a.length(), a.channels());
                else NumpyArrays.writeFloat32(f, a.data(), 1, a.channels());
                expected.put(output, out.relativize(f).toString());
            }
        }
    }

    /** A deterministic input: token ids (all valid) or random pixels / log-mel features. */
    private static Batch sample(String name, LoadedModel m, Path dir, Map<String, String> files) throws IOException {
        ModelGraph g = m.graph();
        Random r = new Random(11);
        if (g.values().containsKey(ModelGraph.PIXEL_VALUES) || g.values().containsKey(ModelGraph.INPUT_FEATURES)) {
            boolean vit = g.values().containsKey(ModelGraph.PIXEL_VALUES);
            String input = vit ? ModelGraph.PIXEL_VALUES : ModelGraph.INPUT_FEATURES;
            int rows = g.fixedLength(Axis.FEATURES), cols = g.value(input).channels();
            long[] shape = vit ? new long[]{1, rows, (long) Math.sqrt(cols), (long) Math.sqrt(cols)} : new long[]{1,
                    rows, cols};
            float[] v = new float[rows * cols];
            for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
            Path f = dir.resolve(name + "." + input + ".npy");
            NumpyArrays.writeFloat32(f, v, shape);
            files.put(input, dir.getParent().relativize(f).toString());
            FeatureTensor t = new FeatureTensor(shape, v);
            return vit ? Batch.ofFeatures(g.fixedLength(Axis.TOKENS), Map.of(input, t)) : Batch.of(1, 2,
                    3).withFeatures(Map.of(input, t));
        }
        long[] ids = new long[SEQ];
        int[] idsI = new int[SEQ], ones = new int[SEQ];
        for (int i = 0; i < SEQ; i++) {
            ids[i] = 1 + r.nextInt(m.config().vocabSize() - 1);
            idsI[i] = (int) ids[i];
            ones[i] = 1;
        }
        for (var e : Map.of(ModelGraph.INPUT_IDS, idsI, ProgramTranslator.ATTENTION_MASK, ones,
                ModelGraph.TOKEN_TYPE_IDS, new int[SEQ]).entrySet()) {
            if (e.getKey().equals(ModelGraph.TOKEN_TYPE_IDS)
                    && !g.values().containsKey(ModelGraph.TOKEN_TYPE_IDS)) continue;
            Path f = dir.resolve(name + "." + e.getKey() + ".npy");
            NumpyArrays.writeInt32(f, e.getValue(), 1, SEQ);
            files.put(e.getKey(), dir.getParent().relativize(f).toString());
        }
        return Batch.of(ids);
    }

    /** config.json and model.safetensors with N(0, 0.1) weights, norm scales 1 + N(0, 0.1). */
    static Path randomModel(Path dir, String config) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), config);
        ModelGraph g = Architectures.graph(Architectures.readConfig(dir.resolve("config.json")),
                Architectures.GraphOptions.CONFIG_ONLY);
        SafetensorsWriter w = new SafetensorsWriter();
        Random r = new Random(7);
        for (WeightInfo info : g.weights().values()) {
            long[] shape = info.storedTransposed() ? new long[]{info.shape()[1], info.shape()[0]} : info.shape();
            float[] v = new float[Math.toIntExact(info.elements())];
            for (int i = 0; i < v.length; i++) v[i] = (info.role() == WeightRole.NORM ? 1f : 0f)
                    + (float) (r.nextGaussian() * 0.1);
            w.addFloats(info.name(), shape, v);
        }
        w.write(dir.resolve("model.safetensors"));
        return dir;
    }
}

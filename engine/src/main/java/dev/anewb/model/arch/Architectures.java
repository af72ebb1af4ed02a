package dev.anewb.model.arch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.AnewbException;
import dev.anewb.model.ConfigJson;
import dev.anewb.model.ModelConfig;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.Op;
import dev.anewb.model.bert.BertConfig;
import dev.anewb.model.bert.BertGraphs;
import dev.anewb.model.bert.DistilBertConfig;
import dev.anewb.model.gpt2.GPT2Config;
import dev.anewb.model.gpt2.GPT2Graphs;
import dev.anewb.model.llama.LlamaConfig;
import dev.anewb.model.llama.LlamaGraphs;
import dev.anewb.model.llama.RopeParameters;
import dev.anewb.model.vit.ViTConfig;
import dev.anewb.model.vit.ViTGraphs;
import dev.anewb.model.whisper.WhisperConfig;
import dev.anewb.model.whisper.WhisperGraphs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The supported architectures: for each {@code model_type}, how its config.json becomes a typed config and
 * how the config becomes a {@link ModelGraph}. The one place to look for "which models can I load".
 */
public final class Architectures {
    private Architectures() { }

    /** What a graph builder may need to know beyond config.json. */
    public record GraphOptions(Predicate<String> hasWeight, boolean sentenceEmbedding) {
        /** Planning from a config alone: assume the standard heads are present. */
        public static final GraphOptions CONFIG_ONLY = new GraphOptions(n -> true, false);
    }

    /** One architecture's parser and builder. */
    public interface Support {
        ModelConfig parse(ConfigJson json);

        ModelGraph graph(ModelConfig config, GraphOptions options);
    }

    private static final Map<String, Support> SUPPORTED = new LinkedHashMap<>();

    static {
        register("bert", new Support() {
            public ModelConfig parse(ConfigJson j) {
                int hidden = j.positive("hidden_size"), heads = j.positive("num_attention_heads");
                j.divisible("hidden_size", hidden, "num_attention_heads", heads);
                String pet = j.text("position_embedding_type", "absolute");
                if (!pet.equals("absolute")) throw AnewbException.file(j.file(), "position_embedding_type \"" + pet
                        + "\" is not supported (only \"absolute\")");
                return new BertConfig(j.architecture("BertModel"), hidden, j.positive("num_hidden_layers"), heads,
                        j.positive("intermediate_size"), j.positive("vocab_size"),
                                j.positive("max_position_embeddings", 512),
                        j.positive("type_vocab_size", 2), j.text("hidden_act", "gelu"),
                                (float) j.number("layer_norm_eps", 1e-12),
                        j.integer("pad_token_id", 0), j.node());
            }

            public ModelGraph graph(ModelConfig c, GraphOptions o) {
                return BertGraphs.bert((BertConfig) c,
                        new BertGraphs.Heads(o.hasWeight().test("pooler.dense.weight"), o.sentenceEmbedding()));
            }
        });
        register("distilbert", new Support() {
            public ModelConfig parse(ConfigJson j) {
                int hidden = j.positive("dim", 768), heads = j.positive("n_heads", 12);
                j.divisible("dim", hidden, "n_heads", heads);
                return new DistilBertConfig(j.architecture("DistilBertModel"), hidden, j.positive("n_layers", 6), heads,
                        j.positive("hidden_dim", 4 * hidden), j.positive("vocab_size", 30522),
                                j.positive("max_position_embeddings", 512),
                        j.text("activation", "gelu"), j.integer("pad_token_id", 0), j.node());
            }

            public ModelGraph graph(ModelConfig c, GraphOptions o) {
                return BertGraphs.distilbert((DistilBertConfig) c, new BertGraphs.Heads(false, o.sentenceEmbedding()));
            }
        });
        register("gpt2", new Support() {
            public ModelConfig parse(ConfigJson j) {
                int hidden = j.positive("n_embd", 768), heads = j.positive("n_head", 12);
                j.divisible("n_embd", hidden, "n_head", heads);
                String act = j.text("activation_function", "gelu_new");
                if (!Op.Activation.isSupported(act)) throw AnewbException.file(j.file(), "activation_function \"" + act
                        + "\" is not supported");
                return new GPT2Config(j.architecture("GPT2LMHeadModel"), hidden, j.positive("n_layer", 12), heads,
                        j.positive("n_inner", 4 * hidden), j.positive("vocab_size", 50257),
                                j.positive("n_positions", 1024), act,
                        (float) j.number("layer_norm_epsilon", 1e-5), j.bool("scale_attn_weights", true),
                        j.bool("scale_attn_by_inverse_layer_idx", false), j.bool("tie_word_embeddings", true),
                                j.node());
            }

            public ModelGraph graph(ModelConfig c, GraphOptions o) {
                return GPT2Graphs.gpt2((GPT2Config) c, o.hasWeight());
            }
        });
        Support llama = new Support() {
            public ModelConfig parse(ConfigJson j) {
                String type = j.text("model_type", "llama");
                int hidden = j.positive("hidden_size"), heads = j.positive("num_attention_heads");
                int kvHeads = j.positive("num_key_value_heads", heads);
                if (heads % kvHeads != 0) {
                    throw AnewbException.file(j.file(), "\"num_attention_heads\" " + heads
                            + " is not a multiple of \"num_key_value_heads\" " + kvHeads);
                }
                if (!j.has("head_dim")) j.divisible("hidden_size", hidden, "num_attention_heads", heads);
                int headDim = j.positive("head_dim", hidden / heads);
                String act = j.text("hidden_act", "silu");
                if (!Op.Activation.isSupported(act)) throw AnewbException.file(j.file(), "hidden_act \"" + act
                        + "\" is not supported");
                boolean qwen = type.equals("qwen2");
                boolean attnBias = j.bool("attention_bias", false);
                // Sliding windows: Mistral whenever sliding_window is set; Qwen2 only with use_sliding_window.
                int window = (qwen ? j.bool("use_sliding_window", false) : type.equals("mistral"))
                        ? j.integer("sliding_window", 0) : 0;
                String arch = switch (type) {
                    case "mistral" -> "MistralForCausalLM";
                    case "qwen2" -> "Qwen2ForCausalLM";
                    default -> "LlamaForCausalLM";
                };
                // Sliding-window attention is not run: within the window it equals full causal attention, so the
                // context is capped at the window rather than silently computing something else beyond it.
                int maxPositions = j.positive("max_position_embeddings", 2048);
                if (window > 0) maxPositions = Math.min(maxPositions, window);
                return new LlamaConfig(type, j.architecture(arch), hidden, j.positive("num_hidden_layers"), heads,
                        kvHeads, headDim,
                        j.positive("intermediate_size"), j.positive("vocab_size"), maxPositions, act,
                        (float) j.number("rms_norm_eps", 1e-6), RopeParameters.parse(j, headDim), qwen || attnBias,
                                !qwen && attnBias,
                        j.bool("mlp_bias", false), j.bool("tie_word_embeddings", false), Math.max(0, window), j.node());
            }

            public ModelGraph graph(ModelConfig c, GraphOptions o) {
                return LlamaGraphs.llama((LlamaConfig) c, o.hasWeight());
            }
        };
        register("vit", new Support() {
            public ModelConfig parse(ConfigJson j) {
                int hidden = j.positive("hidden_size", 768), heads = j.positive("num_attention_heads", 12);
                j.divisible("hidden_size", hidden, "num_attention_heads", heads);
                int[] image = pair(j, "image_size", 224), patch = pair(j, "patch_size", 16);
                if (patch[0] != patch[1]) throw AnewbException.file(j.file(), "non-square patch_size " + patch[0] + "x"
                        + patch[1] + " is not supported");
                if (image[0] % patch[0] != 0 || image[1] % patch[0] != 0) {
                    throw AnewbException.file(j.file(), "image_size " + image[0] + "x" + image[1]
                            + " is not a multiple of patch_size " + patch[0]);
                }
                String act = j.text("hidden_act", "gelu");
                if (!Op.Activation.isSupported(act)) throw AnewbException.file(j.file(), "hidden_act \"" + act
                        + "\" is not supported");
                String pact = j.text("pooler_act", "tanh");
                if (!Op.Activation.isSupported(pact)) throw AnewbException.file(j.file(), "pooler_act \"" + pact
                        + "\" is not supported");
                return new ViTConfig(j.architecture("ViTModel"), hidden, j.positive("num_hidden_layers", 12), heads,
                        j.positive("intermediate_size", 3072), act, (float) j.number("layer_norm_eps", 1e-12),
                                image[0], image[1], patch[0],
                        j.positive("num_channels", 3), j.bool("qkv_bias", true),
                                j.positive("pooler_output_size", hidden), pact, j.node());
            }

            public ModelGraph graph(ModelConfig c, GraphOptions o) {
                return ViTGraphs.vit((ViTConfig) c, o.hasWeight());
            }
        });
        register("whisper", new Support() {
            public ModelConfig parse(ConfigJson j) {
                int d = j.positive("d_model", 384);
                int eh = j.positive("encoder_attention_heads", 6), dh = j.positive("decoder_attention_heads", 6);
                j.divisible("d_model", d, "encoder_attention_heads", eh);
                j.divisible("d_model", d, "decoder_attention_heads", dh);
                if (j.bool("scale_embedding", false)) {
                    throw AnewbException.file(j.file(),
                            "scale_embedding true is not supported (no published Whisper checkpoint uses it)");
                }
                String act = j.text("activation_function", "gelu");
                if (!Op.Activation.isSupported(act)) throw AnewbException.file(j.file(), "activation_function \"" + act
                        + "\" is not supported");
                return new WhisperConfig(j.architecture("WhisperForConditionalGeneration"), d,
                        j.positive("encoder_layers", 4),
                        j.positive("decoder_layers", 4), eh, dh, j.positive("encoder_ffn_dim", 4 * d),
                                j.positive("decoder_ffn_dim", 4 * d),
                        j.positive("vocab_size", 51865), j.positive("max_source_positions", 1500),
                                j.positive("max_target_positions", 448),
                        j.positive("num_mel_bins", 80), act, j.node());
            }

            public ModelGraph graph(ModelConfig c, GraphOptions o) {
                return WhisperGraphs.whisper((WhisperConfig) c, o.hasWeight());
            }
        });
        register("llama", llama);
        register("mistral", llama);
        register("qwen2", llama);
    }

    /** An int or a [height, width] pair (ViT's image_size / patch_size). */
    private static int[] pair(ConfigJson j, String key, int fallback) {
        JsonNode n = j.node().get(key);
        if (n != null && n.isArray() && n.size() == 2 && n.get(0).canConvertToInt() && n.get(1).canConvertToInt()
                && n.get(0).asInt() > 0 && n.get(1).asInt() > 0) {
            return new int[]{j.withinCeiling(key, n.get(0).asInt()), j.withinCeiling(key, n.get(1).asInt())};
        }
        if (n != null && n.isArray()) throw AnewbException.file(j.file(), "\"" + key
                + "\" must be a positive number or [height, width]");
        int v = j.positive(key, fallback);
        return new int[]{v, v};
    }

    /** Registers an architecture (called from this class's static block as architectures are added). */
    static void register(String modelType, Support support) {
        SUPPORTED.put(modelType, support);
    }

    public static Set<String> supported() { return SUPPORTED.keySet(); }

    public static boolean isSupported(String modelType) { return SUPPORTED.containsKey(modelType); }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reads and types a config.json; unknown model_type is an error that lists what is supported. */
    public static ModelConfig readConfig(Path configJson) {
        JsonNode node;
        try {
            if (Files.size(configJson) > 16L << 20) throw AnewbException.file(configJson,
                    "config.json larger than 16 MB; not a model config");
            node = JSON.readTree(configJson.toFile());
        } catch (NoSuchFileException e) {
            throw AnewbException.file(configJson, "no such file");
        } catch (JsonProcessingException e) {
            throw AnewbException.file(configJson, "not valid JSON (" + e.getOriginalMessage() + ")", e);
        } catch (IOException e) {
            throw AnewbException.file(configJson, "cannot read (" + e.getMessage() + ")", e);
        }
        return parseConfig(node, configJson);
    }

    public static ModelConfig parseConfig(JsonNode node, Path file) {
        if (node == null || !node.isObject()) throw AnewbException.file(file, "not a JSON object");
        JsonNode type = node.get("model_type");
        if (type == null || !type.isTextual()) {
            throw AnewbException.file(file, "no \"model_type\"; supported model types: "
                    + String.join(", ", supported()));
        }
        Support s = SUPPORTED.get(type.asText());
        if (s == null) {
            throw AnewbException.file(file, "unsupported model_type \"" + type.asText() + "\"; supported: "
                    + String.join(", ", supported()));
        }
        return s.parse(new ConfigJson(node, file));
    }

    public static ModelGraph graph(ModelConfig config, GraphOptions options) {
        Support s = SUPPORTED.get(config.modelType());
        if (s == null) throw new AnewbException("unsupported model_type \"" + config.modelType() + "\"");
        return s.graph(config, options);
    }
}

package dev.anewb.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.AnewbException;
import dev.anewb.model.WeightSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What to say about a model folder without config.json: the sizes its weights determine (hidden, layers,
 * intermediate, vocabulary, positions, from the tensor names and shapes of the common layouts), the head count when
 * an ONNX graph's reshapes state it, and the config.json line to save. Head counts do not change any weight's
 * shape, so when no graph states them they are the one thing asked for.
 */
public final class ConfigInference {
    private ConfigInference() { }

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Prefixes of task checkpoints (BertForMaskedLM's bert., GPT2LMHeadModel's transformer., ...). */
    private static final List<String> PREFIXES = List.of("", "bert.", "model.", "transformer.", "distilbert.");

    /** The error for {@code folder} without config.json, with what its weights say. */
    public static AnewbException missingConfig(Path folder) {
        String needed = "a model folder needs a config.json with model_type and the sizes (hidden_size,"
                + " num_hidden_layers, num_attention_heads, intermediate_size, vocab_size, max_position_embeddings)";
        if (!WeightSources.hasWeights(folder)) {
            return AnewbException.file(folder, "no config.json and no weights; " + needed);
        }
        Inferred in;
        try (WeightSource w = WeightSources.openFolder(folder)) {
            in = infer(w);
        } catch (AnewbException e) {
            return AnewbException.file(folder, "no config.json; " + needed + " (the weights could not be read either: "
                    + AnewbException.reason(e) + ")");
        }
        if (in == null) {
            return AnewbException.file(folder, "no config.json; " + needed + "; the weights' names are not a layout"
                    + " this tool recognises (bert, distilbert, gpt2, llama)");
        }
        String json;
        try {
            json = JSON.writeValueAsString(in.fields());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        Path target = folder.resolve("config.json");
        if (in.missing().isEmpty()) {
            return AnewbException.file(folder, "no config.json; the weights (" + in.source() + ") determine it: save "
                    + json + " as " + target + " to load the model");
        }
        return AnewbException.file(folder, "no config.json; the weights (" + in.source() + ") determine " + json
                + " but not " + String.join(" or ", in.missing()) + in.hint() + ": add " + (in.missing().size() == 1
                ? "it" : "them") + " and save the line as " + target);
    }

    /** Sizes read from the weights, the keys they cannot give, and a hint for those. */
    record Inferred(Map<String, Object> fields, List<String> missing, String hint, String source) { }

    static Inferred infer(WeightSource w) {
        String source = w.origin().getFileName().toString();
        for (String p : PREFIXES) {
            if (w.contains(p + "embeddings.word_embeddings.weight")) {
                boolean distil = w.contains(p + "transformer.layer.0.ffn.lin1.weight")
                        || w.contains("transformer.layer.0.ffn.lin1.weight");
                return distil ? distilbert(w, p, source) : bert(w, p, source);
            }
            if (w.contains(p + "wte.weight")) return gpt2(w, p, source);
            if (w.contains(p + "embed_tokens.weight")) return llama(w, p, source);
        }
        return null;
    }

    private static Inferred bert(WeightSource w, String p, String source) {
        long[] emb = shape(w, p + "embeddings.word_embeddings.weight");
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("model_type", "bert");
        f.put("hidden_size", emb[1]);
        f.put("num_hidden_layers", layers(w, p + "encoder.layer."));
        putDim(f, "intermediate_size", w, p + "encoder.layer.0.intermediate.dense.weight", 0);
        f.put("vocab_size", emb[0]);
        putDim(f, "max_position_embeddings", w, p + "embeddings.position_embeddings.weight", 0);
        putDim(f, "type_vocab_size", w, p + "embeddings.token_type_embeddings.weight", 0);
        return withHeads(f, "num_attention_heads", emb[1], w, source);
    }

    private static Inferred distilbert(WeightSource w, String p, String source) {
        long[] emb = shape(w, p + "embeddings.word_embeddings.weight");
        String layer = w.contains(p + "transformer.layer.0.ffn.lin1.weight") ? p + "transformer.layer."
                : "transformer.layer.";
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("model_type", "distilbert");
        f.put("dim", emb[1]);
        f.put("n_layers", layers(w, layer));
        putDim(f, "hidden_dim", w, layer + "0.ffn.lin1.weight", 0);
        f.put("vocab_size", emb[0]);
        putDim(f, "max_position_embeddings", w, p + "embeddings.position_embeddings.weight", 0);
        return withHeads(f, "n_heads", emb[1], w, source);
    }

    private static Inferred gpt2(WeightSource w, String p, String source) {
        long[] emb = shape(w, p + "wte.weight");
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("model_type", "gpt2");
        f.put("n_embd", emb[1]);
        f.put("n_layer", layers(w, p + "h."));
        putDim(f, "n_inner", w, p + "h.0.mlp.c_fc.weight", 1); // Conv1D stores [in, out]
        f.put("vocab_size", emb[0]);
        putDim(f, "n_positions", w, p + "wpe.weight", 0);
        return withHeads(f, "n_head", emb[1], w, source);
    }

    private static Inferred llama(WeightSource w, String p, String source) {
        long[] emb = shape(w, p + "embed_tokens.weight");
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("model_type", w.contains(p + "layers.0.self_attn.q_proj.bias") ? "qwen2" : "llama");
        f.put("hidden_size", emb[1]);
        f.put("num_hidden_layers", layers(w, p + "layers."));
        putDim(f, "intermediate_size", w, p + "layers.0.mlp.gate_proj.weight", 0);
        f.put("vocab_size", emb[0]);
        f.put("tie_word_embeddings", !w.contains("lm_head.weight"));
        List<String> missing = new ArrayList<>(List.of("num_attention_heads", "num_key_value_heads",
                "max_position_embeddings"));
        String k = p + "layers.0.self_attn.k_proj.weight";
        long kv = w.contains(k) ? shape(w, k)[0] : 0;
        String hint = " (the model card says them; key/value heads × head size = " + kv + ", heads × head size = "
                + emb[1] + ")";
        return new Inferred(f, missing, hint, source);
    }

    /** The head count from an ONNX graph's attention reshapes, else asked for with the usual head sizes as a hint. */
    private static Inferred withHeads(Map<String, Object> f, String key, long hidden, WeightSource w, String source) {
        if (w instanceof OnnxWeights onnx) {
            for (long[] s : onnx.reshapeTargets().values()) {
                if (s.length == 4 && s[2] > 0 && s[3] > 0 && s[2] * s[3] == hidden) {
                    f.put(key, s[2]);
                    return new Inferred(f, List.of(), "", source + " and its attention reshapes");
                }
            }
        }
        StringBuilder hint = new StringBuilder(" (a head count changes no weight's shape: the model card says it");
        for (long d : new long[]{64, 32, 128}) {
            if (hidden % d == 0) {
                hint.append("; ").append(hidden / d).append(" for a head size of ").append(d);
            }
        }
        return new Inferred(f, List.of(key), hint.append(")").toString(), source);
    }

    private static long[] shape(WeightSource w, String name) {
        return w.get(name).shape();
    }

    private static void putDim(Map<String, Object> f, String key, WeightSource w, String name, int axis) {
        if (w.contains(name)) f.put(key, shape(w, name)[axis]);
    }

    private static int layers(WeightSource w, String prefix) {
        Pattern p = Pattern.compile(Pattern.quote(prefix) + "(\\d{1,6})\\.");
        TreeSet<Integer> seen = new TreeSet<>();
        for (String n : w.names()) {
            Matcher m = p.matcher(n);
            if (m.lookingAt()) seen.add(Integer.parseInt(m.group(1)));
        }
        return seen.size();
    }
}

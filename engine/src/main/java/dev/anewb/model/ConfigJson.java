package dev.anewb.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anewb.AnewbException;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Typed reads from a config.json with messages that name the file and the key. */
public final class ConfigJson {
    /**
     * Ceilings on sizes, far above any published model (the largest have about 130 layers, 128 heads, hidden 25,600,
     * intermediate 73,728, vocabularies of 256k and contexts of 10M): a config beyond them is a mistake or an attack,
     * and every size downstream (graph, weight shapes, the planner's totals) is computed from these values.
     */
    private static final Map<String, Integer> CEILINGS = ceilings();
    /** Any other size: 2^24, so that products of a few of them still fit 64 bits. */
    private static final int DEFAULT_CEILING = 1 << 24;

    private static Map<String, Integer> ceilings() {
        Map<String, Integer> m = new HashMap<>();
        List<String> layers = List.of("num_hidden_layers", "n_layer", "n_layers", "encoder_layers", "decoder_layers");
        List<String> heads = List.of("num_attention_heads", "n_heads", "n_head", "num_key_value_heads",
                "encoder_attention_heads", "decoder_attention_heads");
        List<String> widths = List.of("hidden_size", "dim", "n_embd", "d_model", "pooler_output_size", "head_dim");
        List<String> inner = List.of("intermediate_size", "hidden_dim", "n_inner", "encoder_ffn_dim",
                "decoder_ffn_dim");
        layers.forEach(k -> m.put(k, 1024));
        heads.forEach(k -> m.put(k, 1024));
        widths.forEach(k -> m.put(k, 1 << 16));
        inner.forEach(k -> m.put(k, 1 << 20));
        m.put("type_vocab_size", 1 << 16);
        m.put("num_channels", 64);
        m.put("num_mel_bins", 4096);
        m.put("image_size", 16384);
        m.put("patch_size", 16384);
        return Map.copyOf(m);
    }

    /** The largest value {@code key} may have. */
    public static int ceiling(String key) {
        return CEILINGS.getOrDefault(key, DEFAULT_CEILING);
    }

    /** Refuses a size beyond {@link #ceiling}, naming the key. */
    public int withinCeiling(String key, int value) {
        int max = ceiling(key);
        if (value > max) {
            throw AnewbException.file(file, "\"" + key + "\" " + value + " is beyond what any model has (at most " + max
                    + " here); check the config");
        }
        return value;
    }

    private final JsonNode node;
    private final Path file;

    public ConfigJson(JsonNode node, Path file) {
        this.node = node;
        this.file = file;
    }

    public JsonNode node() { return node; }

    public Path file() { return file; }

    public boolean has(String key) { return node.has(key) && !node.get(key).isNull(); }

    /** A required positive integer. */
    public int positive(String key) {
        if (!has(key)) throw AnewbException.file(file, "missing \"" + key + "\"");
        return checkPositive(key, node.get(key));
    }

    public int positive(String key, int fallback) {
        return has(key) ? checkPositive(key, node.get(key)) : fallback;
    }

    private int checkPositive(String key, JsonNode v) {
        if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() <= 0) {
            throw AnewbException.file(file, "\"" + key + "\" must be a positive integer, found " + v);
        }
        return withinCeiling(key, v.asInt());
    }

    public int integer(String key, int fallback) {
        if (!has(key)) return fallback;
        JsonNode v = node.get(key);
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw AnewbException.file(file, "\"" + key
                + "\" must be an integer, found " + v);
        return v.asInt();
    }

    public double number(String key, double fallback) {
        if (!has(key)) return fallback;
        JsonNode v = node.get(key);
        if (!v.isNumber()) throw AnewbException.file(file, "\"" + key + "\" must be a number, found " + v);
        return v.asDouble();
    }

    public String text(String key, String fallback) {
        return has(key) ? node.get(key).asText() : fallback;
    }

    public boolean bool(String key, boolean fallback) {
        return has(key) ? node.get(key).asBoolean() : fallback;
    }

    /** {@code architectures[0]} or the fallback. */
    public String architecture(String fallback) {
        JsonNode a = node.get("architectures");
        return a != null && a.isArray() && !a.isEmpty() ? a.get(0).asText() : fallback;
    }

    /** Checks that hidden is divisible by heads, naming both keys. */
    public void divisible(String hiddenKey, int hidden, String headsKey, int heads) {
        if (hidden % heads != 0) {
            throw AnewbException.file(file, "\"" + hiddenKey + "\" " + hidden + " is not divisible by \"" + headsKey
                    + "\" " + heads);
        }
    }
}

package dev.anewb.model.llama;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anewb.AnewbException;
import dev.anewb.model.ConfigJson;
import dev.anewb.model.Op;

/**
 * Reads the rotary embedding settings from a config.json in both spellings transformers has used:
 * transformers 5's {@code rope_parameters} {rope_theta, rope_type, factor, ...} and the older top-level
 * {@code rope_theta} with an optional {@code rope_scaling} {type | rope_type, factor, ...}.
 * Supported types: default, linear, llama3; others are refused rather than silently run unscaled.
 */
public final class RopeParameters {
    private RopeParameters() { }

    public static Op.Rope parse(ConfigJson j, int headDim) {
        JsonNode node = j.node();
        JsonNode params = node.get("rope_parameters");
        if (params == null || params.isNull()) params = node.get("rope_scaling");
        if (params != null && !params.isNull() && !params.isObject()) {
            throw AnewbException.file(j.file(), "\"rope_parameters\" must be an object, found " + params);
        }
        double theta = number(j, params, "rope_theta", j.number("rope_theta", 10000.0));
        if (!(theta > 0)) throw AnewbException.file(j.file(), "rope_theta must be positive, found " + theta);
        String type = "default";
        if (params != null && !params.isNull()) {
            JsonNode t = params.has("rope_type") ? params.get("rope_type") : params.get("type");
            if (t != null && !t.isNull()) type = t.asText();
        }
        double partial = number(j, params, "partial_rotary_factor", j.number("partial_rotary_factor", 1.0));
        int rotaryDim = (int) (headDim * partial);
        if (rotaryDim < 2 || rotaryDim % 2 != 0 || rotaryDim > headDim) {
            throw AnewbException.file(j.file(), "rotary dimension " + rotaryDim + " (head_dim " + headDim
                    + " × partial_rotary_factor " + partial
                    + ") must be even and between 2 and head_dim");
        }
        return switch (type) {
            case "default" -> new Op.Rope(theta, rotaryDim, "default", 1, 0, 0, 0);
            case "linear" -> new Op.Rope(theta, rotaryDim, "linear", positive(j, params, "factor"), 0, 0, 0);
            case "llama3" -> {
                double factor = positive(j, params, "factor");
                double low = positive(j, params, "low_freq_factor"), high = positive(j, params, "high_freq_factor");
                if (high <= low) throw AnewbException.file(j.file(), "llama3 rope: high_freq_factor " + high
                        + " must exceed low_freq_factor " + low);
                double original = positive(j, params, "original_max_position_embeddings");
                yield new Op.Rope(theta, rotaryDim, "llama3", factor, low, high, (int) original);
            }
            default -> throw AnewbException.file(j.file(), "rope type \"" + type
                    + "\" is not supported (default, linear, llama3)");
        };
    }

    private static double number(ConfigJson j, JsonNode params, String key, double fallback) {
        if (params == null || params.isNull() || !params.has(key) || params.get(key).isNull()) return fallback;
        JsonNode v = params.get(key);
        if (!v.isNumber()) throw AnewbException.file(j.file(), "rope parameter \"" + key
                + "\" must be a number, found " + v);
        return v.asDouble();
    }

    private static double positive(ConfigJson j, JsonNode params, String key) {
        double v = number(j, params, key, Double.NaN);
        if (!(v > 0)) throw AnewbException.file(j.file(), "rope parameter \"" + key + "\" must be a positive number"
                + (Double.isNaN(v) ? " (missing)" : ", found " + v));
        return v;
    }
}

package dev.anewb.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anewb.AnewbException;

import java.nio.file.Path;

/** Typed reads from a config.json with messages that name the file and the key. */
public final class ConfigJson {
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
        return v.asInt();
    }

    public int integer(String key, int fallback) {
        if (!has(key)) return fallback;
        JsonNode v = node.get(key);
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw AnewbException.file(file, "\"" + key + "\" must be an integer, found " + v);
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
            throw AnewbException.file(file, "\"" + hiddenKey + "\" " + hidden + " is not divisible by \"" + headsKey + "\" " + heads);
        }
    }
}

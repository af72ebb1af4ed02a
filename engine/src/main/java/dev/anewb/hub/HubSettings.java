package dev.anewb.hub;

import dev.anewb.AnewbException;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the environment says about the Hub, read the way {@code huggingface_hub} reads it: the endpoint
 * ({@code HF_ENDPOINT}), the token ({@code HF_TOKEN}, then {@code HUGGING_FACE_HUB_TOKEN}, then the token file
 * {@code HF_TOKEN_PATH} or {@code $HF_HOME/token}), offline mode ({@code HF_HUB_OFFLINE}) and the cache.
 * The token is kept out of {@link #toString()} so it cannot reach a log by accident.
 */
public record HubSettings(URI endpoint, Optional<String> token, boolean offline, HfCache cache) {
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";

    private static final Set<String> TRUE = Set.of("1", "ON", "YES", "TRUE");

    public static HubSettings from(Map<String, String> env) {
        String ep = env.getOrDefault("HF_ENDPOINT", "");
        if (ep.isBlank()) ep = DEFAULT_ENDPOINT;
        while (ep.endsWith("/")) ep = ep.substring(0, ep.length() - 1);
        URI endpoint;
        try {
            endpoint = URI.create(ep);
        } catch (IllegalArgumentException e) {
            throw new AnewbException("HF_ENDPOINT \"" + ep + "\" is not a URL");
        }
        if (endpoint.getScheme() == null || endpoint.getHost() == null) {
            throw new AnewbException("HF_ENDPOINT \"" + ep + "\" is not an http(s) URL");
        }
        boolean offline = TRUE.contains(env.getOrDefault("HF_HUB_OFFLINE", "").trim().toUpperCase(Locale.ROOT));
        return new HubSettings(endpoint, token(env), offline, new HfCache(env));
    }

    static Optional<String> token(Map<String, String> env) {
        for (String name : new String[]{"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"}) {
            String t = env.get(name);
            if (t != null && !t.isBlank()) return Optional.of(t.trim());
        }
        String path = env.get("HF_TOKEN_PATH");
        Path file = path != null && !path.isBlank() ? Path.of(path) : HfCache.hfHome(env).resolve("token");
        try {
            if (Files.isRegularFile(file)) {
                String t = Files.readString(file).trim();
                if (!t.isEmpty()) return Optional.of(t);
            }
        } catch (IOException ignored) {
            // an unreadable token file is the same as none: public repos still work, gated ones say what to do
        }
        return Optional.empty();
    }

    @Override public String toString() {
        return "HubSettings[endpoint=" + endpoint + ", token=" + (token.isPresent() ? "set" : "none") + ", offline="
                + offline
                + ", cache=" + cache.root() + "]";
    }
}

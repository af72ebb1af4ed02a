package dev.anewb.model;

import dev.anewb.AnewbException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a {@code MODEL} argument names (spec/cli.md): a local folder in Hugging Face layout, a config.json
 * alone (enough to plan), a converted {@code .anepkg} folder, the bundled model, or a Hub id
 * {@code org/name[@revision]} resolved from the local Hugging Face cache.
 */
public record ModelRef(Kind kind, String text, Path path, String hubId, String revision) {
    public enum Kind { FOLDER, CONFIG_FILE, PACKAGE, BUNDLED, HUB }

    public static final String BUNDLED_MINILM = "bundled:all-MiniLM-L6-v2";

    public static ModelRef parse(String text) {
        if (text == null || text.isBlank()) throw AnewbException.usage("no model given");
        if (text.startsWith("bundled:")) {
            if (!text.equalsIgnoreCase(BUNDLED_MINILM)) {
                throw AnewbException.usage("unknown bundled model \"" + text + "\"; the bundled model is "
                        + BUNDLED_MINILM);
            }
            return new ModelRef(Kind.BUNDLED, BUNDLED_MINILM, null, null, null);
        }
        Path p = Path.of(text);
        if (Files.isDirectory(p)) {
            Kind k = text.endsWith(".anepkg") || Files.exists(p.resolve("manifest.json")) ? Kind.PACKAGE : Kind.FOLDER;
            return new ModelRef(k, text, p, null, null);
        }
        if (Files.isRegularFile(p)) {
            if (p.getFileName().toString().endsWith(".json")) return new ModelRef(Kind.CONFIG_FILE, text, p, null,
                    null);
            throw AnewbException.usage(p + ": not a model folder or config.json");
        }
        String id = text, rev = "main";
        int at = text.indexOf('@');
        if (at > 0) {
            id = text.substring(0, at);
            rev = text.substring(at + 1);
        }
        if (id.matches("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*") && !rev.isEmpty()) {
            return new ModelRef(Kind.HUB, text, null, id, rev);
        }
        throw AnewbException.usage(text + ": no such folder or file, and not a Hub id (org/name[@revision]) or "
                + BUNDLED_MINILM);
    }

    /** Size on disk of the model's files (0 for the bundled model before it is unpacked). */
    public static long sizeOnDisk(Path folder) {
        try (var s = Files.walk(folder)) {
            return s.filter(Files::isRegularFile).mapToLong(f -> {
                try {
                    return Files.size(f);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException e) {
            return 0;
        }
    }
}

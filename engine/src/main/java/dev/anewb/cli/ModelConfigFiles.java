package dev.anewb.cli;

import dev.anewb.AnewbException;
import dev.anewb.model.Architectures;
import dev.anewb.model.ModelGraph;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * MODEL for the commands that need only shapes (plan, layout): a folder holding config.json, or a config.json
 * path. Hub ids, .anepkg folders and bundled models come with the common model resolver.
 */
final class ModelConfigFiles {
    private ModelConfigFiles() { }

    static Path configJson(String model) {
        Path p = Path.of(model);
        if (Files.isDirectory(p)) {
            Path c = p.resolve("config.json");
            if (!Files.isRegularFile(c)) throw AnewbException.file(p, "folder has no config.json");
            return c;
        }
        if (Files.isRegularFile(p)) return p;
        throw AnewbException.usage(model + ": no such folder or file (MODEL is a folder with a config.json, or the path of a config.json)");
    }

    static ModelGraph graph(String model) {
        return Architectures.graph(Architectures.readConfig(configJson(model)), Architectures.GraphOptions.CONFIG_ONLY);
    }
}

package dev.anewb.ane;

import dev.anewb.model.ModelGraph;
import dev.anewb.model.arch.Architectures;

import java.net.URISyntaxException;
import java.nio.file.Path;

/** Graphs from the config.json files in test resources (config only: the planner needs no weights). */
final class TestModels {
    private TestModels() { }

    static Path config(String name) {
        try {
            return Path.of(TestModels.class.getResource("/dev/anewb/ane/" + name + "/config.json").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static ModelGraph graph(String name) {
        return Architectures.graph(Architectures.readConfig(config(name)), Architectures.GraphOptions.CONFIG_ONLY);
    }
}

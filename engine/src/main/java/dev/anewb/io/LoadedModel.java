package dev.anewb.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anewb.AnewbException;
import dev.anewb.model.ModelConfig;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.ModelRef;
import dev.anewb.model.TextTokenizer;
import dev.anewb.model.WeightSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A model ready to run or plan: where it came from, its typed config, its graph, and (unless only the
 * config was available) its memory-mapped weights and tokenizer.
 */
public final class LoadedModel implements AutoCloseable {
    private final ModelRef ref;
    private final String displayName;
    private final Path folder;
    private final ModelConfig config;
    private final ModelGraph graph;
    private final WeightSource weights;
    private final Path tokenizerJson;
    private final List<Path> files;
    private TextTokenizer tokenizer;
    private final List<String> warnings = new ArrayList<>();
    private JsonNode manifest;

    /** A converted package: its graph is already converted and its manifest is kept. */
    public static LoadedModel ofPackage(ModelRef ref, String name, Path folder, ModelConfig config, ModelGraph graph,
            WeightSource weights, Path tokenizerJson, List<Path> files, JsonNode manifest) {
        LoadedModel m = new LoadedModel(ref, name, folder, config, graph, weights, tokenizerJson, files);
        m.manifest = manifest;
        return m;
    }

    /** The manifest of a converted package, or null for a source model. */
    public JsonNode manifest() { return manifest; }

    public boolean isPackage() { return manifest != null; }

    public LoadedModel(ModelRef ref, String displayName, Path folder, ModelConfig config, ModelGraph graph,
            WeightSource weights, Path tokenizerJson, List<Path> files) {
        this.ref = ref;
        this.displayName = displayName;
        this.folder = folder;
        this.config = config;
        this.graph = graph;
        this.weights = weights;
        this.tokenizerJson = tokenizerJson;
        this.files = List.copyOf(files);
    }

    public ModelRef ref() { return ref; }

    /** Short name for headers: "all-MiniLM-L6-v2", a folder name, or a Hub id. */
    public String displayName() { return displayName; }

    public Path folder() { return folder; }

    public ModelConfig config() { return config; }

    public ModelGraph graph() { return graph; }

    public boolean hasWeights() { return weights != null; }

    /** The weights, or an error saying that only a config was given. */
    public WeightSource weights() {
        if (weights == null) throw new AnewbException(folder
                + ": no weights (only a config.json); this needs a model with weights");
        return weights;
    }

    public List<Path> files() { return files; }

    /** What loading found suspicious but not fatal (weights the graph does not use), one line each. */
    public List<String> warnings() { return List.copyOf(warnings); }

    /** Records a warning about the loaded files (weights the graph does not use, ...), shown by whoever converts it. */
    public void warn(String warning) { warnings.add(warning); }

    public boolean hasTokenizer() { return tokenizerJson != null; }

    public Path tokenizerJson() { return tokenizerJson; }

    /** The tokenizer, loaded on first use. */
    public synchronized TextTokenizer tokenizer() {
        if (tokenizerJson == null) throw new AnewbException(folder + ": no tokenizer.json; give token ids with --ids");
        if (tokenizer == null) tokenizer = HfTokenizer.open(tokenizerJson);
        return tokenizer;
    }

    @Override public synchronized void close() {
        if (weights != null) weights.close();
        if (tokenizer instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing a native tokenizer handle cannot fail in a way a user can act on
            }
        }
    }
}

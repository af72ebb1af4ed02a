package dev.anewb.api;

import dev.anewb.convert.AnePackage;
import dev.anewb.hub.HubClient;
import dev.anewb.io.BundledModel;
import dev.anewb.io.ConfigInference;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.OnnxWeights;
import dev.anewb.io.WeightChecks;
import dev.anewb.io.WeightSources;
import dev.anewb.job.JobContext;
import dev.anewb.model.ModelConfig;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.ModelRef;
import dev.anewb.model.WeightSource;
import dev.anewb.model.arch.Architectures;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

/** Turns a {@code MODEL} argument into a {@link LoadedModel}: config → graph, weights memory-mapped. */
public final class ModelLoader {
    private ModelLoader() { }

    public static LoadedModel load(String model, JobContext ctx) {
        return load(ModelRef.parse(model), ctx, true);
    }

    /**
     * @param withWeights false to read only config.json (planning); weights are then never opened
     */
    public static LoadedModel load(ModelRef ref, JobContext ctx, boolean withWeights) {
        return load(ref, ctx, withWeights, HubClient::fromEnvironment);
    }

    /**
     * @param hub the Hub a Hub id resolves through (its cache; the network only for files the cache lacks, and
     *            never with HF_HUB_OFFLINE=1); asked for only when {@code ref} is a Hub id
     */
    public static LoadedModel load(ModelRef ref, JobContext ctx, boolean withWeights, Supplier<HubClient> hub) {
        ctx.progress(0.05, "resolving " + ref.text());
        return switch (ref.kind()) {
            case BUNDLED -> {
                ctx.progress(0.1, "unpacking the bundled model");
                Path folder = BundledModel.folder();
                yield fromFolder(ref, "all-MiniLM-L6-v2", folder, ctx, withWeights, true);
            }
            case FOLDER -> fromFolder(ref, ref.path().toAbsolutePath().normalize().getFileName().toString(),
                    ref.path(), ctx, withWeights,
                    isSentenceTransformer(ref.path()));
            case CONFIG_FILE -> {
                ModelConfig config = Architectures.readConfig(ref.path());
                ModelGraph graph = Architectures.graph(config, Architectures.GraphOptions.CONFIG_ONLY);
                yield new LoadedModel(ref, ref.path().getFileName().toString(),
                        ref.path().toAbsolutePath().getParent(), config, graph, null, null,
                        List.of(ref.path()));
            }
            case HUB -> {
                Path snap = hub.get().localSnapshot(ref.hubId(), ref.revision(), withWeights, ctx.slice(0.05, 0.8));
                yield fromFolder(ref, ref.hubId(), snap, ctx, withWeights, isSentenceTransformer(snap));
            }
            case PACKAGE -> AnePackage.open(ref, ctx);
        };
    }

    /** sentence-transformers folders say so with modules.json / sentence_bert_config.json. */
    static boolean isSentenceTransformer(Path folder) {
        return Files.exists(folder.resolve("sentence_bert_config.json"))
                || Files.exists(folder.resolve("modules.json"));
    }

    private static LoadedModel fromFolder(ModelRef ref, String name, Path folder, JobContext ctx, boolean withWeights,
            boolean sentence) {
        Path config = folder.resolve("config.json");
        if (!Files.isRegularFile(config)) throw ConfigInference.missingConfig(folder);
        ctx.progress(0.2, "reading config.json");
        ModelConfig cfg = Architectures.readConfig(config);
        WeightSource weights = null;
        if (withWeights) {
            ctx.checkCancelled();
            ctx.progress(0.4, "mapping weights");
            weights = WeightSources.openFolder(folder);
        }
        try {
            WeightSource w = weights;
            ModelGraph graph = Architectures.graph(cfg, new Architectures.GraphOptions(
                    w == null ? n -> true : w::contains, sentence));
            if (w instanceof OnnxWeights onnx) WeightChecks.requireOnnxHeads(cfg, onnx, config);
            Path tok = folder.resolve("tokenizer.json");
            ctx.progress(1.0, "loaded " + name);
            Path tokenizer = Files.isRegularFile(tok) ? tok : null;
            LoadedModel m = new LoadedModel(ref, name, folder, cfg, graph, weights, tokenizer, listFiles(folder));
            if (w != null) {
                String unused = WeightChecks.unusedWeights(cfg, graph, w, config);
                if (unused != null) m.warn(unused);
            }
            return m;
        } catch (RuntimeException e) {
            if (weights != null) weights.close();
            throw e;
        }
    }

    private static List<Path> listFiles(Path folder) {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(folder)) {
            s.sorted().forEach(out::add);
        } catch (IOException ignored) {
            // listing is informational
        }
        return out;
    }
}

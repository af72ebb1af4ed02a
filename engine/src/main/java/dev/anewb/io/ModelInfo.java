package dev.anewb.io;

import dev.anewb.model.ModelConfig;
import dev.anewb.model.ModelRef;
import dev.anewb.model.WeightInfo;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** The model card facts that `anewb info` prints and the app's model card shows. */
public record ModelInfo(String name, String modelType, String architecture, long parameters, int layers, int heads,
        int kvHeads,
                        int hiddenSize, int intermediateSize, int vocabSize, int maxPositions, String dtype,
                                long sizeOnDisk,
                        List<String> files) {

    public static ModelInfo of(LoadedModel m) {
        ModelConfig c = m.config();
        String dtype = "unknown (config only)";
        if (m.hasWeights()) {
            Map<String, Long> byType = new TreeMap<>();
            for (WeightInfo w : m.graph().weights().values()) {
                byType.merge(m.weights().get(w.name()).dtype().name(), w.elements(), Long::sum);
            }
            dtype = String.join(", ", byType.keySet());
        }
        List<String> files = m.files().stream().map(Path::getFileName).map(Path::toString).toList();
        return new ModelInfo(m.displayName(), c.modelType(), c.architecture(), m.graph().parameterCount(),
                c.numLayers(), c.numHeads(),
                c.numKvHeads(), c.hiddenSize(), c.intermediateSize(), c.vocabSize(), c.maxPositions(), dtype,
                m.folder() == null ? 0 : ModelRef.sizeOnDisk(m.folder()), files);
    }

    public static String humanCount(long n) {
        if (n >= 1_000_000_000L) return String.format(Locale.ROOT, "%.2fB", n / 1e9);
        if (n >= 1_000_000L) return String.format(Locale.ROOT, "%.1fM", n / 1e6);
        if (n >= 1_000L) return String.format(Locale.ROOT, "%.1fK", n / 1e3);
        return Long.toString(n);
    }

}

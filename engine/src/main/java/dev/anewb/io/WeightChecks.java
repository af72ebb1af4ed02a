package dev.anewb.io;

import dev.anewb.AnewbException;
import dev.anewb.model.ModelConfig;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.WeightSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks of a config.json against the weights it is loaded with, for models that lie about themselves: a config
 * saying 6 layers on a 12-layer checkpoint silently drops half of it, and one saying 6 heads on a graph built with
 * 12 runs with a cosine of 0.83 to the real model.
 */
public final class WeightChecks {
    private WeightChecks() { }

    /** Buffers checkpoints carry that are not parameters of any graph. */
    private static final Pattern BUFFERS = Pattern.compile(
            ".*(position_ids|\\.masked_bias|\\.attn\\.bias|rotary_emb\\.inv_freq|num_batches_tracked)$");
    /** The layer index in a weight name: encoder.layer.7., layers.7., h.7., block.7. */
    private static final Pattern LAYER = Pattern.compile("(?:^|\\.)(?:layer|layers|h|block|blocks)\\.(\\d+)\\.");

    /**
     * A warning naming the weights the graph does not read (the first few and the count), with the layer count the
     * checkpoint has when config.json says fewer; null when every weight is used.
     */
    public static String unusedWeights(ModelConfig config, ModelGraph graph, WeightSource weights, Path configJson) {
        List<String> unused = new ArrayList<>();
        TreeSet<Integer> unusedLayers = new TreeSet<>();
        for (String n : weights.names()) {
            if (graph.weights().containsKey(n) || BUFFERS.matcher(n).matches()) continue;
            unused.add(n);
            Matcher m = LAYER.matcher(n);
            if (m.find()) {
                int layer = Integer.parseInt(m.group(1).length() > 6 ? "999999" : m.group(1));
                if (layer >= config.numLayers()) unusedLayers.add(layer);
            }
        }
        if (unused.isEmpty()) return null;
        unused.sort(null);
        String first = String.join(", ", unused.subList(0, Math.min(3, unused.size())));
        String what = weights.origin() + ": " + unused.size() + (unused.size() == 1 ? " weight is" : " weights are")
                + " not used by the " + config.modelType() + " graph config.json describes (" + first
                + (unused.size() > 3 ? ", ..." : "") + ")";
        if (!unusedLayers.isEmpty()) {
            return what + "; the checkpoint has layers up to " + unusedLayers.last() + " but " + configJson
                    + " says " + config.numLayers() + " layers";
        }
        return what;
    }

    /**
     * Refuses a config whose attention head count contradicts an ONNX graph's attention reshapes: a reshape to
     * {@code [batch, seq, H, D]} with {@code H·D = hidden} states the heads, and when none matches the config's,
     * every attention of the model would be split wrongly.
     */
    public static void requireOnnxHeads(ModelConfig config, OnnxWeights onnx, Path configJson) {
        int hidden = config.hiddenSize(), heads = config.numHeads(), d = config.headDim();
        String witness = null;
        long statedHeads = 0, statedDim = 0;
        for (Map.Entry<String, long[]> e : onnx.reshapeTargets().entrySet()) {
            long[] s = e.getValue();
            if (s.length != 4 || s[2] <= 0 || s[3] <= 0 || s[2] * s[3] != hidden) continue;
            if (s[2] == heads && s[3] == d) return;
            if (witness == null) {
                witness = e.getKey();
                statedHeads = s[2];
                statedDim = s[3];
            }
        }
        if (witness != null) {
            throw AnewbException.file(configJson, "says " + heads + " attention heads of " + d + ", but "
                    + onnx.origin().getFileName() + " splits hidden " + hidden + " into " + statedHeads + " heads of "
                    + statedDim + " (Reshape " + witness + "); correct the head count in config.json");
        }
    }
}

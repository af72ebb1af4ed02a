package dev.anewb.model;

import dev.anewb.AnewbException;

import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one description of a model that the executor, converter, drift, planner, writers and UI all read
 * (spec/architecture.md). Immutable; conversion passes return a new graph with the same ops and rewritten
 * weight storage and {@link Conversion}.
 *
 * <p>Inputs are named values: {@code input_ids} (and {@code token_type_ids}), with the attention mask
 * applied by ops that ask for it. Taps map transformers' output names ({@code hidden_states.i}, ...) onto
 * values.
 */
public final class ModelGraph {
    public static final String INPUT_IDS = "input_ids";
    public static final String TOKEN_TYPE_IDS = "token_type_ids";
    /** Vision models' image input [B, channels, H, W] (ViT). */
    public static final String PIXEL_VALUES = "pixel_values";
    /** Audio models' log-mel input [B, mels, frames] (Whisper). */
    public static final String INPUT_FEATURES = "input_features";

    private final ModelConfig config;
    private final List<Op> ops;
    private final Map<String, Value> values;
    private final Map<String, WeightInfo> weights;
    private final Map<String, String> taps;
    private final Conversion conversion;
    private final Map<Axis, Integer> fixedLengths;

    public ModelGraph(ModelConfig config, List<Op> ops, Map<String, Value> values, Map<String, WeightInfo> weights,
                      Map<String, String> taps, Conversion conversion, Map<Axis, Integer> fixedLengths) {
        this.config = config;
        this.ops = List.copyOf(ops);
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        this.weights = Collections.unmodifiableMap(new LinkedHashMap<>(weights));
        this.taps = Collections.unmodifiableMap(new LinkedHashMap<>(taps));
        this.conversion = conversion;
        this.fixedLengths = Map.copyOf(fixedLengths);
    }

    public ModelConfig config() { return config; }

    public List<Op> ops() { return ops; }

    public Map<String, Value> values() { return values; }

    public Value value(String name) {
        Value v = values.get(name);
        if (v == null) throw new IllegalArgumentException("graph has no value " + name);
        return v;
    }

    /** Weights by Hugging Face name, in the order the ops first read them. */
    public Map<String, WeightInfo> weights() { return weights; }

    /** Tap name (transformers naming) → value name, in output order. */
    public Map<String, String> taps() { return taps; }

    public Conversion conversion() { return conversion; }

    /**
     * The names transformers users look for that are taps here under another name: {@code last_hidden_state} (the
     * last of {@code hidden_states.i}, or of {@code decoder_hidden_states.i} for an encoder-decoder) and
     * {@code encoder_last_hidden_state}, mapped to the tap that holds them; names that are taps themselves (ViT's
     * last_hidden_state, pooler_output) are not repeated.
     */
    public Map<String, String> tapAliases() {
        Map<String, String> aliases = new LinkedHashMap<>();
        String decoder = lastOf("decoder_hidden_states."), plain = lastOf("hidden_states.");
        String encoder = lastOf("encoder_hidden_states.");
        String last = decoder != null ? decoder : plain;
        if (last != null && !taps.containsKey("last_hidden_state")) aliases.put("last_hidden_state", last);
        if (encoder != null && !taps.containsKey("encoder_last_hidden_state")) {
            aliases.put("encoder_last_hidden_state", encoder);
        }
        return aliases;
    }

    /** The tap {@code prefix + i} with the highest i, or null. */
    private String lastOf(String prefix) {
        String best = null;
        int bestIndex = -1;
        for (String t : taps.keySet()) {
            if (!t.startsWith(prefix) || !t.substring(prefix.length()).matches("\\d{1,6}")) continue;
            int i = Integer.parseInt(t.substring(prefix.length()));
            if (i > bestIndex) {
                bestIndex = i;
                best = t;
            }
        }
        return best;
    }

    /** A sequence length fixed by the model (ViT patches + 1, Whisper encoder frames); null when bound at run time. */
    public Integer fixedLength(Axis axis) { return fixedLengths.get(axis); }

    public Map<Axis, Integer> fixedLengths() { return fixedLengths; }

    /** Total parameters read by the graph (embeddings included). */
    public long parameterCount() {
        long n = 0;
        for (WeightInfo w : weights.values()) n += w.elements();
        return n;
    }

    /** The same graph with other weight storage and conversion settings. */
    public ModelGraph rewrite(Map<String, WeightInfo> newWeights, Conversion newConversion) {
        return new ModelGraph(config, ops, values, newWeights, taps, newConversion, fixedLengths);
    }

    public ModelGraph withOps(List<Op> newOps) {
        return new ModelGraph(config, newOps, values, weights, taps, conversion, fixedLengths);
    }


    /** The number of transformer blocks: one more than the largest op layer. */
    public int layerCount() {
        int max = -1;
        for (Op op : ops) max = Math.max(max, op.layer());
        return max + 1;
    }

    /**
     * Blocks {@code [from, to]} as a graph of their own, for measuring a range of a model too large to run whole:
     * with the embeddings when {@code from} is 0 and the final ops (norm, head, pooling) when {@code to} is the last
     * block. Values its ops read from earlier ops become inputs, given as named float inputs of the batch; each must
     * be a tap of this graph (the residual stream between blocks is: {@code hidden_states.from}), so a run of the
     * blocks before supplies it. Taps are those of values the range computes, and its inputs.
     */
    public ModelGraph layers(int from, int to) {
        int n = layerCount();
        if (from < 0 || to < from || to >= n) {
            throw AnewbException.usage("layers " + from + "-" + to + " are not a range of this model's layers 0-"
                    + (n - 1));
        }
        int first = -1, last = -1;
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            if (op.layer() >= from && op.layer() <= to) {
                if (first < 0) first = i;
                last = i;
            }
        }
        if (from == 0) first = 0;
        if (to == n - 1) last = ops.size() - 1;
        List<Op> kept = ops.subList(first, last + 1);
        Set<String> produced = new HashSet<>();
        for (Op op : kept) produced.add(op.output());
        Map<String, String> byValue = new HashMap<>();
        taps.forEach((tap, value) -> byValue.putIfAbsent(value, tap));
        Map<String, String> keptTaps = new LinkedHashMap<>();
        for (Op op : kept) {
            for (String in : op.inputs()) {
                if (produced.contains(in) || !isProducedByOp(in)) continue;
                String tap = byValue.get(in);
                if (tap == null) {
                    throw AnewbException.usage("layers " + from + "-" + to + " read \"" + in
                            + "\" from earlier layers, which no tap"
                            + " reports; this model can only be measured whole");
                }
                keptTaps.put(tap, in);
            }
        }
        taps.forEach((tap, value) -> {
            if (produced.contains(value)) keptTaps.put(tap, value);
        });
        return new ModelGraph(config, kept, values, weights, keptTaps, conversion, fixedLengths);
    }

    private boolean isProducedByOp(String value) {
        for (Op op : ops) if (op.output().equals(value)) return true;
        return false;
    }

    /**
     * Values that do not depend on the token ids: in an encoder-decoder model the encoder and the cross-attention
     * keys/values, which stay the same for every decoding step; in an encoder-only model with no ids (ViT) every
     * value. Used to run the encoder once per input while decoding, and to plan the encoder alone.
     */
    public Set<String> tokenIndependentValues() {
        Set<String> dependent = new HashSet<>(List.of(INPUT_IDS, TOKEN_TYPE_IDS));
        Set<String> out = new LinkedHashSet<>();
        for (Op op : ops) {
            boolean dep = op instanceof Op.Embed;
            for (String in : op.inputs()) dep |= dependent.contains(in);
            if (dep) dependent.add(op.output()); else out.add(op.output());
        }
        return out;
    }
}

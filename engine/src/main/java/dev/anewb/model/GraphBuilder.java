package dev.anewb.model;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Assembles a {@link ModelGraph} op by op, registering each op's output value and the weights it reads,
 * so that per-architecture builders only say what the model does.
 */
public final class GraphBuilder {
    private final ModelConfig config;
    private final List<Op> ops = new ArrayList<>();
    private final Map<String, Value> values = new LinkedHashMap<>();
    private final Map<String, WeightInfo> weights = new LinkedHashMap<>();
    private final Map<String, String> taps = new LinkedHashMap<>();
    private final Map<Axis, Integer> fixed = new EnumMap<>(Axis.class);

    public GraphBuilder(ModelConfig config) {
        this.config = config;
    }

    public GraphBuilder input(String name, Axis axis, int channels) {
        values.put(name, new Value(name, axis, channels));
        return this;
    }

    public GraphBuilder fixedLength(Axis axis, int length) {
        fixed.put(axis, length);
        return this;
    }

    public Value value(String name) {
        Value v = values.get(name);
        if (v == null) throw new IllegalStateException("no value " + name + " yet");
        return v;
    }

    private String add(Op op, Axis axis, int channels) {
        if (values.containsKey(op.output())) throw new IllegalStateException("value " + op.output() + " defined twice");
        ops.add(op);
        values.put(op.output(), new Value(op.output(), axis, channels));
        return op.output();
    }

    public GraphBuilder weight(String name, WeightRole role, boolean storedTransposed, long... shape) {
        weights.putIfAbsent(name, new WeightInfo(name, shape, role, storedTransposed, null));
        return this;
    }

    /** Word (+ position) (+ type) embedding sum. */
    public String embed(String output, String wordTable, String positionTable, int positionOffset, String typeTable) {
        int c = config.hiddenSize();
        weight(wordTable, WeightRole.EMBEDDING, false, config.vocabSize(), c);
        if (positionTable != null) weight(positionTable, WeightRole.EMBEDDING, false, config.maxPositions()
                + positionOffset, c);
        if (typeTable != null) weight(typeTable, WeightRole.EMBEDDING, false, typeVocab(), c);
        if (!values.containsKey(ModelGraph.INPUT_IDS)) input(ModelGraph.INPUT_IDS, Axis.TOKENS, 1);
        if (typeTable != null && !values.containsKey(ModelGraph.TOKEN_TYPE_IDS)) input(ModelGraph.TOKEN_TYPE_IDS,
                Axis.TOKENS, 1);
        return add(new Op.Embed(output, ModelGraph.INPUT_IDS, output, wordTable, positionTable, positionOffset,
                typeTable,
                typeTable == null ? null : ModelGraph.TOKEN_TYPE_IDS), Axis.TOKENS, c);
    }

    private int typeVocab() {
        // null is absent, as ConfigJson.positive reads it: asInt() of null made a [0, hidden] table (found by fuzzing)
        var v = config.raw() == null ? null : config.raw().get("type_vocab_size");
        return v != null && v.canConvertToInt() && v.asInt() > 0 ? v.asInt() : 2;
    }

    /** LayerNorm with weight and bias named {@code prefix.weight} / {@code prefix.bias}. */
    public String layerNorm(String output, int layer, String input, String prefix, float eps) {
        return norm(output, layer, input, prefix + ".weight", prefix + ".bias", eps, false);
    }

    public String norm(String output, int layer, String input, String weight, String bias, float eps, boolean rms) {
        int c = value(input).channels();
        weight(weight, WeightRole.NORM, false, c);
        if (bias != null) weight(bias, WeightRole.BIAS, false, c);
        return add(new Op.Norm(output, layer, input, output, weight, bias, eps, rms), value(input).axis(), c);
    }

    /** nn.Linear named {@code prefix} (weight [out, in], optional bias). */
    public String linear(String output, int layer, String input, String prefix, int out, boolean bias) {
        return linear(output, layer, input, prefix + ".weight", bias ? prefix + ".bias" : null, out, false,
                WeightRole.PROJECTION);
    }

    public String linear(String output, int layer, String input, String weight, String bias, int out,
                         boolean storedTransposed, WeightRole role) {
        int in = value(input).channels();
        weight(weight, role, storedTransposed, out, in);
        if (bias != null) weight(bias, WeightRole.BIAS, false, out);
        return add(new Op.Linear(output, layer, input, output, weight, bias, in, out), value(input).axis(), out);
    }

    public String attention(String output, int layer, String q, String k, String v, int heads, int kvHeads, int headDim,
                            boolean causal, boolean paddingMask, Op.Rope rope, float scale, boolean cross) {
        return add(new Op.Attention(output, layer, q, k, v, output, heads, kvHeads, headDim, causal, paddingMask, rope,
                scale, cross),
                value(q).axis(), heads * headDim);
    }

    public String activation(String output, int layer, String input, String function) {
        return add(new Op.Activation(output, layer, input, output, function), value(input).axis(),
                value(input).channels());
    }

    public String add(String output, int layer, String a, String b) {
        return add(new Op.Add(output, layer, a, b, output), value(a).axis(), value(a).channels());
    }

    public String mul(String output, int layer, String a, String b) {
        return add(new Op.Mul(output, layer, a, b, output), value(a).axis(), value(a).channels());
    }

    public String slice(String output, int layer, String input, int from, int to) {
        int c = value(input).channels();
        if (from < 0 || to > c || from >= to) throw new IllegalArgumentException("slice [" + from + ", " + to + ") of "
                + c + " channels");
        return add(new Op.Slice(output, layer, input, output, from, to), value(input).axis(), to - from);
    }

    public String takeFirst(String output, int layer, String input) {
        return add(new Op.TakeFirst(output, layer, input, output), Axis.POOLED, value(input).channels());
    }

    public String meanPool(String output, String input, boolean l2) {
        return add(new Op.MeanPool(output, input, output, l2), Axis.POOLED, value(input).channels());
    }

    /** Adds a custom op (for architectures with their own front ends). */
    public String op(Op op, Axis axis, int channels) {
        return add(op, axis, channels);
    }

    public GraphBuilder tap(String tapName, String valueName) {
        value(valueName);
        taps.put(tapName, valueName);
        return this;
    }

    public ModelGraph build() {
        return new ModelGraph(config, ops, values, weights, taps, Conversion.ORIGINAL, fixed);
    }
}

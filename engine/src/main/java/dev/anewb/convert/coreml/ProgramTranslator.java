package dev.anewb.convert.coreml;

import dev.anewb.AnewbException;
import dev.anewb.model.Axis;
import dev.anewb.model.ChunkPlan;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.Op;
import dev.anewb.model.TensorData;
import dev.anewb.model.Value;
import dev.anewb.model.WeightInfo;
import dev.anewb.model.WeightRole;
import dev.anewb.model.WeightSource;
import dev.anewb.quant.Int8BlockWeight;
import dev.anewb.quant.QuantizedOnce;
import dev.anewb.runtime.RotaryEmbedding;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Translates a converted {@link ModelGraph} into the main block of an ML Program, op for op, so that the package
 * computes what {@link dev.anewb.runtime.Executor} computes for the same graph: only where FP16 rounding happens
 * differs (the executor rounds each graph op's output; Core ML rounds every MIL op's output).
 *
 * <p>Layouts. BC1S (the ANE layout of ml-ane-transformers): activations {@code (1, C, 1, S)}, projections as 1×1
 * {@code conv}, norms over the channels, attention split per head with {@code split} and the two rank-4 {@code einsum}s
 * {@code "bkhc,bchq->bkhq"} (scores {@code (1, S_k, 1, S_q)}, softmax over axis 1) and {@code "bchk,bkhq->bchq"}.
 * HF: activations {@code (1, S, C)}, {@code linear}, {@code matmul} attention over {@code (1, heads, S, d)}.
 * Outputs leave in transformers' shapes ({@code [1, S, C]}, pooled {@code [1, C]}).
 *
 * <p>How the executor's semantics map:
 * <ul>
 * <li>Masks are additive: 0 where a key is allowed, −10⁴ where it is not (FP16 holds it; exp of it underflows to
 *     exactly 0 next to any allowed key, the executor's exclusion). Padding comes from {@code attention_mask}; the
 *     causal rule and the chunk band of spec/chunked-attention.md are one constant (fixed length) or computed from
 *     positions (a sequence range).</li>
 * <li>Norms are one {@code layer_norm} with weight and bias over the channels (see {@link #norm}); RMSNorm is
 *     {@code layer_norm} over {@code [x, −x]} (mean 0, so its variance is mean(x²)) with the first half kept: the sum
 *     of squares never meets FP16's range.</li>
 * <li>Activations map to Core ML's own ops: erf GELU → {@code gelu} EXACT, tanh GELU → TANH_APPROXIMATION,
 *     quick_gelu → SIGMOID_APPROXIMATION (x·σ(1.702x)), SiLU → {@code silu}.</li>
 * <li>Rotary embedding: {@code x·cos + rotate_half(x)·sin} per head with two-part FP16 cos/sin tables of the
 *     executor's own inverse frequencies (see {@link #rotate}); the attention scale multiplies q before the scores
 *     (the same product, smaller FP16 scores).</li>
 * <li>Weights: FP16 (or FP32) {@code const}; block INT8 as {@code constexpr_blockwise_shift_scale} (iOS18; data int8,
 *     scale = our FP16 scale, offset = our int8 zero point, blocks along the input channels), per-channel INT8 (block ≥
 *     input channels) as {@code constexpr_affine_dequantize} (iOS16). Both compute scale·(q − zp), our formula.</li>
 * <li>INT8 activations (W8A8): the projection's input through {@code quantize}/{@code dequantize} (iOS17, scalar
 *     scale in the compute type, no zero point), the pair coremltools' {@code linear_quantize_activations} writes;
 *     they compute the executor's clamp(rint(x / s), −128, 127)·s.</li>
 * </ul>
 *
 * <p>Beyond one forward pass: a decoding step with an explicit KV cache ({@link CoreMlOptions#kvCache}: past keys
 * and values in, the step's out, masks from positions) and an encoder-decoder model split into an encoder that also
 * outputs every decoder layer's cross-attention keys and values and a decoder that reads them.
 */
final class ProgramTranslator {
    /** Model types the exporter handles (the Llama family shares one graph). */
    static final Set<String> SUPPORTED =
            Set.of("bert", "distilbert", "gpt2", "llama", "mistral", "qwen2", "vit", "whisper");

    static final String ATTENTION_MASK = "attention_mask";
    static final String POSITION_IDS = "position_ids";
    static final String LAST_HIDDEN_STATE = "last_hidden_state";
    /** Additive mask value for a disallowed key (FP16: max 65504; two of them still fit). */
    static final float MASKED = -1e4f;

    /** A translated program and what its package declares. */
    record Program(MilBlock block, WeightBlobFile blobs, List<MlModelSpec.Feature> inputs,
                   List<MlModelSpec.Feature> outputs, CoreMlTarget target, List<String> notes) { }

    private final ModelGraph graph;
    private final WeightSource weights;
    private final CoreMlOptions options;
    private final Conversion conversion;
    private final boolean bc1s;
    /** Compute type of activations and float weights. */
    private final MilDataType act;
    /** Type of float inputs and outputs. */
    private final MilDataType io;
    private final MilBlock b = new MilBlock();
    private final WeightBlobFile blobs = new WeightBlobFile();
    private final CoreMlBlockSizes blockSizes;
    /** Graph value → program value, in the layout's shape. */
    private final Map<String, MilVar> values = new HashMap<>();
    private final Map<String, MilVar> inputs = new LinkedHashMap<>();
    private final List<MlModelSpec.Feature> inputFeatures = new ArrayList<>();
    private final Map<String, WeightBlobFile.Blob> blobCache = new HashMap<>();
    private final Map<String, MilVar> constCache = new HashMap<>();
    private final Map<String, MilVar> masks = new HashMap<>();
    private final List<String> notes = new ArrayList<>();
    private CoreMlTarget required = CoreMlTarget.IOS16;
    private boolean blockwiseNoted;
    private boolean int8InputsNoted;
    /** The text sequence length (fixed), or UNKNOWN with a range. */
    private long seq;
    /** Int32 positions 0..S−1 of a flexible text sequence, computed once. */
    private MilVar flexPositions;
    /** Int32 scalar S of a flexible text sequence. */
    private MilVar flexLength;
    /** Positions held by the KV cache of a decoding step (0: a plain forward pass). */
    private final int cache;
    /** Outputs beyond the taps: a decoding step's new keys and values. */
    private final List<MlModelSpec.Feature> stepOutputs = new ArrayList<>();
    /** Self-attention op → its index among the exported stack's self-attention layers. */
    private final Map<String, Integer> selfAttention = new HashMap<>();
    /** An encoder-decoder model: the decoder is exported (else the encoder). */
    private final boolean decoder;
    /** Cross-attention key/value values → their names as a decoder's inputs or an encoder's outputs. */
    private final Map<String, String> cross = new LinkedHashMap<>();

    private ProgramTranslator(ModelGraph graph, WeightSource weights, CoreMlOptions options) {
        this.graph = graph;
        this.weights = weights;
        this.options = options;
        this.conversion = graph.conversion();
        this.bc1s = conversion.layout() == Conversion.Layout.BC1S;
        this.act = conversion.precision() == Conversion.Precision.FP16 ? MilDataType.FP16 : MilDataType.FP32;
        this.io = options.fp16Io() ? MilDataType.FP16 : MilDataType.FP32;
        this.blockSizes = CoreMlBlockSizes.of(graph);
        this.cache = options.kvCache();
        this.decoder = options.decoder();
        int j = 0;
        for (Op op : graph.ops()) {
            if (op instanceof Op.Attention a && a.cross()) {
                cross.put(a.k(), "cross_key_" + j);
                cross.put(a.v(), "cross_value_" + j);
                j++;
            }
        }
        if (decoder && cross.isEmpty()) {
            throw AnewbException.usage("the decoder of an encoder-decoder model was asked for, but "
                    + graph.config().modelType() + " has none");
        }
    }

    /** Plans the program and its weight blobs (no weight is read yet). Refuses what it cannot export in one line. */
    static Program translate(ModelGraph graph, WeightSource weights, CoreMlOptions options) {
        return new ProgramTranslator(graph, weights, options).translate();
    }

    private Program translate() {
        String type = graph.config().modelType();
        if (!SUPPORTED.contains(type)) {
            throw new AnewbException("Core ML export does not handle model type \"" + type + "\" yet (it handles "
                    + String.join(", ", new TreeSet<>(SUPPORTED)) + ")");
        }
        Map<String, String> outs = outputs();
        for (String name : outs.keySet()) b.reserve(name);
        List<Op> ops = neededOps(outs.values());
        if (cache > 0) checkDecoding(ops);
        Set<String> produced = new HashSet<>();
        for (Op op : ops) produced.add(op.output());
        defineInputs(ops, produced);
        for (Op op : ops) values.put(op.output(), emit(op));
        if (!decoder) {
            for (var e : cross.entrySet()) {
                if (values.containsKey(e.getKey())) crossOutput(e.getValue(), values.get(e.getKey()));
            }
        }
        if (ops.stream().anyMatch(op -> op instanceof Op.Embed)) {
            notes.add("the embedding lookup (gather) runs on the CPU, not the Neural Engine");
        }
        if (act == MilDataType.FP32) {
            notes.add("FP32 compute: the Neural Engine computes in FP16 only, so Core ML runs this program on the CPU "
                    + "or GPU");
        }
        if (seq < 0 && options.sequence().sizes().isEmpty()) {
            notes.add("a sequence range (RangeDim) may keep Core ML off the Neural Engine; enumerated lengths are "
                    + "the flexible form it runs");
        }
        List<MlModelSpec.Feature> outFeatures = new ArrayList<>();
        for (var e : outs.entrySet()) outFeatures.add(output(e.getKey(), e.getValue()));
        outFeatures.addAll(stepOutputs);
        CoreMlTarget target = required;
        if (options.minimumOs() != null) {
            if (options.minimumOs().compareTo(required) < 0) {
                throw AnewbException.usage("minimum OS " + options.minimumOs().label() + " is too low for this "
                        + "program: " + requiredReason() + " needs " + required.label() + " (" + required.macOs()
                        + ")");
            }
            target = options.minimumOs();
        }
        return new Program(b, blobs, inputFeatures, outFeatures, target, notes);
    }

    private String requiredReason() {
        return switch (required) {
            case IOS18 -> "block-wise INT8 (constexpr_blockwise_shift_scale)";
            case IOS17 -> "INT8 activations (quantize/dequantize)";
            case IOS16 -> "the program";
        };
    }

    // ---- outputs and the ops they need ----

    /** Output name → graph value, in transformers' naming. */
    private Map<String, String> outputs() {
        Map<String, String> taps = graph.taps();
        Map<String, String> out = new LinkedHashMap<>();
        String type = graph.config().modelType();
        if (type.equals("whisper") && decoder) {
            out.put("logits", taps.get("logits"));
            notes.add("Whisper: the decoder; every layer's cross-attention keys and values come from the encoder "
                    + "package");
            return out;
        }
        if (type.equals("whisper")) {
            int layers = graph.config().raw() != null && graph.config().raw().has("encoder_layers")
                    ? graph.config().raw().get("encoder_layers").asInt() : -1;
            String tap = "encoder_hidden_states." + layers;
            if (!taps.containsKey(tap)) throw new AnewbException("whisper graph without the tap " + tap);
            out.put(LAST_HIDDEN_STATE, taps.get(tap));
            for (String name : cross.values()) b.reserve(name);
            notes.add("Whisper: the encoder, with every decoder layer's cross-attention keys and values "
                    + "(cross_key_i, cross_value_i) for the decoder package");
            return out;
        }
        if (taps.containsKey("logits")) {
            out.put("logits", taps.get("logits"));
            return out;
        }
        String last = taps.containsKey(LAST_HIDDEN_STATE) ? LAST_HIDDEN_STATE
                : "hidden_states." + graph.config().numLayers();
        if (!taps.containsKey(last)) throw new AnewbException(type + " graph without the tap " + last);
        out.put(LAST_HIDDEN_STATE, taps.get(last));
        for (String pooled : List.of("pooler_output", "sentence_embedding")) {
            if (taps.containsKey(pooled)) out.put(pooled, taps.get(pooled));
        }
        return out;
    }

    /** The graph's ops that the outputs depend on, in graph order. */
    private List<Op> neededOps(Collection<String> outputValues) {
        Set<String> needed = new HashSet<>(outputValues);
        // An encoder computes the cross-attention keys and values (its outputs); a decoder reads them as inputs.
        if (!decoder && graph.config().modelType().equals("whisper")) needed.addAll(cross.keySet());
        List<Op> all = graph.ops(), out = new ArrayList<>();
        for (int i = all.size() - 1; i >= 0; i--) {
            Op op = all.get(i);
            if (!needed.contains(op.output())) continue;
            out.addFirst(op);
            if (decoder && op instanceof Op.Attention a && a.cross()) needed.add(a.q());
            else needed.addAll(op.inputs());
        }
        return out;
    }

    /** A decoding step is for decoder-only models; its new keys and values become outputs named per layer. */
    private void checkDecoding(List<Op> ops) {
        boolean encoderOnly = graph.config().modelType().equals("whisper") && !decoder;
        if (!graph.config().isCausal() || encoderOnly || !graph.taps().containsKey("logits")) {
            throw AnewbException.usage("a KV-cache decoding step is for decoders (GPT-2, the Llama family, Whisper's "
                    + "decoder), not " + (encoderOnly ? "Whisper's encoder" : graph.config().modelType()));
        }
        if (options.sequence().flexible()) {
            throw AnewbException.usage("a KV-cache decoding step takes a fixed number of new tokens");
        }
        for (Op op : ops) {
            if (op instanceof Op.Attention a && !a.cross()) {
                selfAttention.put(a.name(), selfAttention.size());
                b.reserve(stepName("new_key", a));
                b.reserve(stepName("new_value", a));
            }
        }
    }

    /** "new_key_i": i counts the self-attention layers of the exported stack (a decoder's from 0). */
    private String stepName(String what, Op.Attention a) {
        return what + "_" + selfAttention.get(a.name());
    }

    /** {@code x} as the step output {@code name}: cast to the I/O type, or an identity reshape carrying the name. */
    private void stepOutput(String name, MilVar x, String description) {
        b.nameNextOp(name);
        MilVar y = io != act ? b.cast(x, io, name) : b.reshape(x, x.shape(), name);
        stepOutputs.add(new MlModelSpec.Feature(name, description, io, y.shape(), null));
    }

    // ---- inputs ----

    private void defineInputs(List<Op> ops, Set<String> produced) {
        Set<String> read = new HashSet<>();
        for (Op op : ops) for (String in : op.inputs()) if (!produced.contains(in)) read.add(in);
        if (read.contains(ModelGraph.INPUT_IDS)) {
            CoreMlOptions.Sequence s = options.sequence();
            int max = graph.config().maxPositions();
            if (s.max() > max) {
                throw AnewbException.usage("sequence length " + s.max() + " is longer than the model's " + max
                        + " positions");
            }
            if (cache > 0 && cache + s.max() > max) {
                throw AnewbException.usage("a KV cache of " + cache + " positions and " + s.max() + " new tokens pass "
                        + "the model's " + max + " positions");
            }
            seq = s.flexible() ? MilType.UNKNOWN : s.length();
            MlModelSpec.Flexibility flex = flexibility();
            tokenInput(ModelGraph.INPUT_IDS, cache > 0 ? "The step's new token ids"
                    : "Token ids from the model's tokenizer", flex);
            if (cache > 0) {
                tokenInput(POSITION_IDS, "Position of each new token (the number of tokens before it)", null);
                MilVar m = b.input(inputName(ATTENTION_MASK), MilType.of(MilDataType.INT32, 1, cache + seq));
                inputs.put(ATTENTION_MASK, m);
                inputFeatures.add(new MlModelSpec.Feature(inputName(ATTENTION_MASK),
                        "1 for the cache slots that hold a token (slot = position) and for"
                        + " the new tokens, 0 for empty slots", MilDataType.INT32, m.shape(), null));
            } else {
                tokenInput(ATTENTION_MASK, "1 for real tokens, 0 for padding", flex);
            }
            if (read.contains(ModelGraph.TOKEN_TYPE_IDS)) tokenInput(ModelGraph.TOKEN_TYPE_IDS,
                    "Segment ids (0 for a single sentence)", flex);
        } else if (options.sequence().flexible()) {
            notes.add("the sequence range does not apply: this model's input has a fixed size");
        }
        for (String name : read) {
            if (cross.containsKey(name)) {
                crossInput(name, cross.get(name));
                continue;
            }
            switch (name) {
                case ModelGraph.INPUT_IDS, ModelGraph.TOKEN_TYPE_IDS -> { }
                case ModelGraph.PIXEL_VALUES -> {
                    Op.PatchEmbed p = ops.stream().filter(o -> o instanceof Op.PatchEmbed pe && pe.input().equals(name))
                            .map(o -> (Op.PatchEmbed) o).findFirst()
                            .orElseThrow(() -> new AnewbException("pixel_values is read by an op other than a patch "
                                    + "embedding"));
                    floatInput(name, "Image as the model's image processor makes it (channels, height, width)",
                            1, p.channels(), p.height(), p.width());
                }
                case ModelGraph.INPUT_FEATURES -> {
                    Value v = graph.value(name);
                    Integer mels = graph.fixedLength(v.axis());
                    if (mels == null) throw new AnewbException("input_features without a fixed number of mel bins");
                    floatInput(name, "Log-mel spectrogram as the feature extractor makes it (mel bins, frames)", 1,
                            mels, v.channels());
                }
                default -> throw new AnewbException("graph input \"" + name + "\" has no Core ML form");
            }
        }
    }

    /** The text sequence axis (axis 1 of [1, S]) as the description declares it: null when fixed. */
    private MlModelSpec.Flexibility flexibility() {
        CoreMlOptions.Sequence s = options.sequence();
        if (!s.flexible()) return null;
        if (!s.sizes().isEmpty()) return new MlModelSpec.Flexibility.Enumerated(1,
                s.sizes().stream().mapToInt(Integer::intValue).toArray());
        return new MlModelSpec.Flexibility.Range(1, s.min(), s.max());
    }

    private void tokenInput(String name, String description, MlModelSpec.Flexibility flex) {
        long s = options.sequence().length();
        String external = inputName(name);
        inputs.put(name, b.input(external, MilType.of(MilDataType.INT32, 1, seq)));
        inputFeatures.add(new MlModelSpec.Feature(external, description, MilDataType.INT32, new long[]{1, s}, flex));
    }

    /** A decoder's token inputs carry transformers' decoder_ prefix (decoder_input_ids, decoder_attention_mask). */
    private String inputName(String name) {
        return decoder && (name.equals(ModelGraph.INPUT_IDS) || name.equals(ATTENTION_MASK)) ? "decoder_" + name : name;
    }

    /**
     * Cross-attention keys or values in the layout's shape (BC1S (1, C, 1, L), HF (1, L, C)): an encoder's extra
     * outputs and a decoder's inputs, so the decoder never recomputes them per step.
     */
    private void crossInput(String value, String name) {
        Value v = graph.value(value);
        Integer length = graph.fixedLength(v.axis());
        if (length == null) throw new AnewbException("cross-attention keys \"" + value + "\" without a fixed length");
        long[] shape = bc1s ? new long[]{1, v.channels(), 1, length} : new long[]{1, length, v.channels()};
        MilVar in = b.input(name, MilType.of(io, shape));
        inputs.put(name, in);
        inputFeatures.add(new MlModelSpec.Feature(name, description(name), io, shape, null));
        values.put(value, b.cast(in, act, name + "_" + act.castName));
    }

    private void crossOutput(String name, MilVar x) {
        b.nameNextOp(name);
        MilVar y = io != act ? b.cast(x, io, name) : b.reshape(x, x.shape(), name);
        stepOutputs.add(new MlModelSpec.Feature(name, description(name), io, y.shape(), null));
    }

    private static String description(String crossName) {
        String what = crossName.startsWith("cross_key") ? "keys" : "values";
        return "Cross-attention " + what + " of decoder layer " + crossName.substring(crossName.lastIndexOf('_') + 1)
                + " (the encoder output through its projection)";
    }

    private void floatInput(String name, String description, long... shape) {
        MilVar in = b.input(name, MilType.of(io, shape));
        inputs.put(name, in);
        inputFeatures.add(new MlModelSpec.Feature(name, description, io, shape, null));
        values.put(name, b.cast(in, act, name + "_to_" + act.castName));
    }

    private MilVar input(String name) {
        MilVar v = inputs.get(name);
        if (v == null) throw new IllegalStateException("input " + name + " not defined");
        return v;
    }

    private MilVar in(String value) {
        MilVar v = values.get(value);
        if (v == null) throw new IllegalStateException("value " + value + " is read before it is produced");
        return v;
    }

    // ---- outputs ----

    /** The value in transformers' shape and the I/O type, produced by an op named exactly {@code name}. */
    private MlModelSpec.Feature output(String name, String value) {
        MilVar x = in(value);
        Value v = graph.value(value);
        long c = v.channels();
        boolean pooled = v.axis() == Axis.POOLED;
        MilVar y;
        if (bc1s) {
            if (pooled) {
                y = x;
            } else {
                MilVar r = b.reshape(x, new long[]{1, c, -1}, name + "_bcs");
                y = b.transpose(r, new int[]{0, 2, 1}, name + "_bsc");
            }
        } else {
            y = x;
        }
        long[] shape = pooled ? new long[]{1, c} : new long[]{1, -1, c};
        if (io != act) {
            if (pooled) y = b.reshape(y, shape, name + "_flat");
            b.nameNextOp(name);
            y = b.cast(y, io, name);
        } else {
            b.nameNextOp(name);
            y = b.reshape(y, shape, name);
        }
        long[] declared = y.shape().clone();
        MlModelSpec.Flexibility flex = null;
        if (!pooled && declared[1] < 0) {
            declared[1] = options.sequence().length();
            flex = flexibility();
        }
        return new MlModelSpec.Feature(name, describe(name), io, declared, flex);
    }

    private static String describe(String output) {
        return switch (output) {
            case LAST_HIDDEN_STATE -> "Hidden states of the last layer (sequence, hidden)";
            case "pooler_output" -> "Pooled output: the first token through the pooler's dense layer and tanh";
            case "sentence_embedding" -> "Mean of the valid positions' last hidden states, L2-normalised";
            case "logits" -> "Next-token logits for every position (sequence, vocabulary)";
            default -> "";
        };
    }

    // ---- one emitter per op kind ----

    private MilVar emit(Op op) {
        return switch (op) {
            case Op.Embed e -> embed(e);
            case Op.Norm n -> norm(n);
            case Op.Linear l -> linear(l);
            case Op.Attention a -> attention(a);
            case Op.Activation a -> activation(a);
            case Op.Add a -> b.binary("add", in(a.a()), in(a.b()), a.name());
            case Op.Mul m -> b.binary("mul", in(m.a()), in(m.b()), m.name());
            case Op.Slice s -> b.slice(in(s.input()), channelAxis(), s.from(), s.to(), s.name());
            case Op.TakeFirst f -> b.slice(in(f.input()), sequenceAxis(), 0, 1, f.name());
            case Op.MeanPool p -> meanPool(p);
            case Op.PatchEmbed p -> patchEmbed(p);
            case Op.Conv1d c -> conv1d(c);
            case Op.AddPositions p -> addPositions(p);
        };
    }

    private int channelAxis() { return bc1s ? 1 : 2; }

    private int sequenceAxis() { return bc1s ? 3 : 1; }

    /** Token-major (1, S, C) → the layout: BC1S (1, C, 1, S). */
    private MilVar fromTokenMajor(MilVar x, String hint) {
        if (!bc1s) return x;
        MilVar t = b.transpose(x, new int[]{0, 2, 1}, hint + "_cs");
        return b.expandDims(t, 2, hint + "_bc1s");
    }

    private MilVar embed(Op.Embed e) {
        MilVar ids = input(e.ids());
        MilVar y = b.gather(tableConst(e.wordTable()), ids, 0, e.name() + "_word");
        if (e.positionTable() != null) {
            MilVar table = tableConst(e.positionTable());
            MilVar pos = b.gather(table, positions(e.positionOffset()), 0, e.name() + "_positions");
            y = b.binary("add", y, pos, e.name() + "_word_pos");
        }
        if (e.typeTable() != null) {
            MilVar type = b.gather(tableConst(e.typeTable()), input(e.typeIds()), 0, e.name() + "_type");
            y = b.binary("add", y, type, e.name() + "_sum");
        }
        return fromTokenMajor(y, e.name());
    }

    /** Int32 positions offset..offset+S−1 of the text sequence. */
    private MilVar positions(int offset) {
        if (cache > 0) {
            MilVar ids = cached("step_positions",
                    () -> b.reshape(input(POSITION_IDS), new long[]{seq}, "step_positions"));
            if (offset == 0) return ids;
            return cached("step_positions_" + offset,
                    () -> b.op1("add", "step_positions_" + offset, ids.type(), "x", ids, "y", offset));
        }
        if (seq >= 0) {
            int[] p = new int[(int) seq];
            for (int i = 0; i < p.length; i++) p[i] = offset + i;
            return cached("positions_" + offset, () -> b.constant("positions_" + offset, MilValue.Immediate.ints(p)));
        }
        MilVar base = flexiblePositions();
        if (offset == 0) return base;
        return cached("positions_" + offset,
                () -> b.op1("add", "positions_" + offset, base.type(), "x", base, "y", offset));
    }

    /**
     * LayerNorm, or RMSNorm as LayerNorm of [x, −x], as one {@code layer_norm} with its weight and bias over the last
     * axis: in BC1S between two exact transposes (1, C, 1, S) ↔ (1, S, 1, C). One FP16 rounding, as the executor's
     * norm (normalising first and scaling after, ml-ane-transformers' LayerNormANE, rounds two or three times and
     * measured 1–2 dB more FP16 drift on bert-tiny). Over axis 1 with the weight, Core ML would skip the transposes,
     * but coreml-check's interpreter broadcasts the weight over the last axis, so that form cannot be verified here.
     */
    private MilVar norm(Op.Norm n) {
        MilVar x = in(n.input());
        int c = (int) x.dim(channelAxis());
        MilVar t = bc1s ? b.transpose(x, new int[]{0, 3, 2, 1}, n.name() + "_channels_last") : x;
        int last = t.rank() - 1;
        MilVar gamma, beta;
        if (n.rms()) {
            // mean([x, −x]) = 0, so the variance is mean(x²): RMSNorm without squaring in FP16; keep the first half.
            t = b.concat(List.of(t, b.binary("mul", t, -1f, n.name() + "_neg")), last, n.name() + "_x_negx");
            gamma = doubledVector(n.weight(), c);
            beta = n.bias() == null ? null : doubledVector(n.bias(), c);
        } else {
            gamma = vectorConst(n.weight(), c);
            beta = n.bias() == null ? null : vectorConst(n.bias(), c);
        }
        boolean transposeBack = bc1s;
        String name = n.rms() || transposeBack ? n.name() + "_ln" : n.name();
        MilVar y = b.layerNorm(t, new int[]{last}, gamma, beta, n.eps(), name);
        if (n.rms()) y = b.slice(y, last, 0, c, transposeBack ? n.name() + "_half" : n.name());
        return transposeBack ? b.transpose(y, new int[]{0, 3, 2, 1}, n.name()) : y;
    }

    /** A weight vector written twice, [w, w]: RMSNorm's weight over [x, −x]. */
    private MilVar doubledVector(String name, int c) {
        MilType type = MilType.of(act, 2L * c);
        return cached(name + "|doubled", () -> floatConst(name + "|doubled", name + "_doubled", type, () -> {
            float[] w = new float[c], ww = new float[2 * c];
            weights.get(name).readFloats(0, w, 0, c);
            System.arraycopy(w, 0, ww, 0, c);
            System.arraycopy(w, 0, ww, c, c);
            return ww;
        }));
    }

    private MilVar linear(Op.Linear l) {
        MilVar x = l.inputQuant() == null ? in(l.input()) : int8Input(l);
        MilVar w = projectionWeight(l);
        MilVar bias = l.bias() == null ? null : vectorConst(l.bias(), l.out());
        return bc1s ? b.conv(x, w, bias, new int[]{1, 1}, null, l.name()) : b.linear(x, w, bias, l.name());
    }

    /**
     * W8A8: the linear's input through a {@code quantize}/{@code dequantize} pair (iOS17), one pair per value and
     * scale (q, k and v share their input's), as coremltools' passes leave it after their deduplication.
     */
    private MilVar int8Input(Op.Linear l) {
        Op.InputQuant q = l.inputQuant();
        if (!q.isCalibrated()) throw new IllegalStateException(l.name() + ": INT8 input not calibrated");
        required = CoreMlTarget.max(required, CoreMlTarget.IOS17);
        if (!int8InputsNoted) {
            int8InputsNoted = true;
            notes.add("INT8 activations (W8A8, quantize/dequantize, iOS17): only A17 Pro, M4 and later Neural Engines "
                    + "have the faster INT8 x INT8 path; elsewhere Core ML may run them slower or off the Neural "
                    + "Engine");
        }
        return cached("int8|" + l.input() + "|" + q.scale(), () -> {
            MilVar x = in(l.input());
            MilVar quantized = b.quantize(x, q.scale(), l.input() + "_quantized");
            return b.dequantize(quantized, q.scale(), x.dtype(), l.input() + "_dequantized");
        });
    }

    private MilVar activation(Op.Activation a) {
        MilVar x = in(a.input());
        return switch (a.function()) {
            case "gelu", "gelu_python" -> b.gelu(x, "EXACT", a.name());
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> b.gelu(x, "TANH_APPROXIMATION", a.name());
            case "quick_gelu" -> b.gelu(x, "SIGMOID_APPROXIMATION", a.name());
            case "silu", "swish" -> b.unary("silu", x, a.name());
            case "relu" -> b.unary("relu", x, a.name());
            case "tanh" -> b.unary("tanh", x, a.name());
            default -> throw new AnewbException("activation \"" + a.function() + "\" (" + a.name()
                    + ") has no Core ML export yet");
        };
    }

    /** Mean over positions with attention_mask = 1 (at least 1 in the divisor), then optionally L2-normalised. */
    private MilVar meanPool(Op.MeanPool p) {
        MilVar x = in(p.input());
        String n = p.name();
        MilVar m = b.cast(input(ATTENTION_MASK), act, n + "_mask");
        MilVar mask = b.reshape(m, bc1s ? new long[]{1, 1, 1, -1} : new long[]{1, -1, 1}, n + "_mask_shaped");
        int[] seqAxis = {sequenceAxis()};
        MilVar sum = b.reduce("reduce_sum", b.binary("mul", x, mask, n + "_masked"), seqAxis, n + "_sum");
        MilVar count = b.binary("maximum", b.reduce("reduce_sum", mask, seqAxis, n + "_count"), 1f, n + "_count_1");
        MilVar mean = b.binary("real_div", sum, count, n + "_mean");
        if (!p.l2Normalize()) return mean;
        MilVar squares = b.binary("mul", mean, mean, n + "_sq");
        MilVar sq = b.reduce("reduce_sum", squares, new int[]{channelAxis()}, n + "_sum_sq");
        // The executor divides by max(norm, 1e-12); in FP16 the smallest positive value stands in for 1e-12.
        float tiny = act == MilDataType.FP16 ? Float.float16ToFloat((short) 1) : 1e-12f;
        MilVar norm = b.binary("maximum", b.unary("sqrt", sq, n + "_norm"), tiny, n + "_norm_min");
        return b.binary("real_div", mean, norm, n);
    }

    // ---- attention ----

    private MilVar attention(Op.Attention a) {
        int h = a.heads(), kvh = a.kvHeads(), hd = a.headDim(), group = h / kvh;
        String n = a.name();
        MilVar q = in(a.q()), k = in(a.k()), v = in(a.v());
        MilVar mask = mask(a);
        if (bc1s) {
            if (a.rope() != null) {
                q = ropeBc1s(q, a.rope(), h, hd, n + "_q_rope");
                k = ropeBc1s(k, a.rope(), kvh, hd, n + "_k_rope");
            }
            q = b.binary("mul", q, a.scale(), n + "_q_scaled");
            if (cache > 0 && !a.cross()) {
                k = withCache(a, "key", k, 3, new long[]{1, (long) kvh * hd, 1, cache});
                v = withCache(a, "value", v, 3, new long[]{1, (long) kvh * hd, 1, cache});
            }
            List<MilVar> qh = h == 1 ? List.of(q) : b.split(q, 1, h, n + "_q_heads");
            MilVar kt = b.transpose(k, new int[]{0, 3, 2, 1}, n + "_k_t");
            List<MilVar> kh = kvh == 1 ? List.of(kt) : b.split(kt, 3, kvh, n + "_k_heads");
            List<MilVar> vh = kvh == 1 ? List.of(v) : b.split(v, 1, kvh, n + "_v_heads");
            List<MilVar> outs = new ArrayList<>();
            for (int i = 0; i < h; i++) {
                String p = n + "_h" + i;
                MilVar s = b.einsum(kh.get(i / group), qh.get(i), "bkhc,bchq->bkhq", p + "_scores");
                if (mask != null) s = b.binary("add", s, mask, p + "_masked");
                MilVar probs = b.softmax(s, 1, p + "_probs");
                outs.add(b.einsum(vh.get(i / group), probs, "bchk,bkhq->bchq", p + "_out"));
            }
            return outs.size() == 1 ? outs.getFirst() : b.concat(outs, 1, n);
        }
        MilVar qh = heads(q, h, hd, n + "_q"), kh = heads(k, kvh, hd, n + "_k"), vh = heads(v, kvh, hd, n + "_v");
        if (a.rope() != null) {
            qh = ropeHf(qh, a.rope(), hd, n + "_q_rope");
            kh = ropeHf(kh, a.rope(), hd, n + "_k_rope");
        }
        qh = b.binary("mul", qh, a.scale(), n + "_q_scaled");
        if (cache > 0 && !a.cross()) {
            kh = withCache(a, "key", kh, 2, new long[]{1, kvh, cache, hd});
            vh = withCache(a, "value", vh, 2, new long[]{1, kvh, cache, hd});
        }
        if (group > 1) {
            kh = repeatKv(kh, kvh, group, hd, n + "_k_rep");
            vh = repeatKv(vh, kvh, group, hd, n + "_v_rep");
        }
        MilVar s = b.matmul(qh, kh, true, n + "_scores");
        if (mask != null) s = b.binary("add", s, mask, n + "_masked");
        MilVar probs = b.softmax(s, 3, n + "_probs");
        MilVar o = b.matmul(probs, vh, false, n + "_ctx");
        MilVar t = b.transpose(o, new int[]{0, 2, 1, 3}, n + "_ctx_t");
        return b.reshape(t, new long[]{1, -1, (long) h * hd}, n);
    }

    /**
     * A decoding step's keys or values: the new ones leave as {@code new_key_i} / {@code new_value_i} (keys after the
     * rotary embedding, as the engine caches them) and attention reads {@code past_…_i} followed by them along the
     * sequence axis. Cache layout: BC1S (1, kv·d, 1, P); HF (1, kv, P, d), transformers' past_key_values layout.
     */
    private MilVar withCache(Op.Attention a, String what, MilVar fresh, int axis, long[] cacheShape) {
        int layer = selfAttention.get(a.name());
        String name = "past_" + what + "_" + layer;
        String roped = what.equals("key") && a.rope() != null ? " (after the rotary embedding)" : "";
        stepOutput(stepName("new_" + what, a), fresh, "The step's " + what + "s of layer " + layer + roped
                + ": the caller writes them into " + name + " at position_ids");
        MilVar past = b.input(name, MilType.of(io, cacheShape));
        inputs.put(name, past);
        String description = "Cached " + what + "s of layer " + layer + ", slot = position";
        inputFeatures.add(new MlModelSpec.Feature(name, description, io, cacheShape, null));
        MilVar cached = b.cast(past, act, name + "_" + act.castName);
        return b.concat(List.of(cached, fresh), axis, a.name() + "_" + what + "s");
    }

    /** HF layout: (1, S, n·d) → (1, n, S, d). */
    private MilVar heads(MilVar x, int n, int d, String hint) {
        MilVar r = b.reshape(x, new long[]{1, -1, n, d}, hint + "_split");
        return b.transpose(r, new int[]{0, 2, 1, 3}, hint + "_heads");
    }

    /** Grouped-query attention: kv head j serves query heads j·g .. j·g+g−1 (the executor's h / group). */
    private MilVar repeatKv(MilVar x, int kvh, int group, int d, String hint) {
        MilVar e = b.expandDims(x, 2, hint + "_e");
        MilVar t = b.tile(e, new int[]{1, 1, group, 1, 1}, hint + "_tiled");
        return b.reshape(t, new long[]{1, (long) kvh * group, -1, d}, hint);
    }

    /**
     * The additive mask for an attention op, shared by every layer of the same kind: BC1S {@code (1, S_k, 1, S_q)},
     * HF {@code (1, 1, S_q, S_k)}; null when every key is allowed.
     */
    private MilVar mask(Op.Attention a) {
        // Cross-attention sees every encoder position: no padding, no causal rule, never chunked.
        if (a.cross()) return null;
        // the converter wrote the chunk band on the op (null: full attention)
        Op.Chunk ch = a.chunk();
        if (cache > 0) return cached("step_mask", () -> stepMask(a.causal(), ch));
        long n = in(a.q()).dim(sequenceAxis());
        boolean chunk = ch != null && ch.window() < (n >= 0 ? n : options.sequence().max());
        boolean band = a.causal() || chunk;
        if (!a.paddingMask() && !band) return null;
        String key = "mask_" + a.paddingMask() + "_" + a.causal() + "_" + chunk + "_" + n;
        return cached(key, () -> {
            MilVar padding = a.paddingMask() ? paddingMask() : null;
            MilVar bandMask = band ? bandMask((int) n, a.causal(), chunk ? ch : null) : null;
            if (padding == null) return bandMask;
            if (bandMask == null) return padding;
            return b.binary("add", bandMask, padding, key);
        });
    }

    /**
     * A decoding step's mask over [cache slots, new tokens]: padding from attention_mask, the causal rule and chunk
     * band from positions (slot j holds position j; new token t sits at position_ids[t]). The band applies unless
     * every position so far, up to the last new one, fits the window: the engine's rule for cached attention.
     */
    private MilVar stepMask(boolean causal, Op.Chunk chunk) {
        float[] slots = new float[cache];
        for (int j = 0; j < cache; j++) slots[j] = j;
        MilVar queryPos = b.cast(positions(0), MilDataType.FP32, "step_positions_fp32");
        MilValue slotValues = MilValue.Immediate.floats(MilDataType.FP32, new long[]{cache}, slots);
        MilVar slotPos = b.constant("slot_positions", slotValues);
        MilVar keyPos = b.concat(List.of(slotPos, queryPos), 0, "key_positions_all");
        MilVar last = b.op1("reduce_max", "last_position", MilType.scalar(MilDataType.INT32),
                "x", positions(0), "axes", new int[]{0}, "keep_dims", false);
        MilVar length = b.op1("add", "step_length", MilType.scalar(MilDataType.INT32), "x", last, "y", 1);
        MilVar band = positionMask(keyPos, queryPos, length, causal, chunk, cache + (int) seq);
        MilVar padding = paddingMask();
        return band == null ? padding : b.binary("add", band, padding, "step_mask");
    }

    /** 0 for real tokens, −10⁴ for padding, on the key axis. */
    private MilVar paddingMask() {
        return cached("padding_mask", () -> {
            MilVar m = b.cast(input(ATTENTION_MASK), act, "attention_mask_" + act.castName);
            MilVar shifted = b.binary("sub", m, 1f, "attention_mask_minus_1");
            MilVar additive = b.binary("mul", shifted, -MASKED, "padding_additive");
            return b.reshape(additive, bc1s ? new long[]{1, -1, 1, 1} : new long[]{1, 1, 1, -1}, "padding_mask");
        });
    }

    /** The causal rule and the chunk band of spec/chunked-attention.md as an additive mask. */
    private MilVar bandMask(int n, boolean causal, Op.Chunk chunk) {
        if (n < 0) return flexibleBandMask(causal, chunk);
        ChunkPlan plan = chunk != null ? ChunkPlan.of(n, chunk.window(), chunk.overlap(), causal)
                : ChunkPlan.full(n, causal);
        float[] m = new float[n * n];
        for (int q = 0; q < n; q++) {
            int block = plan.blockOf(q);
            int lo = plan.keyStart(block), hi = causal ? Math.min(plan.keyEnd(block), q + 1) : plan.keyEnd(block);
            for (int k = 0; k < n; k++) {
                float v = k >= lo && k < hi ? 0f : MASKED;
                // BC1S scores are [key, query]; HF scores [query, key].
                m[bc1s ? k * n + q : q * n + k] = v;
            }
        }
        long[] shape = bc1s ? new long[]{1, n, 1, n} : new long[]{1, 1, n, n};
        return floatConst("band_mask_" + causal + "_" + chunk, "band_mask", MilType.of(act, shape), () -> m);
    }

    // ---- rotary embedding ----

    /** BC1S: x (1, n·d, 1, S) rotated per head as (1, n, d, S). */
    private MilVar ropeBc1s(MilVar x, Op.Rope rope, int n, int d, String hint) {
        MilVar r = b.reshape(x, new long[]{1, n, d, -1}, hint + "_heads");
        MilVar y = rotate(r, rope, d, 2, hint);
        return b.reshape(y, new long[]{1, (long) n * d, 1, -1}, hint);
    }

    /** HF: x (1, n, S, d). */
    private MilVar ropeHf(MilVar x, Op.Rope rope, int d, String hint) {
        return rotate(x, rope, d, 3, hint);
    }

    /**
     * x·cos + rotate_half(x)·sin with the head dimension on {@code axis}. An FP16 cos or sin is off by up to 2⁻¹²
     * of itself, which measured 0.4 dB of FP16 drift on llama-tiny beyond the executor's FP32 rotation; so each table
     * is two FP16 parts, hi = fp16(t) and lo = fp16(t − hi) (together within 2⁻²² of t), and
     * [x; x; r; r]·[cos_hi; cos_lo; sin_hi; sin_lo] is stacked on the batch axis and summed: two ops round.
     */
    private MilVar rotate(MilVar x, Op.Rope rope, int d, int axis, String hint) {
        int rd = rope.rotaryDim(), half = rd / 2;
        int[] sizes = rd < d ? new int[]{half, half, d - rd} : new int[]{half, half};
        List<MilVar> parts = b.split(x, axis, sizes, hint + "_parts");
        List<MilVar> rot = new ArrayList<>(List.of(b.binary("mul", parts.get(1), -1f, hint + "_neg_x2"), parts.get(0)));
        if (rd < d) rot.add(parts.get(2));
        MilVar rotated = b.concat(rot, axis, hint + "_rotated");
        MilVar stacked = b.concat(List.of(x, x, rotated, rotated), 0, hint + "_stacked");
        MilVar products = b.binary("mul", stacked, ropeTable(rope, d), hint + "_products");
        return b.reduce("reduce_sum", products, new int[]{0}, hint + "_sum");
    }

    /**
     * [cos_hi; cos_lo; sin_hi; sin_lo] per (dimension of a head, position): BC1S (4, 1, d, S), HF (4, 1, S, d).
     * Dimension i and i + rd/2 share angle i; dimensions past the rotary dimension get cos 1 and sin 0 (pass
     * through). The angle is the executor's float32 {@code inv_freq · position}. An FP32 program keeps lo = 0.
     */
    private MilVar ropeTable(Op.Rope rope, int d) {
        return cached("rope|" + rope + "|" + d, () -> {
            float[] inv = RotaryEmbedding.inverseFrequencies(rope);
            int half = rope.rotaryDim() / 2;
            int n = cache > 0 ? graph.config().maxPositions() : seq >= 0 ? (int) seq : options.sequence().max();
            int plane = d * n;
            float[] table = new float[4 * plane];
            for (int p = 0; p < n; p++) {
                for (int j = 0; j < d; j++) {
                    float c = 1f, s = 0f;
                    if (j < 2 * half) {
                        float angle = inv[j % half] * (float) p;
                        c = (float) Math.cos(angle);
                        s = (float) Math.sin(angle);
                    }
                    int at = bc1s ? j * n + p : p * d + j;
                    float cHi = act == MilDataType.FP16 ? Float.float16ToFloat(Float.floatToFloat16(c)) : c;
                    float sHi = act == MilDataType.FP16 ? Float.float16ToFloat(Float.floatToFloat16(s)) : s;
                    table[at] = cHi;
                    table[plane + at] = c - cHi;
                    table[2 * plane + at] = sHi;
                    table[3 * plane + at] = s - sHi;
                }
            }
            MilType t = MilType.of(act, bc1s ? new long[]{4, 1, d, n} : new long[]{4, 1, n, d});
            MilVar cs = floatConst("rope_table|" + rope + "|" + d, "rope_cos_sin", t, () -> table);
            // A sequence range: the table holds every position up to the maximum; take the first S. A decoding step:
            // every position of the context; take the new tokens'.
            if (cache > 0) return b.gather(cs, positions(0), bc1s ? 3 : 2, "rope_cos_sin_step");
            return seq >= 0 ? cs : b.gather(cs, flexiblePositions(), bc1s ? 3 : 2, "rope_cos_sin_s");
        });
    }

    // ---- flexible sequence length (a RangeDim input) ----

    /** Positions 0..S−1 of the text input, from its own length (no shape op needed). */
    private MilVar flexiblePositions() {
        if (flexPositions != null) return flexPositions;
        MilVar ids = input(ModelGraph.INPUT_IDS);
        MilVar valid = b.op1("greater_equal", "ids_nonnegative", ids.type().withDtype(MilDataType.BOOL),
                "x", ids, "y", Integer.MIN_VALUE);
        MilVar ones = b.cast(valid, MilDataType.INT32, "ids_ones");
        flexLength = b.op1("reduce_sum", "sequence_length", MilType.scalar(MilDataType.INT32),
                "x", ones, "axes", new int[]{0, 1}, "keep_dims", false);
        flexPositions = b.op1("range_1d", "positions", MilType.of(MilDataType.INT32, MilType.UNKNOWN),
                "start", 0, "end", flexLength, "step", 1);
        return flexPositions;
    }

    /** The band mask of a flexible text length: keys and queries are the same positions 0..S−1. */
    private MilVar flexibleBandMask(boolean causal, Op.Chunk chunk) {
        MilVar pos = b.cast(flexiblePositions(), MilDataType.FP32, "positions_fp32");
        return positionMask(pos, pos, flexLength, causal, chunk, options.sequence().max());
    }

    /**
     * The causal rule and chunk band as an additive mask, from the key and query positions (FP32 vectors, exact beyond
     * FP16's 2048): causal keeps k ≤ q; the band keeps {@code lo(q) ≤ k < hi(q)} where q's block start is
     * S·Σₘ[q ≥ m·S] (no floor op needed), unless the whole sequence ({@code length}, an int32 scalar) fits the window,
     * which is full attention (spec/chunked-attention.md). {@code maxLength} bounds the block count.
     */
    private MilVar positionMask(MilVar keyPos, MilVar queryPos, MilVar length, boolean causal, Op.Chunk chunk,
            int maxLength) {
        MilVar keys = b.reshape(keyPos, bc1s ? new long[]{1, -1, 1, 1} : new long[]{1, 1, 1, -1}, "key_positions");
        MilVar queries = b.reshape(queryPos, bc1s ? new long[]{1, 1, 1, -1} : new long[]{1, 1, -1, 1},
                "query_positions");
        MilType boolType = MilType.of(MilDataType.BOOL, MilBlock.broadcast(keys.shape(), queries.shape()));
        MilVar allowed = null;
        if (causal) allowed = b.op1("less_equal", "causal_allowed", boolType, "x", keys, "y", queries);
        if (chunk != null) {
            int window = chunk.window(), overlap = chunk.overlap(), stride = window - overlap;
            int before = causal ? overlap : overlap / 2, after = causal ? 0 : (overlap + 1) / 2;
            int blocks = (maxLength - 1) / stride;
            float[] thresholds = new float[Math.max(blocks, 1)];
            for (int m = 0; m < thresholds.length; m++) {
                thresholds[m] = blocks == 0 ? Float.MAX_VALUE : (m + 1) * (float) stride;
            }
            MilVar col = b.reshape(queryPos, new long[]{-1, 1}, "query_column");
            long[] thShape = {1, thresholds.length};
            MilVar th = b.constant("block_thresholds",
                    MilValue.Immediate.floats(MilDataType.FP32, thShape, thresholds));
            MilType geType = MilType.of(MilDataType.BOOL, col.dim(0), thresholds.length);
            MilVar ge = b.op1("greater_equal", "past_threshold", geType, "x", col, "y", th);
            MilVar count = b.reduce("reduce_sum", b.cast(ge, MilDataType.FP32, "past_threshold_f"), new int[]{1},
                    "query_block");
            MilVar start = b.binary("mul", count, (float) stride, "block_start");
            MilVar startRow = b.reshape(start, bc1s ? new long[]{1, 1, 1, -1} : new long[]{1, 1, -1, 1},
                    "block_start_q");
            MilVar lo = b.binary("sub", startRow, (float) before, "band_lo");
            MilVar hi = b.binary("add", startRow, (float) (stride + after), "band_hi");
            MilVar geLo = b.op1("greater_equal", "band_ge_lo", boolType, "x", keys, "y", lo);
            MilVar ltHi = b.op1("less", "band_lt_hi", boolType, "x", keys, "y", hi);
            MilVar inBand = b.op1("logical_and", "band_allowed", boolType, "x", geLo, "y", ltHi);
            MilVar shortInput = b.op1("less_equal", "within_window", MilType.scalar(MilDataType.BOOL), "x", length,
                    "y", window);
            inBand = b.op1("logical_or", "band_or_full", boolType, "x", inBand, "y", shortInput);
            allowed = allowed == null ? inBand : b.op1("logical_and", "band_causal_allowed", boolType, "x", allowed,
                    "y", inBand);
        }
        if (allowed == null) return null;
        MilVar f = b.cast(allowed, MilDataType.FP32, "allowed_f");
        MilVar additive = b.binary("mul", b.binary("sub", f, 1f, "allowed_minus_1"), -MASKED, "band_additive");
        return b.cast(additive, act, "band_mask");
    }

    // ---- front ends ----

    /** ViT: conv (kernel = stride = patch) → tokens in the layout; CLS first; + positions. */
    private MilVar patchEmbed(Op.PatchEmbed pe) {
        String n = pe.name();
        int hid = pe.hidden(), tokens = pe.patches() + (pe.clsToken() == null ? 0 : 1);
        MilVar x = in(pe.input());
        MilVar w = floatWeight(pe.weight(), MilType.of(act, hid, pe.channels(), pe.patch(), pe.patch()), false);
        MilVar bias = pe.bias() == null ? null : vectorConst(pe.bias(), hid);
        MilVar conv = b.conv(x, w, bias, new int[]{pe.patch(), pe.patch()}, null, n + "_conv");
        MilVar y;
        if (bc1s) {
            y = b.reshape(conv, new long[]{1, hid, 1, pe.patches()}, n + "_tokens");
            if (pe.clsToken() != null) {
                MilVar cls = floatWeight(pe.clsToken(), MilType.of(act, 1, hid, 1, 1), false);
                y = b.concat(List.of(cls, y), 3, n + "_cls");
            }
        } else {
            MilVar flat = b.reshape(conv, new long[]{1, hid, pe.patches()}, n + "_flat");
            y = b.transpose(flat, new int[]{0, 2, 1}, n + "_tokens");
            if (pe.clsToken() != null) {
                MilVar cls = floatWeight(pe.clsToken(), MilType.of(act, 1, 1, hid), false);
                y = b.concat(List.of(cls, y), 1, n + "_cls");
            }
        }
        if (pe.positions() == null) return y;
        return b.binary("add", y, positionRows(pe.positions(), 0, tokens, hid), n);
    }

    /** Whisper's conv1/conv2: a convolution over the sequence with the op's padding and stride. */
    private MilVar conv1d(Op.Conv1d c) {
        String n = c.name();
        MilVar x = in(c.input());
        MilVar bias = c.bias() == null ? null : vectorConst(c.bias(), c.out());
        if (bc1s) {
            // [B, in, length] (input_features) → (1, in, 1, length); a BC1S activation already is.
            if (c.channelsFirstInput()) x = b.expandDims(x, 2, n + "_bc1s_in");
            MilVar w = floatWeight(c.weight(), MilType.of(act, c.out(), c.in(), 1, c.kernel()), false);
            return b.conv(x, w, bias, new int[]{1, c.stride()}, new int[]{0, 0, c.padding(), c.padding()}, n);
        }
        if (!c.channelsFirstInput()) x = b.transpose(x, new int[]{0, 2, 1}, n + "_channels_first");
        MilVar w = floatWeight(c.weight(), MilType.of(act, c.out(), c.in(), c.kernel()), false);
        MilVar y = b.conv1d(x, w, bias, c.stride(), c.padding(), n + "_conv");
        return b.transpose(y, new int[]{0, 2, 1}, n);
    }

    /** Rows [0, L) of a position table added to the sequence (Whisper's encoder). */
    private MilVar addPositions(Op.AddPositions p) {
        MilVar x = in(p.input());
        int length = (int) x.dim(sequenceAxis()), c = (int) x.dim(channelAxis());
        return b.binary("add", x, positionRows(p.table(), 0, length, c), p.name());
    }

    /** Rows [from, from + n) of a position table (any leading 1s in its stored shape), in the layout. */
    private MilVar positionRows(String table, int from, int n, int c) {
        String key = table + "|rows " + from + "+" + n + "|" + bc1s;
        MilType type = MilType.of(act, bc1s ? new long[]{1, c, 1, n} : new long[]{1, n, c});
        return cached(key, () -> floatConst(key, table + "_rows", type, () -> {
            TensorData t = weights.get(table);
            if (t.elementCount() < (long) (from + n) * c) {
                throw AnewbException.file(weights.origin(), "tensor \"" + table + "\" has shape " + t.shapeString()
                        + ", fewer than " + (from + n) + " rows of " + c);
            }
            float[] rows = new float[n * c];
            t.readFloats((long) from * c, rows, 0, n * c);
            if (!bc1s) return rows;
            float[] cs = new float[n * c];
            for (int r = 0; r < n; r++) for (int i = 0; i < c; i++) cs[i * n + r] = rows[r * c + i];
            return cs;
        }));
    }

    // ---- weights ----

    /** A stored float tensor as it is stored (its own shape), in the compute type: embedding tables. */
    private MilVar tableConst(String name) {
        TensorData t = weights.get(name);
        return floatWeight(name, new MilType(act, t.shape()), false);
    }

    /** A float weight vector, as {@code (n)} or, for BC1S per-channel factors, {@code (1, n, 1, 1)} by the caller. */
    private MilVar vectorConst(String name, int n) {
        return floatWeight(name, MilType.of(act, n), false);
    }

    /**
     * A float weight as a const of {@code type} (same element count as the stored tensor, or its first rows); the
     * blob holds the weight's elements in stored order ({@code transposed}: the [in, out] storage written [out, in]).
     * Weights read as several shapes share one blob.
     */
    private MilVar floatWeight(String name, MilType type, boolean transposed) {
        String key = name + "|" + type + "|" + transposed;
        return cached(key, () -> {
            long count = type.elements();
            String blobKey = name + "|" + act + "|" + count + "|" + transposed;
            Supplier<float[]> values = () -> {
                TensorData t = weights.get(name);
                if (t.elementCount() < count) {
                    throw AnewbException.file(weights.origin(), "tensor \"" + name + "\" has shape " + t.shapeString()
                            + " but the model needs " + count + " values (" + type + ")");
                }
                float[] v = new float[(int) count];
                t.readFloats(0, v, 0, v.length);
                if (!transposed) return v;
                int in = t.dim(0), out = t.dim(1);
                float[] r = new float[v.length];
                for (int i = 0; i < in; i++) for (int o = 0; o < out; o++) r[o * in + i] = v[i * out + o];
                return r;
            };
            return floatConst(blobKey, name, type, values);
        });
    }

    /** A float constant of {@code type}: in weight.bin (shared by {@code blobKey}) from 10 elements up, else inline. */
    private MilVar floatConst(String blobKey, String hint, MilType type, Supplier<float[]> values) {
        long count = type.elements();
        if (count < 10) return b.constant(hint, MilValue.Immediate.floats(act, type.shape(), values.get()));
        boolean fp16 = type.dtype() == MilDataType.FP16;
        Supplier<byte[]> bytes = () -> fp16 ? MilValue.fp16Bytes(values.get()) : MilValue.fp32Bytes(values.get());
        WeightBlobFile.Blob blob = blobCache.computeIfAbsent(blobKey + "|" + type.dtype(),
                k -> blobs.add(hint, type.dtype(), count * type.dtype().bytes, bytes));
        return b.constant(hint, new MilValue.Stored(type, blob));
    }

    private MilVar cached(String key, Supplier<MilVar> make) {
        MilVar v = constCache.get(key);
        if (v == null) {
            v = make.get();
            constCache.put(key, v);
        }
        return v;
    }

    /** A projection's weight in the layout's shape: BC1S [out, in, 1, 1] (1×1 conv), HF [out, in] (linear). */
    private MilVar projectionWeight(Op.Linear l) {
        WeightInfo info = graph.weights().get(l.weight());
        long[] shape = bc1s ? new long[]{l.out(), l.in(), 1, 1} : new long[]{l.out(), l.in()};
        if (info.quant() != null) return cached(l.weight() + "|int8|" + bc1s, () -> quantizedWeight(l, info, shape));
        long[] stored = weights.get(l.weight()).shape();
        long[] expect = info.storedTransposed() ? new long[]{l.in(), l.out()} : new long[]{l.out(), l.in()};
        boolean table = info.role() != WeightRole.PROJECTION && stored.length == 2
                && stored[0] >= l.out() && stored[1] == l.in();
        if (!Arrays.equals(stored, expect) && !table) {
            throw AnewbException.file(weights.origin(), "tensor \"" + l.weight() + "\" has shape "
                    + Arrays.toString(stored) + " but the config implies " + Arrays.toString(expect));
        }
        return floatWeight(l.weight(), MilType.of(act, shape), info.storedTransposed());
    }

    private MilVar quantizedWeight(Op.Linear l, WeightInfo info, long[] shape) {
        String name = l.weight();
        int rows = l.out(), k = l.in();
        Int8BlockWeight stored = QuantizedOnce.stored(weights, name, rows, k);
        int block = stored != null ? stored.blockSize() : info.quant().blockSize();
        boolean symmetric = stored != null ? stored.symmetric() : info.quant().symmetric();
        boolean perChannel = block >= k;
        if (!perChannel && k % block != 0) throw blockSizes.refusal(name, block, k);
        int nb = perChannel ? 1 : k / block;
        QuantizedOnce q = QuantizedOnce.of(weights, name, info, stored);
        // The blobs of one weight are written one after the other; the last one lets go of the quantized weight.
        WeightBlobFile.Blob data = blobs.add(name + ".q", MilDataType.INT8, (long) rows * k, () -> q.get().q());
        MilDataType scaleType = act;
        WeightBlobFile.Blob scale = blobs.add(name + ".scale", scaleType, (long) rows * nb * scaleType.bytes, () -> {
            byte[] s = scaleBytes(q.get().scaleF16(), scaleType);
            if (symmetric && !perChannel) q.release();
            return s;
        });
        Supplier<byte[]> zeroPoints = () -> {
            byte[] z = q.get().zeroPoint().clone();
            q.release();
            return z;
        };
        WeightBlobFile.Blob zero = symmetric && !perChannel ? null
                : blobs.add(name + ".zero_point", MilDataType.INT8, (long) rows * nb, zeroPoints);
        MilType out = MilType.of(act, shape);
        if (perChannel) {
            // constexpr_affine_dequantize (iOS16): scale and zero point are per output channel (axis 0).
            Map<String, MilValue> args = new LinkedHashMap<>();
            args.put("quantized_data", new MilValue.Stored(MilType.of(MilDataType.INT8, shape), data));
            args.put("zero_point", new MilValue.Stored(MilType.of(MilDataType.INT8, rows), zero));
            args.put("scale", new MilValue.Stored(MilType.of(scaleType, rows), scale));
            args.put("axis", MilValue.Immediate.scalar(0));
            return b.constexpr("constexpr_affine_dequantize", name + "_dequantized", out, args, true);
        }
        required = CoreMlTarget.max(required, CoreMlTarget.IOS18);
        if (!blockwiseNoted) {
            blockwiseNoted = true;
            notes.add("block-wise INT8 needs iOS18; the Neural Engine runs only per-channel or per-tensor quantized "
                    + "weights, so Core ML expands block-wise ones or runs them elsewhere (spec/quantization.md): "
                    + "per-channel INT8 stays on it");
        }
        long[] blockShape = shape.clone();
        blockShape[1] = nb;
        Map<String, MilValue> args = new LinkedHashMap<>();
        args.put("data", new MilValue.Stored(MilType.of(MilDataType.INT8, shape), data));
        args.put("scale", new MilValue.Stored(MilType.of(scaleType, blockShape), scale));
        if (zero != null) args.put("offset", new MilValue.Stored(MilType.of(MilDataType.INT8, blockShape), zero));
        return b.constexpr("constexpr_blockwise_shift_scale", name + "_dequantized", out, args, false);
    }

    /** FP16 scales as stored (their bits), or as the FP32 values they are (exact) for an FP32 program. */
    private static byte[] scaleBytes(short[] f16, MilDataType type) {
        ByteBuffer bb = ByteBuffer.allocate(f16.length * type.bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (short s : f16) {
            if (type == MilDataType.FP16) bb.putShort(s);
            else bb.putFloat(Float.float16ToFloat(s));
        }
        return bb.array();
    }
}

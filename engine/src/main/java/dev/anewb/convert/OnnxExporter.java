package dev.anewb.convert;

import dev.anewb.AnewbException;
import dev.anewb.Version;
import dev.anewb.io.OnnxModelWriter.Attribute;
import dev.anewb.io.OnnxModelWriter.Initializer;
import dev.anewb.io.OnnxModelWriter.ValueInfo;
import dev.anewb.io.OnnxModelWriter;
import dev.anewb.job.JobContext;
import dev.anewb.model.Axis;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.Op;
import dev.anewb.model.Value;
import dev.anewb.model.WeightInfo;
import dev.anewb.model.WeightSource;
import dev.anewb.quant.Int8BlockWeight;
import dev.anewb.quant.QuantizedOnce;
import dev.anewb.runtime.Executor;
import dev.anewb.runtime.RotaryEmbedding;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Exports an original or converted {@link ModelGraph} as an ONNX model (IR 10, opset 21, default domain) that
 * reproduces the {@link Executor}'s semantics for the same graph, one emitter per op kind.
 *
 * <p>Inputs, named as transformers' ONNX exports (optimum) name them:
 * <ul>
 * <li>Text models (BERT, DistilBERT, MiniLM, GPT-2, Llama): {@code input_ids} and {@code attention_mask} (int64
 *     [batch, sequence]), plus {@code token_type_ids} when an embedding reads them.</li>
 * <li>ViT: {@code pixel_values} (float [batch, channels, height, width], as the image processor makes it); no
 * mask.</li>
 * <li>Whisper: {@code input_features} (float [batch, mel bins, frames]), {@code decoder_input_ids} and
 *     {@code decoder_attention_mask} (int64 [batch, decoder_sequence]): the whole encoder-decoder forward pass of
 *     {@code WhisperForConditionalGeneration} on a decoder prefix.</li>
 * </ul>
 * Outputs: every tap, under the tap's name, in transformers' shape ([batch, sequence, channels]; pooled taps
 * [batch, channels]), except taps that only echo a graph input ({@code pixel_values}, {@code input_features}): an
 * ONNX output cannot share its input's name, and the caller has that tensor already.
 *
 * <p>How the executor's semantics map:
 * <ul>
 * <li>INT8 activations (W8A8): clamp(round(x / s), −128, 127)·s with the calibrated per-tensor scale in front of each
 *     chosen projection, spelled out in float ops (see {@link #int8Input}).</li>
 * <li>Block-INT8 projections: {@code DequantizeLinear(q [in, out] int8, scale [ceil(in/B), out], zero_point, axis=0,
 *     block_size=B)} → MatMul ({@link Dequantize#BLOCKED}), or the same arithmetic spelled out with Gather/Sub/Mul
 *     ({@link Dequantize#EXPLICIT}). Either is exact: (q − zp)·scale is representable in float32.</li>
 * <li>FP16 precision: float weights are FP16 initializers cast to float, and every op's output goes through
 *     Cast(float16)→Cast(float), the executor's "every op output rounded to FP16" with FP32 arithmetic inside.</li>
 * <li>Masking: disallowed scores become −∞ through {@code Where}; after Softmax a second {@code Where} zeroes them,
 *     which also turns a fully masked row (NaN in Softmax) into the executor's zeros.</li>
 * <li>Chunked attention (spec/chunked-attention.md): the band mask computed from Range on the dynamic length.</li>
 * <li>Causal self-attention (GPT-2, Llama, Whisper's decoder): j ≤ i from Range, and-ed with the padding mask.</li>
 * <li>Grouped-query attention: each kv head expanded to its query heads (Unsqueeze/Expand/Reshape).</li>
 * <li>Rotary embedding (Llama family): positions 0..S−1 from Range, angles {@code position · inv_freq} in float32
 *     with transformers' {@code inv_freq} for the rope type (an initializer), Cos/Sin, and rotate_half on each
 *     head's rotary dimensions; dimensions past the rotary dimension pass through.</li>
 * <li>Front ends: ViT's patch embedding is a Conv with kernel = stride = patch, flattened to tokens, the CLS token
 *     prepended and the position table added; Whisper's conv1/conv2 are Convs with their padding and stride (the
 *     GELU after each is its own op); AddPositions adds the first S rows of the position table.</li>
 * <li>The BC1S layout changes how the ANE stores activations, not the numbers, so it exports as the HF layout.</li>
 * </ul>
 */
public final class OnnxExporter {
    public static final long IR_VERSION = 10;
    public static final long OPSET = 21;
    public static final String ATTENTION_MASK = "attention_mask";
    public static final String DECODER_INPUT_IDS = "decoder_input_ids";
    public static final String DECODER_ATTENTION_MASK = "decoder_attention_mask";

    /** How block-INT8 weights are dequantized in the exported graph. */
    public enum Dequantize {
        /**
         * Opset-21 blocked DequantizeLinear (spec/quantization.md). ONNX Runtime 1.23 runs it as written; 1.30 fuses
         * DequantizeLinear + MatMul into MatMulNBits at accuracy level 4 (activations quantized to INT8), 1-4e-2
         * relative off, unless the session sets {@value #ORT_ACCURACY_OPTION}=1.
         */
        BLOCKED,
        /** Cast/Gather/Sub/Mul with the same result: no runtime fuses it, so every ONNX Runtime computes as we do. */
        EXPLICIT
    }

    private final ModelGraph graph;
    private final WeightSource weights;
    private final Dequantize dequantize;
    private final boolean fp16;
    private final OnnxModelWriter w;
    private final Map<String, String> constants = new HashMap<>();
    private final Set<String> usedNames = new HashSet<>();
    /** Graph value name → ONNX tensor name. */
    private final Map<String, String> tensors = new HashMap<>();
    private final Set<String> weightInits = new HashSet<>();
    private int counter;
    /** The dynamic length of each sequence axis (int64 scalar), computed once. */
    private final Map<Axis, String> lengths = new EnumMap<>(Axis.class);
    private String keyMask;
    /** Whisper: the token inputs are the decoder's and carry transformers' decoder_ prefix. */
    private final boolean encoderDecoder;
    /** ONNX name of the attention mask input, or null when the graph has no token input (ViT). */
    private final String maskName;

    private OnnxExporter(ModelGraph graph, WeightSource weights, Dequantize dequantize) {
        this.graph = graph;
        this.weights = weights;
        this.dequantize = dequantize;
        this.fp16 = graph.conversion().precision() == Conversion.Precision.FP16;
        this.w = new OnnxModelWriter(graph.config().modelType(), IR_VERSION, OPSET, Version.get());
        boolean ids = graph.values().containsKey(ModelGraph.INPUT_IDS);
        this.encoderDecoder = ids && graph.values().containsKey(ModelGraph.INPUT_FEATURES);
        this.maskName = !ids ? null : encoderDecoder ? DECODER_ATTENTION_MASK : ATTENTION_MASK;
    }

    /** The ONNX Runtime session option that keeps a fused MatMulNBits at FP32 accuracy (level 1). */
    public static final String ORT_ACCURACY_OPTION = "session.qdq_matmulnbits_accuracy_level";

    /**
     * Exports with INT8 weights dequantized explicitly ({@link Dequantize#EXPLICIT}): the default, because ONNX
     * Runtime 1.30 and later rewrite blocked DequantizeLinear + MatMul into a less accurate MatMulNBits.
     */
    public static void export(ModelGraph graph, WeightSource weights, Path out, JobContext ctx) {
        export(graph, weights, out, Dequantize.EXPLICIT, ctx);
    }

    /**
     * Writes {@code graph} with {@code weights} to {@code out} (atomically: a failed or cancelled export leaves no
     * file). Throws an {@link AnewbException} for op kinds or features without an ONNX form.
     */
    public static void export(ModelGraph graph, WeightSource weights, Path out, Dequantize dequantize, JobContext ctx) {
        OnnxExporter e = new OnnxExporter(graph, weights, dequantize);
        e.build();
        e.w.metadata("anewb.dequantize", dequantize.name().toLowerCase(Locale.ROOT));
        if (dequantize == Dequantize.BLOCKED && graph.conversion().int8()) {
            e.w.metadata("anewb.onnxruntime", "ONNX Runtime 1.30 and later fuse the blocked DequantizeLinear + MatMul"
                    + " into MatMulNBits with accuracy_level 4 (INT8 activations, about 1e-2 relative off this model's"
                    + " outputs); set the session option " + ORT_ACCURACY_OPTION + "=1 to keep FP32 accuracy, or export"
                    + " with --dequantize explicit");
        }
        e.w.write(out, ctx);
    }

    private void build() {
        for (Op op : graph.ops()) for (String in : op.inputs()) {
            if (!producedBy(in) && !tensors.containsKey(in)) defineInput(in);
        }
        // The attention mask is the transformers input every text model takes; kept even when no op reads it.
        if (maskName != null && !tensors.containsKey(ATTENTION_MASK)) {
            intInput(maskName);
            tensors.put(ATTENTION_MASK, maskName);
        }
        for (Op op : graph.ops()) {
            String y = emit(op);
            if (fp16) y = roundFp16(y);
            tensors.put(op.output(), y);
        }
        for (var tap : graph.taps().entrySet()) {
            if (!producedBy(tap.getValue())) continue; // an input echoed as a tap (see the class comment)
            Value v = graph.value(tap.getValue());
            String t = tensors.get(tap.getValue());
            if (t == null) throw new IllegalStateException("tap " + tap.getKey() + " reads " + tap.getValue()
                    + ", which no op produces");
            List<Object> dims = new ArrayList<>(List.of("batch"));
            if (v.axis() == Axis.POOLED) {
                node("Squeeze", List.of(t, i64("axes1", 1)), tap.getKey());
            } else {
                dims.add(axisDim(v));
                node("Identity", List.of(t), tap.getKey());
            }
            dims.add((long) v.channels());
            w.output(new ValueInfo(tap.getKey(), OnnxModelWriter.FLOAT, dims));
            // transformers' output names (last_hidden_state, ...) right after the tap they repeat
            for (Map.Entry<String, String> a : graph.tapAliases().entrySet()) {
                if (!a.getValue().equals(tap.getKey())) continue;
                node("Identity", List.of(tap.getKey()), a.getKey());
                w.output(new ValueInfo(a.getKey(), OnnxModelWriter.FLOAT, dims));
            }
        }
    }

    private boolean producedBy(String value) {
        for (Op op : graph.ops()) if (op.output().equals(value)) return true;
        return false;
    }

    private void defineInput(String name) {
        switch (name) {
            case ModelGraph.INPUT_IDS -> {
                String onnx = encoderDecoder ? DECODER_INPUT_IDS : ModelGraph.INPUT_IDS;
                intInput(onnx);
                tensors.put(name, onnx);
            }
            case ModelGraph.TOKEN_TYPE_IDS -> intInput(name);
            case ModelGraph.PIXEL_VALUES -> {
                Op.PatchEmbed p = graph.ops().stream().filter(o -> o instanceof Op.PatchEmbed pe
                        && pe.input().equals(name))
                        .map(o -> (Op.PatchEmbed) o).findFirst()
                        .orElseThrow(() -> new AnewbException("pixel_values is read by an op other than a patch "
                                + "embedding; no ONNX export for it"));
                floatInput(name, List.of("batch", (long) p.channels(), (long) p.height(), (long) p.width()));
            }
            default -> {
                Value v = graph.value(name);
                Integer rows = graph.fixedLength(v.axis());
                if (v.axis() != Axis.FEATURES || rows == null) {
                    throw new AnewbException("graph input \"" + name + "\" (" + v.axis() + ") has no ONNX export");
                }
                // input_features [batch, mel bins, frames]: the channels-first rows the executor reads.
                floatInput(name, List.of("batch", (long) rows, (long) v.channels()));
            }
        }
    }

    private void intInput(String name) {
        usedNames.add(name);
        tensors.put(name, name);
        w.input(new ValueInfo(name, OnnxModelWriter.INT64,
                List.of("batch", encoderDecoder ? "decoder_sequence" : "sequence")));
    }

    /** A float input; under FP16 precision rounded once, as the executor rounds its feature inputs. */
    private void floatInput(String name, List<Object> dims) {
        usedNames.add(name);
        w.input(new ValueInfo(name, OnnxModelWriter.FLOAT, dims));
        tensors.put(name, fp16 ? roundFp16(name) : name);
    }

    private Object axisDim(Value v) {
        Integer fixed = graph.fixedLength(v.axis());
        if (fixed != null) return (long) fixed;
        return switch (v.axis()) {
            case TOKENS -> encoderDecoder ? "decoder_sequence" : "sequence";
            case ENCODER -> "encoder_sequence";
            case POOLED -> 1L;
            case FEATURES, FRAMES -> "frames";
        };
    }

    // ---- emitters, one per op kind ----

    private String emit(Op op) {
        return switch (op) {
            case Op.Embed e -> embed(e);
            case Op.PatchEmbed p -> patchEmbed(p);
            case Op.Conv1d c -> conv1d(c);
            case Op.AddPositions p -> addPositions(p);
            case Op.Norm n -> norm(n);
            case Op.Linear l -> linear(l);
            case Op.Attention a -> attention(a);
            case Op.Activation a -> activation(a);
            case Op.Add a -> node("Add", List.of(in(a.a()), in(a.b())), fresh(a.name()));
            case Op.Mul m -> node("Mul", List.of(in(m.a()), in(m.b())), fresh(m.name()));
            case Op.TakeFirst f ->
                    node("Slice", List.of(in(f.input()), i64("zero1", 0), i64("one1", 1), i64("one1", 1)),
                            fresh(f.name()));
            case Op.MeanPool p -> meanPool(p);
            // Channel range [from, to) of the last axis (GPT-2's fused c_attn split into q, k, v).
            case Op.Slice sl -> node("Slice",
                    List.of(in(sl.input()), i64("slice_at_" + sl.from(), sl.from()),
                            i64("slice_at_" + sl.to(), sl.to()),
                    i64("slice_axis_last", -1)), fresh(sl.name()));
        };
    }

    private String in(String value) {
        String t = tensors.get(value);
        if (t == null) throw new IllegalStateException("value " + value + " is read before it is produced");
        return t;
    }

    private String embed(Op.Embed e) {
        String ids = in(e.ids());
        String y = floatOut(node("Gather", List.of(floatWeight(e.wordTable()), ids), fresh(e.name() + ".word")));
        if (e.positionTable() != null) {
            String start = scalarI64(e.positionOffset());
            String end = node("Add", List.of(length(Axis.TOKENS, in(e.ids())), start), fresh(e.name() + ".pos_end"));
            String positions = node("Range", List.of(start, end, scalarI64(1)), fresh(e.name() + ".positions"));
            String pos = floatOut(node("Gather", List.of(floatWeight(e.positionTable()), positions),
                    fresh(e.name() + ".pos")));
            y = node("Add", List.of(y, pos), fresh(e.name() + ".word_pos"));
        }
        if (e.typeTable() != null) {
            String type = floatOut(node("Gather", List.of(floatWeight(e.typeTable()), in(e.typeIds())),
                    fresh(e.name() + ".type")));
            y = node("Add", List.of(y, type), fresh(e.name() + ".sum"));
        }
        return y;
    }

    private String norm(Op.Norm n) {
        String x = in(n.input());
        if (!n.rms()) {
            List<String> ins = new ArrayList<>(List.of(x, floatWeightAsFloat(n.weight())));
            if (n.bias() != null) ins.add(floatWeightAsFloat(n.bias()));
            return node("LayerNormalization", ins, fresh(n.name()), Attribute.of("axis", -1L),
                    Attribute.of("epsilon", n.eps()));
        }
        // RMSNormalization arrives only in opset 23: x / sqrt(mean(x²) + eps) · w, reductions in float32.
        String sq = node("Mul", List.of(x, x), fresh(n.name() + ".sq"));
        String mean = node("ReduceMean", List.of(sq, i64("axes_last", -1)), fresh(n.name() + ".ms"),
                Attribute.of("keepdims", 1L));
        String rms = node("Sqrt", List.of(node("Add", List.of(mean, scalarF32(n.eps())), fresh(n.name() + ".ms_eps"))),
                fresh(n.name() + ".rms"));
        String normed = node("Div", List.of(x, rms), fresh(n.name() + ".normed"));
        String y = node("Mul", List.of(normed, floatWeightAsFloat(n.weight())), fresh(n.name()));
        if (n.bias() != null) y = node("Add", List.of(y, floatWeightAsFloat(n.bias())), fresh(n.name() + ".biased"));
        return y;
    }

    private String linear(Op.Linear l) {
        WeightInfo info = graph.weights().get(l.weight());
        String weight = info.quant() != null ? int8Weight(l, info) : projectionWeight(l, info);
        String x = l.inputQuant() == null ? in(l.input()) : int8Input(l);
        String y = node("MatMul", List.of(x, weight), fresh(l.name() + ".matmul"));
        if (l.bias() != null) y = node("Add", List.of(y, floatWeightAsFloat(l.bias())), fresh(l.name()));
        return y;
    }

    /** Value and scale → its INT8 round trip: q, k and v share their input's. */
    private final Map<String, String> int8Inputs = new HashMap<>();

    /**
     * W8A8: clamp(round(x / s), −128, 127)·s spelled out (Div, Round — half to even —, Clip, Mul), the executor's fake
     * quantization in float32, rounded to FP16 after in an FP16 graph as there. Not QuantizeLinear/DequantizeLinear:
     * ONNX Runtime fuses that pair with the MatMul into integer kernels (MatMulIntegerToFloat), which with the
     * blocked weights fails outright in 1.23.
     */
    private String int8Input(Op.Linear l) {
        Op.InputQuant q = l.inputQuant();
        if (!q.isCalibrated()) throw new IllegalStateException(l.name() + ": INT8 input not calibrated");
        return int8Inputs.computeIfAbsent(l.input() + "|" + q.scale(), k -> {
            String scale = scalarF32(q.scale()), x = in(l.input());
            String steps = node("Round", List.of(node("Div", List.of(x, scale), fresh(l.input() + ".over_scale"))),
                    fresh(l.input() + ".steps"));
            String q8 = node("Clip", List.of(steps, scalarF32(-128), scalarF32(127)), fresh(l.input() + ".int8"));
            String back = node("Mul", List.of(q8, scale), fresh(l.input() + ".dequantized"));
            return fp16 ? roundFp16(back) : back;
        });
    }

    /** A float projection stored [in, out] so that MatMul(x, W) is x·Wᵀ of the [out, in] weight. */
    private String projectionWeight(Op.Linear l, WeightInfo info) {
        String name = l.weight();
        if (tableInits.containsKey(name)) {
            // A tied head (GPT-2, Whisper) reads the embedding table already written as stored: transpose that one
            // tensor in the graph rather than writing the weights twice.
            String table = tableInits.get(name);
            String t = fp16 ? castToFloat(table) : table;
            return info.storedTransposed() ? t : projections.computeIfAbsent(name,
                    n -> node("Transpose", List.of(t), fresh(n + ".in_out"), Attribute.ints("perm", 1, 0)));
        }
        if (weightInits.add(name)) {
            int out = l.out(), k = l.in();
            long[] stored = weights.get(name).shape();
            long[] expect = info.storedTransposed() ? new long[]{k, out} : new long[]{out, k};
            if (!Arrays.equals(stored, expect)) {
                throw AnewbException.file(weights.origin(), "tensor \"" + name + "\" has shape "
                        + Arrays.toString(stored)
                        + " but the config implies " + Arrays.toString(expect));
            }
            // Tensors are read when the writer reaches them, so only one is in memory at a time.
            w.initializer(new Initializer(name, fp16 ? OnnxModelWriter.FLOAT16 : OnnxModelWriter.FLOAT,
                    new long[]{k, out},
                    (long) k * out * (fp16 ? 2 : 4), () -> {
                        float[] v = weights.get(name).toFloatArray();
                        float[] inOut = info.storedTransposed() ? v : transpose(v, out, k);
                        return fp16 ? f16Bytes(inOut) : f32Bytes(inOut);
                    }));
            usedNames.add(name);
        }
        return fp16 ? castToFloat(name) : name;
    }

    private String int8Weight(Op.Linear l, WeightInfo info) {
        String name = l.weight();
        int rows = l.out(), k = l.in();
        // A converted package serves its stored INT8 weights; anything else is quantized here, as the executor does.
        Int8BlockWeight stored = QuantizedOnce.stored(weights, name, rows, k);
        // Per-channel schemes may say B = Integer.MAX_VALUE; B = k describes the same single block per row.
        int block = (int) Math.min(stored != null ? stored.blockSize() : info.quant().blockSize(), k);
        int nb = (k - 1) / block + 1;
        String qName = name + ".q", sName = name + ".scale", zName = name + ".zero_point";
        String deq = name + ".dequantized";
        if (weightInits.add(name)) {
            QuantizedOnce quantized = QuantizedOnce.of(weights, name, info, stored);
            // The three initializers are written one after the other; the last one drops the quantized weight.
            w.initializer(new Initializer(qName, OnnxModelWriter.INT8, new long[]{k, rows}, (long) k * rows,
                    () -> transposeBytes(quantized.get().q(), rows, k)));
            w.initializer(new Initializer(sName, OnnxModelWriter.FLOAT, new long[]{nb, rows}, (long) nb * rows * 4,
                    () -> {
                short[] s = quantized.get().scaleF16();
                float[] f = new float[s.length];
                for (int i = 0; i < s.length; i++) f[i] = Float.float16ToFloat(s[i]);
                return f32Bytes(transpose(f, rows, nb));
            }));
            w.initializer(new Initializer(zName, OnnxModelWriter.INT8, new long[]{nb, rows}, (long) nb * rows, () -> {
                byte[] z = transposeBytes(quantized.get().zeroPoint(), rows, nb);
                quantized.release();
                return z;
            }));
            usedNames.addAll(List.of(qName, sName, zName));
            switch (dequantize) {
                case BLOCKED -> node("DequantizeLinear", List.of(qName, sName, zName), deq,
                        Attribute.of("axis", 0L), Attribute.of("block_size", (long) block));
                case EXPLICIT -> {
                    // blockOf[c] = c / B expands the [nb, rows] scale and zero point to [k, rows] rows of q.
                    long[] blockOf = new long[k];
                    for (int c = 0; c < k; c++) blockOf[c] = c / block;
                    String idx = constI64(name + ".block_of", new long[]{k}, blockOf);
                    String q = node("Cast", List.of(qName), fresh(name + ".qf"),
                            Attribute.of("to", (long) OnnxModelWriter.FLOAT));
                    String zp = node("Cast", List.of(zName), fresh(name + ".zpf"),
                            Attribute.of("to", (long) OnnxModelWriter.FLOAT));
                    String zpFull = node("Gather", List.of(zp, idx), fresh(name + ".zp_full"));
                    String sFull = node("Gather", List.of(sName, idx), fresh(name + ".scale_full"));
                    String centred = node("Sub", List.of(q, zpFull), fresh(name + ".centred"));
                    node("Mul", List.of(centred, sFull), deq);
                }
            }
            usedNames.add(deq);
        }
        return deq;
    }

    private String attention(Op.Attention a) {
        int h = a.heads(), kvh = a.kvHeads(), hd = a.headDim();
        String p = a.name();
        String q = heads(in(a.q()), h, hd, p + ".qh");
        String k = heads(in(a.k()), kvh, hd, p + ".kh");
        if (a.rope() != null) {
            // The executor rotates q and k before attention, at positions 0..S−1 of a plain forward pass.
            if (a.cross()) throw new AnewbException("rotary embedding on cross-attention (" + a.name()
                    + ") has no ONNX form");
            String[] cs = ropeTables(a.rope(), length(graph.value(a.q()).axis(), in(a.q())));
            q = rotate(q, a.rope(), hd, cs, p + ".q_rope");
            k = rotate(k, a.rope(), hd, cs, p + ".k_rope");
        }
        k = repeatKv(k, h, kvh, hd, p + ".kh_rep");
        String v = repeatKv(heads(in(a.v()), kvh, hd, p + ".vh"), h, kvh, hd, p + ".vh_rep");
        String kt = node("Transpose", List.of(k), fresh(p + ".kt"), Attribute.ints("perm", 0, 1, 3, 2));
        String scores = node("MatMul", List.of(q, kt), fresh(p + ".scores"));
        scores = node("Mul", List.of(scores, scalarF32(a.scale())), fresh(p + ".scaled"));
        String allowed = allowedMask(a);
        String probs;
        if (allowed == null) {
            probs = node("Softmax", List.of(scores), fresh(p + ".probs"), Attribute.of("axis", -1L));
        } else {
            String masked = node("Where", List.of(allowed, scores, scalarF32(Float.NEGATIVE_INFINITY)),
                    fresh(p + ".masked"));
            String sm = node("Softmax", List.of(masked), fresh(p + ".softmax"), Attribute.of("axis", -1L));
            // exp(−∞) is already 0 where a row has a valid key; a row without one is NaN and becomes the executor's 0.
            probs = node("Where", List.of(allowed, sm, scalarF32(0f)), fresh(p + ".probs"));
        }
        String ctx = node("MatMul", List.of(probs, v), fresh(p + ".ctx"));
        String t = node("Transpose", List.of(ctx), fresh(p + ".ctx_t"), Attribute.ints("perm", 0, 2, 1, 3));
        return node("Reshape",
                List.of(t, constI64("shape_bs_" + h * hd, new long[]{3}, new long[]{0, 0, (long) h * hd})), fresh(p));
    }

    /** [B, S, n·hd] → [B, n, S, hd]. */
    private String heads(String x, int n, int hd, String name) {
        String r = node("Reshape",
                List.of(x, constI64("shape_heads_" + n + "_" + hd, new long[]{4}, new long[]{0, 0, n, hd})),
                        fresh(name + ".split"));
        return node("Transpose", List.of(r), fresh(name), Attribute.ints("perm", 0, 2, 1, 3));
    }

    /** Grouped-query attention: kv head j serves query heads j·g .. j·g+g−1, as in the executor (kh = h / group). */
    private String repeatKv(String x, int h, int kvh, int hd, String name) {
        if (kvh == h) return x;
        int group = h / kvh;
        String u = node("Unsqueeze", List.of(x, i64("axes2", 2)), fresh(name + ".u"));
        String e = node("Expand",
                List.of(u, constI64("expand_g" + group, new long[]{5}, new long[]{1, 1, group, 1, 1})),
                        fresh(name + ".e"));
        return node("Reshape",
                List.of(e, constI64("shape_rep_" + h + "_" + hd, new long[]{4}, new long[]{0, h, -1, hd})),
                        fresh(name));
    }

    /** The boolean mask of allowed (query, key) pairs, broadcastable to [B, H, Sq, Sk]; null when all are allowed. */
    private String allowedMask(Op.Attention a) {
        String p = a.name();
        String mask = null;
        if (a.paddingMask()) {
            if (graph.value(a.k()).axis() != Axis.TOKENS) {
                throw new AnewbException("op kind attention with a padding mask over " + graph.value(a.k()).axis()
                        + " keys has no ONNX export yet");
            }
            mask = keyMask();
        }
        boolean chunk = a.chunk() != null;
        if (a.causal() || chunk) {
            // Causal and band rules compare query and key positions of one sequence: self-attention only.
            if (a.cross() || graph.value(a.q()).axis() != graph.value(a.k()).axis()) {
                throw new AnewbException("causal or chunked attention with keys from another sequence (" + p
                        + ") has no ONNX form");
            }
            String n = length(graph.value(a.q()).axis(), in(a.q()));
            String i = node("Unsqueeze",
                    List.of(node("Range", List.of(scalarI64(0), n, scalarI64(1)), fresh(p + ".i")), i64("axes1", 1)),
                            fresh(p + ".i_col"));
            String j = node("Unsqueeze",
                    List.of(node("Range", List.of(scalarI64(0), n, scalarI64(1)), fresh(p + ".j")), i64("zero1", 0)),
                            fresh(p + ".j_row"));
            if (a.causal()) mask = and(mask, node("LessOrEqual", List.of(j, i), fresh(p + ".causal")), p + ".mask_c");
            if (chunk) mask = and(mask, band(a, i, j), p + ".mask_band");
        }
        return mask;
    }

    /**
     * spec/chunked-attention.md: query block k = floor(i / S), S = W − O, sees keys [k·S − floor(O/2), (k+1)·S +
     * ceil(O/2))
     * (encoder) or [k·S − O, (k+1)·S) with the causal mask inside (decoder); positions outside [0, n) do not exist
     * anyway.
     */
    private String band(Op.Attention a, String i, String j) {
        int window = a.chunk().window(), overlap = a.chunk().overlap();
        long s = window - overlap;
        long before = a.causal() ? overlap : overlap / 2;
        long after = a.causal() ? 0 : (overlap + 1) / 2;
        String p = a.name();
        // i ≥ 0, so integer Div (truncation) is floor.
        String blockStart = node("Mul",
                List.of(node("Div", List.of(i, scalarI64(s)), fresh(p + ".block")), scalarI64(s)),
                        fresh(p + ".block_start"));
        String lo = node("Sub", List.of(blockStart, scalarI64(before)), fresh(p + ".band_lo"));
        String hi = node("Add", List.of(blockStart, scalarI64(s + after)), fresh(p + ".band_hi"));
        String geLo = node("GreaterOrEqual", List.of(j, lo), fresh(p + ".ge_lo"));
        String ltHi = node("Less", List.of(j, hi), fresh(p + ".lt_hi"));
        return node("And", List.of(geLo, ltHi), fresh(p + ".band"));
    }

    private String and(String a, String b, String name) {
        return a == null ? b : node("And", List.of(a, b), fresh(name));
    }

    /** attention_mask == 1 as bool [B, 1, 1, Sk], shared by every layer. */
    private String keyMask() {
        if (keyMask == null) {
            String eq = node("Equal", List.of(in(ATTENTION_MASK), constI64("one_i64", new long[0], new long[]{1})),
                    fresh("key_valid"));
            keyMask = node("Unsqueeze", List.of(eq, constI64("axes12", new long[]{2}, new long[]{1, 2})),
                    fresh("key_mask"));
        }
        return keyMask;
    }

    /**
     * The dynamic length of a sequence axis as an int64 scalar, from the first tensor on that axis asked about
     * (for TOKENS of a text model that is the ids input, so every layer shares one Shape node).
     */
    private String length(Axis axis, String tensorOnAxis) {
        return lengths.computeIfAbsent(axis, ax -> {
            String name = ax.name().toLowerCase(Locale.ROOT) + "_len";
            String shape = node("Shape", List.of(tensorOnAxis), fresh(name + "_1d"), Attribute.of("start", 1L),
                    Attribute.of("end", 2L));
            return node("Squeeze", List.of(shape, i64("zero1", 0)), fresh(name));
        });
    }

    // ---- rotary embedding ----

    private final Map<Op.Rope, String[]> ropeTables = new HashMap<>();

    /**
     * cos and sin [S, rotaryDim/2] of angle = position · inv_freq, both factors float32 as the executor (and torch)
     * multiply them; inv_freq is transformers' for the rope type, computed by the executor's own code.
     */
    private String[] ropeTables(Op.Rope rope, String n) {
        return ropeTables.computeIfAbsent(rope, r -> {
            float[] inv = RotaryEmbedding.inverseFrequencies(r);
            String invName = fresh("rope.inv_freq");
            byte[] bytes = f32Bytes(inv);
            w.initializer(new Initializer(invName, OnnxModelWriter.FLOAT, new long[]{1, inv.length}, bytes.length,
                    () -> bytes));
            String pos = node("Cast",
                    List.of(node("Range", List.of(scalarI64(0), n, scalarI64(1)), fresh("rope.positions_i64"))),
                    fresh("rope.positions"), Attribute.of("to", (long) OnnxModelWriter.FLOAT));
            String col = node("Unsqueeze", List.of(pos, i64("axes1", 1)), fresh("rope.positions_col"));
            String angle = node("Mul", List.of(col, invName), fresh("rope.angle"));
            return new String[]{node("Cos", List.of(angle), fresh("rope.cos")),
                    node("Sin", List.of(angle), fresh("rope.sin"))};
        });
    }

    /**
     * x·cos + rotate_half(x)·sin on [B, heads, S, hd] (cos/sin [S, d/2] broadcast): dimension i pairs with i + d/2,
     * y1 = x1·cos − x2·sin, y2 = x2·cos + x1·sin; dimensions [d, hd) pass through (partial rotary).
     */
    private String rotate(String x, Op.Rope rope, int hd, String[] cs, String name) {
        int d = rope.rotaryDim(), half = d / 2;
        String x1 = node("Slice",
                List.of(x, i64("slice_at_0", 0), i64("slice_at_" + half, half), i64("slice_axis_last", -1)),
                        fresh(name + ".x1"));
        String x2 = node("Slice",
                List.of(x, i64("slice_at_" + half, half), i64("slice_at_" + d, d), i64("slice_axis_last", -1)),
                        fresh(name + ".x2"));
        String y1 = node("Sub",
                List.of(node("Mul", List.of(x1, cs[0]), fresh(name + ".x1cos")),
                        node("Mul", List.of(x2, cs[1]), fresh(name + ".x2sin"))),
                fresh(name + ".y1"));
        String y2 = node("Add",
                List.of(node("Mul", List.of(x2, cs[0]), fresh(name + ".x2cos")),
                        node("Mul", List.of(x1, cs[1]), fresh(name + ".x1sin"))),
                fresh(name + ".y2"));
        List<String> parts = new ArrayList<>(List.of(y1, y2));
        if (d < hd) parts.add(node("Slice",
                List.of(x, i64("slice_at_" + d, d), i64("slice_at_" + hd, hd), i64("slice_axis_last", -1)),
                        fresh(name + ".pass")));
        return node("Concat", parts, fresh(name), Attribute.of("axis", -1L));
    }

    // ---- front ends ----

    /** ViT: Conv (kernel = stride = patch) → [B, hidden, gy·gx] → tokens [B, patches, hidden]; CLS first; + positions.
     *
     */
    private String patchEmbed(Op.PatchEmbed pe) {
        String p = pe.name(), x = in(pe.input());
        List<String> ins = new ArrayList<>(List.of(x, floatWeightAsFloat(pe.weight())));
        if (pe.bias() != null) ins.add(floatWeightAsFloat(pe.bias()));
        String conv = node("Conv", ins, fresh(p + ".conv"), Attribute.ints("kernel_shape", pe.patch(), pe.patch()),
                Attribute.ints("strides", pe.patch(), pe.patch()));
        String flat = node("Reshape",
                List.of(conv, constI64("shape_b_" + pe.hidden() + "_rest", new long[]{3},
                        new long[]{0, pe.hidden(), -1})),
                fresh(p + ".flat"));
        String y = node("Transpose", List.of(flat), fresh(p + ".tokens"), Attribute.ints("perm", 0, 2, 1));
        if (pe.clsToken() != null) {
            String cls = node("Reshape",
                    List.of(floatWeightAsFloat(pe.clsToken()), constI64("shape_1_1_" + pe.hidden(), new long[]{3},
                    new long[]{1, 1, pe.hidden()})), fresh(p + ".cls"));
            String batch = node("Shape", List.of(x), fresh(p + ".batch"), Attribute.of("start", 0L),
                    Attribute.of("end", 1L));
            String target = node("Concat",
                    List.of(batch, constI64("dims_1_" + pe.hidden(), new long[]{2}, new long[]{1, pe.hidden()})),
                    fresh(p + ".cls_shape"), Attribute.of("axis", 0L));
            String clsB = node("Expand", List.of(cls, target), fresh(p + ".cls_batch"));
            y = node("Concat", List.of(clsB, y), fresh(p + ".with_cls"), Attribute.of("axis", 1L));
        }
        if (pe.positions() != null) {
            String pos = node("Reshape",
                    List.of(floatWeightAsFloat(pe.positions()), constI64("shape_rows_" + pe.hidden(), new long[]{2},
                    new long[]{-1, pe.hidden()})), fresh(p + ".positions"));
            y = node("Add", List.of(y, pos), fresh(p));
        }
        return y;
    }

    /** Whisper's conv1/conv2: Conv over [B, in, L] with the op's padding and stride, back to token-major [B, L', out].
     *
     */
    private String conv1d(Op.Conv1d c) {
        String p = c.name(), x = in(c.input());
        if (!c.channelsFirstInput()) x = node("Transpose", List.of(x), fresh(p + ".channels_first"),
                Attribute.ints("perm", 0, 2, 1));
        List<String> ins = new ArrayList<>(List.of(x, floatWeightAsFloat(c.weight())));
        if (c.bias() != null) ins.add(floatWeightAsFloat(c.bias()));
        String y = node("Conv", ins, fresh(p + ".conv"), Attribute.ints("kernel_shape", c.kernel()),
                Attribute.ints("strides", c.stride()),
                Attribute.ints("pads", c.padding(), c.padding()));
        return node("Transpose", List.of(y), fresh(p), Attribute.ints("perm", 0, 2, 1));
    }

    /** Rows [0, S) of the position table added to [B, S, C]. */
    private String addPositions(Op.AddPositions a) {
        String p = a.name(), x = in(a.input());
        String n = node("Shape", List.of(x), fresh(p + ".len"), Attribute.of("start", 1L), Attribute.of("end", 2L));
        String rows = node("Slice", List.of(floatWeightAsFloat(a.table()), i64("zero1", 0), n, i64("zero1", 0)),
                fresh(p + ".rows"));
        return node("Add", List.of(x, rows), fresh(p));
    }

    private String activation(Op.Activation a) {
        String x = in(a.input());
        String p = a.name();
        return switch (a.function()) {
            case "gelu", "gelu_python" -> {
                // 0.5·x·(1 + erf(x/√2)), the exact GELU the executor computes.
                String erf = node("Erf",
                        List.of(node("Div", List.of(x, scalarF32((float) Math.sqrt(2))), fresh(p + ".scaled"))),
                                fresh(p + ".erf"));
                String onePlus = node("Add", List.of(erf, scalarF32(1f)), fresh(p + ".one_plus"));
                yield node("Mul", List.of(node("Mul", List.of(x, onePlus), fresh(p + ".x_one_plus")), scalarF32(0.5f)),
                        fresh(p));
            }
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> {
                String x3 = node("Mul", List.of(node("Mul", List.of(x, x), fresh(p + ".x2")), x), fresh(p + ".x3"));
                String inner = node("Add",
                        List.of(x, node("Mul", List.of(x3, scalarF32(0.044715f)), fresh(p + ".cubic"))),
                                fresh(p + ".inner"));
                String th = node("Tanh",
                        List.of(node("Mul", List.of(inner, scalarF32((float) Math.sqrt(2 / Math.PI))),
                                fresh(p + ".arg"))), fresh(p + ".tanh"));
                String onePlus = node("Add", List.of(th, scalarF32(1f)), fresh(p + ".one_plus"));
                yield node("Mul", List.of(node("Mul", List.of(x, onePlus), fresh(p + ".x_one_plus")), scalarF32(0.5f)),
                        fresh(p));
            }
            case "relu" -> node("Relu", List.of(x), fresh(p));
            case "tanh" -> node("Tanh", List.of(x), fresh(p));
            case "silu", "swish" ->
                    node("Mul", List.of(x, node("Sigmoid", List.of(x), fresh(p + ".sigmoid"))), fresh(p));
            case "quick_gelu" ->
                    node("Mul", List.of(x,
                            node("Sigmoid", List.of(node("Mul", List.of(x, scalarF32(1.702f)), fresh(p + ".scaled"))),
                    fresh(p + ".sigmoid"))), fresh(p));
            default -> throw new AnewbException("activation \"" + a.function() + "\" has no ONNX export yet");
        };
    }

    /** Mean over positions with attention_mask = 1 (at least 1 in the divisor), then optionally L2-normalised. */
    private String meanPool(Op.MeanPool m) {
        String p = m.name();
        String valid = node("Cast",
                List.of(node("Equal",
                        List.of(tensors.get(ATTENTION_MASK), constI64("one_i64", new long[0], new long[]{1})),
                fresh(p + ".valid_b"))), fresh(p + ".valid"), Attribute.of("to", (long) OnnxModelWriter.FLOAT));
        String weightsCol = node("Unsqueeze", List.of(valid, i64("axes2_1d", 2)), fresh(p + ".valid_col"));
        String sum = node("ReduceSum",
                List.of(node("Mul", List.of(in(m.input()), weightsCol), fresh(p + ".masked")), i64("one1", 1)),
                fresh(p + ".sum"), Attribute.of("keepdims", 1L));
        String count = node("ReduceSum", List.of(weightsCol, i64("one1", 1)), fresh(p + ".count"),
                Attribute.of("keepdims", 1L));
        String mean = node("Div", List.of(sum, node("Max", List.of(count, scalarF32(1f)), fresh(p + ".count1"))),
                fresh(p + ".mean"));
        if (!m.l2Normalize()) return mean;
        String sq = node("ReduceSumSquare", List.of(mean, i64("axes_last", -1)), fresh(p + ".sumsq"),
                Attribute.of("keepdims", 1L));
        String norm = node("Max", List.of(node("Sqrt", List.of(sq), fresh(p + ".norm")), scalarF32(1e-12f)),
                fresh(p + ".norm_min"));
        return node("Div", List.of(mean, norm), fresh(p));
    }

    // ---- precision ----

    /** The executor's FP16 boundary: round to the nearest binary16, compute on in float32. */
    private String roundFp16(String x) {
        String h = node("Cast", List.of(x), fresh(x + ".f16"), Attribute.of("to", (long) OnnxModelWriter.FLOAT16));
        return node("Cast", List.of(h), fresh(x + ".rounded"), Attribute.of("to", (long) OnnxModelWriter.FLOAT));
    }

    /** A float weight (table, norm, bias) as stored: FP16 under FP16 precision, else FP32 (any source dtype). */
    private String floatWeight(String name) {
        return tableInits.computeIfAbsent(name, n -> {
            // Written under the weight's own name unless a projection took it (then the stored layout needs its own).
            String init = weightInits.add(n) ? n : fresh(n + ".table");
            // Shapes come from the stored tensor (tables may have more rows than the config); bytes when written.
            long[] shape = weights.get(n).shape().clone();
            long count = 1;
            for (long d : shape) count *= d;
            w.initializer(new Initializer(init, fp16 ? OnnxModelWriter.FLOAT16 : OnnxModelWriter.FLOAT, shape, count
                    * (fp16 ? 2 : 4), () -> {
                float[] v = weights.get(n).toFloatArray();
                return fp16 ? f16Bytes(v) : f32Bytes(v);
            }));
            usedNames.add(init);
            return init;
        });
    }

    /** Weight name → initializer holding it as stored (tables, norms, biases, convolutions). */
    private final Map<String, String> tableInits = new HashMap<>();
    /** Weight name → the [in, out] view derived from a table initializer (tied heads). */
    private final Map<String, String> projections = new HashMap<>();

    private String floatWeightAsFloat(String name) {
        String t = floatWeight(name);
        return fp16 ? castToFloat(t) : t;
    }

    private String floatOut(String x) {
        return fp16 ? node("Cast", List.of(x), fresh(x + ".f32"), Attribute.of("to", (long) OnnxModelWriter.FLOAT)) : x;
    }

    private final Map<String, String> castWeights = new HashMap<>();

    private String castToFloat(String init) {
        return castWeights.computeIfAbsent(init, n ->
                node("Cast", List.of(n), fresh(n + ".f32"), Attribute.of("to", (long) OnnxModelWriter.FLOAT)));
    }

    // ---- nodes, names, constants ----

    private String node(String op, List<String> inputs, String output, Attribute... attributes) {
        usedNames.add(output);
        w.node(new OnnxModelWriter.Node(output + "/" + op, op, inputs, List.of(output), Arrays.asList(attributes)));
        return output;
    }

    /** A tensor name not used yet (graph value and weight names stay readable in viewers such as Netron). */
    private String fresh(String base) {
        String name = base;
        while (usedNames.contains(name) || graph.taps().containsKey(name)
                || graph.weights().containsKey(name)) name = base + "_" + (++counter);
        usedNames.add(name);
        return name;
    }

    /** A 1-D int64 constant of one element (axes, starts, ends). */
    private String i64(String key, long v) {
        return constI64(key, new long[]{1}, new long[]{v});
    }

    private String scalarI64(long v) {
        return constI64("i64_" + v, new long[0], new long[]{v});
    }

    private String constI64(String key, long[] dims, long[] values) {
        return constants.computeIfAbsent("i64:" + key, k -> {
            String name = fresh("const." + key);
            ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (long v : values) b.putLong(v);
            byte[] bytes = b.array();
            w.initializer(new Initializer(name, OnnxModelWriter.INT64, dims, bytes.length, () -> bytes));
            return name;
        });
    }

    private String scalarF32(float v) {
        return constants.computeIfAbsent("f32:" + Float.floatToRawIntBits(v), k -> {
            String name = fresh("const.f32_" + v);
            byte[] bytes = f32Bytes(new float[]{v});
            w.initializer(new Initializer(name, OnnxModelWriter.FLOAT, new long[0], 4, () -> bytes));
            return name;
        });
    }

    private static float[] transpose(float[] src, int rows, int cols) {
        float[] dst = new float[src.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
        return dst;
    }

    private static byte[] transposeBytes(byte[] src, int rows, int cols) {
        byte[] dst = new byte[src.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
        return dst;
    }

    private static byte[] f32Bytes(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }

    private static byte[] f16Bytes(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putShort(Float.floatToFloat16(f));
        return b.array();
    }
}

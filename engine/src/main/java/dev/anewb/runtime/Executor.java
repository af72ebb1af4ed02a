package dev.anewb.runtime;

import dev.anewb.AnewbException;
import dev.anewb.job.JobContext;
import dev.anewb.model.Axis;
import dev.anewb.model.Batch;
import dev.anewb.model.ChunkPlan;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelConfig;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.Op;
import dev.anewb.model.TensorData;
import dev.anewb.model.Value;
import dev.anewb.model.WeightInfo;
import dev.anewb.model.WeightRole;
import dev.anewb.model.WeightSource;
import dev.anewb.quant.BlockQuantizer;
import dev.anewb.quant.Int8BlockWeight;
import dev.anewb.quant.QuantizedWeights;
import dev.anewb.runtime.kernel.ActivationQuantizer;
import dev.anewb.runtime.kernel.Activations;
import dev.anewb.runtime.kernel.AttentionKernels;
import dev.anewb.runtime.kernel.Bc1s;
import dev.anewb.runtime.kernel.EnginePool;
import dev.anewb.runtime.kernel.Fp16;
import dev.anewb.runtime.kernel.LinearWeight;
import dev.anewb.runtime.kernel.MappedMatmul;
import dev.anewb.runtime.kernel.NormKernels;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collections;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a {@link ModelGraph} on the CPU, op by op, and returns every tap. The same executor runs original
 * and converted graphs, so a drift number is always measured (spec/architecture.md).
 *
 * <p>Values no later op reads and no tap names are dropped as soon as possible, so peak heap is a few
 * layers' activations, not the whole forward pass.
 */
public final class Executor {
    private final ModelGraph graph;
    private final WeightSource weights;
    private final PreparedWeights prepared;
    private final Map<String, float[]> floatWeights = new ConcurrentHashMap<>();
    private final Map<String, LinearWeight> linearWeights = new ConcurrentHashMap<>();
    private final boolean fp16;
    private final Map<String, Integer> lastUse = new HashMap<>();
    /** Value name → the taps that report it. */
    private final Map<String, List<String>> tapsOf = new HashMap<>();
    private final Map<Op.Rope, RotaryEmbedding> rotary = new ConcurrentHashMap<>();
    /** Nanoseconds per op kind while {@link #timeOps} is on (the bench command's profile); null when off. */
    private volatile Map<String, long[]> opNanos;
    /** Values that do not depend on the token ids (an encoder's): computed once per input while decoding. */
    private final Set<String> tokenIndependent;
    /** Token-independent values a token-dependent op or a tap reads: what a decoding cache keeps of the encoder. */
    private final Set<String> encoderOutputs = new HashSet<>();
    /**
     * Arrays of intermediate values dropped in earlier runs, handed from one run to the next: at BERT-base or 512-token
     * sizes most activations are G1 humongous objects, and allocating ~100 of them per pass started a concurrent
     * GC cycle every few passes, whose threads took one of the two cores (the run-to-run spread). A run takes the
     * whole set (so concurrent runs never share an array) and gives it back when it succeeds.
     */
    private final AtomicReference<Buffers> spare = new AtomicReference<>();

    /** An executor with prepared weights of its own (tests, benchmarks); the engine's executors share them. */
    public Executor(ModelGraph graph, WeightSource weights) {
        this(graph, weights, PreparedWeights.of(graph));
    }

    /**
     * @param prepared the projection weights prepared for the kernels, shared with the other executors of the same
     *                 weights (the api's {@code ModelSession} owns one per model)
     */
    public Executor(ModelGraph graph, WeightSource weights, PreparedWeights prepared) {
        this.graph = graph;
        this.weights = weights;
        this.prepared = prepared;
        this.fp16 = graph.conversion().precision() == Conversion.Precision.FP16;
        List<Op> ops = graph.ops();
        for (int i = 0; i < ops.size(); i++) for (String in : ops.get(i).inputs()) lastUse.put(in, i);
        for (String v : graph.taps().values()) lastUse.put(v, Integer.MAX_VALUE);
        this.tokenIndependent = graph.tokenIndependentValues();
        graph.taps().forEach((tap, value) -> tapsOf.computeIfAbsent(value, v -> new ArrayList<>()).add(tap));
        for (Op op : ops) {
            if (tokenIndependent.contains(op.output())) continue;
            for (String in : op.inputs()) if (tokenIndependent.contains(in)) encoderOutputs.add(in);
        }
        for (String v : graph.taps().values()) if (tokenIndependent.contains(v)) encoderOutputs.add(v);
        MemoryBudget.check(graph, weights.origin().getFileName() + " (" + graph.config().modelType() + ")",
                Runtime.getRuntime().maxMemory(), prepared.packsFloatWeights());
        checkWeights();
    }

    public ModelGraph graph() { return graph; }

    /**
     * Turns the per-op-kind timer on (clearing it) or off. It costs two clock reads per op, so it is off unless a
     * profile was asked for.
     */
    public void timeOps(boolean on) {
        opNanos = on ? new ConcurrentHashMap<>() : null;
    }

    /** Op kind → {total nanoseconds, calls} since {@link #timeOps} was turned on; empty when off. */
    public Map<String, long[]> opTimes() {
        Map<String, long[]> t = opNanos;
        return t == null ? Map.of() : Map.copyOf(t);
    }

    /** The prepared form of projection weight {@code name}, or null before a pass needed it (tests check sharing). */
    LinearWeight preparedWeight(String name) {
        return linearWeights.get(name);
    }

    /** Bytes of the projection weights prepared so far (all of them after one pass): what a decode step streams. */
    public long preparedWeightBytes() {
        return linearWeights.values().stream().mapToLong(LinearWeight::bytes).sum();
    }

    /** Bytes of projection weights one pass reads (heap forms and mapped ones): the decode step's memory traffic. */
    public long streamedWeightBytes() {
        return linearWeights.values().stream().mapToLong(LinearWeight::streamedBytes).sum();
    }

    private String opKind(Op op) {
        String kind = op.getClass().getSimpleName();
        if (op instanceof Op.Linear l) {
            LinearWeight w = linearWeights.get(l.weight());
            if (w != null) kind += "." + w.getClass().getSimpleName();
        }
        return kind;
    }

    /** Every weight the graph reads must exist with the shape the config implies. */
    private void checkWeights() {
        for (WeightInfo w : graph.weights().values()) {
            if (w.quant() != null && weights instanceof QuantizedWeights qw && qw.quantized(w.name()) != null) {
                Int8BlockWeight q = qw.quantized(w.name());
                if (q.rows() != w.shape()[0] || q.k() != w.shape()[1]) {
                    throw AnewbException.file(weights.origin(), "INT8 tensor \"" + w.name() + "\" is [" + q.rows()
                            + ", " + q.k()
                            + "] but the config implies " + Arrays.toString(w.shape()));
                }
                continue;
            }
            if (!weights.contains(w.name())) {
                throw AnewbException.file(weights.origin(), "missing tensor \"" + w.name() + "\" that the "
                        + graph.config().modelType()
                        + " config requires");
            }
            TensorData t = weights.get(w.name());
            long[] expect = w.storedTransposed() ? reversed(w.shape()) : w.shape();
            boolean ok = t.shape().length == expect.length;
            for (int i = 0; ok && i < expect.length; i++) {
                // Tables may have more rows than the config says (e.g. padded vocabularies); never fewer.
                ok = w.role() == WeightRole.EMBEDDING && i == 0 ? t.shape()[i] >= expect[i] : t.shape()[i] == expect[i];
            }
            if (!ok) {
                throw AnewbException.file(weights.origin(), "tensor \"" + w.name() + "\" has shape " + t.shapeString()
                        + " but the config implies "
                        + Arrays.toString(expect));
            }
        }
    }

    private static long[] reversed(long[] s) {
        long[] r = new long[s.length];
        for (int i = 0; i < s.length; i++) r[i] = s[s.length - 1 - i];
        return r;
    }

    /** Runs one forward pass; progress is reported per op and cancellation checked between ops. */
    public RunResult run(Batch in, JobContext ctx) {
        return run(in, null, ctx);
    }

    /**
     * Runs the graph over tokens that continue the sequences in {@code cache}: token t of {@code in} sits at
     * position {@code cache.length() + t}, and every self-attention op appends its keys and values to the cache
     * and attends to all cached positions. On an empty cache this is prefill; then one token at a time is
     * incremental decoding, through the same ops. With a null cache it is a plain forward pass.
     */
    public RunResult run(Batch in, KvCache cache, JobContext ctx) {
        return run(in, cache, ctx, null);
    }

    /**
     * A forward pass that hands every tap to {@code onTap} as soon as the op computing it finishes (inputs that are
     * taps first), so a caller can show the first layers while the rest still runs.
     */
    public RunResult run(Batch in, JobContext ctx, BiConsumer<String, Activation> onTap) {
        return run(in, null, ctx, onTap, Set.of(), null);
    }

    /**
     * A forward pass that hands each computed value named in {@code values} to {@code onValue} as soon as the op
     * computing it finishes, before a later op may reuse its array: W8A8's calibration reads the projections' inputs,
     * which no tap reports.
     */
    public RunResult run(Batch in, Set<String> values, BiConsumer<String, Activation> onValue, JobContext ctx) {
        return run(in, null, ctx, null, values, onValue);
    }

    private RunResult run(Batch in, KvCache cache, JobContext ctx, BiConsumer<String, Activation> onTap) {
        return run(in, cache, ctx, onTap, Set.of(), null);
    }

    private RunResult run(Batch in, KvCache cache, JobContext ctx, BiConsumer<String, Activation> onTap,
                          Set<String> observed, BiConsumer<String, Activation> onValue) {
        int past = cache == null ? 0 : cache.length();
        validate(in, past);
        if (cache != null) cache.begin(in);
        long start = System.nanoTime();
        Map<String, Activation> vals = new HashMap<>();
        putFeatures(in, vals);
        // While decoding an encoder-decoder model the encoder ran in the first step: reuse its outputs.
        boolean encoderCached = cache != null && !encoderOutputs.isEmpty() && cache.hasEncoderValues();
        if (encoderCached) for (String v : encoderOutputs) vals.put(v, cache.encoderValue(v));
        // Kept aside as computed (values are dropped after their last reader) and stored only when the step succeeds.
        Map<String, Activation> encoderComputed = cache != null && !encoderCached && !encoderOutputs.isEmpty()
                ? new HashMap<>() : null;
        if (onTap != null) {
            for (var e : graph.taps().entrySet()) if (vals.containsKey(e.getValue())) onTap.accept(e.getKey(),
                    vals.get(e.getValue()));
        }
        Buffers buffers = spare.getAndSet(null);
        if (buffers == null) buffers = new Buffers();
        List<Op> ops = graph.ops();
        for (int i = 0; i < ops.size(); i++) {
            ctx.checkCancelled();
            Op op = ops.get(i);
            if (encoderCached && tokenIndependent.contains(op.output())) continue;
            Map<String, long[]> timing = opNanos;
            long opStart = timing == null ? 0 : System.nanoTime();
            Activation out = execute(op, in, vals, cache, past, buffers);
            // FP16: every op stores its output in half precision, as the ANE does between ops.
            if (fp16) Fp16.roundInPlace(out.data(), 0, out.data().length);
            if (timing != null) timing.computeIfAbsent(opKind(op), kk -> new long[2])[0] += System.nanoTime() - opStart;
            if (timing != null) timing.get(opKind(op))[1]++;
            vals.put(op.output(), out);
            if (onTap != null) for (String tap : tapsOf.getOrDefault(op.output(), List.of())) onTap.accept(tap, out);
            if (onValue != null && observed.contains(op.output())) onValue.accept(op.output(), out);
            if (encoderComputed != null && encoderOutputs.contains(op.output())) encoderComputed.put(op.output(), out);
            for (String input : op.inputs()) {
                Integer last = lastUse.get(input);
                if (last != null && last == i) {
                    Activation dropped = vals.remove(input);
                    if (dropped != null && !encoderOutputs.contains(input)) buffers.release(dropped.data(), vals,
                            encoderComputed);
                }
            }
            ctx.progress((i + 1) / (double) ops.size(), op.name());
        }
        Map<String, Activation> taps = new LinkedHashMap<>();
        for (var e : graph.taps().entrySet()) taps.put(e.getKey(), vals.get(e.getValue()));
        if (encoderComputed != null) encoderComputed.forEach(cache::putEncoderValue);
        if (cache != null) cache.commit(in.seq());
        buffers.endRun();
        spare.set(buffers);
        return new RunResult(in, taps, System.nanoTime() - start);
    }

    /**
     * The batch's named float inputs the graph reads (pixel_values, input_features), as activations; in FP16 they
     * are rounded (on a copy) as the ANE receives them.
     */
    private void putFeatures(Batch in, Map<String, Activation> vals) {
        for (var e : in.features().entrySet()) {
            Value v = graph.values().get(e.getKey());
            if (v == null) continue;
            Activation a = Activation.of(e.getValue());
            Integer rows = graph.fixedLength(v.axis());
            if ((rows != null && a.length() != rows) || a.channels() != v.channels()) {
                throw AnewbException.usage(e.getKey() + " has shape " + Arrays.toString(e.getValue().shape())
                        + " but the model takes ["
                        + a.batch() + ", " + rows + ", " + v.channels() + "] (" + describeFeature(e.getKey()) + ")");
            }
            if (fp16) {
                float[] d = a.data().clone();
                Fp16.roundInPlace(d, 0, d.length);
                a = new Activation(a.batch(), a.length(), a.channels(), d);
            }
            vals.put(e.getKey(), a);
        }
    }

    private String describeFeature(String name) {
        return switch (name) {
            case ModelGraph.PIXEL_VALUES -> "channels, then height x width pixels";
            case ModelGraph.INPUT_FEATURES -> "mel bins, then frames";
            default -> "rows, then values per row";
        };
    }

    /** A value an op reads: computed earlier, or a graph input the batch must supply. */
    private static Activation input(Map<String, Activation> vals, Batch in, String name) {
        Activation a = vals.get(name);
        if (a != null) return a;
        in.feature(name); // throws a usage error naming the missing input
        throw new IllegalStateException("value " + name + " not computed");
    }

    private Activation patchEmbed(Op.PatchEmbed p, Batch in, Map<String, Activation> vals) {
        return FrontEndKernels.patchEmbed(p, input(vals, in, p.input()), floats(p.weight()), p.bias() == null ? null
                : floats(p.bias()),
                p.clsToken() == null ? null : floats(p.clsToken()), p.positions() == null ? null
                        : floats(p.positions()));
    }

    private Activation conv1d(Op.Conv1d c, Batch in, Map<String, Activation> vals) {
        return FrontEndKernels.conv1d(c, input(vals, in, c.input()), floats(c.weight()), c.bias() == null ? null
                : floats(c.bias()));
    }

    private void validate(Batch in, int past) {
        ModelConfig c = graph.config();
        Integer fixed = graph.fixedLength(Axis.TOKENS);
        if (fixed != null && in.seq() != fixed) {
            throw AnewbException.usage("input of " + in.seq() + " positions; this " + c.architecture()
                    + " takes exactly " + fixed);
        }
        if (in.ids() == null) {
            if (graph.values().containsKey(ModelGraph.INPUT_IDS)) throw AnewbException.usage("this model needs token "
                    + "ids (--text or --ids)");
            return;
        }
        if (past == 0 && in.seq() > c.maxPositions()) {
            throw AnewbException.usage("input of " + in.seq() + " tokens is longer than the model's "
                    + c.maxPositions() + " positions");
        }
        if (past + in.seq() > c.maxPositions()) {
            throw AnewbException.usage(in.seq() + " more tokens after " + past + " would pass the model's context of "
                    + c.maxPositions() + " positions");
        }
        for (int b = 0; b < in.batch(); b++) {
            for (int t = 0; t < in.seq(); t++) {
                long id = in.ids()[b][t];
                if (id < 0 || id >= c.vocabSize()) {
                    throw AnewbException.usage("token id " + id + " at position " + t
                            + " is outside the vocabulary (0.." + (c.vocabSize() - 1) + ")");
                }
            }
        }
    }

    private Activation execute(Op op, Batch in, Map<String, Activation> vals, KvCache cache, int past,
            Buffers buffers) {
        return switch (op) {
            case Op.Embed e -> embed(e, in, past);
            case Op.Norm n -> norm(n, vals.get(n.input()), buffers);
            case Op.Linear l -> linear(l, vals.get(l.input()), buffers);
            case Op.Attention a -> attentionStep(a, in, vals, cache, past, buffers);
            case Op.Slice s -> slice(s, vals.get(s.input()));
            case Op.Activation a -> {
                Activation x = vals.get(a.input());
                float[] y = buffers.take(x.data().length);
                System.arraycopy(x.data(), 0, y, 0, y.length);
                Activations.apply(a.function(), y);
                yield new Activation(x.batch(), x.length(), x.channels(), y);
            }
            case Op.Add a -> binary(vals.get(a.a()), vals.get(a.b()), false, buffers);
            case Op.Mul m -> binary(vals.get(m.a()), vals.get(m.b()), true, buffers);
            case Op.TakeFirst f -> {
                Activation x = vals.get(f.input());
                float[] y = new float[x.batch() * x.channels()];
                for (int b = 0; b < x.batch(); b++) System.arraycopy(x.data(), b * x.length() * x.channels(), y, b
                        * x.channels(), x.channels());
                yield new Activation(x.batch(), 1, x.channels(), y);
            }
            case Op.MeanPool p -> meanPool(p, in, vals.get(p.input()));
            case Op.PatchEmbed p -> patchEmbed(p, in, vals);
            case Op.Conv1d c -> conv1d(c, in, vals);
            case Op.AddPositions p -> FrontEndKernels.addPositions(vals.get(p.input()), floats(p.table()));
        };
    }

    private float[] floats(String name) {
        return floatWeights.computeIfAbsent(name, n -> {
            WeightInfo info = graph.weights().get(n);
            TensorData t = weights.get(n);
            float[] raw = t.toFloatArray();
            // FP16: weights that stay float are stored in half precision.
            if (fp16) Fp16.roundInPlace(raw, 0, raw.length);
            if (info != null && info.storedTransposed()) {
                int rows = t.dim(0), cols = t.dim(1);
                float[] tr = new float[raw.length];
                for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) tr[c * rows + r] = raw[r * cols + c];
                return tr;
            }
            return raw;
        });
    }

    private Activation embed(Op.Embed e, Batch in, int past) {
        int c = graph.value(e.output()).channels();
        float[] y = new float[in.batch() * in.seq() * c];
        TensorData word = weights.get(e.wordTable());
        TensorData pos = e.positionTable() == null ? null : weights.get(e.positionTable());
        TensorData type = e.typeTable() == null ? null : weights.get(e.typeTable());
        float[] row = new float[c];
        for (int b = 0; b < in.batch(); b++) {
            for (int t = 0; t < in.seq(); t++) {
                int o = (b * in.seq() + t) * c;
                word.readFloats(in.ids()[b][t] * c, y, o, c);
                if (fp16) Fp16.roundInPlace(y, o, o + c);
                if (pos != null) {
                    pos.readFloats((long) (past + t + e.positionOffset()) * c, row, 0, c);
                    if (fp16) Fp16.roundInPlace(row, 0, c);
                    for (int i = 0; i < c; i++) y[o + i] += row[i];
                }
                if (type != null) {
                    long tid = in.typeIds() == null ? 0 : in.typeIds()[b][t];
                    type.readFloats(tid * c, row, 0, c);
                    if (fp16) Fp16.roundInPlace(row, 0, c);
                    for (int i = 0; i < c; i++) y[o + i] += row[i];
                }
            }
        }
        return new Activation(in.batch(), in.seq(), c, y);
    }

    private Activation norm(Op.Norm n, Activation x, Buffers buffers) {
        float[] y = buffers.take(x.data().length);
        NormKernels.norm(x.data(), x.tokens(), x.channels(), floats(n.weight()), n.bias() == null ? null
                : floats(n.bias()), n.rms(),
                n.eps(), y);
        return new Activation(x.batch(), x.length(), x.channels(), y);
    }

    private Activation linear(Op.Linear l, Activation x, Buffers buffers) {
        LinearWeight w = linearWeight(l.weight());
        float[] bias = l.bias() == null ? null : floats(l.bias());
        float[] y = buffers.take(x.tokens() * l.out());
        float[] in = x.data();
        if (l.inputQuant() != null) {
            // W8A8: the projection reads its input as Core ML's quantize/dequantize pair leaves it
            if (!l.inputQuant().isCalibrated()) {
                throw new IllegalStateException(l.name() + ": INT8 input not calibrated (convert through the session)");
            }
            in = buffers.take(in.length);
            ActivationQuantizer.fakeQuantize(x.data(), in.length, l.inputQuant().scale(), fp16, in);
        }
        if (graph.conversion().layout() == Conversion.Layout.BC1S) {
            Bc1s.conv1x1(in, x.batch(), x.length(), x.channels(), w, bias, y);
        } else {
            w.matmul(in, x.tokens(), bias, y);
        }
        if (in != x.data()) buffers.release(in, Map.of(), null);
        return new Activation(x.batch(), x.length(), l.out(), y);
    }

    /** The projection weight in the storage the graph asks for (block INT8, FP16 or FP32), shared by form: see {@link
     * PreparedWeights}.
     */
    private LinearWeight linearWeight(String name) {
        return linearWeights.computeIfAbsent(name, n -> {
            WeightInfo info = graph.weights().get(n);
            String form = info.quant() != null ? "int8 " + info.quant() : fp16 ? "fp16" : "fp32";
            return prepared.get(n, form, () -> prepare(n, info));
        });
    }

    /** Prepares a projection weight in the storage the graph asks for: block INT8, FP16 or FP32. */
    private LinearWeight prepare(String n, WeightInfo info) {
        if (info.quant() != null) {
            Int8BlockWeight stored = weights instanceof QuantizedWeights qw ? qw.quantized(n) : null;
            return LinearWeight.int8(stored != null ? stored
                    : BlockQuantizer.of(info.quant()).quantize(weights.get(n), info));
        }
        if (!prepared.packsFloatWeights() && !info.storedTransposed()) {
            TensorData stored = weights.get(n);
            if (stored.rank() == 2 && MappedMatmul.supports(stored.dtype())) return LinearWeight.mapped(stored, fp16);
        }
        float[] w = floats(n);
        int k = (int) info.shape()[1];
        if (fp16) {
            short[] h = new short[w.length];
            for (int i = 0; i < w.length; i++) h[i] = Float.floatToFloat16(w[i]);
            floatWeights.remove(n);
            return LinearWeight.f16(h, k);
        }
        // The packed (or kept) copy is the only one the executor holds on to.
        floatWeights.remove(n);
        return LinearWeight.f32(w, k);
    }

    /**
     * Attention per sequence through {@link AttentionKernels}: padding mask on the keys, causal rule, and the
     * op's chunk band (the converter gives cross-attention none). In the BC1S layout every head runs
     * on its own split buffers, as ml-ane-transformers splits attention per head.
     */
    private Activation attention(Op.Attention a, Batch in, Activation q, Activation k, Activation v, Buffers buffers) {
        int heads = a.heads(), kvHeads = a.kvHeads(), hd = a.headDim();
        int b = q.batch(), sq = q.length(), sk = k.length();
        int qw = heads * hd, kw = kvHeads * hd;
        boolean bc1s = graph.conversion().layout() == Conversion.Layout.BC1S;
        float[] y = buffers.take(b * sq * qw);
        Arrays.fill(y, 0f);
        for (int bi = 0; bi < b; bi++) {
            ChunkPlan plan = a.plan(sk);
            boolean[] valid = null;
            if (a.paddingMask() && !a.cross()) {
                valid = new boolean[sk];
                for (int j = 0; j < sk; j++) valid[j] = in.mask()[bi][j] == 1;
            }
            // One sequence: the kernels read the projections and write the output in place (they take whole arrays).
            boolean whole = b == 1;
            float[] qs = whole ? q.data()
                    : Arrays.copyOfRange(q.data(), bi * sq * q.channels(), (bi + 1) * sq * q.channels());
            float[] ks = whole ? k.data()
                    : Arrays.copyOfRange(k.data(), bi * sk * k.channels(), (bi + 1) * sk * k.channels());
            float[] vs = whole ? v.data()
                    : Arrays.copyOfRange(v.data(), bi * sk * v.channels(), (bi + 1) * sk * v.channels());
            float[] out = whole ? y : new float[sq * qw];
            if (bc1s) {
                attendPerHead(qs, ks, vs, sq, sk, heads, kvHeads, hd, a.scale(), plan, valid, out);
            } else if (sq == sk) {
                AttentionKernels.attend(qs, ks, vs, heads, kvHeads, hd, a.scale(), plan, valid, out);
            } else {
                AttentionKernels.attend(qs, 0, sq, ks, vs, sk, heads, kvHeads, hd, a.scale(), plan, valid, out);
            }
            if (!whole) System.arraycopy(out, 0, y, bi * sq * qw, out.length);
        }
        return new Activation(b, sq, qw, y);
    }

    /** One head at a time on its own [S, D] buffers (the per-head split of the BC1S layout). */
    private static void attendPerHead(float[] q, float[] k, float[] v, int sq, int sk, int heads, int kvHeads, int hd,
            float scale,
                                      ChunkPlan plan, boolean[] valid, float[] out) {
        int group = heads / kvHeads;
        EnginePool.forRange(heads, h -> {
            int kh = h / group;
            float[] qh = new float[sq * hd], kh_ = new float[sk * hd], vh = new float[sk * hd], oh = new float[sq * hd];
            for (int t = 0; t < sq; t++) System.arraycopy(q, t * heads * hd + h * hd, qh, t * hd, hd);
            for (int t = 0; t < sk; t++) {
                System.arraycopy(k, t * kvHeads * hd + kh * hd, kh_, t * hd, hd);
                System.arraycopy(v, t * kvHeads * hd + kh * hd, vh, t * hd, hd);
            }
            if (sq == sk) AttentionKernels.attend(qh, kh_, vh, 1, 1, hd, scale, plan, valid, oh);
            else AttentionKernels.attend(qh, 0, sq, kh_, vh, sk, 1, 1, hd, scale, plan, valid, oh);
            for (int t = 0; t < sq; t++) System.arraycopy(oh, t * hd, out, t * heads * hd + h * hd, hd);
        });
    }

    /**
     * Rotary embedding on q and k at their absolute positions, then attention: over the step's own keys in a
     * plain forward pass, or over every cached position when decoding with a {@link KvCache}.
     */
    private Activation attentionStep(Op.Attention a, Batch in, Map<String, Activation> vals, KvCache cache, int past,
            Buffers buffers) {
        Activation q = vals.get(a.q()), k = vals.get(a.k()), v = vals.get(a.v());
        if (a.rope() != null) {
            RotaryEmbedding rope = rotary.computeIfAbsent(a.rope(), RotaryEmbedding::new);
            q = rope.apply(q, a.heads(), a.headDim(), past);
            k = rope.apply(k, a.kvHeads(), a.headDim(), past);
        }
        // Cross-attention reads the encoder's keys, which do not grow with decoding: nothing to cache. Neither has
        // an encoder's self-attention (it runs once per input, before decoding).
        if (cache == null || a.cross() || tokenIndependent.contains(a.output())) return attention(a, in, q, k, v,
                buffers);
        KvCache.Layer layer = cache.write(a.name(), k, v);
        return cachedAttention(a, q, layer, cache, past);
    }

    /**
     * The step's queries at positions {@code [past, past + n)} against keys {@code [0, past + n)} of the cache,
     * with the causal rule and the op's chunk band for those absolute positions, so that each position
     * sees exactly the keys it sees in a prefill of the whole sequence.
     */
    private Activation cachedAttention(Op.Attention a, Activation q, KvCache.Layer layer, KvCache cache, int past) {
        int n = q.length(), keys = past + n, width = a.heads() * a.headDim();
        ChunkPlan plan = a.plan(keys);
        float[] y = new float[q.batch() * n * width];
        float[] qb = new float[n * width], out = new float[n * width];
        for (int b = 0; b < q.batch(); b++) {
            System.arraycopy(q.data(), b * n * q.channels(), qb, 0, n * width);
            AttentionKernels.attend(qb, past, n, layer.k[b], layer.v[b], keys, a.heads(), a.kvHeads(), a.headDim(),
                    a.scale(), plan,
                    a.paddingMask() ? cache.keyValid(b) : null, out);
            System.arraycopy(out, 0, y, b * n * width, n * width);
        }
        return new Activation(q.batch(), n, width, y);
    }

    private static Activation slice(Op.Slice s, Activation x) {
        int w = s.to() - s.from(), c = x.channels();
        float[] y = new float[x.tokens() * w];
        for (int t = 0; t < x.tokens(); t++) System.arraycopy(x.data(), t * c + s.from(), y, t * w, w);
        return new Activation(x.batch(), x.length(), w, y);
    }

    private static Activation binary(Activation a, Activation b, boolean mul, Buffers buffers) {
        float[] y = buffers.take(a.data().length);
        float[] x = a.data(), z = b.data();
        for (int i = 0; i < y.length; i++) y[i] = mul ? x[i] * z[i] : x[i] + z[i];
        return new Activation(a.batch(), a.length(), a.channels(), y);
    }

    private static Activation meanPool(Op.MeanPool p, Batch in, Activation x) {
        int c = x.channels();
        float[] y = new float[x.batch() * c];
        for (int b = 0; b < x.batch(); b++) {
            double[] sum = new double[c];
            int n = 0;
            for (int t = 0; t < x.length(); t++) {
                if (in.mask()[b][t] == 0) continue;
                n++;
                for (int i = 0; i < c; i++) sum[i] += x.get(b, t, i);
            }
            double norm = 0;
            for (int i = 0; i < c; i++) {
                sum[i] /= Math.max(n, 1);
                norm += sum[i] * sum[i];
            }
            double div = p.l2Normalize() ? Math.max(Math.sqrt(norm), 1e-12) : 1;
            for (int i = 0; i < c; i++) y[b * c + i] = (float) (sum[i] / div);
        }
        return new Activation(x.batch(), 1, c, y);
    }

    /**
     * Output arrays of one run: {@link #take} reuses an array of a value dropped earlier (this run or a previous one)
     * or allocates; {@link #release} takes back only arrays it handed out that no live value still holds. Every op
     * that takes an array overwrites all of it. Arrays still held at the end (taps, encoder outputs) leave with the
     * result and are forgotten.
     */
    private static final class Buffers {
        private final Map<Integer, ArrayDeque<float[]>> free = new HashMap<>();
        private final Set<float[]> handedOut = Collections.newSetFromMap(new IdentityHashMap<>());

        float[] take(int n) {
            ArrayDeque<float[]> d = free.get(n);
            float[] a = d == null ? null : d.poll();
            if (a == null) a = new float[n];
            handedOut.add(a);
            return a;
        }

        void release(float[] a, Map<String, Activation> live, Map<String, Activation> kept) {
            if (!handedOut.contains(a)) return;
            for (Activation v : live.values()) if (v.data() == a) return;
            if (kept != null) for (Activation v : kept.values()) if (v.data() == a) return;
            handedOut.remove(a);
            free.computeIfAbsent(a.length, n -> new ArrayDeque<>()).push(a);
        }

        void endRun() {
            handedOut.clear();
        }
    }
}

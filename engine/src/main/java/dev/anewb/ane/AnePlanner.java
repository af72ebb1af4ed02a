package dev.anewb.ane;

import dev.anewb.AnewbException;
import dev.anewb.convert.Converter;
import dev.anewb.io.ByteSizes;
import dev.anewb.model.Axis;
import dev.anewb.model.ChunkPlan;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.Op;
import dev.anewb.model.Value;
import dev.anewb.model.WeightInfo;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The ANE simulator (spec/ane-model.md): plans a graph op by op on a chip profile and estimates on-chip buffer
 * occupancy, tiling and spills, DRAM traffic, latency, energy and the DRAM footprint, for the requested
 * conversion and for the baseline. Needs only shapes, so a config.json is enough. Nothing here is measured.
 *
 * <p>The model, in the order the rules of the spec apply:
 * <ul>
 *   <li>Tensors take their 64-byte-aligned size ({@link TensorLayout}) in the conversion's layout: (B, C, 1, S)
 *   for BC1S, (B, S, C) for HF (rule 2).</li>
 *   <li>An activation stays in the buffer between ops when it takes at most half the buffer and every consumer
 *   runs within {@value #RESIDENT_WINDOW} ops of its producer; otherwise it is written to DRAM once and read by
 *   each consumer (rule 6/7).</li>
 *   <li>Each op's working set (weights, inputs, outputs, scores, KV cache) is tiled when it does not fit;
 *   weights or activations re-read because of tiling are spill bytes (rule 7). Weights are read from DRAM once
 *   per evaluation at least.</li>
 *   <li>The HF layout's batched-head attention needs its view/transposes as copies (rule 6); BC1S splits heads by
 *   slicing rows, which copies nothing. Only the baseline's scores take the singleton last axis of the chips.json
 *   assumption; an HF conversion you plan keeps the natural one.</li>
 *   <li>Latency per op class ({@link CostModel}): max(matmul, elementwise and reduction FLOPs at their
 *   efficiencies, DRAM / bandwidth) + per-op overhead, plus one overhead per evaluation; energy = FLOPs·e_flop +
 *   DRAM·e_dram + buffer bytes·e_sram.</li>
 *   <li>Weights beyond the chip's per-model limit split the model into several Core ML models (one evaluation
 *   each, the hidden state crossing through DRAM between them); ops Core ML runs elsewhere are listed with
 *   their hand-off costs ({@link AneCeiling}).</li>
 * </ul>
 */
public final class AnePlanner {
    /** How many ops after its producer an activation can still be read from the buffer. */
    static final int RESIDENT_WINDOW = 3;
    /** The largest dimension the ANE accepts (rule 4). */
    public static final int MAX_DIMENSION = 16384;

    /** The baseline of spec/ane-model.md: HF layout, batched heads with copies, FP16, no quantization, no chunking. */
    public static final Conversion BASELINE = new Conversion(Conversion.Layout.HF, Conversion.Precision.FP16, false,
            128, false,
            List.of(), Map.of(), 0, 0);

    private AnePlanner() { }

    static final int MAX_BATCH = 4096;

    public static PlanResult plan(ModelGraph graph, Conversion conversion, ChipProfile chip, int batch, int seq,
            Double sramOverrideMb) {
        return plan(graph, conversion, chip, batch, seq, sramOverrideMb, Phase.PREFILL);
    }

    public static PlanResult plan(ModelGraph graph, Conversion conversion, ChipProfile chip, int batch, int seq,
                                  Double sramOverrideMb, Phase phase) {
        return plan(graph, conversion, chip, batch, seq, sramOverrideMb, phase, PlanOptions.DEFAULT);
    }

    public static PlanResult plan(ModelGraph graph, Conversion conversion, ChipProfile chip, int batch, int seq,
                                  Double sramOverrideMb, Phase phase, PlanOptions options) {
        if (batch < 1) throw AnewbException.usage("--batch must be at least 1, got " + batch);
        if (seq < 1) throw AnewbException.usage("--seq must be at least 1, got " + seq);
        // Byte counts are longs: a batch past this could overflow them, and no ANE deployment runs one.
        if (batch > MAX_BATCH) throw AnewbException.usage("--batch " + batch + " is more than " + MAX_BATCH);
        if (sramOverrideMb != null && !(sramOverrideMb > 0 && sramOverrideMb < 1e6)) {
            throw AnewbException.usage("--sram-mb must be a positive size in MB, got " + sramOverrideMb);
        }
        if (phase == Phase.DECODE && !graph.config().isCausal()) {
            throw AnewbException.usage(graph.config().modelType()
                    + " is not a causal decoder: there is no decode step to plan");
        }
        ChipProfile c = sramOverrideMb == null ? chip : chip.withBufferMb(sramOverrideMb);
        requireCountable(graph, c, batch, seq);
        PlanTotals optimized = new Pass(graph, conversion, c, batch, seq, phase, false).run();
        PlanTotals baseline = new Pass(graph, BASELINE, c, batch, seq, phase, true).run();
        return new PlanResult(c, batch, seq, phase, options, optimized, baseline);
    }

    /** What the plan's byte and FLOP counts (longs) may reach: half the range, so sums over a few ops cannot wrap. */
    private static final double COUNTABLE = 0x1p62;

    /**
     * Refuses a plan whose byte, FLOP or tile counts could overflow 64 bits (a config at its size ceilings with a
     * context of 16M tokens, a huge batch and a tiny buffer), before any is counted: an upper bound of every count
     * the passes compute, in double. Any real model at its context stays orders of magnitude below it.
     */
    static void requireCountable(ModelGraph g, ChipProfile chip, int batch, int seq) {
        double length = seq + 1.0, total = 0, tiles = 0;
        for (Integer l : g.fixedLengths().values()) length = Math.max(length, l);
        double buffer = Math.max(1, chip.bufferBytes());
        for (Op op : g.ops()) {
            double channels = 1, weights = 0;
            for (String v : op.inputs()) {
                if (g.values().containsKey(v)) channels = Math.max(channels, g.value(v).channels());
            }
            channels = Math.max(channels, g.value(op.output()).channels());
            for (String w : op.weights()) weights += g.weights().get(w).elements();
            // bytes of the op's largest activation at 4 bytes an element, each row (either layout) padded by 64 bytes
            double activation = batch * (4 * length * channels + 64 * (length + channels));
            double perOp = 64 * activation + 4 * weights;
            double opTiles = 3 * activation / buffer + 1;
            if (op instanceof Op.Linear || op instanceof Op.PatchEmbed || op instanceof Op.Conv1d) {
                // FLOPs, and the re-reads of tiling: at most once per weight tile (a quarter of the buffer)
                double weightTiles = 16 * weights / buffer + 1;
                perOp += 2 * batch * length * weights + 2 * weightTiles * activation;
                opTiles = Math.max(opTiles, weightTiles * opTiles);
            }
            if (op instanceof Op.Attention a) {
                double heads = Math.max(a.heads(), a.kvHeads()), scores = batch * heads * length * length * 64;
                perOp += scores * (4 * a.headDim() + 64);
                opTiles += batch * heads * length * (scores / buffer + 1);
            }
            total += perOp;
            tiles = Math.max(tiles, opTiles);
        }
        if (!(total < COUNTABLE && tiles < COUNTABLE)) {
            throw AnewbException.usage(String.format(Locale.ROOT, "--seq %d with --batch %d: this plan's sizes"
                    + " (up to about %.1e bytes and FLOPs) are beyond what the simulator counts exactly; use a"
                    + " smaller --seq or --batch (or a larger --sram-mb)", seq, batch, Math.max(total, tiles)));
        }
    }

    /** Plans one conversion. */
    private static final class Pass {
        final ModelGraph g;
        final Conversion conv;
        final ChipProfile chip;
        final CostConstants k;
        final int batch, seq;
        final Phase phase;
        /** The baseline pass: its HF scores take the assumed last axis of chips.json. */
        final boolean baseline;
        final long buffer;
        final int eb;
        final boolean bc1s;
        final List<OpPlan> plans = new ArrayList<>();
        final Map<String, Integer> producer = new HashMap<>();
        final Map<String, List<Integer>> consumers = new HashMap<>();
        final Map<String, Long> bytes = new HashMap<>();
        final Map<String, Integer> headDimOf = new HashMap<>();
        final Map<String, Integer> headsOf = new HashMap<>();
        final Map<String, WeightStorage> storage = new LinkedHashMap<>();
        /** Values written to DRAM, with the op index of their last reader. */
        final Map<String, int[]> inDram = new LinkedHashMap<>();
        /** Per op index: bytes it materializes in DRAM while running (spilled scores, copies). */
        final List<Long> scratchAt = new ArrayList<>();

        Pass(ModelGraph g, Conversion conv, ChipProfile chip, int batch, int seq, Phase phase, boolean baseline) {
            // Which weights are INT8 is the converter's decision; plan the graph it produces.
            this.g = g.conversion().isOriginal() ? Converter.convert(g, conv).graph() : g;
            this.conv = conv;
            this.chip = chip;
            this.k = chip.constants();
            this.batch = batch;
            this.seq = seq;
            this.phase = phase;
            this.baseline = baseline;
            this.buffer = chip.bufferBytes();
            this.eb = conv.precision() == Conversion.Precision.FP32 ? 4 : 2;
            this.bc1s = conv.layout() == Conversion.Layout.BC1S;
        }

        int length(Axis axis) {
            return switch (axis) {
                // ViT's token count is fixed by the image size, whatever --seq says.
                case TOKENS -> phase == Phase.DECODE ? 1 : g.fixedLength(Axis.TOKENS) != null
                        ? g.fixedLength(Axis.TOKENS) : seq;
                case ENCODER -> g.fixedLength(Axis.ENCODER) != null ? g.fixedLength(Axis.ENCODER) : seq;
                case POOLED -> 1;
                case FEATURES, FRAMES -> g.fixedLength(axis) != null ? g.fixedLength(axis) : 1;
            };
        }

        long tokens(Value v) { return (long) batch * length(v.axis()); }

        PlanTotals run() {
            List<Op> ops = g.ops();
            for (int i = 0; i < ops.size(); i++) {
                Op op = ops.get(i);
                producer.put(op.output(), i);
                for (String in : op.inputs()) consumers.computeIfAbsent(in, x -> new ArrayList<>()).add(i);
                if (op instanceof Op.Attention a) {
                    for (String v : List.of(a.q(), a.output())) { headDimOf.put(v, a.headDim()); headsOf.put(v,
                            a.heads()); }
                    for (String v : List.of(a.k(), a.v())) { headDimOf.put(v, a.headDim()); headsOf.put(v,
                            a.kvHeads()); }
                }
            }
            for (Value v : g.values().values()) bytes.put(v.name(), layoutOf(v).bytesAllocated());
            long weightBytes = 0;
            for (WeightInfo w : g.weights().values()) {
                WeightStorage s = PlannedWeights.storageOf(w, conv);
                storage.put(w.name(), s);
                weightBytes += s.totalBytes();
            }
            // A decode step of an encoder-decoder model: the encoder ran once for this input; its cross-attention keys
            // and values are read from DRAM like a KV cache (the cross-attention's inputs produced far earlier).
            Set<String> once = phase == Phase.DECODE ? g.tokenIndependentValues() : Set.of();
            for (int i = 0; i < ops.size(); i++) if (!once.contains(ops.get(i).output())) planOp(i, ops.get(i));
            return totals(weightBytes);
        }

        TensorLayout layoutOf(Value v) {
            int hd = headDimOf.getOrDefault(v.name(), 0), h = headsOf.getOrDefault(v.name(), 0);
            int len = length(v.axis());
            return bc1s ? TensorLayout.activationBc1s(v.name(), batch, len, v.channels(), eb, hd, h)
                    : TensorLayout.activationHf(v.name(), batch, len, v.channels(), eb, hd, h);
        }

        /** True when consumer {@code at} can read {@code value} from the buffer. */
        boolean residentFor(String value, int at) {
            Integer p = producer.get(value);
            return p != null && bytes.get(value) <= buffer / 2 && at - p <= RESIDENT_WINDOW;
        }

        /** DRAM bytes to read the op's inputs; marks values that had to go to DRAM. */
        long readInputs(int at, List<String> inputs) {
            long d = 0;
            for (String in : inputs) {
                if (residentFor(in, at)) continue;
                Integer p = producer.get(in);
                if (p == null) continue; // graph inputs (token ids) are read by the CPU embedding
                d += bytes.get(in);
            }
            return d;
        }

        /** DRAM bytes to write the op's output: when any consumer cannot read it from the buffer, or nobody does. */
        long writeOutput(int at, String out) {
            List<Integer> cs = consumers.getOrDefault(out, List.of());
            boolean dram = cs.isEmpty();
            int last = at;
            for (int c : cs) {
                if (!residentFor(out, c)) dram = true;
                last = Math.max(last, c);
            }
            if (!dram) return 0;
            inDram.put(out, new int[]{at, cs.isEmpty() ? Integer.MAX_VALUE : last});
            return bytes.get(out);
        }

        long weightBytes(Op op) {
            long b = 0;
            for (String w : op.weights()) b += storage.get(w).totalBytes();
            return b;
        }

        void planOp(int i, Op op) {
            switch (op) {
                case Op.Embed e -> planEmbed(i, e);
                case Op.Linear l -> planLinear(i, l);
                case Op.Attention a -> planAttention(i, a);
                case Op.Norm n -> planStreaming(i, op, 0, 8L * elements(n.input()));
                case Op.Activation a -> planStreaming(i, op, 8L * elements(a.input()), 0);
                case Op.Add a -> planStreaming(i, op, elements(a.a()), 0);
                case Op.Mul m -> planStreaming(i, op, elements(m.a()), 0);
                case Op.TakeFirst t -> planStreaming(i, op, 0, 0);
                // GPT-2's q/k/v split of the fused c_attn output: a channel view, no arithmetic.
                case Op.Slice s -> planStreaming(i, op, 0, 0);
                case Op.MeanPool m -> planStreaming(i, op, 0, 3L * elements(m.input()));
                case Op.PatchEmbed p -> planPatchEmbed(i, p);
                case Op.Conv1d c -> planConv1d(i, c);
                case Op.AddPositions p -> planStreaming(i, op, elements(p.input()), 0);
            }
        }

        long elements(String value) { return tokens(g.value(value)) * g.value(value).channels(); }

        // ---- per kind ----

        /** Rule 5: the gather runs on the CPU; its output crosses to the ANE through DRAM. */
        void planEmbed(int i, Op.Embed e) {
            Value out = g.value(e.output());
            long gathered = (long) e.weights().size() * tokens(out) * out.channels() * eb;
            long written = bytes.get(e.output());
            inDram.put(e.output(), new int[]{i, lastConsumer(e.output(), i)});
            long dram = gathered + written;
            List<String> w = new ArrayList<>();
            w.add("rule 5: embedding lookups (gather) run on the CPU; the " + fmtBytes(written)
                    + " result crosses CPU->ANE through DRAM (one hand-off, " + k.cpuHandoffMs().value()
                            + " ms assumed)");
            add(i, e.name(), e.kind(), e.layer(), OpWork.handoff(dram), Map.of(), 1, 0, 0, false, w, 0);
        }

        void planLinear(int i, Op.Linear l) {
            Value in = g.value(l.input());
            long t = tokens(in);
            long flops = 2L * t * l.in() * l.out() + (l.bias() == null ? 0 : t * l.out());
            planProjection(i, l, l.weight(), flops, l.in(), l.out(), length(in.axis()), 0);
        }

        /**
         * ViT's patch embedding: a matmul of the patches ([B·patches, channels·patch²], an im2col view of the image)
         * with the conv weight; the image itself crosses to the ANE through DRAM.
         */
        void planPatchEmbed(int i, Op.PatchEmbed p) {
            long t = (long) batch * p.patches();
            long flops = 2L * t * p.kernelSize() * p.hidden() + t * p.hidden() + (long) batch * (p.patches() + 1)
                    * p.hidden();
            planProjection(i, p, p.weight(), flops, p.kernelSize(), p.hidden(), p.patches(),
                    graphInputBytes(p.input()));
        }

        /** A 1-D convolution as a matmul of [B·length', in·kernel] windows with the [out, in·kernel] weight. */
        void planConv1d(int i, Op.Conv1d c) {
            int lout = length(g.value(c.output()).axis());
            long t = (long) batch * lout;
            long flops = 2L * t * c.in() * c.kernel() * c.out() + t * c.out();
            planProjection(i, c, c.weight(), flops, (long) c.in() * c.kernel(), c.out(), lout,
                    graphInputBytes(c.input()));
        }

        /** Bytes of a graph input (pixel_values, input_features) the op reads from DRAM; 0 for computed values. */
        long graphInputBytes(String value) {
            return producer.containsKey(value) ? 0 : bytes.get(value);
        }

        /** A weight-streaming op (linear, convolution as im2col matmul): tiling, spills and DRAM traffic. */
        void planProjection(int i, Op l, String weightName, long flops, long inDim, long outDim, long tokenLength,
                long extraInputBytes) {
            String input = l.inputs().getFirst();
            WeightStorage s = storage.get(weightName);
            // W8A8 (the converter marked this linear's input INT8): the input arrives INT8 (the quantize fused into
            // its producer), half the FP16 bytes
            boolean a8 = l instanceof Op.Linear lin && lin.inputQuant() != null;
            long w = weightBytes(l), x = a8 ? int8Bytes(input) : bytes.get(input), y = bytes.get(l.output());
            Map<BufferKind, Long> occ = new EnumMap<>(BufferKind.class);
            long spill = 0, weightSpill = 0, tiles = 1;
            if (w + x + y <= buffer) {
                occ.put(BufferKind.WEIGHTS, w);
                occ.put(BufferKind.ACTIVATIONS_IN, x);
                occ.put(BufferKind.ACTIVATIONS_OUT, y);
            } else {
                long wt = Math.min(w, buffer / 4), act = buffer - wt;
                long weightTiles = ceilDiv(w, Math.max(1, wt));
                if (x + y <= act) {
                    tiles = weightTiles;
                    occ.put(BufferKind.WEIGHTS, wt);
                    occ.put(BufferKind.ACTIVATIONS_IN, x);
                    occ.put(BufferKind.ACTIVATIONS_OUT, y);
                } else if (x + ceilDiv(y, weightTiles) <= act) {
                    // Output-channel tiles: each weight tile writes only its slice of the output (a vocabulary
                    // projection of one token), so the input stays and nothing is read twice.
                    tiles = weightTiles;
                    occ.put(BufferKind.WEIGHTS, wt);
                    occ.put(BufferKind.ACTIVATIONS_IN, x);
                    occ.put(BufferKind.ACTIVATIONS_OUT, ceilDiv(y, weightTiles));
                } else {
                    long tokenTiles = ceilDiv(x + y, Math.max(1, act));
                    tiles = tokenTiles * weightTiles;
                    // re-read whichever is cheaper: the weights once per token tile, or the input once per weight tile
                    spill = Math.min((tokenTiles - 1) * w, (weightTiles - 1) * x);
                    weightSpill = spill == (tokenTiles - 1) * w ? spill : 0;
                    occ.put(BufferKind.WEIGHTS, wt);
                    occ.put(BufferKind.ACTIVATIONS_IN, x / tokenTiles);
                    occ.put(BufferKind.ACTIVATIONS_OUT, Math.min(y / tokenTiles, act - x / tokenTiles));
                }
            }
            long read = a8 && producer.containsKey(input) && !residentFor(input, i) ? x : readInputs(i, l.inputs());
            long dram = w + read + writeOutput(i, l.output()) + spill + extraInputBytes;
            List<String> warn = new ArrayList<>();
            boolean onAne = true;
            boolean int8Weights = s.format() == WeightStorage.Format.INT8_BLOCK;
            boolean int8Matmul = a8 && int8Weights && chip.int8ActivationSpeedup();
            if (a8) warnW8a8(warn, int8Weights);
            if (int8Weights && !s.perChannel()) {
                WeightStorage pc = s.perChannelAlternative();
                warn.add("rule 3: per-block INT8 (block " + s.blockSize() + ", " + fmtBits(s.bitsPerWeight())
                        + " bits/weight, " + fmtBytes(s.totalBytes())
                                + ") is not native on the ANE (per-channel/per-tensor are; "
                        + "coremltools #2510); planned as expanded on the fly. Per-channel alternative: "
                        + fmtBits(pc.bitsPerWeight()) + " bits/weight, " + fmtBytes(pc.totalBytes()));
            }
            onAne &= checkDims(warn, "in", inDim, "out", outDim, "tokens", tokenLength);
            onAne &= checkPrecision(warn);
            long int8WeightBytes = int8Weights ? w + weightSpill : 0;
            add(i, l.name(), l.kind(), l.layer(), OpWork.matmul(flops, dram, int8WeightBytes, int8Matmul), occ, tiles,
                    spill, 0, onAne, warn, w + x + y);
        }

        /** Bytes of a value stored with one byte per element (W8A8's INT8 activations), 64-byte rows as always. */
        long int8Bytes(String value) {
            Value v = g.value(value);
            int hd = headDimOf.getOrDefault(value, 0), h = headsOf.getOrDefault(value, 0);
            int len = length(v.axis());
            return (bc1s ? TensorLayout.activationBc1s(value, batch, len, v.channels(), 1, hd, h)
                    : TensorLayout.activationHf(value, batch, len, v.channels(), 1, hd, h)).bytesAllocated();
        }

        /** What W8A8 does on this chip, and what it needs (rule 1; coremltools' quantization guide). */
        void warnW8a8(List<String> warn, boolean int8Weights) {
            if (!int8Weights) {
                warn.add("W8A8: this projection's weights are not INT8 (--quant none): INT8 activations "
                        + "alone do not use the INT8 x INT8 path; planned with FP16 compute and halved input bytes");
            } else if (!chip.int8ActivationSpeedup()) {
                warn.add("W8A8 on " + chip.name() + ": no faster INT8 x INT8 compute on this chip (A17 Pro, M4 and "
                        + "later have it; coremltools guide): planned with FP16 compute and halved input bytes only. "
                        + "Core ML may also run quantized activations off the ANE, which is slower (coremltools: "
                        + "activation quantization slows CPU/GPU compute units); measured gains there: ResNet50 W8A8 "
                        + "0.94 ms vs FP16 1.52 ms on A16");
            }
        }

        void planAttention(int i, Op.Attention a) {
            Value q = g.value(a.q()), kv = g.value(a.k());
            int h = a.heads(), kvh = a.kvHeads(), d = a.headDim();
            long nq = length(q.axis()), nk = length(kv.axis());
            boolean decode = phase == Phase.DECODE && !a.cross();
            if (decode) nk = seq + 1L;
            List<String> warn = new ArrayList<>();
            boolean onAne = checkDims(warn, "queries", nq, "keys", nk, "head dim", d);
            onAne &= checkPrecision(warn);
            long copyScratch = 0;
            if (!bc1s) {
                // rule 6: HF's view + transpose into (B, h, S, d) for q, k, v, Kᵀ for the score matmul
                for (String[] c : new String[][]{{a.q(), "q.to_heads"}, {a.k(), "k.to_heads"}, {a.v(), "v.to_heads"},
                        {a.k(), "k.transpose"}}) {
                    copyScratch += planCopy(i, a, c[0], c[1]);
                }
            }
            // chunking: W, O apply to self-attention; cross-attention is never chunked
            ChunkPlan cp = decode ? ChunkPlan.full(Math.toIntExact(nk), a.causal()) : a.plan(Math.toIntExact(nk));
            long pairs = decode ? nk : (a.cross() ? nq * nk : cp.scorePairs());
            long matmulFlops = (long) batch * h * 4L * pairs * d, softmaxFlops = (long) batch * h * 5L * pairs;
            long queries = decode ? 1 : cp.queryBlock(), keys = decode ? nk : cp.keyWindow();
            long units, scoreUnit, qUnit, kvUnit, outUnit;
            // The singleton last axis is an assumption about Apple's measured HF baseline only (chips.json).
            long lastAxis = bc1s ? keys : baseline ? (long) k.baselineScoreLastAxis().value() : 0;
            if (bc1s) {
                // one head of one sequence of one chunk at a time
                units = (long) batch * h * (decode ? 1 : cp.chunks());
                scoreUnit = TensorLayout.scores("scores", "", 1, 1, queries, keys, eb, keys).bytesAllocated();
                qUnit = d * TensorLayout.align(queries * eb);
                kvUnit = 2L * d * TensorLayout.align(keys * eb);
                outUnit = qUnit;
            } else {
                units = 1;
                scoreUnit = TensorLayout.scores("scores", "", batch, h, nq, nk, eb, lastAxis <= 0 ? nk
                        : lastAxis).bytesAllocated();
                qUnit = TensorLayout.perHeadHf("q", batch, h, d, (int) nq, eb).bytesAllocated();
                kvUnit = 2 * TensorLayout.perHeadHf("k", batch, kvh, d, (int) nk, eb).bytesAllocated();
                outUnit = qUnit;
            }
            long kvCacheBytes = a.causal() && !a.cross()
                    ? TensorLayout.kvCache("kv", batch, kvh, d, (int) nk, eb).bytesAllocated() : 0;
            long kvUnitCache = decode ? kvUnit : 0;
            long workingSet = qUnit + kvUnit + scoreUnit + outUnit;
            Map<BufferKind, Long> occ = new EnumMap<>(BufferKind.class);
            long spill = 0, scratch = copyScratch, tiles = units;
            if (workingSet <= buffer) {
                occ.put(BufferKind.ACTIVATIONS_IN, qUnit + kvUnit - kvUnitCache);
                occ.put(BufferKind.KV_CACHE, kvUnitCache);
                occ.put(BufferKind.SCORES, scoreUnit);
                occ.put(BufferKind.ACTIVATIONS_OUT, outUnit);
            } else {
                // the scores do not fit: written, read back for softmax, probabilities written and read for P·V (rule
                // 7)
                long excess = Math.min(scoreUnit, workingSet - buffer);
                spill = 4 * excess * units;
                scratch += 2 * scoreUnit * (bc1s ? 1 : units);
                long rest = buffer;
                long scoresHeld = Math.max(0, scoreUnit - excess);
                double f = (double) rest / workingSet;
                occ.put(BufferKind.ACTIVATIONS_IN, (long) Math.floor((qUnit + kvUnit - kvUnitCache) * f));
                occ.put(BufferKind.KV_CACHE, (long) Math.floor(kvUnitCache * f));
                occ.put(BufferKind.ACTIVATIONS_OUT, (long) Math.floor(outUnit * f));
                long used = occ.values().stream().mapToLong(Long::longValue).sum();
                occ.put(BufferKind.SCORES, Math.min(scoresHeld, buffer - used));
                tiles = units * ceilDiv(workingSet, buffer);
            }
            long dram = readInputs(i, a.inputs()) + writeOutput(i, a.output()) + spill;
            if (cp.chunks() > 1 && !a.cross()) {
                // overlapping key windows re-read keys and values that did not stay in the buffer
                long kvBytes = bytes.get(a.k()) + bytes.get(a.v());
                if (!residentFor(a.k(), i)) dram += (long) Math.ceil(kvBytes
                        * ((double) cp.keyWindow() / cp.queryBlock() - 1));
            }
            if (kvCacheBytes > 0) {
                dram += kvCacheBytes; // prefill writes the cache; a decode step reads all of it
                if (!decode) warn.add("writes a KV cache of " + fmtBytes(kvCacheBytes) + " for the decode steps");
            }
            if (!bc1s && lastAxis > 0 && lastAxis != nk) {
                long natural = TensorLayout.scores("scores", "", batch, h, nq, nk, eb, nk).bytesAllocated();
                warn.add("assumption (L, chips.json baseline_score_last_axis = " + lastAxis + "): the baseline's "
                        + "batched scores reach the ANE with last axis " + lastAxis + ", so " + fmtBytes(natural)
                        + " of scores take " + fmtBytes(scoreUnit) + " in 64-byte rows"
                        + (spill > 0 ? "; what does not fit the buffer is written and read back twice (scores, then "
                        + "probabilities): " + fmtBytes(spill) + " of spill" : ""));
            }
            OpWork work = new OpWork(matmulFlops, 0, softmaxFlops, dram, 0, false, false);
            add(i, a.name(), a.kind(), a.layer(), work, occ, tiles, spill, scratch, onAne, warn,
                    qUnit + kvUnit + 2 * scoreUnit + outUnit);
            // the batched heads go back to (B, S, C) with a transpose + view
            if (!bc1s) planCopy(i, a, a.output(), "context.from_heads");
        }

        /** A layout copy of the HF baseline (rule 6); returns the bytes it leaves in DRAM. */
        long planCopy(int i, Op.Attention a, String value, String what) {
            long b = bytes.get(value);
            boolean fits = b <= buffer / 2;
            long dram = fits ? 0 : 2 * b;
            Map<BufferKind, Long> occ = new EnumMap<>(BufferKind.class);
            long half = buffer / 2;
            occ.put(BufferKind.ACTIVATIONS_IN, Math.min(b, half));
            occ.put(BufferKind.ACTIVATIONS_OUT, Math.min(b, half));
            List<String> w = List.of("rule 6: transpose/reshape into batched heads is a memory copy"
                    + (fits ? " (stays in the buffer)" : " through DRAM (" + fmtBytes(2 * b) + ")"));
            add(i, a.name() + "." + what, "copy", a.layer(), OpWork.elementwise(0, dram),
                    occ, fits ? 1 : ceilDiv(b, half), 0,
                    fits ? 0 : b, true, w, 2 * b);
            return fits ? 0 : b;
        }

        /** Elementwise and normalization ops: stream inputs and output through the buffer in tiles. */
        void planStreaming(int i, Op op, long elementwiseFlops, long reductionFlops) {
            long w = weightBytes(op), x = 0, y = bytes.get(op.output());
            for (String in : op.inputs()) x += bytes.get(in);
            long need = w + x + y, tiles = Math.max(1, ceilDiv(need, buffer));
            Map<BufferKind, Long> occ = new EnumMap<>(BufferKind.class);
            occ.put(BufferKind.WEIGHTS, w / tiles);
            occ.put(BufferKind.ACTIVATIONS_IN, x / tiles);
            occ.put(BufferKind.ACTIVATIONS_OUT, y / tiles);
            long dram = w + readInputs(i, op.inputs()) + writeOutput(i, op.output());
            List<String> warn = new ArrayList<>();
            boolean onAne = checkPrecision(warn);
            Value in = g.value(op.inputs().getFirst());
            onAne &= checkDims(warn, "channels", in.channels(), "tokens", length(in.axis()), "", 0);
            OpWork work = new OpWork(0, elementwiseFlops, reductionFlops, dram, 0, false, false);
            add(i, op.name(), op.kind(), op.layer(), work, occ, tiles, 0, 0, onAne, warn, need);
        }

        boolean checkDims(List<String> warn, String n1, long d1, String n2, long d2, String n3, long d3) {
            boolean ok = true;
            String[] names = {n1, n2, n3};
            long[] dims = {d1, d2, d3};
            for (int j = 0; j < 3; j++) {
                if (dims[j] > MAX_DIMENSION) {
                    warn.add("rule 4: dimension " + names[j] + " = " + dims[j] + " is above " + MAX_DIMENSION
                            + ", not allowed on the ANE: split it (e.g. a vocabulary projection into "
                                    + ceilDiv(dims[j], MAX_DIMENSION) + " parts)");
                    ok = false;
                }
            }
            return ok;
        }

        boolean checkPrecision(List<String> warn) {
            if (eb == 4) {
                warn.add("rule 1: the ANE computes in FP16; with FP32 precision Core ML runs this op on the CPU/GPU "
                        + "(estimate shown as if on the ANE)");
                return false;
            }
            return true;
        }

        int lastConsumer(String value, int at) {
            int last = at;
            for (int c : consumers.getOrDefault(value, List.of())) last = Math.max(last, c);
            return last;
        }

        /** Appends one op plan, priced by {@link CostModel}. */
        void add(int graphIndex, String name, String kind, int layer, OpWork work, Map<BufferKind, Long> occ,
                long tiles,
                 long spill, long scratch, boolean onAne, List<String> warn, long touchedBytes) {
            long total = 0;
            for (long v : occ.values()) total += v;
            if (total > buffer) throw new IllegalStateException(name + ": occupancy " + total + " above buffer "
                    + buffer);
            double ms = CostModel.latencyMs(work, chip);
            double pj = work.flops() * k.energyPjPerFlop().value() + work.dramBytes() * k.energyPjPerDramByte().value()
                    + touchedBytes * k.energyPjPerSramByte().value();
            plans.add(new OpPlan(name, kind, layer, work, occ, tiles, spill, scratch, ms, pj * 1e-9, onAne, warn));
            scratchAt.add(scratch);
            while (opIndexOfPlan.size() < plans.size()) opIndexOfPlan.add(graphIndex);
        }

        final List<Integer> opIndexOfPlan = new ArrayList<>();

        /**
         * The model-size ceiling: splits the ANE part into models of at most the chip's weight limit (adding their
         * boundary crossings as ops, so the latency includes them) and collects the stretches of ops off the ANE.
         */
        AneCeiling ceiling(List<Op> ops) {
            long aneWeights = 0;
            Set<String> counted = new HashSet<>();
            for (int p = 0; p < plans.size(); p++) {
                Op op = ops.get(opIndexOfPlan.get(p));
                if (op instanceof Op.Embed || !plans.get(p).onAne()) continue;
                for (String w : op.weights()) if (counted.add(w)) aneWeights += storage.get(w).totalBytes();
            }
            long limit = chip.modelWeightLimitBytes();
            int models = (int) Math.max(1, ceilDiv(aneWeights, limit));
            double splitMs = 0;
            if (models > 1) {
                long boundary = 0;
                for (Op op : ops) if (op instanceof Op.Add a) boundary = Math.max(boundary, bytes.get(a.output()));
                if (boundary == 0) for (Op op : ops) boundary = Math.max(boundary, bytes.getOrDefault(op.output(), 0L));
                for (int m = 1; m < models; m++) {
                    String w = "model split " + m + "/" + (models - 1) + ": " + fmtBytes(aneWeights)
                            + " of weights on the ANE exceed " + fmtBytes(limit) + " per Core ML model ("
                            + chip.modelWeightLimitMb().source() + "); the hidden state crosses to the next model "
                            + "through DRAM";
                    add(ops.size() - 1, "split." + m, "split", -1, OpWork.elementwise(0, 2 * boundary), Map.of(), 1, 0,
                            0, true, List.of(w), 0);
                    splitMs += plans.getLast().latencyMs() + k.evaluationOverheadMs().value();
                }
            }
            List<AneCeiling.OffAne> off = new ArrayList<>();
            double offMs = 0;
            for (int p = 0; p < plans.size(); ) {
                if (plans.get(p).onAne()) { p++; continue; }
                int q = p;
                while (q + 1 < plans.size() && !plans.get(q + 1).onAne()) q++;
                Op first = ops.get(opIndexOfPlan.get(p)), last = ops.get(opIndexOfPlan.get(q));
                long crossing = 0;
                for (String in : first.inputs()) crossing += bytes.getOrDefault(in, 0L);
                crossing += bytes.getOrDefault(last.output(), 0L);
                // the rule's first clause ("rule 5: embedding lookups (gather) run on the CPU"); the op keeps the rest
                String reason = plans.get(p).warnings().isEmpty() ? "runs off the ANE"
                        : plans.get(p).warnings().getFirst().split(";")[0];
                double ms = 2 * k.cpuHandoffMs().value()
                        + crossing / (chip.dramBytesPerSecond() * chip.calibrationScale()) * 1e3;
                if (first instanceof Op.Embed) ms = plans.get(p).latencyMs();
                else offMs += ms;
                off.add(new AneCeiling.OffAne(plans.get(p).name(), plans.get(q).name(), q - p + 1,
                        reason, crossing, ms));
                p = q + 1;
            }
            return new AneCeiling(aneWeights, chip.modelWeightLimitMb(), limit, models, splitMs, off, offMs);
        }

        PlanTotals totals(long weightBytes) {
            AneCeiling ceiling = ceiling(g.ops());
            double ms = CostModel.runMs(plans, ceiling.models(), chip);
            long peakSram = 0, dram = 0, flops = 0, spill = 0;
            double mj = 0;
            for (OpPlan p : plans) {
                peakSram = Math.max(peakSram, p.sramTotal());
                dram += p.dramBytes();
                flops += p.flops();
                spill += p.spillBytes();
                mj += p.energyMj();
            }
            // footprint: weights + DRAM-resident activations live at each op + that op's scratch
            long kvTotal = 0;
            for (Op op : g.ops()) {
                if (op instanceof Op.Attention a && a.causal() && !a.cross()) {
                    long nk = phase == Phase.DECODE ? seq + 1L : length(g.value(a.k()).axis());
                    kvTotal += TensorLayout.kvCache("kv", batch, a.kvHeads(), a.headDim(), (int) nk,
                            eb).bytesAllocated();
                }
                // while decoding, the cross-attention keys/values of the encoder stay in DRAM for every step
                if (op instanceof Op.Attention a && a.cross() && phase == Phase.DECODE) {
                    kvTotal += TensorLayout.kvCache("cross_kv", batch, a.kvHeads(), a.headDim(),
                            length(g.value(a.k()).axis()), eb).bytesAllocated();
                }
            }
            // DRAM-resident activations live at each op, from a difference array over op indices: linear in ops and
            // values (a sum per plan over every value was quadratic: minutes for a config claiming 10^5 layers)
            long[] liveAt = new long[g.ops().size() + 1];
            for (Map.Entry<String, int[]> e : inDram.entrySet()) {
                int[] r = e.getValue();
                if (r[0] > r[1] || r[0] >= liveAt.length) continue;
                long b = bytes.get(e.getKey());
                liveAt[r[0]] += b;
                if (r[1] < liveAt.length - 1) liveAt[r[1] + 1] -= b;
            }
            for (int i = 1; i < liveAt.length; i++) liveAt[i] += liveAt[i - 1];
            long peakLive = 0;
            for (int p = 0; p < plans.size(); p++) {
                int at = opIndexOfPlan.get(p);
                peakLive = Math.max(peakLive, scratchAt.get(p) + (at >= 0 && at < liveAt.length ? liveAt[at] : 0));
            }
            return new PlanTotals(conv, plans, ms, peakSram, dram, mj,
                    residentWeightBytes(weightBytes) + kvTotal + peakLive,
                    flops, weightBytes, spill, ceiling.models(), ceiling);
        }

        /**
         * Stored weights as resident memory: the CPU's embedding tables stay memory-mapped, read-only, so only the
         * 16 KiB pages the gather touches are resident. With token ids spread uniformly over P pages, t lookups touch
         * P·(1 − (1 − 1/P)^t) pages (an upper bound: real text repeats tokens).
         */
        long residentWeightBytes(long weightBytes) {
            long resident = weightBytes;
            for (Op op : g.ops()) {
                if (!(op instanceof Op.Embed e)) continue;
                long lookups = tokens(g.value(e.output()));
                for (String w : e.weights()) {
                    long table = storage.get(w).totalBytes();
                    resident += Math.min(table, touchedPageBytes(table, lookups)) - table;
                }
            }
            return resident;
        }
    }

    static long ceilDiv(long a, long b) { return (a + b - 1) / b; }

    /** Apple silicon's memory page. */
    static final long PAGE_BYTES = 16384;

    /** Expected bytes of the distinct pages {@code lookups} uniform random rows touch in a {@code table}-byte table. */
    static long touchedPageBytes(long table, long lookups) {
        long pages = ceilDiv(table, PAGE_BYTES);
        double touched = pages * -Math.expm1(lookups * Math.log1p(-1.0 / pages));
        return pages == 1 ? PAGE_BYTES : Math.round(touched) * PAGE_BYTES;
    }

    static String fmtBytes(long b) {
        return ByteSizes.format(b);
    }

    static String fmtBits(double bits) { return String.format(Locale.ROOT, "%.2f", bits); }
}

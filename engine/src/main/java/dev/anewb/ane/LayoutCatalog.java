package dev.anewb.ane;

import dev.anewb.AnewbException;
import dev.anewb.convert.Converter;
import dev.anewb.model.Axis;
import dev.anewb.model.ChunkPlan;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.Op;
import dev.anewb.model.Value;
import dev.anewb.model.WeightInfo;

import java.util.ArrayList;
import java.util.List;

/**
 * Finds the {@link TensorLayout} of any named tensor of a planned graph: an activation value
 * ({@code layers.0.q}), its per-head split ({@code layers.0.q.heads}), a weight by its Hugging Face name and, when
 * block INT8, its {@code .q}, {@code .scale} and {@code .zero_point} arrays, an attention op's {@code .scores}
 * (one head of one chunk in BC1S; the batched tensor in HF) and, for causal attention, its {@code .kv_cache}.
 */
public final class LayoutCatalog {
    private LayoutCatalog() { }

    public static TensorLayout find(ModelGraph graph, Conversion conv, int batch, int seq, String name,
            CostConstants constants) {
        ModelGraph g = graph.conversion().isOriginal() ? Converter.convert(graph, conv).graph() : graph;
        int eb = conv.precision() == Conversion.Precision.FP32 ? 4 : 2;
        boolean bc1s = conv.layout() == Conversion.Layout.BC1S;
        for (Op op : g.ops()) {
            if (op instanceof Op.Attention a) {
                int nq = length(g, g.value(a.q()).axis(), seq, batch),
                        nk = length(g, g.value(a.k()).axis(), seq, batch);
                if (name.equals(a.name() + ".scores")) {
                    if (bc1s) {
                        ChunkPlan cp = a.plan(Math.toIntExact(nk));
                        return TensorLayout.scores(name, "attention scores, one head of one "
                                + (cp.full() ? "sequence" : "chunk (S × W)")
                                + " at a time (per-head BC1S)", 1, 1, cp.queryBlock(), cp.keyWindow(), eb,
                                        cp.keyWindow());
                    }
                    long last = (long) constants.baselineScoreLastAxis().value();
                    return TensorLayout.scores(name, "attention scores, batched heads (HF)" + (last > 0 && last != nk
                            ? "; last axis " + last + " as the baseline assumption of chips.json" : ""), batch,
                                    a.heads(), nq, nk, eb, last <= 0 ? nk : last);
                }
                if (name.equals(a.name() + ".kv_cache") && a.causal()) {
                    return TensorLayout.kvCache(name, batch, a.kvHeads(), a.headDim(), nk, eb);
                }
                for (String v : List.of(a.q(), a.k(), a.v(), a.output())) {
                    int heads = v.equals(a.k()) || v.equals(a.v()) ? a.kvHeads() : a.heads();
                    int len = length(g, g.value(v).axis(), seq, batch);
                    if (name.equals(v)) {
                        return bc1s ? TensorLayout.activationBc1s(v, batch, len, g.value(v).channels(), eb,
                                a.headDim(), heads)
                                : TensorLayout.activationHf(v, batch, len, g.value(v).channels(), eb, a.headDim(),
                                        heads);
                    }
                    if (name.equals(v + ".heads")) {
                        return bc1s ? TensorLayout.perHeadBc1s(name, batch, heads, a.headDim(), len, eb)
                                : TensorLayout.perHeadHf(name, batch, heads, a.headDim(), len, eb);
                    }
                }
            }
        }
        Value v = g.values().get(name);
        if (v != null) {
            int len = length(g, v.axis(), seq, batch);
            return bc1s ? TensorLayout.activationBc1s(name, batch, len, v.channels(), eb, 0, 0)
                    : TensorLayout.activationHf(name, batch, len, v.channels(), eb, 0, 0);
        }
        for (String suffix : List.of("", ".q", ".scale", ".zero_point")) {
            if (!name.endsWith(suffix)) continue;
            WeightInfo w = g.weights().get(name.substring(0, name.length() - suffix.length()));
            if (w == null) continue;
            WeightStorage s = PlannedWeights.storageOf(w, conv);
            int[] heads = headsOfProjection(g, w.name());
            if (s.format() != WeightStorage.Format.INT8_BLOCK) {
                if (!suffix.isEmpty()) throw AnewbException.usage(w.name()
                        + " is not quantized in this conversion; it has no " + suffix + " array (add --quant int8)");
                return TensorLayout.weight(name, s.rows(), s.columns(), s.format() == WeightStorage.Format.FP32 ? 4
                        : 2, heads[0], heads[1]);
            }
            return switch (suffix) {
                case ".scale" -> TensorLayout.blockParams(name, s.rows(), s.columns(), s.blockSize(), 2);
                case ".zero_point" -> TensorLayout.blockParams(name, s.rows(), s.columns(), s.blockSize(), 1);
                default -> TensorLayout.int8Codes(w.name() + ".q", s.rows(), s.columns(), s.blockSize());
            };
        }
        throw AnewbException.usage("no tensor \"" + name + "\" in this " + g.config().modelType()
                + " graph; try one of: " + String.join(", ", examples(g)));
    }

    static int length(ModelGraph g, Axis axis, int seq, int batch) {
        return switch (axis) {
            case TOKENS -> g.fixedLength(Axis.TOKENS) != null ? g.fixedLength(Axis.TOKENS) : seq;
            case ENCODER -> g.fixedLength(Axis.ENCODER) != null ? g.fixedLength(Axis.ENCODER) : seq;
            case POOLED -> 1;
            case FEATURES, FRAMES -> g.fixedLength(axis) != null ? g.fixedLength(axis) : 1;
        };
    }

    /** {headDim, heads} when the weight projects into attention heads, else {0, 0}. */
    static int[] headsOfProjection(ModelGraph g, String weight) {
        for (Op op : g.ops()) {
            if (op instanceof Op.Linear l && l.weight().equals(weight)) {
                for (Op o : g.ops()) {
                    if (o instanceof Op.Attention a) {
                        if (l.output().equals(a.q())) return new int[]{a.headDim(), a.heads()};
                        if (l.output().equals(a.k()) || l.output().equals(a.v())) return new int[]{a.headDim(),
                                a.kvHeads()};
                    }
                }
            }
        }
        return new int[]{0, 0};
    }

    /** A few names of each kind, for error messages and --help. */
    public static List<String> examples(ModelGraph g) {
        List<String> out = new ArrayList<>();
        for (Op op : g.ops()) {
            if (op instanceof Op.Attention a) {
                out.add(a.q());
                out.add(a.q() + ".heads");
                out.add(a.name() + ".scores");
                if (a.causal()) out.add(a.name() + ".kv_cache");
                break;
            }
        }
        for (Op op : g.ops()) {
            if (op instanceof Op.Linear l) {
                out.add(l.weight());
                out.add(l.weight() + ".scale");
                break;
            }
        }
        return out;
    }
}

package dev.anewb.convert.coreml;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Builds the main block of an ML Program op by op, the way coremltools' MIL builder does: every parameter that is
 * not a program value becomes a {@code const} op of its own (named {@code <op>_<parameter>}), and every op declares
 * its output types, which this builder infers with the same rules as the op definitions in coremltools'
 * {@code converters/mil/mil/ops/defs}. Names are made valid MIL identifiers ({@code [A-Za-z_][A-Za-z0-9_@]*}) and
 * unique.
 */
final class MilBlock {
    private final List<MilVar> inputs = new ArrayList<>();
    private final List<MilOperation> ops = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private final Set<String> reserved = new HashSet<>();
    private String pendingName;

    List<MilVar> inputs() { return List.copyOf(inputs); }

    List<MilOperation> operations() { return List.copyOf(ops); }

    /** Non-const ops by type (the preview's histogram); const and constexpr ops are counted as well. */
    Map<String, Integer> histogram() {
        Map<String, Integer> h = new TreeMap<>();
        for (MilOperation op : ops) h.merge(op.type(), 1, Integer::sum);
        return h;
    }

    MilVar input(String name, MilType type) {
        if (!names.add(name)) throw new IllegalStateException("name " + name + " used twice");
        MilVar v = new MilVar(name, type);
        inputs.add(v);
        return v;
    }

    /** Keeps {@code name} (a model output) for the op that {@link #nameNextOp} names with it. */
    void reserve(String name) {
        if (!names.add(name)) throw new IllegalStateException("name " + name + " used twice");
        reserved.add(name);
    }

    /** The next op added (not its const parameters) takes the reserved name {@code name} exactly. */
    void nameNextOp(String name) {
        if (!reserved.remove(name)) throw new IllegalStateException(name + " is not reserved");
        pendingName = name;
    }

    /** {@code hint} as a MIL identifier: every other character becomes '_', and a leading digit gets one before it. */
    static String identifier(String hint) {
        StringBuilder b = new StringBuilder();
        for (char c : hint.toCharArray()) b.append(Character.isLetterOrDigit(c) && c < 128 || c == '_' ? c : '_');
        if (b.isEmpty() || Character.isDigit(b.charAt(0))) b.insert(0, '_');
        return b.toString();
    }

    /** A name not used yet, derived from {@code hint}. */
    String fresh(String hint) {
        String base = identifier(hint), name = base;
        for (int i = 1; !names.add(name); i++) name = base + "_" + i;
        return name;
    }

    /** A {@code const} op holding {@code value}. */
    MilVar constant(String hint, MilValue value) {
        MilVar out = new MilVar(fresh(hint), value.type());
        Map<String, MilValue> attrs = new LinkedHashMap<>();
        attrs.put("name", MilValue.Immediate.string(out.name()));
        attrs.put("val", value);
        ops.add(new MilOperation("const", Map.of(), List.of(out), attrs));
        return out;
    }

    /**
     * A {@code constexpr_*} op: its constant arguments either as input bindings (iOS18 ops) or as attributes (the
     * iOS16 ones), exactly as coremltools serialises each.
     */
    MilVar constexpr(String type, String hint, MilType outType, Map<String, MilValue> args, boolean asAttributes) {
        MilVar out = new MilVar(fresh(hint), outType);
        Map<String, List<MilBinding>> in = new LinkedHashMap<>();
        Map<String, MilValue> attrs = new LinkedHashMap<>();
        attrs.put("name", MilValue.Immediate.string(out.name()));
        for (var e : args.entrySet()) {
            if (asAttributes) attrs.put(e.getKey(), e.getValue());
            else in.put(e.getKey(), List.of(e.getValue()));
        }
        ops.add(new MilOperation(type, in, List.of(out), attrs));
        return out;
    }

    /**
     * Adds an op. {@code params} alternate parameter name and argument: a {@link MilVar}, a {@code List<MilVar>}
     * (tuple parameter), or a Java value made into a const op: {@code Integer} (int32 scalar), {@code int[]}
     * (int32 vector), {@code Boolean}, {@code boolean[]}, {@code String}, or a {@link MilValue}. Null arguments
     * are left out (optional parameters).
     */
    List<MilVar> op(String type, String hint, List<MilType> outTypes, Object... params) {
        String name = pendingName != null ? pendingName : fresh(hint);
        pendingName = null;
        Map<String, List<MilBinding>> in = new LinkedHashMap<>();
        for (int i = 0; i < params.length; i += 2) {
            String p = (String) params[i];
            Object a = params[i + 1];
            if (a == null) continue;
            List<MilBinding> bound = new ArrayList<>();
            if (a instanceof MilVar v) {
                bound.add(v);
            } else if (a instanceof List<?> list) {
                for (Object o : list) bound.add((MilVar) o);
            } else {
                bound.add(constant(name + "_" + p, asValue(a)));
            }
            in.put(p, bound);
        }
        List<MilVar> outs = new ArrayList<>();
        for (int i = 0; i < outTypes.size(); i++) {
            outs.add(new MilVar(outTypes.size() == 1 ? name : fresh(name + "_" + i), outTypes.get(i)));
        }
        ops.add(new MilOperation(type, in, outs, Map.of("name", MilValue.Immediate.string(name))));
        return outs;
    }

    MilVar op1(String type, String hint, MilType outType, Object... params) {
        return op(type, hint, List.of(outType), params).getFirst();
    }

    private static MilValue asValue(Object a) {
        return switch (a) {
            case MilValue v -> v;
            case Integer i -> MilValue.Immediate.scalar(i);
            case int[] v -> MilValue.Immediate.ints(v);
            case Boolean b -> MilValue.Immediate.scalar(b);
            case boolean[] v -> MilValue.Immediate.bools(v);
            case String s -> MilValue.Immediate.string(s);
            default -> throw new IllegalArgumentException("no MIL value for " + a.getClass());
        };
    }

    // ---- typed ops: each infers its output type as the op definition does ----

    MilVar cast(MilVar x, MilDataType to, String hint) {
        if (x.dtype() == to) return x;
        return op1("cast", hint, x.type().withDtype(to), "x", x, "dtype", to.castName);
    }

    /** gather along {@code axis}: shape = x[:axis] + indices + x[axis+1:]. */
    MilVar gather(MilVar x, MilVar indices, int axis, String hint) {
        List<Long> s = new ArrayList<>();
        for (int i = 0; i < axis; i++) s.add(x.dim(i));
        for (long d : indices.shape()) s.add(d);
        for (int i = axis + 1; i < x.rank(); i++) s.add(x.dim(i));
        return op1("gather", hint, x.type().withShape(toArray(s)), "x", x, "indices", indices, "axis", axis);
    }

    MilVar transpose(MilVar x, int[] perm, String hint) {
        long[] s = new long[perm.length];
        for (int i = 0; i < perm.length; i++) s[i] = x.dim(perm[i]);
        return op1("transpose", hint, x.type().withShape(s), "x", x, "perm", perm);
    }

    MilVar expandDims(MilVar x, int axis, String hint) {
        List<Long> s = new ArrayList<>();
        for (long d : x.shape()) s.add(d);
        s.add(axis, 1L);
        return op1("expand_dims", hint, x.type().withShape(toArray(s)), "x", x, "axes", new int[]{axis});
    }

    /** reshape to a shape whose dimensions are known, except at most one −1 (inferred, possibly flexible). */
    MilVar reshape(MilVar x, long[] shape, String hint) {
        int[] s = new int[shape.length];
        long known = 1;
        int unknownAt = -1;
        for (int i = 0; i < shape.length; i++) {
            s[i] = Math.toIntExact(shape[i]);
            if (shape[i] < 0) unknownAt = i;
            else known *= shape[i];
        }
        long[] out = shape.clone();
        if (unknownAt >= 0) {
            boolean flexible = false;
            long total = 1;
            for (long d : x.shape()) {
                if (d < 0) flexible = true;
                else total *= d;
            }
            out[unknownAt] = flexible ? MilType.UNKNOWN : total / known;
        }
        return op1("reshape", hint, x.type().withShape(out), "x", x, "shape", s);
    }

    /**
     * 2-D convolution, NCHW: weight [Cout, Cin/groups, kH, kW]; {@code pad} null for "valid", else custom
     * [top, bottom, left, right].
     */
    MilVar conv(MilVar x, MilVar weight, MilVar bias, int[] strides, int[] pad, String hint) {
        long h = x.dim(2), w = x.dim(3);
        int[] p = pad == null ? new int[4] : pad;
        long oh = h < 0 ? h : (h + p[0] + p[1] - weight.dim(2)) / strides[0] + 1;
        long ow = w < 0 ? w : (w + p[2] + p[3] - weight.dim(3)) / strides[1] + 1;
        MilType out = x.type().withShape(x.dim(0), weight.dim(0), oh, ow);
        return op1("conv", hint, out, "x", x, "weight", weight, "bias", bias, "strides", strides,
                "pad_type", pad == null ? "valid" : "custom", "pad", p, "dilations", new int[]{1, 1}, "groups", 1);
    }

    /** 1-D convolution, NCL: weight [Cout, Cin, k], symmetric zero padding. */
    MilVar conv1d(MilVar x, MilVar weight, MilVar bias, int stride, int pad, String hint) {
        long l = x.dim(2);
        long ol = l < 0 ? l : (l + 2L * pad - weight.dim(2)) / stride + 1;
        MilType out = x.type().withShape(x.dim(0), weight.dim(0), ol);
        return op1("conv", hint, out, "x", x, "weight", weight, "bias", bias, "strides", new int[]{stride},
                "pad_type", "custom", "pad", new int[]{pad, pad}, "dilations", new int[]{1}, "groups", 1);
    }

    /** linear: x [..., in] · weightᵀ [out, in] + bias. */
    MilVar linear(MilVar x, MilVar weight, MilVar bias, String hint) {
        long[] s = x.shape().clone();
        s[s.length - 1] = weight.dim(0);
        return op1("linear", hint, x.type().withShape(s), "x", x, "weight", weight, "bias", bias);
    }

    /**
     * iOS17 {@code quantize} to int8 with a per-tensor scale (a scalar in x's type) and no zero point: what
     * coremltools' {@code insert_prefix_quantize_dequantize_pair} writes for symmetric INT8 activations.
     */
    MilVar quantize(MilVar x, float scale, String hint) {
        return op1("quantize", hint, x.type().withDtype(MilDataType.INT8), "input", x,
                "scale", MilValue.Immediate.scalar(x.dtype(), scale), "output_dtype", "int8");
    }

    /** iOS17 {@code dequantize} of an int8 tensor back to {@code to} with the same per-tensor scale. */
    MilVar dequantize(MilVar q, float scale, MilDataType to, String hint) {
        return op1("dequantize", hint, q.type().withDtype(to), "input", q,
                "scale", MilValue.Immediate.scalar(to, scale));
    }

    /** layer_norm over {@code axes}; gamma and beta (shaped as the normalised axes) may be null. */
    MilVar layerNorm(MilVar x, int[] axes, MilVar gamma, MilVar beta, float epsilon, String hint) {
        // The epsilon takes x's type. BERT's 1e-12 is 0 in FP16, and a constant row would then be 0/0 = NaN where the
        // executor gives the bias: the smallest FP16 value keeps that case and is negligible next to any real variance.
        float eps = x.dtype() == MilDataType.FP16 ? Math.max(epsilon, Float.float16ToFloat((short) 1)) : epsilon;
        return op1("layer_norm", hint, x.type(), "x", x, "axes", axes, "gamma", gamma, "beta", beta,
                "epsilon", MilValue.Immediate.scalar(x.dtype(), eps));
    }

    /** An elementwise binary op (add, sub, mul, real_div, maximum) with numpy broadcasting. */
    MilVar binary(String type, MilVar x, MilVar y, String hint) {
        return op1(type, hint, x.type().withShape(broadcast(x.shape(), y.shape())), "x", x, "y", y);
    }

    /** x op scalar, the scalar in x's type. */
    MilVar binary(String type, MilVar x, float y, String hint) {
        return op1(type, hint, x.type(), "x", x, "y", MilValue.Immediate.scalar(x.dtype(), y));
    }

    MilVar unary(String type, MilVar x, String hint) {
        return op1(type, hint, x.type(), "x", x);
    }

    MilVar gelu(MilVar x, String mode, String hint) {
        return op1("gelu", hint, x.type(), "x", x, "mode", mode);
    }

    MilVar softmax(MilVar x, int axis, String hint) {
        return op1("softmax", hint, x.type(), "x", x, "axis", axis);
    }

    List<MilVar> split(MilVar x, int axis, int parts, String hint) {
        long[] s = x.shape().clone();
        s[axis] = s[axis] / parts;
        List<MilType> outs = new ArrayList<>();
        for (int i = 0; i < parts; i++) outs.add(x.type().withShape(s));
        return op("split", hint, outs, "x", x, "num_splits", parts, "axis", axis);
    }

    List<MilVar> split(MilVar x, int axis, int[] sizes, String hint) {
        List<MilType> outs = new ArrayList<>();
        for (int size : sizes) {
            long[] s = x.shape().clone();
            s[axis] = size;
            outs.add(x.type().withShape(s));
        }
        return op("split", hint, outs, "x", x, "split_sizes", sizes, "axis", axis);
    }

    MilVar concat(List<MilVar> values, int axis, String hint) {
        long[] s = values.getFirst().shape().clone();
        long sum = 0;
        for (MilVar v : values) sum = sum < 0 || v.dim(axis) < 0 ? MilType.UNKNOWN : sum + v.dim(axis);
        s[axis] = sum;
        return op1("concat", hint, values.getFirst().type().withShape(s), "values", values, "axis", axis,
                "interleave", false);
    }

    /** The one rank-4 einsum MIL has: "nchw,nwhu->nchu" (output [B, C, H, W2]). */
    MilVar einsum(MilVar a, MilVar b, String equation, String hint) {
        long[] s = {broadcastDim(a.dim(0), b.dim(0)), a.dim(1), broadcastDim(a.dim(2), b.dim(2)), b.dim(3)};
        return op1("einsum", hint, a.type().withShape(s), "values", List.of(a, b), "equation", equation);
    }

    MilVar matmul(MilVar x, MilVar y, boolean transposeY, String hint) {
        long[] xs = x.shape(), ys = y.shape();
        long[] batch = broadcast(Arrays.copyOf(xs, xs.length - 2), Arrays.copyOf(ys, ys.length - 2));
        long[] s = Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = xs[xs.length - 2];
        s[batch.length + 1] = transposeY ? ys[ys.length - 2] : ys[ys.length - 1];
        return op1("matmul", hint, x.type().withShape(s), "x", x, "y", y, "transpose_x", false,
                "transpose_y", transposeY);
    }

    /** x[from:to] along one axis, every other axis whole. */
    MilVar slice(MilVar x, int axis, int from, int to, String hint) {
        int n = x.rank();
        int[] begin = new int[n], end = new int[n];
        boolean[] beginMask = new boolean[n], endMask = new boolean[n];
        for (int i = 0; i < n; i++) {
            beginMask[i] = endMask[i] = i != axis;
        }
        begin[axis] = from;
        end[axis] = to;
        long[] s = x.shape().clone();
        s[axis] = to - from;
        return op1("slice_by_index", hint, x.type().withShape(s), "x", x, "begin", begin, "end", end,
                "begin_mask", beginMask, "end_mask", endMask);
    }

    MilVar reduce(String type, MilVar x, int[] axes, String hint) {
        long[] s = x.shape().clone();
        for (int a : axes) s[a] = 1;
        return op1(type, hint, x.type().withShape(s), "x", x, "axes", axes, "keep_dims", true);
    }

    MilVar tile(MilVar x, int[] reps, String hint) {
        long[] s = x.shape().clone();
        for (int i = 0; i < s.length; i++) s[i] = s[i] < 0 ? s[i] : s[i] * reps[i];
        return op1("tile", hint, x.type().withShape(s), "x", x, "reps", reps);
    }

    static long[] broadcast(long[] a, long[] b) {
        int n = Math.max(a.length, b.length);
        long[] s = new long[n];
        for (int i = 0; i < n; i++) {
            long da = i < n - a.length ? 1 : a[i - (n - a.length)];
            long db = i < n - b.length ? 1 : b[i - (n - b.length)];
            s[i] = broadcastDim(da, db);
        }
        return s;
    }

    private static long broadcastDim(long a, long b) {
        if (a == 1) return b;
        if (b == 1) return a;
        if (a < 0) return b < 0 ? a : b;
        if (b < 0) return a;
        if (a != b) throw new IllegalArgumentException("cannot broadcast " + a + " with " + b);
        return a;
    }

    private static long[] toArray(List<Long> s) {
        long[] a = new long[s.size()];
        for (int i = 0; i < a.length; i++) a[i] = s.get(i);
        return a;
    }
}

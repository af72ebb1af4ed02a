package dev.anewb.convert;

import dev.anewb.AnewbException;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.Op;
import dev.anewb.model.WeightInfo;
import dev.anewb.model.WeightRole;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The conversion passes as a graph rewrite: the converted graph has the same ops and taps as the original, records
 * per weight how it is stored (block INT8 scheme or float) and per self-attention op its chunk band, and carries the
 * {@link Conversion} that tells the executor the layout and the precision. Each setting can be switched on alone,
 * which is what drift attribution by cause needs.
 *
 * <p>Which weights are quantized (spec/quantization.md): every projection (role PROJECTION: nn.Linear and GPT-2
 * Conv1D), except those whose name matches a keep-FP16 pattern; a block-size override by pattern gives a weight
 * its own block size. Embeddings, heads, convolutional front ends, norms and biases stay float.
 *
 * <p>INT8 activations (W8A8) quantize the inputs of the same projections, INT8 weights or not (the drift cause
 * "activations" runs them alone): each such linear gets {@link Op.InputQuant#UNCALIBRATED}, and {@link #calibrate}
 * writes the scales once a forward pass has measured them (the api's {@code ModelSession} runs it). Only the
 * projections: coremltools' pass also quantizes both inputs of every {@code add} of two computed values and puts
 * a pair after each quantized op, but in a transformer those are the residual stream with its outlier channels and
 * the attention mask's add, where INT8 costs accuracy and buys no INT8 × INT8 compute.
 */
public final class Converter {
    private Converter() { }

    /** A converted graph and the warnings the conversion produced (e.g. a keep-FP16 pattern that matched nothing). */
    public record Result(ModelGraph graph, List<String> warnings) { }

    public static Result convert(ModelGraph original, Conversion c) {
        if (!original.conversion().isOriginal()) throw new IllegalArgumentException("graph is already converted");
        c.validate();
        List<String> warnings = new ArrayList<>();
        Map<String, WeightInfo> weights = new LinkedHashMap<>(original.weights());
        Map<String, Integer> selected = c.int8() || c.quantizesActivations() ? select(original, c, warnings) : Map.of();
        if (c.int8()) {
            selected.forEach((w, block) ->
                    weights.put(w, weights.get(w).withQuant(new WeightInfo.Quant(block, c.symmetric()))));
        }
        ModelGraph g = original.rewrite(weights, c);
        Op.Chunk chunk = c.chunked() ? new Op.Chunk(c.chunkWindow(), c.chunkOverlap()) : null;
        List<Op> ops = new ArrayList<>(g.ops().size());
        for (Op op : g.ops()) {
            // Self-attention gets the chunk band; cross-attention reads a fixed encoder sequence and is never chunked.
            if (chunk != null && op instanceof Op.Attention a && !a.cross()) op = a.withChunk(chunk);
            if (c.quantizesActivations() && op instanceof Op.Linear l && selected.containsKey(l.weight())) {
                op = l.withInputQuant(Op.InputQuant.UNCALIBRATED);
            }
            ops.add(op);
        }
        return new Result(g.withOps(ops), List.copyOf(warnings));
    }

    /**
     * The converted graph with the calibrated INT8 input scale of every linear the conversion chose (W8A8).
     *
     * @param scales op name → scale (see {@link Op.InputQuant#calibrated}); one for every chosen op
     */
    public static ModelGraph calibrate(ModelGraph converted, Map<String, Float> scales) {
        List<Op> ops = new ArrayList<>(converted.ops().size());
        for (Op op : converted.ops()) {
            if (op instanceof Op.Linear l && l.inputQuant() != null) {
                Float s = scales.get(l.name());
                if (s == null || !(s > 0) || Float.isInfinite(s)) {
                    throw new IllegalArgumentException("no valid INT8 input scale for " + l.name() + ": " + s);
                }
                op = l.withInputQuant(new Op.InputQuant(s));
            }
            ops.add(op);
        }
        return converted.withOps(ops);
    }

    /** Whether {@code g} has INT8 inputs still waiting for {@link #calibrate}. */
    public static boolean needsCalibration(ModelGraph g) {
        for (Op op : g.ops()) {
            if (op instanceof Op.Linear l && l.inputQuant() != null && !l.inputQuant().isCalibrated()) return true;
        }
        return false;
    }

    /**
     * The projection weights the quantization chooses, with their block sizes: role PROJECTION minus keep-FP16
     * matches, overrides applied.
     */
    private static Map<String, Integer> select(ModelGraph original, Conversion c, List<String> warnings) {
        Map<String, Integer> selected = new LinkedHashMap<>();
        List<Pattern> keep = compile(c.keepFp16(), "--keep-fp16");
        Map<Pattern, Integer> overrides = new LinkedHashMap<>();
        for (var e : c.blockOverrides().entrySet()) overrides.put(compile(List.of(e.getKey()),
                "block override").getFirst(), e.getValue());
        boolean[] keepUsed = new boolean[keep.size()];
        Map<Pattern, Boolean> overrideUsed = new LinkedHashMap<>();
        for (WeightInfo w : original.weights().values()) {
            if (w.role() != WeightRole.PROJECTION) continue;
            boolean kept = false;
            for (int i = 0; i < keep.size(); i++) {
                if (keep.get(i).matcher(w.name()).find()) {
                    kept = true;
                    keepUsed[i] = true;
                }
            }
            if (kept) continue;
            int block = c.blockSize();
            for (var e : overrides.entrySet()) {
                if (e.getKey().matcher(w.name()).find()) {
                    block = e.getValue();
                    overrideUsed.put(e.getKey(), true);
                }
            }
            selected.put(w.name(), block);
        }
        for (int i = 0; i < keep.size(); i++) {
            if (!keepUsed[i]) warnings.add("--keep-fp16 \"" + c.keepFp16().get(i) + "\" matches no projection weight");
        }
        for (Pattern p : overrides.keySet()) {
            if (c.int8() && !overrideUsed.containsKey(p)) {
                warnings.add("block-size override \"" + p.pattern() + "\" matches no projection weight");
            }
        }
        return selected;
    }

    private static List<Pattern> compile(List<String> regexes, String what) {
        List<Pattern> out = new ArrayList<>();
        for (String r : regexes) {
            try {
                out.add(Pattern.compile(r));
            } catch (PatternSyntaxException e) {
                throw AnewbException.usage(what + " \"" + r + "\" is not a valid regular expression: "
                        + e.getDescription());
            }
        }
        return out;
    }
}

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
        if (c.int8()) quantize(original, c, weights, warnings);
        ModelGraph g = original.rewrite(weights, c);
        return new Result(c.chunked() ? g.withOps(chunked(g.ops(), new Op.Chunk(c.chunkWindow(), c.chunkOverlap()))) : g,
                List.copyOf(warnings));
    }

    /** Self-attention gets the chunk band; cross-attention reads a fixed encoder sequence and is never chunked. */
    private static List<Op> chunked(List<Op> ops, Op.Chunk chunk) {
        List<Op> out = new ArrayList<>(ops.size());
        for (Op op : ops) out.add(op instanceof Op.Attention a && !a.cross() ? a.withChunk(chunk) : op);
        return out;
    }

    private static void quantize(ModelGraph original, Conversion c, Map<String, WeightInfo> weights, List<String> warnings) {
        List<Pattern> keep = compile(c.keepFp16(), "--keep-fp16");
        Map<Pattern, Integer> overrides = new LinkedHashMap<>();
        for (var e : c.blockOverrides().entrySet()) overrides.put(compile(List.of(e.getKey()), "block override").getFirst(), e.getValue());
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
            weights.put(w.name(), w.withQuant(new WeightInfo.Quant(block, c.symmetric())));
        }
        for (int i = 0; i < keep.size(); i++) {
            if (!keepUsed[i]) warnings.add("--keep-fp16 \"" + c.keepFp16().get(i) + "\" matches no projection weight");
        }
        for (Pattern p : overrides.keySet()) {
            if (!overrideUsed.containsKey(p)) warnings.add("block-size override \"" + p.pattern() + "\" matches no projection weight");
        }
    }

    private static List<Pattern> compile(List<String> regexes, String what) {
        List<Pattern> out = new ArrayList<>();
        for (String r : regexes) {
            try {
                out.add(Pattern.compile(r));
            } catch (PatternSyntaxException e) {
                throw AnewbException.usage(what + " \"" + r + "\" is not a valid regular expression: " + e.getDescription());
            }
        }
        return out;
    }
}

package dev.anewb.convert;

import dev.anewb.AnewbException;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.ModelLoader;
import dev.anewb.job.JobContext;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.WeightInfo;
import dev.anewb.model.WeightRole;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The conversion passes as a graph rewrite: the converted graph has the same ops and taps as the original,
 * records per weight how it is stored (block INT8 scheme or float), and carries the {@link Conversion} that
 * tells the executor the layout, the precision and the attention chunking. Each setting can be switched on
 * alone, which is what drift attribution by cause needs.
 *
 * <p>Which weights are quantized (spec/quantization.md): every projection (role PROJECTION: nn.Linear and GPT-2
 * Conv1D), except those whose name matches a keep-FP16 pattern; a block-size override by pattern gives a weight
 * its own block size. Embeddings, heads, convolutional front ends, norms and biases stay float.
 */
public final class Converter {
    private Converter() { }

    /** A converted graph and the warnings the conversion produced (e.g. a keep-FP16 pattern that matched nothing). */
    public record Result(ModelGraph graph, List<String> warnings) { }

    /**
     * Loads a model (folder, Hub id, bundled) and converts it: the single call for Java users.
     * The returned model owns the loaded weights; close it when done.
     */
    public static ConvertedModel convert(String model, Conversion c, JobContext ctx) {
        LoadedModel source = ModelLoader.load(model, ctx.slice(0, 0.8));
        try {
            Result r = convert(source.graph(), c);
            return new ConvertedModel(source, r.graph(), withSourceWarnings(source, r), true);
        } catch (RuntimeException e) {
            source.close();
            throw e;
        }
    }

    /** Converts an already loaded model (the app keeps one loaded model and converts it on every setting change). */
    public static ConvertedModel convert(LoadedModel source, Conversion c) {
        Result r = convert(source.graph(), c);
        return new ConvertedModel(source, r.graph(), withSourceWarnings(source, r), false);
    }

    /** What loading the model warned about (unused weights), then the conversion's own warnings. */
    private static List<String> withSourceWarnings(LoadedModel source, Result r) {
        List<String> all = new ArrayList<>(source.warnings());
        all.addAll(r.warnings());
        return List.copyOf(all);
    }

    public static Result convert(ModelGraph original, Conversion c) {
        if (!original.conversion().isOriginal()) throw new IllegalArgumentException("graph is already converted");
        validate(c);
        List<String> warnings = new ArrayList<>();
        Map<String, WeightInfo> weights = new LinkedHashMap<>(original.weights());
        if (c.int8()) {
            List<Pattern> keep = compile(c.keepFp16(), "--keep-fp16");
            Map<Pattern, Integer> overrides = new LinkedHashMap<>();
            for (var e : c.blockOverrides().entrySet()) {
                if (e.getValue() < BlockQuantizer.MIN_BLOCK_SIZE) {
                    throw AnewbException.usage("block size " + e.getValue() + " for \"" + e.getKey() + "\" is below " + BlockQuantizer.MIN_BLOCK_SIZE);
                }
                overrides.put(compile(List.of(e.getKey()), "block override").getFirst(), e.getValue());
            }
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
        return new Result(original.rewrite(weights, c), List.copyOf(warnings));
    }

    /** Usage errors for settings no conversion can honour. */
    public static void validate(Conversion c) {
        if (c.int8() && c.blockSize() < BlockQuantizer.MIN_BLOCK_SIZE) {
            throw AnewbException.usage("block size " + c.blockSize() + " is too small: it must be at least " + BlockQuantizer.MIN_BLOCK_SIZE);
        }
        if (c.chunkWindow() < 0) throw AnewbException.usage("chunk window " + c.chunkWindow() + " must be at least 1");
        if (c.chunkOverlap() < 0) throw AnewbException.usage("chunk overlap " + c.chunkOverlap() + " must not be negative");
        if (c.chunkWindow() > 0 && c.chunkOverlap() >= c.chunkWindow()) {
            throw AnewbException.usage("chunk overlap " + c.chunkOverlap() + " must be smaller than the window " + c.chunkWindow());
        }
        if (c.chunkWindow() == 0 && c.chunkOverlap() > 0) throw AnewbException.usage("--chunk-overlap needs --chunk-window");
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

package dev.anewb.drift;

import dev.anewb.convert.Converter;
import dev.anewb.job.JobContext;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.WeightSource;
import dev.anewb.runtime.Activation;
import dev.anewb.runtime.Batch;
import dev.anewb.runtime.Executor;
import dev.anewb.runtime.RunResult;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Measures drift: runs the original graph and converted graphs on the same input and compares every tap
 * (spec/drift.md). The original's executor and its result are reused across calls with the same input, so
 * a slider move costs one converted forward pass.
 */
public final class DriftAnalysis {
    private final ModelGraph original;
    private final WeightSource weights;
    private final Executor originalExecutor;
    private Batch cachedInput;
    private RunResult cachedReference;

    public DriftAnalysis(ModelGraph original, WeightSource weights) {
        this.original = original;
        this.weights = weights;
        this.originalExecutor = new Executor(original, weights);
    }

    /** The FP32 original's taps for this input (computed once per input). */
    public synchronized RunResult reference(Batch input, JobContext ctx) {
        if (cachedInput != input) {
            cachedReference = originalExecutor.run(input, ctx);
            cachedInput = input;
        }
        return cachedReference;
    }

    /** Drift of {@code conversion}; with {@code byCause}, also each change alone. */
    public DriftReport measure(Batch input, Conversion conversion, boolean byCause, JobContext ctx) {
        List<Conversion> runs = new ArrayList<>();
        List<DriftReport.Cause> causes = new ArrayList<>();
        if (byCause) {
            for (DriftReport.Cause c : DriftReport.Cause.values()) {
                Conversion only = only(conversion, c);
                if (only != null) {
                    runs.add(only);
                    causes.add(c);
                }
            }
        }
        int total = runs.size() + 2;
        RunResult ref = reference(input, ctx.slice(0, 1.0 / total));
        RunResult conv = run(conversion, input, ctx.slice(1.0 / total, 2.0 / total));
        List<TapMetrics> taps = compare(ref, conv, input);
        Map<DriftReport.Cause, List<TapMetrics>> byCauseMap = new EnumMap<>(DriftReport.Cause.class);
        for (int i = 0; i < runs.size(); i++) {
            ctx.checkCancelled();
            RunResult r = causes.get(i) == DriftReport.Cause.ALL ? conv
                    : run(runs.get(i), input, ctx.slice((i + 2.0) / total, (i + 3.0) / total));
            byCauseMap.put(causes.get(i), compare(ref, r, input));
        }
        return new DriftReport(taps, TaskMetrics.of(original, ref, conv, input), byCauseMap);
    }

    private RunResult run(Conversion c, Batch input, JobContext ctx) {
        ModelGraph g = Converter.convert(original, c).graph();
        return new Executor(g, weights).run(input, ctx);
    }

    /** The configuration with only one cause's change kept; null when that change is off in {@code c}. */
    static Conversion only(Conversion c, DriftReport.Cause cause) {
        Conversion base = Conversion.ORIGINAL;
        return switch (cause) {
            case QUANTIZATION -> c.int8() ? base.withInt8(true, c.blockSize(), c.symmetric()).withOverrides(c.keepFp16(), c.blockOverrides()) : null;
            case FP16 -> c.precision() == Conversion.Precision.FP16 ? base.withPrecision(Conversion.Precision.FP16) : null;
            case CHUNKING -> c.chunked() ? base.withChunking(c.chunkWindow(), c.chunkOverlap()) : null;
            case LAYOUT -> c.layout() == Conversion.Layout.BC1S ? base.withLayout(Conversion.Layout.BC1S) : null;
            case ALL -> c;
        };
    }

    static List<TapMetrics> compare(RunResult ref, RunResult conv, Batch input) {
        List<TapMetrics> out = new ArrayList<>();
        for (Map.Entry<String, Activation> e : ref.taps().entrySet()) {
            out.add(TapMetrics.of(e.getKey(), e.getValue(), conv.tap(e.getKey()), input));
        }
        return out;
    }

    /** Task-level metrics keyed by name (spec/drift.md). */
    static final class TaskMetrics {
        private TaskMetrics() { }

        static Map<String, Double> of(ModelGraph g, RunResult ref, RunResult conv, Batch input) {
            Map<String, Double> m = new LinkedHashMap<>();
            if (ref.taps().containsKey("sentence_embedding")) {
                m.put("sentence_embedding_cosine", TapMetrics.of("sentence_embedding", ref.tap("sentence_embedding"),
                        conv.tap("sentence_embedding"), input).cosine());
            }
            if (ref.taps().containsKey("pooler_output")) {
                m.put("pooler_cosine", TapMetrics.of("pooler_output", ref.tap("pooler_output"), conv.tap("pooler_output"), input).cosine());
            }
            return m;
        }
    }
}

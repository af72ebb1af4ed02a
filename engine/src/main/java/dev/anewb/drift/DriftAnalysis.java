package dev.anewb.drift;

import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.model.FeatureTensor;
import dev.anewb.model.LayerRange;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.Op;
import dev.anewb.runtime.Activation;
import dev.anewb.runtime.Executor;
import dev.anewb.runtime.Generator;
import dev.anewb.runtime.RunResult;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Measures drift: runs the original graph and converted graphs on the same input and compares every tap
 * (spec/drift.md). The executors come from their one owner ({@link Runs}, the api's {@code ModelSession}), which keeps
 * the original's result per input and the executors of recent conversions, so a slider move costs one converted
 * forward pass.
 */
public final class DriftAnalysis {
    private DriftAnalysis() { }

    /** What drift needs from the owner of a model's executors. */
    public interface Runs {
        /** The unconverted graph every conversion is measured against. */
        ModelGraph original();

        /**
         * The FP32 original's taps for this input, computed once per input: of the whole model, or (a non-null
         * {@code prefix}) of its blocks {@code 0..prefix.to()} only.
         */
        RunResult reference(Batch input, LayerRange prefix, JobContext ctx);

        /** The executor of the original converted with {@code c} ({@link Conversion#ORIGINAL}: the original's), of
         *  the blocks of {@code range} only when it is not null. */
        Executor executor(Conversion c, LayerRange range);

        default RunResult reference(Batch input, JobContext ctx) {
            return reference(input, null, ctx);
        }

        default Executor executor(Conversion c) {
            return executor(c, null);
        }

        /**
         * The taps of {@code c}'s graph (blocks of {@code range}, or all) on {@code input}; an owner may keep recent
         * results, so the causes a slider move did not change are not run again.
         */
        default RunResult run(Conversion c, LayerRange range, Batch input, JobContext ctx) {
            return executor(c, range).run(input, ctx);
        }
    }

    /** Drift of {@code conversion}; with {@code byCause}, also each change alone. */
    public static DriftReport measure(Runs runs, Batch input, Conversion conversion, boolean byCause, JobContext ctx) {
        return measure(runs, input, conversion, byCause, null, ctx, null);
    }

    /**
     * Drift of {@code conversion} over the blocks of {@code range} (null: the whole model), with {@code byCause} also
     * each change alone. A range starts from the FP32 original's hidden state before its first block, so it
     * measures the drift the converted blocks add; only those blocks are converted (a model too large to convert
     * whole is measured a range at a time). {@code onTap}, when given, receives each tap of the requested
     * conversion as soon as the converted run computes it (the reference is computed first, once per input).
     */
    public static DriftReport measure(Runs runs, Batch input, Conversion conversion, boolean byCause, LayerRange range,
                                      JobContext ctx, Consumer<TapMetrics> onTap) {
        ModelGraph original = runs.original();
        LayerRange r = range == null || range.coversAll(original) ? null : range;
        List<Conversion> only = new ArrayList<>();
        List<DriftReport.Cause> causes = new ArrayList<>();
        if (byCause) {
            for (DriftReport.Cause c : DriftReport.Cause.values()) {
                Conversion o = only(conversion, c);
                if (o != null) {
                    only.add(o);
                    causes.add(c);
                }
            }
        }
        int total = only.size() + 2;
        RunResult ref = runs.reference(input, r == null ? null : r.prefix(), ctx.slice(0, 1.0 / total));
        Batch in = r == null ? input : rangeInput(original.layers(r.from(), r.to()), input, ref);
        RunResult conv;
        if (onTap == null) {
            conv = runs.run(conversion, r, in, ctx.slice(1.0 / total, 2.0 / total));
        } else {
            conv = runs.executor(conversion, r).run(in, ctx.slice(1.0 / total, 2.0 / total), (name, value) -> {
                if (ref.taps().containsKey(name)) onTap.accept(TapMetrics.of(name, ref.tap(name), value, input));
            });
        }
        List<TapMetrics> taps = compare(ref, conv, input);
        Map<DriftReport.Cause, List<TapMetrics>> byCauseMap = new EnumMap<>(DriftReport.Cause.class);
        for (int i = 0; i < only.size(); i++) {
            ctx.checkCancelled();
            RunResult run = causes.get(i) == DriftReport.Cause.ALL ? conv
                    : runs.run(only.get(i), r, in, ctx.slice((i + 2.0) / total, (i + 3.0) / total));
            byCauseMap.put(causes.get(i), compare(ref, run, input));
        }
        Map<String, Double> task = TaskMetrics.of(original, ref, conv, input);
        if (r == null && input.features().containsKey(ModelGraph.INPUT_FEATURES) && ref.taps().containsKey("logits")) {
            // Whisper: greedy decoding of both graphs from the input's decoder prefix, conditioned on the same audio.
            ctx.checkCancelled();
            long[] prefix = input.ids()[0];
            int n = Math.min(WHISPER_GREEDY_TOKENS, original.config().maxPositions() - prefix.length + 1);
            Continuation c = greedyContinuation(runs.executor(Conversion.ORIGINAL), runs.executor(conversion), prefix,
                    input.features(), n, ctx);
            task.put("greedy_token_agreement_pct", c.agreementPct());
        }
        return new DriftReport(taps, task, byCauseMap);
    }

    /** The input of a range's graph: the batch, plus the reference's values of what its blocks read from before. */
    private static Batch rangeInput(ModelGraph slice, Batch input, RunResult ref) {
        Map<String, FeatureTensor> given = new LinkedHashMap<>();
        Map<String, String> produced = new HashMap<>();
        for (Op op : slice.ops()) produced.put(op.output(), op.name());
        slice.taps().forEach((tap, value) -> {
            if (!produced.containsKey(value)) {
                Activation a = ref.tap(tap);
                given.put(value, new FeatureTensor(a.shape(), a.data()));
            }
        });
        return input.withFeatures(given);
    }

    /** The configuration with only one cause's change kept; null when that change is off in {@code c}. */
    static Conversion only(Conversion c, DriftReport.Cause cause) {
        Conversion base = Conversion.ORIGINAL;
        return switch (cause) {
            case QUANTIZATION -> c.int8()
                    ? base.withInt8(true, c.blockSize(), c.symmetric()).withOverrides(c.keepFp16(), c.blockOverrides())
                            : null;
            case FP16 -> c.precision() == Conversion.Precision.FP16 ? base.withPrecision(Conversion.Precision.FP16)
                    : null;
            case CHUNKING -> c.chunked() ? base.withChunking(c.chunkWindow(), c.chunkOverlap()) : null;
            case LAYOUT -> c.layout() == Conversion.Layout.BC1S ? base.withLayout(Conversion.Layout.BC1S) : null;
            // FP32 weights; the same projections chosen (keep-FP16 applies) and the session's same scales
            case ACTIVATIONS -> c.quantizesActivations()
                    ? base.withActivations(Conversion.Activations.INT8).withOverrides(c.keepFp16(), Map.of()) : null;
            case ALL -> c;
        };
    }

    /** Every tap both runs report (a range's run reports its blocks' taps), in the reference's order. */
    static List<TapMetrics> compare(RunResult ref, RunResult conv, Batch input) {
        List<TapMetrics> out = new ArrayList<>();
        for (Map.Entry<String, Activation> e : ref.taps().entrySet()) {
            if (!conv.taps().containsKey(e.getKey())) continue;
            out.add(TapMetrics.of(e.getKey(), e.getValue(), conv.tap(e.getKey()), input));
        }
        return out;
    }

    /**
     * Greedy continuation agreement: both graphs continue {@code prompt} greedily for {@code newTokens} tokens with
     * the same {@link Generator} (a KV cache over each graph), conditioned on the same named float inputs (Whisper's
     * input_features, or none); reported are the converted tokens matching the original's before the first
     * difference, as a percentage, since after a difference the texts diverge.
     */
    public static Continuation greedyContinuation(Executor original, Executor converted, long[] prompt,
                                                  Map<String, FeatureTensor> features, int newTokens, JobContext ctx) {
        long[] ref = new Generator(original, null)
                .generate(prompt, features, newTokens, Generator.Sampling.GREEDY, null, ctx.slice(0, 0.5)).ids();
        long[] conv = new Generator(converted, null)
                .generate(prompt, features, newTokens, Generator.Sampling.GREEDY, null, ctx.slice(0.5, 1)).ids();
        int n = Math.min(ref.length, conv.length), same = 0;
        while (same < n && ref[same] == conv[same]) same++;
        return new Continuation(ref, conv, same);
    }

    /** Tokens each side of Whisper's greedy agreement (fewer when a side generates its end token). */
    static final int WHISPER_GREEDY_TOKENS = 10;

    /** @param matching tokens equal before the first difference */
    public record Continuation(long[] reference, long[] converted, int matching) {
        public double agreementPct() {
            return reference.length == 0 ? 100 : 100.0 * matching / reference.length;
        }
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
            if (ref.taps().containsKey("last_hidden_state") && g.values().containsKey(ModelGraph.PIXEL_VALUES)) {
                // ViT: the CLS token of the last hidden state (what classification heads read)
                m.put("cls_cosine", TapMetrics.of("cls", first(ref.tap("last_hidden_state")),
                        first(conv.tap("last_hidden_state")), null).cosine());
            }
            if (ref.taps().containsKey("pooler_output")) {
                m.put("pooler_cosine",
                        TapMetrics.of("pooler_output", ref.tap("pooler_output"), conv.tap("pooler_output"),
                                input).cosine());
            }
            if (ref.taps().containsKey("logits") && g.config().isCausal()) {
                NextToken nt = nextToken(ref.tap("logits"), conv.tap("logits"), input);
                m.put("next_token_kl", nt.meanKl());
                m.put("top1_agreement_pct", nt.top1AgreementPct());
            }
            return m;
        }

        /** Position 0 of every sequence: [B, 1, C]. */
        static Activation first(Activation a) {
            float[] y = new float[a.batch() * a.channels()];
            for (int b = 0; b < a.batch(); b++) System.arraycopy(a.data(), b * a.length() * a.channels(), y, b
                    * a.channels(), a.channels());
            return new Activation(a.batch(), 1, a.channels(), y);
        }

        /** Next-token distribution agreement over valid positions (spec/drift.md). */
        record NextToken(double meanKl, double top1AgreementPct, int positions) { }

        /**
         * KL(ref ‖ conv) of the softmax of each valid position's logits, in nats, averaged over those positions; and
         * the percentage of positions whose argmax token is the same.
         */
        static NextToken nextToken(Activation ref, Activation conv, Batch input) {
            int v = ref.channels();
            double kl = 0;
            int same = 0, n = 0;
            double[] lpRef = new double[v], lpConv = new double[v];
            for (int b = 0; b < ref.batch(); b++) {
                for (int t = 0; t < ref.length(); t++) {
                    if (input.mask()[b][t] == 0) continue;
                    int o = (b * ref.length() + t) * v;
                    logSoftmax(ref.data(), o, v, lpRef);
                    logSoftmax(conv.data(), o, v, lpConv);
                    double k = 0;
                    for (int i = 0; i < v; i++) k += Math.exp(lpRef[i]) * (lpRef[i] - lpConv[i]);
                    kl += Math.max(0, k); // ≥ 0 in exact arithmetic; rounding can leave −1e-17
                    if (argmax(ref.data(), o, v) == argmax(conv.data(), o, v)) same++;
                    n++;
                }
            }
            return new NextToken(n == 0 ? 0 : kl / n, n == 0 ? 100 : 100.0 * same / n, n);
        }

        private static void logSoftmax(float[] x, int o, int v, double[] out) {
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < v; i++) max = Math.max(max, x[o + i]);
            double sum = 0;
            for (int i = 0; i < v; i++) sum += Math.exp(x[o + i] - max);
            double lse = max + Math.log(sum);
            for (int i = 0; i < v; i++) out[i] = x[o + i] - lse;
        }

        private static int argmax(float[] x, int o, int v) {
            int best = 0;
            for (int i = 1; i < v; i++) if (x[o + i] > x[o + best]) best = i;
            return best;
        }
    }
}

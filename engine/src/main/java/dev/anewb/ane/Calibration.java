package dev.anewb.ane;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.AnewbException;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.arch.Architectures;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * The calibration table of spec/ane-model.md and the joint fit of the cost model's free constants.
 *
 * <p>Fit rows (11): DistilBERT on A15 (rows 1-4: optimized and baseline, seq 128 and 512, batch 1 and 8;
 * apple/ml-ane-transformers and Apple's article), whisper.cpp PR #566's Core ML encoders on M1 Pro (tiny 30 ms,
 * base 64 ms) and anemll-bench's {@code llama_lm_head} bandwidth on M1, M2 and M4 (60.87 / 60.45 / 64.18 GB/s).
 * The five {@link Params} minimize Σ ln(estimate/measured)² within bounds from their sources; every fit row is
 * refitted without itself for its leave-one-out error (a bandwidth row also loses its chip's measured ANE
 * bandwidth, as if the chip had never been measured). Left-out rows (whisper small/medium, llama_lm_head on the
 * other measured chips) and derived rows (ratios, memory, energy) are reported beside their measurements.
 *
 * <p>Plans are made once (their shapes, buffers and spills do not depend on the fitted constants) and re-priced
 * by {@link CostModel} for every trial, so a fit takes well under a second.
 */
public final class Calibration {
    private Calibration() { }

    /** The fitted constants: matmul/elementwise/reduction efficiency, evaluation overhead, bandwidth share. */
    public record Params(double matmul, double elementwise, double reduction, double evaluationMs, double bandwidth) {
        double[] array() { return new double[]{matmul, elementwise, reduction, evaluationMs, bandwidth}; }

        static Params of(double[] v) { return new Params(v[0], v[1], v[2], v[3], v[4]); }
    }

    /** Parameter names in {@link Params} order, as chips.json spells them. */
    public static final List<String> PARAM_NAMES = List.of("matmul_efficiency", "elementwise_efficiency",
            "reduction_efficiency", "evaluation_overhead_ms", "bandwidth_utilization");
    /**
     * Bounds: efficiencies in (0, 1]; the evaluation overhead within the 0.093-0.246 ms reverse engineering
     * measured per ANE evaluation (maderix/ANE docs/ANE_INTERNALS.md); the ANE's share of SoC bandwidth between
     * the lowest and highest share anemll-bench measured on any chip (0.14 on M1 Max, 0.89 on M1).
     */
    static final double[] LOWER = {1e-3, 1e-4, 1e-4, 0.093, 0.14};
    static final double[] UPPER = {1.0, 1.0, 1.0, 0.246, 0.89};

    /** Row 1's measured latency, ms. */
    public static final double ROW1_MS = 3.47;
    /** Row 1's power, W ("3.47 ms at 0.454 W", Apple ML research article): 1.58 mJ per forward. */
    public static final double ROW1_WATTS = 0.454;
    /** anemll-bench's llama_lm_head weights: 1050.67 MB FP16 = 128256 × 4096 × 2 bytes (Results.MD). */
    public static final long LM_HEAD_BYTES = 128256L * 4096 * 2;

    /** distilbert-base-uncased's config.json (the fields the graph reads). */
    static final String DISTILBERT_BASE = """
            {"model_type": "distilbert", "architectures": ["DistilBertModel"], "dim": 768, "n_layers": 6, "n_heads": 12,
             "hidden_dim": 3072, "vocab_size": 30522, "max_position_embeddings": 512, "activation": "gelu",
              "pad_token_id": 0}""";

    /** openai/whisper-{tiny, base, small, medium}: d_model, layers, heads, FFN as published (80 mels, 1500 frames). */
    static String whisper(int dModel, int layers, int heads) {
        return """
                {"model_type": "whisper", "architectures": ["WhisperForConditionalGeneration"], "d_model": %d,
                 "encoder_layers": %d, "decoder_layers": %d, "encoder_attention_heads": %d,
                 "decoder_attention_heads": %d, "encoder_ffn_dim": %d, "decoder_ffn_dim": %d, "vocab_size": 51865,
                 "num_mel_bins": 80, "max_source_positions": 1500, "max_target_positions": 448,
                 "activation_function": "gelu"}"""
                .formatted(dModel, layers, layers, heads, heads, 4 * dModel, 4 * dModel);
    }

    /**
     * anemll-bench's {@code llama_lm_head}: hidden 4096 (its models/meta.yalm) and a 128256-token vocabulary
     * (Llama 3; derived: Results.MD gives the FP16 model as 1050.67 MB = 128256 × 4096 × 2 bytes), one token.
     * Only the lm_head op of this Llama graph is planned.
     */
    static final String LLAMA_LM_HEAD = """
            {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 4096, "num_hidden_layers": 1,
             "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 128256,
             "max_position_embeddings": 8192, "rope_theta": 500000.0, "tie_word_embeddings": false}""";

    static ModelGraph builtIn(String json, String name) {
        try {
            var node = new ObjectMapper().readTree(json);
            return Architectures.graph(Architectures.parseConfig(node, Path.of(name + " (built-in config)")),
                    Architectures.GraphOptions.CONFIG_ONLY);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The encoder of an encoder-decoder graph: every op that does not read the decoder's token ids. */
    public static ModelGraph encoderOnly(ModelGraph g) {
        Set<String> enc = g.tokenIndependentValues();
        return g.withOps(g.ops().stream().filter(op -> enc.contains(op.output())).toList());
    }

    /** The lm_head projection alone (rows 6). */
    static ModelGraph lmHeadOnly(ModelGraph g) {
        return g.withOps(g.ops().stream().filter(op -> op.output().equals("logits")).toList());
    }

    /** Apple's ANE-optimized distilbert: (B, C, 1, S), per-head attention, FP16, no quantization, no chunking. */
    public static final Conversion APPLE_OPTIMIZED = new Conversion(Conversion.Layout.BC1S, Conversion.Precision.FP16,
            false, 128,
            false, List.of(), Map.of(), 0, 0);
    /** whisper.cpp's Core ML encoder (PR #566): the PyTorch model converted as is, (B, S, C), FP16. */
    public static final Conversion WHISPER_CPP = new Conversion(Conversion.Layout.HF, Conversion.Precision.FP16, false,
            128, false, List.of(), Map.of(), 0, 0);

    public static ModelGraph distilbertBase() {
        return builtIn(DISTILBERT_BASE, "distilbert-base-uncased");
    }

    /** Whether a row is fitted on, left out of the fit, or derived from other rows (ratios, memory, energy). */
    public enum Role {
        FIT("in fit"), LEFT_OUT("left out"), DERIVED("derived");
        private final String label;
        Role(String label) { this.label = label; }
        public String label() { return label; }
    }

    /**
     * One row: what was measured, what we estimate with the fitted constants, and for a fit row the estimate
     * when the fit did not see it (leave-one-out). Errors are estimate / measured − 1.
     */
    public record Row(String id, String workload, String chip, String measuredText, double measured, double estimate,
                      String unit, String source, Role role, double looEstimate, String note) {
        public double error() { return estimate / measured - 1; }

        /** Leave-one-out error; NaN for rows that are not fitted on. */
        public double looError() { return looEstimate / measured - 1; }

        public boolean plannable() { return Double.isFinite(estimate); }
    }

    /** The whole table with the parameters it was made with. */
    public record Table(Params params, List<Row> rows, double fitRms) {
        public Row row(String id) {
            for (Row r : rows) if (r.id().equals(id)) return r;
            throw new IllegalArgumentException("no calibration row " + id);
        }

        public List<Row> fitRows() { return rows.stream().filter(r -> r.role() == Role.FIT).toList(); }

        /** Median of |leave-one-out error| over the fit rows. */
        public double looMedianAbsError() {
            double[] e = fitRows().stream().mapToDouble(r -> Math.abs(r.looError())).sorted().toArray();
            return e.length % 2 == 1 ? e[e.length / 2] : (e[e.length / 2 - 1] + e[e.length / 2]) / 2;
        }
    }

    /** How a row turns a priced plan into the measured quantity. */
    private interface Probe {
        /** The estimate with these profiles; {@code withhold} drops the chip's measured ANE bandwidth. */
        double estimate(ChipProfiles profiles, boolean withhold);
    }

    /** The chip as published: a user's calibration on their own device does not belong in this table. */
    private static ChipProfile priced(ChipProfiles p, String name, boolean withhold) {
        ChipProfile c = p.get(name).withCalibration(null);
        return withhold ? c.withoutAneBandwidth() : c;
    }

    private record Latency(PlanTotals plan, String chip) implements Probe {
        public double estimate(ChipProfiles p, boolean withhold) { return plan.latencyMs(priced(p, chip, withhold)); }
    }

    /** anemll-bench's bandwidth: model bytes / latency, in GB/s (its _calculate_throughput). */
    private record Bandwidth(PlanTotals plan, String chip) implements Probe {
        public double estimate(ChipProfiles p, boolean withhold) {
            return LM_HEAD_BYTES / 1e9 / (plan.latencyMs(priced(p, chip, withhold)) / 1e3);
        }
    }

    private record Ratio(Probe num, Probe den) implements Probe {
        public double estimate(ChipProfiles p, boolean withhold) {
            return num.estimate(p, withhold) / den.estimate(p, withhold);
        }
    }

    private record Fixed(double value) implements Probe {
        public double estimate(ChipProfiles p, boolean withhold) { return value; }
    }

    private record Spec(String id, String workload, String chip, String measuredText, double measured, String unit,
                        String source, Role role, Probe probe, String note) { }

    private static final String APPLE = "apple/ml-ane-transformers README; Apple ML research 'Deploying Transformers "
            + "on the Apple Neural Engine'";
    private static final String WHISPER = "whisper.cpp PR #566 (M1 Pro, macOS 13.2.1, Core ML encoder, 'Encode [ms]')";
    private static final String ANEMLL = "anemll-bench Results.MD (llama_lm_head, 1050.67 MB FP16)";

    /** The rows with their plans (made once from {@code profiles}: shapes and buffers only). */
    private static List<Spec> specs(ChipProfiles profiles) {
        ChipProfile a15 = profiles.get("A15");
        ModelGraph db = distilbertBase();
        PlanResult r1 = AnePlanner.plan(db, APPLE_OPTIMIZED, a15, 1, 128, null);
        PlanResult r3 = AnePlanner.plan(db, APPLE_OPTIMIZED, a15, 1, 512, null);
        PlanResult r4 = AnePlanner.plan(db, APPLE_OPTIMIZED, a15, 8, 512, null);
        Probe p1 = new Latency(r1.optimized(), "A15"), p2 = new Latency(r1.baseline(), "A15");
        Probe p3o = new Latency(r3.optimized(), "A15"), p3b = new Latency(r3.baseline(), "A15");
        Probe p4o = new Latency(r4.optimized(), "A15"), p4b = new Latency(r4.baseline(), "A15");
        List<Spec> s = new ArrayList<>();
        String a = "A15";
        s.add(new Spec("1", "distilbert-base seq 128 batch 1, ANE-optimized", a, "3.47 ms", ROW1_MS, "ms", APPLE,
                Role.FIT, p1, "Xcode report 3.48 ms"));
        s.add(new Spec("2", "same, baseline HF layout", a, "9.89 ms", 9.89, "ms", APPLE, Role.FIT, p2, ""));
        s.add(new Spec("3o", "distilbert seq 512 batch 1, optimized", a, "~20 ms", 20, "ms", APPLE, Role.FIT, p3o,
                "read off a log chart, +-15%"));
        s.add(new Spec("3b", "distilbert seq 512 batch 1, baseline", a, "~170 ms", 170, "ms", APPLE, Role.FIT, p3b,
                "read off a log chart, +-15%"));
        s.add(new Spec("4o", "distilbert seq 512 batch 8, optimized", a, "~180 ms", 180, "ms", APPLE, Role.FIT, p4o,
                "read off a log chart, +-15%"));
        s.add(new Spec("4b", "distilbert seq 512 batch 8, baseline", a, "~1680 ms", 1680, "ms", APPLE, Role.FIT, p4b,
                "read off a log chart, +-15%"));
        // whisper.cpp converts the PyTorch encoder as is: HF layout, FP16, the scores' natural last axis.
        String w = "HF layout FP16 (whisper.cpp's convert-whisper-to-coreml.py without --optimize-ane), 1500 frames";
        int[][] sizes = {{384, 4, 6}, {512, 6, 8}, {768, 12, 12}, {1024, 24, 16}};
        String[] names = {"tiny", "base", "small", "medium"}, ids = {"5t", "5b", "5s", "5m"};
        double[] ms = {30, 64, 208, 1033};
        for (int i = 0; i < 4; i++) {
            String config = whisper(sizes[i][0], sizes[i][1], sizes[i][2]);
            ModelGraph enc = encoderOnly(builtIn(config, "whisper-" + names[i]));
            PlanTotals t = AnePlanner.plan(enc, WHISPER_CPP, profiles.get("M1 Pro"), 1, 1, null).optimized();
            s.add(new Spec(ids[i], "whisper " + names[i] + " encoder, one 30 s window", "M1 Pro", fmt(ms[i]) + " ms",
                    ms[i], "ms", WHISPER, i < 2 ? Role.FIT : Role.LEFT_OUT, new Latency(t, "M1 Pro"), w));
        }
        // anemll converts for the ANE ((B, C, 1, S), FP16); one token through the 4096 x 128256 lm_head.
        ModelGraph head = lmHeadOnly(builtIn(LLAMA_LM_HEAD, "llama lm_head"));
        String h = "lm_head 4096 -> 128256 BC1S FP16, 1 token";
        Object[][] heads = {{"M1", 60.87, true}, {"M2", 60.45, true}, {"M4", 64.18, true}, {"M1 Pro", 54.90, false},
                {"M1 Max", 54.62, false}, {"M3", 63.10, false}, {"M3 Max", 120.22, false}, {"M4 Pro", 126.36, false},
                {"M4 Max", 118.88, false}, {"M5", 70.21, false}};
        for (Object[] x : heads) {
            String c = (String) x[0];
            boolean fit = (Boolean) x[2];
            PlanTotals t = AnePlanner.plan(head, APPLE_OPTIMIZED, profiles.get(c), 1, 1, null).optimized();
            Probe p = new Bandwidth(t, c);
            // A left-out chip is predicted as if never measured: its own figure is that very measurement.
            if (!fit) p = withheld(p);
            s.add(new Spec("6" + c.toLowerCase(Locale.ROOT).replace(" ", ""), "llama_lm_head achieved bandwidth", c,
                    fmt((Double) x[1]) + " GB/s", (Double) x[1], "GB/s", ANEMLL, fit ? Role.FIT : Role.LEFT_OUT, p,
                    fit ? h : h + "; predicted without this chip's measured ANE bandwidth (SoC x share)"));
        }
        s.add(new Spec("1e", "row 1 energy per forward (0.454 W x 3.47 ms)", a, "1.58 mJ", ROW1_WATTS * ROW1_MS, "mJ",
                "Apple ML research article", Role.DERIVED, new Fixed(r1.optimized().energyMj()),
                "energy constants are E estimates"));
        s.add(new Spec("2r", "row 2 / row 1 latency ratio", a, "2.85x", 9.89 / ROW1_MS, "x", APPLE, Role.DERIVED,
                new Ratio(p2, p1), ""));
        s.add(new Spec("3r", "row 3 latency ratio baseline/optimized", a, "8.5x", 170.0 / 20, "x", APPLE, Role.DERIVED,
                new Ratio(p3b, p3o), ""));
        s.add(new Spec("4r", "row 4 latency ratio", a, "9.3x", 1680.0 / 180, "x", APPLE, Role.DERIVED,
                new Ratio(p4b, p4o), ""));
        s.add(memory("3mb", "row 3 baseline peak memory", "~370 MB", 370, r3.baseline(),
                "measured = app peak memory; estimate = weights + live DRAM tensors"));
        s.add(memory("3mo", "row 3 optimized peak memory", "~98 MB", 98, r3.optimized(), ""));
        s.add(new Spec("3mr", "row 3 memory ratio", a, "3.8x", 370.0 / 98, "x", APPLE, Role.DERIVED,
                new Fixed(r3.memoryReduction()), ""));
        s.add(memory("4mb", "row 4 baseline peak memory", "~2150 MB", 2150, r4.baseline(), ""));
        s.add(memory("4mo", "row 4 optimized peak memory", "~153 MB", 153, r4.optimized(), ""));
        s.add(new Spec("4mr", "row 4 memory ratio", a, "14x", 2150.0 / 153, "x", APPLE, Role.DERIVED,
                new Fixed(r4.memoryReduction()), ""));
        return s;
    }

    private static Probe withheld(Probe p) {
        return (profiles, withhold) -> p.estimate(profiles, true);
    }

    private static Spec memory(String id, String what, String text, double mb, PlanTotals t, String note) {
        return new Spec(id, what, "A15", text, mb, "MB", APPLE, Role.DERIVED, new Fixed(t.peakDramBytes() / 1e6), note);
    }

    /** Fits the parameters on the fit rows, then makes every row with them and every leave-one-out refit. */
    public static Table table(ChipProfiles profiles) {
        List<Spec> specs = specs(profiles);
        List<Spec> fit = specs.stream().filter(s -> s.role() == Role.FIT).toList();
        Params start = profiles.constants().params();
        Params best = fit(profiles, fit, start, null);
        ChipProfiles fitted = profiles.withConstants(profiles.constants().withParams(best, "fit"));
        List<Row> rows = new ArrayList<>();
        for (Spec s : specs) {
            double est = s.probe().estimate(fitted, false), loo = Double.NaN;
            if (s.role() == Role.FIT) {
                Params p = fit(profiles, fit, best, s);
                ChipProfiles refit = profiles.withConstants(profiles.constants().withParams(p, "leave-one-out"));
                loo = s.probe().estimate(refit, s.unit().equals("GB/s"));
            }
            rows.add(new Row(s.id(), s.workload(), s.chip(), s.measuredText(), s.measured(), est, s.unit(), s.source(),
                    s.role(), loo, s.note()));
        }
        return new Table(best, rows, Math.sqrt(objective(profiles, fit, best, null) / fit.size()));
    }

    /** The bundled constants' table without refitting: what the planner uses now (tests compare the two). */
    public static List<Row> rows(ChipProfiles profiles) {
        List<Row> rows = new ArrayList<>();
        for (Spec s : specs(profiles)) {
            double est = s.probe().estimate(profiles, false);
            rows.add(new Row(s.id(), s.workload(), s.chip(), s.measuredText(), s.measured(), est, s.unit(), s.source(),
                    s.role(), Double.NaN, s.note()));
        }
        return rows;
    }

    /** The parameters that minimize the fit rows' squared log error (without {@code leftOut}, when given). */
    public static Params fit(ChipProfiles profiles) {
        List<Spec> fit = specs(profiles).stream().filter(s -> s.role() == Role.FIT).toList();
        return fit(profiles, fit, profiles.constants().params(), null);
    }

    private static double objective(ChipProfiles profiles, List<Spec> rows, Params p, Spec leftOut) {
        ChipProfiles trial = profiles.withConstants(profiles.constants().withParams(p, "trial"));
        double sum = 0;
        for (Spec s : rows) {
            if (s == leftOut) continue;
            double r = Math.log(s.probe().estimate(trial, false) / s.measured());
            sum += r * r;
        }
        return sum;
    }

    /**
     * Nelder-Mead on the logits of the bounded parameters (each maps (lower, upper) to the real line), restarted
     * from its own result until it stops improving: deterministic, and a few thousand cheap re-pricings.
     */
    private static Params fit(ChipProfiles profiles, List<Spec> rows, Params start, Spec leftOut) {
        ToDoubleFunction<double[]> f = z -> objective(profiles, rows, fromLogits(z), leftOut);
        double[] x = toLogits(start.array());
        double fx = f.applyAsDouble(x);
        for (int restart = 0; restart < 8; restart++) {
            double[] y = nelderMead(f, x, 0.8, 600);
            double fy = f.applyAsDouble(y);
            if (fy >= fx - 1e-12) break;
            x = y;
            fx = fy;
        }
        return fromLogits(x);
    }

    private static double[] toLogits(double[] v) {
        double[] z = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            double t = (Math.clamp(v[i], LOWER[i], UPPER[i]) - LOWER[i]) / (UPPER[i] - LOWER[i]);
            t = Math.clamp(t, 1e-9, 1 - 1e-9);
            z[i] = Math.log(t / (1 - t));
        }
        return z;
    }

    private static Params fromLogits(double[] z) {
        double[] v = new double[z.length];
        for (int i = 0; i < z.length; i++) v[i] = LOWER[i] + (UPPER[i] - LOWER[i]) / (1 + Math.exp(-z[i]));
        return Params.of(v);
    }

    static double[] nelderMead(ToDoubleFunction<double[]> f, double[] x0, double step, int iterations) {
        int n = x0.length;
        double[][] p = new double[n + 1][];
        double[] fv = new double[n + 1];
        p[0] = x0.clone();
        for (int i = 0; i < n; i++) {
            p[i + 1] = x0.clone();
            p[i + 1][i] += step;
        }
        for (int i = 0; i <= n; i++) fv[i] = f.applyAsDouble(p[i]);
        for (int it = 0; it < iterations; it++) {
            Integer[] order = new Integer[n + 1];
            for (int i = 0; i <= n; i++) order[i] = i;
            final double[] fvf = fv;
            Arrays.sort(order, (a, b) -> Double.compare(fvf[a], fvf[b]));
            double[][] ps = new double[n + 1][];
            double[] fs = new double[n + 1];
            for (int i = 0; i <= n; i++) { ps[i] = p[order[i]]; fs[i] = fv[order[i]]; }
            p = ps;
            fv = fs;
            if (fv[n] - fv[0] < 1e-14) break;
            double[] c = new double[n];
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) c[j] += p[i][j] / n;
            double[] r = along(c, p[n], -1);
            double fr = f.applyAsDouble(r);
            if (fr < fv[0]) {
                double[] e = along(c, p[n], -2);
                double fe = f.applyAsDouble(e);
                if (fe < fr) { p[n] = e; fv[n] = fe; } else { p[n] = r; fv[n] = fr; }
            } else if (fr < fv[n - 1]) {
                p[n] = r;
                fv[n] = fr;
            } else {
                double[] k = along(c, p[n], fr < fv[n] ? -0.5 : 0.5);
                double fk = f.applyAsDouble(k);
                if (fk < Math.min(fr, fv[n])) {
                    p[n] = k;
                    fv[n] = fk;
                } else {
                    for (int i = 1; i <= n; i++) {
                        p[i] = along(p[0], p[i], 0.5);
                        fv[i] = f.applyAsDouble(p[i]);
                    }
                }
            }
        }
        int best = 0;
        for (int i = 1; i <= n; i++) if (fv[i] < fv[best]) best = i;
        return p[best];
    }

    /** c + t·(x − c). */
    private static double[] along(double[] c, double[] x, double t) {
        double[] y = new double[c.length];
        for (int i = 0; i < c.length; i++) y[i] = c[i] + t * (x[i] - c[i]);
        return y;
    }

    /**
     * Calibrates {@code chip} on the user's measured median latency of one workload: the factor s on every
     * throughput (compute and DRAM) that makes the estimate equal {@code measuredMs}, by bisection on ln s
     * (latency falls as s rises; the fixed per-op and per-evaluation overheads do not scale).
     */
    public static DeviceCalibration calibrateOnMeasurement(ModelGraph graph, Conversion conv, ChipProfile chip,
                                                           int batch, int seq, PlanOptions options, double measuredMs,
                                                           String workload) {
        if (!(measuredMs > 0) || Double.isInfinite(measuredMs)) {
            throw AnewbException.usage("--measured must be a positive latency in ms, got " + measuredMs);
        }
        ChipProfile base = chip.withCalibration(null);
        PlanTotals plan = AnePlanner.plan(graph, conv, base, batch, seq, null, Phase.PREFILL, options).optimized();
        double before = plan.latencyMs(base);
        ToDoubleFunction<Double> at = s -> plan.latencyMs(base.withCalibration(
                new DeviceCalibration(s, "", "", 1, 1, 1)));
        double lo = Math.log(1e-4), hi = Math.log(1e4);
        double fastest = at.applyAsDouble(Math.exp(hi));
        if (measuredMs <= fastest) {
            throw AnewbException.usage(String.format(Locale.ROOT, "--measured %.3f ms is below the %.3f ms of fixed "
                    + "overheads the plan of %s has (per-op and per-evaluation dispatch): check the measurement and "
                    + "the sequence length, batch and conversion it was made with", measuredMs, fastest, workload));
        }
        if (measuredMs >= at.applyAsDouble(Math.exp(lo))) {
            throw AnewbException.usage("--measured " + measuredMs + " ms is more than 10000x slower than the estimate: "
                    + "check the measurement's unit (ms) and workload");
        }
        for (int i = 0; i < 100; i++) {
            double mid = (lo + hi) / 2;
            if (at.applyAsDouble(Math.exp(mid)) > measuredMs) lo = mid; else hi = mid;
        }
        double s = Math.exp((lo + hi) / 2);
        String basedOn = chip.calibration() != null ? chip.calibration().basedOn() : chip.name();
        return new DeviceCalibration(s, basedOn, workload, measuredMs, at.applyAsDouble(s), before);
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}

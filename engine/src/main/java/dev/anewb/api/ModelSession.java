package dev.anewb.api;

import dev.anewb.AnewbException;
import dev.anewb.convert.AnePackage;
import dev.anewb.convert.Converter;
import dev.anewb.drift.DriftAnalysis;
import dev.anewb.drift.TapMetrics;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.SafetensorsFile;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.model.LayerRange;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.ModelRef;
import dev.anewb.model.TensorData;
import dev.anewb.model.WeightSource;
import dev.anewb.runtime.Activation;
import dev.anewb.runtime.Executor;
import dev.anewb.runtime.PreparedWeights;
import dev.anewb.runtime.RunResult;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A loaded model and everything that runs it: the one owner of its executors (the model's own, and those of the most
 * recently used conversions), of the projection weights they share ({@link PreparedWeights}), and of the FP32
 * reference runs per input. The CLI, the app and Java users reach the engine through it:
 * <pre>{@code
 * try (ModelSession s = ModelSession.open("bundled:all-MiniLM-L6-v2", JobContext.NONE)) {
 *     ConvertedModel m = s.convert(Conversion.ANE_DEFAULT.withInt8(true, 64, false));
 *     DriftReport d = m.drift(List.of("The neural engine runs transformers."), true, JobContext.NONE);
 *     m.writePackage(Path.of("minilm.anepkg"), false, null, JobContext.NONE);
 * }
 * }</pre>
 * Safe for use from several threads (the app's areas measure concurrently).
 */
public final class ModelSession implements DriftAnalysis.Runs, AutoCloseable {
    /** Conversions whose graph and executor stay ready: a slider's last few positions and drift's per-cause runs. */
    static final int CONVERSIONS_KEPT = 6;
    /** Inputs whose FP32 reference run stays cached. */
    static final int REFERENCES_KEPT = 4;
    /** Converted runs kept (conversion, range, input): drift by cause re-runs only the causes a change touched. */
    static final int RUNS_KEPT = 8;
    /** Prepared weight bytes the kept executors may hold together: half the heap, the rest for runs and the app. */
    private volatile long preparedBudget = Runtime.getRuntime().maxMemory() / 2;

    private final LoadedModel model;
    private final boolean ownsModel;
    private final PreparedWeights prepared;
    private final Map<Conversion, ConvertedModel> conversions = recentlyUsed(CONVERSIONS_KEPT);
    private final Map<RunKey, Executor> executors = recentlyUsed(CONVERSIONS_KEPT);
    private final Map<InputKey, RunResult> references = recentlyUsed(REFERENCES_KEPT);
    private final Map<RunOnInput, RunResult> runs = recentlyUsed(RUNS_KEPT);
    private Executor own;
    /** The input W8A8 conversions are calibrated on; null: the built-in sample input. Guarded by conversions. */
    private Batch calibrationSample;
    /** The calibration run's ranges, the same for every conversion ({@link ActivationRanges}); guarded likewise. */
    private ActivationRanges ranges;

    private ModelSession(LoadedModel model, boolean ownsModel) {
        this.model = model;
        this.ownsModel = ownsModel;
        // decided once from the whole model, so every conversion and every range of it prepares weights alike
        this.prepared = PreparedWeights.of(model.graph());
    }

    /** Loads {@code model} (folder, config.json, Hub id, .anepkg, bundled); closing the session closes it. */
    public static ModelSession open(String model, JobContext ctx) {
        return new ModelSession(ModelLoader.load(model, ctx), true);
    }

    /** Loads a model, or only its config (planning) when {@code withWeights} is false. */
    public static ModelSession open(ModelRef ref, boolean withWeights, JobContext ctx) {
        return new ModelSession(ModelLoader.load(ref, ctx, withWeights), true);
    }

    /** A session over a model someone else loaded and closes. */
    public static ModelSession of(LoadedModel model) {
        return new ModelSession(model, false);
    }

    /** A session over a graph and weights someone else opened and closes (tests, benchmarks): no tokenizer, no files.
     *
     */
    public static ModelSession of(ModelGraph original, WeightSource weights) {
        Path origin = weights.origin().toAbsolutePath();
        Path folder = Files.isDirectory(origin) || origin.getParent() == null ? origin : origin.getParent();
        return new ModelSession(new LoadedModel(null, String.valueOf(origin.getFileName()), folder, original.config(),
                original,
                weights, null, List.of()), false);
    }

    public LoadedModel model() { return model; }

    /** The unconverted graph (of a package: the graph it was converted from is not kept; see {@link #convert}). */
    @Override public ModelGraph original() { return model.graph(); }

    /**
     * The model converted with {@code c}, kept with the last few. A package is converted already: it takes only
     * {@link Conversion#ORIGINAL}, which gives the package as it is. INT8 activations are calibrated here, on the
     * {@linkplain #calibrateOn calibration sample}: the first such conversion runs the FP32 original on it once.
     */
    public ConvertedModel convert(Conversion c) {
        if (model.isPackage() && !c.isOriginal()) {
            throw AnewbException.usage(model.displayName()
                    + " is already converted; conversion options apply to a source model");
        }
        synchronized (conversions) {
            ConvertedModel m = conversions.get(c);
            if (m == null) {
                Converter.Result r = model.isPackage() || c.isOriginal()
                        ? new Converter.Result(model.graph(), List.of()) : Converter.convert(model.graph(), c);
                // what loading warned about (weights the graph does not use), then the conversion's own warnings
                List<String> warnings = new ArrayList<>(model.warnings());
                warnings.addAll(r.warnings());
                m = new ConvertedModel(this, c, calibrated(r.graph()), List.copyOf(warnings));
                conversions.put(c, m);
            }
            return m;
        }
    }

    /** {@code g} with its INT8 input scales written, when it has INT8 inputs. Holds conversions. */
    private ModelGraph calibrated(ModelGraph g) {
        if (!Converter.needsCalibration(g)) return g;
        if (ranges == null) {
            if (calibrationSample == null) calibrationSample = convert(Conversion.ORIGINAL).sampleInput();
            ranges = ActivationRanges.measure(executor(), calibrationSample, JobContext.NONE);
            synchronized (references) {
                references.put(new InputKey(calibrationSample, null), ranges.run());
            }
        }
        return Converter.calibrate(g, ranges.scales(g));
    }

    /**
     * Calibrates INT8 activations on {@code sample} from now on (default: the built-in sample input of
     * {@link ConvertedModel#sampleInput()}): conversions with INT8 activations made before are dropped, and
     * {@code keep} (one of them, or null) is recalibrated in place, so a caller holding it sees the new scales.
     */
    public void calibrateOn(Batch sample, ConvertedModel keep) {
        synchronized (conversions) {
            boolean same = calibrationSample != null && calibrationSample.sameContent(sample);
            if (!same) {
                calibrationSample = sample;
                ranges = null;
                conversions.values().removeIf(m -> m.conversion().quantizesActivations());
                synchronized (executors) {
                    executors.keySet().removeIf(k -> k.conversion().quantizesActivations());
                }
            }
            // a model dropped by an earlier recalibration is calibrated again too
            boolean stale = keep != null && conversions.get(keep.conversion()) != keep;
            if (keep != null && keep.conversion().quantizesActivations() && (!same || stale)) {
                keep.recalibrated(calibrated(Converter.convert(model.graph(), keep.conversion()).graph()));
                conversions.put(keep.conversion(), keep);
            }
        }
    }

    /** The executor of {@code c}'s graph ({@link Conversion#ORIGINAL}: the model's own graph). */
    @Override public Executor executor(Conversion c) {
        return executor(c, null);
    }

    /**
     * The executor of {@code c}'s graph, of the blocks of {@code range} only when it is not null (a model too large to
     * convert whole is measured a range at a time: only that range's weights are prepared).
     */
    @Override public Executor executor(Conversion c, LayerRange range) {
        if (c.isOriginal() && range == null) return executor();
        ModelGraph full = convert(c).graph();
        ModelGraph g = range == null ? full : full.layers(range.from(), range.to());
        RunKey key = new RunKey(c, range);
        synchronized (executors) {
            Executor e = executors.get(key);
            if (e == null) {
                e = new Executor(g, model.weights(), prepared);
                executors.put(key, e);
                keepWithinBudget(key);
            }
            return e;
        }
    }

    /**
     * Drops the least recently used executors while the weights they prepared exceed {@link #preparedBudget}: a 1B
     * model's INT8 codes take 1.2 GB per block size, and six of them do not fit a default heap. The executor just made
     * is kept (it has prepared nothing yet; it is counted from the next one on). Shared weights count once per
     * executor, so the bound errs on the side of the heap.
     */
    private void keepWithinBudget(RunKey keep) {
        long total = 0;
        for (Executor x : executors.values()) total += x.preparedWeightBytes();
        Iterator<Map.Entry<RunKey, Executor>> eldestFirst = executors.entrySet().iterator();
        while (total > preparedBudget && eldestFirst.hasNext()) {
            Map.Entry<RunKey, Executor> e = eldestFirst.next();
            if (e.getKey().equals(keep)) continue;
            total -= e.getValue().preparedWeightBytes();
            eldestFirst.remove();
        }
    }

    /** Sets the budget of {@link #keepWithinBudget} (tests). */
    void preparedBudget(long bytes) { preparedBudget = bytes; }

    /** The executor of the model's own graph: the original's, or a package's converted one. */
    public synchronized Executor executor() {
        if (own == null) own = new Executor(model.graph(), model.weights(), prepared);
        return own;
    }

    /** The FP32 original's taps for this input, computed once per input (compared by content). */
    @Override public RunResult reference(Batch input, JobContext ctx) {
        return reference(input, null, ctx);
    }

    /** The taps of {@code c}'s graph on {@code input}, kept with the last few (the same input compared by content). */
    @Override public RunResult run(Conversion c, LayerRange range, Batch input, JobContext ctx) {
        RunOnInput key = new RunOnInput(new RunKey(c, range), new InputKey(input, null));
        synchronized (runs) {
            RunResult r = runs.get(key);
            if (r != null) return r;
        }
        RunResult r = executor(c, range).run(input, ctx);
        synchronized (runs) {
            runs.put(key, r);
        }
        return r;
    }

    /** The same for blocks {@code 0..prefix.to()} only (null: the whole model). */
    @Override public RunResult reference(Batch input, LayerRange prefix, JobContext ctx) {
        InputKey key = new InputKey(input, prefix);
        synchronized (references) {
            RunResult r = references.get(key);
            if (r != null) return r;
        }
        RunResult r = executor(Conversion.ORIGINAL, prefix).run(input, ctx);
        synchronized (references) {
            references.put(key, r);
        }
        return r;
    }

    /**
     * Runs a package on its manifest's sample input and measures drift against its stored FP32 reference: the
     * numbers must reproduce the manifest's, since the package runs the very weights it was measured with.
     */
    public List<TapMetrics> recheckPackage(JobContext ctx) {
        if (!model.isPackage()) throw new IllegalArgumentException("not a package");
        Batch sample = AnePackage.sampleInput(model.folder(), model.manifest());
        RunResult out = executor().run(sample, ctx);
        List<TapMetrics> taps = new ArrayList<>();
        try (SafetensorsFile ref = AnePackage.openReference(model.folder())) {
            for (String tap : ref.names()) {
                TensorData t = ref.get(tap);
                Activation a = new Activation(t.dim(0), t.dim(1), t.dim(2), t.toFloatArray());
                taps.add(TapMetrics.of(tap, a, out.tap(tap), sample));
            }
        }
        Map<String, Integer> order = new HashMap<>();
        int i = 0;
        for (String t : model.graph().taps().keySet()) order.put(t, i++);
        taps.sort(Comparator.comparingInt(t -> order.getOrDefault(t.name(), Integer.MAX_VALUE)));
        return taps;
    }

    @Override public void close() {
        if (ownsModel) model.close();
    }

    /** An input compared by content, so the same sample tokenized again finds its reference run. */
    private record InputKey(Batch input, LayerRange prefix) {
        @Override public boolean equals(Object o) {
            return o instanceof InputKey(Batch b, LayerRange p) && input.sameContent(b) && Objects.equals(prefix, p);
        }

        @Override public int hashCode() {
            return 31 * input.contentHash() + Objects.hashCode(prefix);
        }
    }

    private record RunKey(Conversion conversion, LayerRange range) { }

    private record RunOnInput(RunKey run, InputKey input) { }

    private static <K, V> Map<K, V> recentlyUsed(int kept) {
        return new LinkedHashMap<>(16, 0.75f, true) {
            @Override protected boolean removeEldestEntry(Map.Entry<K, V> eldest) { return size() > kept; }
        };
    }
}

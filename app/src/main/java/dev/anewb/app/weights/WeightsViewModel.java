package dev.anewb.app.weights;

import dev.anewb.api.ConvertedModel;
import dev.anewb.app.area.AreaViewModel;
import dev.anewb.app.jobs.LatestJobScheduler;
import dev.anewb.app.session.GraphNames;
import dev.anewb.app.session.Session;
import dev.anewb.job.Job;
import dev.anewb.model.WeightInfo;
import dev.anewb.model.WeightRole;
import dev.anewb.quant.BlockErrorMap;
import dev.anewb.quant.BlockQuantizer;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleObjectProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.util.Subscription;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * State of the Weights area: one projection weight quantized with the scheme the current conversion gives it,
 * its per-block error map ({@link BlockErrorMap}), a histogram of the block errors and the worst blocks.
 */
public final class WeightsViewModel extends AreaViewModel {
    public static final int HISTOGRAM_BINS = 24;
    public static final int WORST_BLOCKS = 25;

    /** Which per-block error the heatmap and histogram show. */
    public enum ErrorKind {
        MAX_ABS("max |w − w′|"), RMS("RMS (w − w′)");
        private final String label;
        ErrorKind(String label) { this.label = label; }
        @Override public String toString() { return label; }
    }

    /** One of the worst blocks. */
    public record BlockRow(int row, int block, float error, float scale, int zeroPoint) {
        public String errorText() { return String.format(Locale.ROOT, "%.2e", error); }
        public String scaleText() { return String.format(Locale.ROOT, "%.2e", scale); }
    }

    /** One histogram bar: blocks whose error lies in [from, to). */
    public record Bin(double from, double to, int count) {
        public String label() { return String.format(Locale.ROOT, "%.1e", to); }
    }

    /** The measured weight. */
    public record Analysis(String weight, int blockSize, boolean symmetric, BlockErrorMap map, long millis) { }

    /**
     * One projection weight of the model-wide table, named by the op that reads it (the naming of Drift, Memory and
     * the graph) with its file name beside it; errors are over all its blocks, NaN where it is not quantized.
     */
    public record WeightRow(String op, String weight, String shape, String scheme, float maxError, float rmsError) {
        public String maxText() { return Float.isNaN(maxError) ? "–" : String.format(Locale.ROOT, "%.2e", maxError); }
        public String rmsText() { return Float.isNaN(rmsError) ? "–" : String.format(Locale.ROOT, "%.2e", rmsError); }
    }

    private final LatestJobScheduler<Analysis> scheduler = scheduler("Quantize weight");
    private final ObservableList<String> weights = FXCollections.observableArrayList();
    private final ObjectProperty<String> selected = new SimpleObjectProperty<>(this, "selected");
    private final ObjectProperty<ErrorKind> kind = new SimpleObjectProperty<>(this, "kind", ErrorKind.MAX_ABS);
    private final ReadOnlyObjectWrapper<Analysis> analysis = new ReadOnlyObjectWrapper<>(this, "analysis");
    private final ObservableList<Bin> histogram = FXCollections.observableArrayList();
    private final ObservableList<BlockRow> worst = FXCollections.observableArrayList();
    private final ReadOnlyStringWrapper status = new ReadOnlyStringWrapper(this, "status", "");
    private final LatestJobScheduler<List<WeightRow>> tableScheduler = scheduler("Quantize every weight");
    private final ObservableList<WeightRow> rows = FXCollections.observableArrayList();
    private Map<String, String> opOfWeight = Map.of();

    public WeightsViewModel(Session session) {
        super(session, "Weights", "Per-block INT8 quantization error and scales of every projection weight.",
                List.of("Every projection weight with its largest and RMS block error", "Heatmaps of error and scale "
                        + "per block, with the block boundaries", "Histogram of block errors", "The worst blocks"),
                "Load a model to inspect its weights.");
        keep(Subscription.combine(
                session.modelProperty().subscribe(m -> {
                    List<String> names = m == null ? List.of() : m.graph().weights().values().stream()
                            .filter(w -> w.role() == WeightRole.PROJECTION).map(WeightInfo::name).toList();
                    opOfWeight = m == null ? Map.of() : GraphNames.opOfWeight(m.graph());
                    weights.setAll(names);
                    if (selected.get() == null || !names.contains(selected.get())) {
                        selected.set(names.isEmpty() ? null : names.getFirst());
                    }
                }),
                selected.subscribe(s -> measure()),
                session.convertedProperty().subscribe(c -> {
                    measure();
                    measureAll();
                }),
                session.selectedOpProperty().subscribe(this::selectOp),
                kind.subscribe(k -> summarize()),
                analysis.subscribe(a -> summarize()),
                scheduler.computingProperty().subscribe(c -> updateStatus())));
    }

    private void measure() {
        ConvertedModel c = session().converted();
        String name = selected.get();
        // a new model's converted graph arrives before this area has its weight names
        if (c == null || name == null || !c.source().graph().weights().containsKey(name)) return;
        WeightInfo.Quant quant = c.graph().weights().get(name) == null ? null : c.graph().weights().get(name).quant();
        if (quant == null) {
            scheduler.cancel();
            analysis.set(null);
            status.set(name + " is not quantized in this conversion (INT8 off, or kept FP16 by an override).");
            return;
        }
        WeightInfo info = c.source().graph().weights().get(name);
        scheduler.request(() -> ctx -> {
            long t0 = System.nanoTime();
            BlockErrorMap map = BlockErrorMap.of(c.source().weights().get(name), info, BlockQuantizer.of(quant));
            return new Analysis(name, quant.blockSize(), quant.symmetric(), map, (System.nanoTime() - t0) / 1_000_000);
        }, analysis::set);
    }

    /** Every projection weight's block errors with the current conversion: the model-wide table. */
    private void measureAll() {
        ConvertedModel c = session().converted();
        if (c == null || !c.source().hasWeights()) {
            tableScheduler.cancel();
            rows.clear();
            return;
        }
        tableScheduler.request(() -> {
            // read when the job starts: the converted model and its own weights, never another model's names
            ConvertedModel now = session().converted();
            if (now == null || !now.source().hasWeights()) return null;
            Map<String, String> ops = GraphNames.opOfWeight(now.source().graph());
            List<String> names = now.source().graph().weights().values().stream()
                    .filter(w -> w.role() == WeightRole.PROJECTION).map(WeightInfo::name).toList();
            return measureAllJob(now, names, ops);
        }, rows::setAll);
    }

    private static Job<List<WeightRow>> measureAllJob(ConvertedModel c, List<String> names, Map<String, String> ops) {
        return ctx -> {
            List<WeightRow> out = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) {
                ctx.checkCancelled();
                ctx.progress((double) i / names.size(), names.get(i));
                out.add(row(c, names.get(i), ops.getOrDefault(names.get(i), "")));
            }
            return out;
        };
    }

    static WeightRow row(ConvertedModel c, String name, String op) {
        WeightInfo info = c.source().graph().weights().get(name);
        WeightInfo converted = c.graph().weights().get(name);
        WeightInfo.Quant quant = converted == null ? null : converted.quant();
        String shape = info.shape()[0] + " × " + info.shape()[1];
        if (quant == null) return new WeightRow(op, name, shape, "FP16 / FP32", Float.NaN, Float.NaN);
        BlockErrorMap map = BlockErrorMap.of(c.source().weights().get(name), info, BlockQuantizer.of(quant));
        float max = 0;
        double sq = 0;
        for (float v : map.maxAbs()) max = Math.max(max, v);
        for (float v : map.rms()) sq += (double) v * v;
        String scheme = (quant.blockSize() == BlockQuantizer.PER_CHANNEL ? "per-channel" : "block " + quant.blockSize())
                + (quant.symmetric() ? " sym" : "");
        return new WeightRow(op, name, shape, scheme, max, (float) Math.sqrt(sq / map.rms().length));
    }

    /** Another area chose an op: show its projection weight (the first one it reads). */
    private void selectOp(String op) {
        if (op == null) return;
        for (Map.Entry<String, String> e : opOfWeight.entrySet()) {
            if (e.getValue().equals(op) && weights.contains(e.getKey())) {
                selected.set(e.getKey());
                return;
            }
        }
    }

    /** The op that reads {@code weight} ("layers.0.q"), or "". */
    public String opOf(String weight) { return weight == null ? "" : opOfWeight.getOrDefault(weight, ""); }

    private void summarize() {
        Analysis a = analysis.get();
        if (a == null) {
            histogram.clear();
            worst.clear();
            updateStatus();
            return;
        }
        float[] e = errors(a);
        double max = 0;
        for (float v : e) max = Math.max(max, v);
        int[] counts = new int[HISTOGRAM_BINS];
        for (float v : e) counts[max == 0 ? 0 : Math.min(HISTOGRAM_BINS - 1, (int) (v / max * HISTOGRAM_BINS))]++;
        List<Bin> bins = new ArrayList<>();
        for (int i = 0; i < HISTOGRAM_BINS; i++) {
            bins.add(new Bin(max * i / HISTOGRAM_BINS, max * (i + 1) / HISTOGRAM_BINS, counts[i]));
        }
        histogram.setAll(bins);
        int blocks = a.map().blocksPerRow();
        var q = a.map().quantized();
        worst.setAll(IntStream.range(0, e.length).boxed().sorted(Comparator.comparingDouble(i -> -e[i]))
                .limit(WORST_BLOCKS)
                .map(i -> new BlockRow(i / blocks, i % blocks, e[i], q.scale(i / blocks, i % blocks),
                        q.zeroPoint(i / blocks, i % blocks)))
                .toList());
        updateStatus();
    }

    /** The shown per-block error, {@code [rows, blocksPerRow]} row-major. */
    public float[] errors(Analysis a) { return kind.get() == ErrorKind.RMS ? a.map().rms() : a.map().maxAbs(); }

    /** Per-block scales, {@code [rows, blocksPerRow]} row-major. */
    public static float[] scales(Analysis a) {
        var q = a.map().quantized();
        int blocks = q.blocksPerRow();
        float[] s = new float[q.rows() * blocks];
        for (int r = 0; r < q.rows(); r++) for (int b = 0; b < blocks; b++) s[r * blocks + b] = q.scale(r, b);
        return s;
    }

    private void updateStatus() {
        Analysis a = analysis.get();
        if (scheduler.isComputing()) {
            status.set("computing…");
        } else if (a != null) {
            String block = a.blockSize() == BlockQuantizer.PER_CHANNEL ? "per-channel" : "block " + a.blockSize();
            status.set(String.format(Locale.ROOT, "%s (%s) · %d rows × %d blocks · %s, %s · %d ms", opOf(a.weight()),
                    a.weight(),
                    a.map().rows(), a.map().blocksPerRow(), block, a.symmetric() ? "symmetric" : "asymmetric",
                    a.millis()));
        }
    }

    public ObservableList<String> weights() { return weights; }

    /** Every projection weight with its block errors under the current conversion (computed in the background). */
    public ObservableList<WeightRow> rows() { return rows; }

    public ObjectProperty<String> selectedProperty() { return selected; }

    public ObjectProperty<ErrorKind> kindProperty() { return kind; }

    public ReadOnlyObjectProperty<Analysis> analysisProperty() { return analysis.getReadOnlyProperty(); }

    public ObservableList<Bin> histogram() { return histogram; }

    public ObservableList<BlockRow> worst() { return worst; }

    public ReadOnlyStringProperty statusProperty() { return status.getReadOnlyProperty(); }
}

package dev.anewb.app.sweep;

import dev.anewb.AnewbException;
import dev.anewb.ane.AnePlanner;
import dev.anewb.ane.ChipProfile;
import dev.anewb.ane.PlanTotals;
import dev.anewb.api.ConvertedModel;
import dev.anewb.app.area.AreaViewModel;
import dev.anewb.app.jobs.LatestJobScheduler;
import dev.anewb.app.session.ConversionNames;
import dev.anewb.app.session.MeasuredLayers;
import dev.anewb.app.session.PlanLength;
import dev.anewb.app.session.SampleInput;
import dev.anewb.app.session.Session;
import dev.anewb.app.ui.Numbers;
import dev.anewb.drift.DriftReport;
import dev.anewb.job.Job;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.model.LayerRange;
import dev.anewb.model.ModelGraph;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleObjectProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.util.Subscription;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;

/**
 * State of the Sweep area: the current configuration at every block size of {@link #BLOCKS} (and, when it chunks
 * attention, at half, the same and twice its window), each measured (last-layer SQNR and the task metric, on the
 * CPU) and planned (weight bytes and latency, estimates), point by point as they finish; the points no other point
 * beats on both axes are the Pareto front. A point applied becomes the session's conversion.
 */
public final class SweepViewModel extends AreaViewModel {
    /** The block sizes swept; {@link Conversion#PER_CHANNEL} is one scale per output row (native on the ANE). */
    public static final List<Integer> BLOCKS = List.of(16, 32, 64, 128, 256, Conversion.PER_CHANNEL);
    /** What the y axis shows. */
    public enum Metric {
        SQNR("last-layer SQNR (dB)"), TASK("task metric");
        private final String label;
        Metric(String label) { this.label = label; }
        public String label() { return label; }
        @Override public String toString() { return this == SQNR ? "Last-layer SQNR" : "Task metric"; }
    }

    /** What the x axis shows: a cost, lower is better. */
    public enum Cost {
        WEIGHTS("weights (MiB, estimate)"), LATENCY("latency (ms, estimate)");
        private final String label;
        Cost(String label) { this.label = label; }
        public String label() { return label; }
        @Override public String toString() { return this == WEIGHTS ? "Weight MiB" : "Latency"; }
    }

    /**
     * One swept configuration.
     *
     * @param task     the model's task metric ({@code taskName}), NaN where it has none
     * @param pareto   on the front for the chosen metric and cost
     */
    public record Point(Conversion conversion, double sqnrDb, double task, String taskName, long weightBytes,
                        double latencyMs, boolean pareto) {
        /** "b64", "per-channel", "b64 · w128" when the window was swept. */
        public String label(boolean windows) {
            String b = ConversionNames.block(conversion.blockSize());
            return windows ? b + " · w" + conversion.chunkWindow() : b;
        }

        public double value(Metric m) { return m == Metric.SQNR ? sqnrDb : task; }

        public double cost(Cost c) { return c == Cost.WEIGHTS ? weightBytes / (double) (1 << 20) : latencyMs; }

        Point withPareto(boolean on) {
            return new Point(conversion, sqnrDb, task, taskName, weightBytes, latencyMs, on);
        }
    }

    private final LatestJobScheduler<Integer> scheduler = scheduler("Sweep block sizes");
    private final ObservableList<Point> points = FXCollections.observableArrayList();
    private final ObjectProperty<Metric> metric = new SimpleObjectProperty<>(this, "metric", Metric.SQNR);
    private final ObjectProperty<Cost> cost = new SimpleObjectProperty<>(this, "cost", Cost.WEIGHTS);
    private final ReadOnlyStringWrapper status = new ReadOnlyStringWrapper(this, "status", "");
    private final ReadOnlyStringWrapper note = new ReadOnlyStringWrapper(this, "note", "");
    private int planned;
    private boolean windows;

    public SweepViewModel(Session session) {
        super(session, "Sweep",
                "The block sizes side by side: each one's accuracy (measured on the CPU) against what it costs in "
                        + "weight memory and estimated latency, and the configurations no other one beats.",
                List.of("Block sizes 16 to 256 and per-channel, and windows when attention is chunked",
                        "Last-layer SQNR or the task metric against weight MiB or latency",
                        "The Pareto front; click a point to use it"),
                "Load a model with weights to sweep it.");
        keep(Subscription.combine(
                session.modelProperty().subscribe(m -> {
                    scheduler.cancel();
                    points.clear();
                    updateStatus();
                }),
                metric.subscribe(m -> markFront()),
                cost.subscribe(c -> markFront()),
                scheduler.computingProperty().subscribe(c -> updateStatus())));
    }

    /** The configurations a sweep of {@code current} measures, in order. */
    static List<Conversion> configurations(Conversion current) {
        Conversion base = current.int8() ? current : current.withInt8(true, current.blockSize(), current.symmetric());
        List<Integer> windows = new ArrayList<>();
        if (base.chunked()) {
            for (int w : new int[]{base.chunkWindow() / 2, base.chunkWindow(), base.chunkWindow() * 2}) {
                if (w >= 16 && w > base.chunkOverlap() && !windows.contains(w)) windows.add(w);
            }
        }
        List<Conversion> out = new ArrayList<>();
        for (int b : BLOCKS) {
            Conversion c = base.withInt8(true, b, base.symmetric());
            if (windows.isEmpty()) out.add(c);
            for (int w : windows) out.add(c.withChunking(w, base.chunkOverlap()));
        }
        return out;
    }

    /** Starts a sweep of the session's current configuration (cancelling one still running). */
    public void start() {
        Session session = session();
        ConvertedModel current = session.converted();
        if (current == null || !session.canMeasureDrift()) {
            status.set(session.model() == null ? "Load a model to sweep it."
                    : "A sweep measures accuracy: it needs a source model with weights.");
            return;
        }
        points.clear();
        List<Conversion> todo = configurations(current.conversion());
        planned = todo.size();
        windows = current.conversion().chunked();
        ModelGraph graph = session.model().graph();
        LayerRange range = MeasuredLayers.byDefault(graph);
        note.set(range == null ? "" : "Measured on layers 0–" + range.to() + " (a large model; Drift's default range)");
        scheduler.request((Consumer<Point> sink) -> sweepJob(session, current, todo, range, sink),
                p -> {
                    points.add(p);
                    markFront();
                    updateStatus();
                }, n -> updateStatus());
    }

    private static Job<Integer> sweepJob(Session session, ConvertedModel current, List<Conversion> todo,
                                         LayerRange range, Consumer<Point> sink) {
        SampleInput input = session.sampleInput();
        ChipProfile chip = session.chip();
        ModelGraph graph = session.model().graph();
        int batch = session.planBatchProperty().get();
        int seq = PlanLength.of(graph, session.planSequenceLengthProperty().get()).planned();
        return ctx -> {
            Batch sample = session.sample(input).batch();
            int done = 0;
            for (Conversion c : todo) {
                ctx.checkCancelled();
                ctx.progress((double) done / todo.size(), ConversionNames.block(c.blockSize()));
                try {
                    ConvertedModel m = current.session().convert(c);
                    DriftReport r = m.drift(sample, false, range, ctx.slice(done / (double) todo.size(),
                            (done + 0.9) / todo.size()), null);
                    PlanTotals t = AnePlanner.plan(graph, c, chip, batch, seq, null).optimized();
                    Map.Entry<String, Double> task = task(r);
                    sink.accept(new Point(c, r.lastHidden() == null ? Double.NaN : r.lastHidden().sqnrDb(),
                            task == null ? Double.NaN : task.getValue(), task == null ? "" : task.getKey(),
                            t.weightBytes(), t.latencyMs(), false));
                } catch (AnewbException e) {
                    // A configuration the engine refuses (a window the model cannot take) is left out of the sweep.
                }
                done++;
            }
            return done;
        };
    }

    /** The model's task metric, higher is better (as the Drift area's headline); null where it has none. */
    static Map.Entry<String, Double> task(DriftReport r) {
        for (String k : List.of("sentence_embedding_cosine", "cls_cosine", "greedy_token_agreement_pct",
                "top1_agreement_pct", "pooler_cosine")) {
            Double v = r.task().get(k);
            if (v != null) return Map.entry(k.replace('_', ' ').replace(" pct", " %"), v);
        }
        return null;
    }

    /** Re-marks the front for the chosen metric and cost. */
    private void markFront() {
        List<Point> now = front(points, metric.get(), cost.get());
        if (!now.equals(points)) points.setAll(now);
    }

    /**
     * The points with {@code pareto} set where no other point has at least the same value at no more cost, better
     * in one of them; points without a value are never on it.
     */
    public static List<Point> front(List<Point> all, Metric metric, Cost cost) {
        List<Point> out = new ArrayList<>();
        for (Point p : all) {
            double v = p.value(metric), c = p.cost(cost);
            boolean dominated = !Double.isFinite(v);
            for (Point q : all) {
                if (q == p || dominated) continue;
                double qv = q.value(metric), qc = q.cost(cost);
                if (qv >= v && qc <= c && (qv > v || qc < c)) dominated = true;
            }
            out.add(p.withPareto(!dominated));
        }
        return out;
    }

    /** Makes {@code p}'s configuration the session's (the conversion panel follows). */
    public void apply(Point p) {
        if (p != null) session().conversionProperty().set(p.conversion());
    }

    public void cancel() { scheduler.cancel(); updateStatus(); }

    private void updateStatus() {
        if (scheduler.isComputing()) {
            status.set(String.format(Locale.ROOT, "measuring… %d of %d configurations", points.size(), planned));
        } else if (points.isEmpty()) {
            status.set(session().model() == null ? "" : "Run the sweep to measure every block size of the current "
                    + "configuration.");
        } else {
            long front = points.stream().filter(Point::pareto).count();
            status.set(String.format(Locale.ROOT, "%d configurations · %d on the front (SQNR measured on the CPU; "
                    + "weights and latency estimated for %s) · click a point to use it", points.size(), front,
                    session().chip().name()));
        }
    }

    /** A point's values in a line (tooltips and the table). */
    public String describe(Point p) {
        return String.format(Locale.ROOT, "%s · SQNR %s dB%s · weights %s · latency %s (estimates)",
                ConversionNames.describe(p.conversion()), Numbers.sig(p.sqnrDb(), 3),
                Double.isNaN(p.task()) ? "" : " · " + p.taskName() + " " + Numbers.sig(p.task(), 6),
                Numbers.sig(p.weightBytes() / (double) (1 << 20), 3) + " MiB", Numbers.ms(p.latencyMs()));
    }

    /** Whether the sweep varied the window too (labels name it). */
    public boolean windows() { return windows; }

    public ObservableList<Point> points() { return points; }

    public ObjectProperty<Metric> metricProperty() { return metric; }

    public ObjectProperty<Cost> costProperty() { return cost; }

    public ReadOnlyStringProperty statusProperty() { return status.getReadOnlyProperty(); }

    /** Why the sweep measures only some layers, or "". */
    public ReadOnlyStringProperty noteProperty() { return note.getReadOnlyProperty(); }

    /** The value of {@code p} that {@link #metricProperty()} shows. */
    public ToDoubleFunction<Point> valueOf() { return p -> p.value(metric.get()); }
}

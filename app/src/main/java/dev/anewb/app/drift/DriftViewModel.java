package dev.anewb.app.drift;

import dev.anewb.api.ConvertedModel;
import dev.anewb.app.area.AreaViewModel;
import dev.anewb.app.jobs.LatestJobScheduler;
import dev.anewb.app.session.ConversionNames;
import dev.anewb.app.session.GraphNames;
import dev.anewb.app.session.MeasuredLayers;
import dev.anewb.app.session.SampleInput;
import dev.anewb.app.session.Session;
import dev.anewb.app.ui.Numbers;
import dev.anewb.drift.DriftReport;
import dev.anewb.drift.TapMetrics;
import dev.anewb.io.LoadedModel;
import dev.anewb.job.Job;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.model.LayerRange;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.Op;
import javafx.animation.PauseTransition;
import javafx.beans.Observable;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.util.Duration;
import javafx.util.Subscription;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * State of the Drift area: the drift report of the session's conversion (measured off the FX thread, latest wins,
 * its taps streamed in as the converted run computes them), the pinned configuration's report, and what they become
 * on screen: chart series per cause and stack, the y range worth looking at, table rows with a column per cause and
 * the difference to the pinned configuration, the layer detail and the layer that loses the most. No numbers are
 * made here: every value comes from {@link DriftReport}/{@link TapMetrics}.
 */
public final class DriftViewModel extends AreaViewModel {
    /**
     * Causes in drawing order: the full conversion ("all") first, as a wide translucent band, so a cause that
     * accounts for nearly all of it runs visibly inside the band instead of hiding it or being hidden.
     */
    static final List<DriftReport.Cause> DRAW_ORDER = List.of(DriftReport.Cause.ALL, DriftReport.Cause.LAYOUT,
            DriftReport.Cause.CHUNKING, DriftReport.Cause.FP16, DriftReport.Cause.ACTIVATIONS,
            DriftReport.Cause.QUANTIZATION);
    /** Causes as table columns, in the CLI's order. */
    static final List<DriftReport.Cause> COLUMN_ORDER = List.of(DriftReport.Cause.QUANTIZATION,
            DriftReport.Cause.FP16, DriftReport.Cause.CHUNKING, DriftReport.Cause.LAYOUT,
            DriftReport.Cause.ACTIVATIONS);
    /** A SQNR curve this far above every other one is drawn off the chart (the layout's ~130 dB) and named instead. */
    static final double OFF_SCALE_DB = 20;
    /** How long a measurement runs before its taps are drawn as they arrive. */
    static final Duration STREAM_AFTER = Duration.millis(250);

    /** One plotted point: the tap, its axis label and its metrics. */
    public record Point(String tap, String label, TapMetrics metrics) { }

    /**
     * One curve: a cause of the current configuration, or the pinned configuration ({@code cause} null), of one
     * stack (Whisper's encoder and decoder are separate curves; "" for other models).
     */
    public record Series(String name, List<Point> points, DriftReport.Cause cause, String stack) {
        public boolean pinned() { return cause == null; }
    }

    /** The SQNR axis range to draw (the layout's off-scale curve left out), or null to let the chart choose. */
    public record YRange(double lower, double upper, double tick) { }

    /**
     * One table row: the full conversion's metrics at a tap, the metrics of each cause alone, and the pinned
     * configuration's (null without one). {@code growth} is NaN where either SQNR is exact or for the first row.
     */
    public record TapRow(String tap, TapMetrics metrics, double growth, Map<DriftReport.Cause, TapMetrics> causes,
                         TapMetrics pinned) {
        public String sqnr() { return metrics.sqnrText(); }
        public String cosine() { return String.format(Locale.ROOT, "%.6f", metrics.cosine()); }
        public String relL2() { return String.format(Locale.ROOT, "%.2e", metrics.relL2()); }
        public String maxAbs() { return String.format(Locale.ROOT, "%.3e", metrics.maxAbs()); }
        public String growthText() {
            return Double.isNaN(growth) ? "–" : String.format(Locale.ROOT, "%+.1f dB", growth);
        }

        /** SQNR of {@code cause} alone at this tap, "–" when the cause is off. */
        public String causeSqnr(DriftReport.Cause cause) {
            TapMetrics m = causes.get(cause);
            return m == null ? "–" : m.sqnrText();
        }

        /** Current minus pinned SQNR in dB (positive: the current configuration drifts less); NaN without one. */
        public double delta() {
            if (pinned == null || metrics.exact() || pinned.exact()) return Double.NaN;
            return metrics.sqnrDb() - pinned.sqnrDb();
        }

        public String deltaText() {
            if (pinned == null) return "–";
            if (metrics.exact() && pinned.exact()) return "±0";
            if (metrics.exact() || pinned.exact()) return metrics.exact() ? "exact now" : "was exact";
            return String.format(Locale.ROOT, "%+.1f dB", delta());
        }
    }

    /**
     * The layer whose output loses the most SQNR against its input, and the cause that loses most there.
     *
     * @param causeDrop what that cause alone loses at that layer (NaN without attribution)
     */
    public record Worst(GraphNames.Layer layer, double drop, DriftReport.Cause cause, double causeDrop) {
        public String text() {
            String why = cause == null ? "" : Double.isInfinite(causeDrop)
                    ? " (" + cause.label() + " alone starts there: exact before it)"
                    : String.format(Locale.ROOT, " (%s alone: %.1f dB)", cause.label(), causeDrop);
            return String.format(Locale.ROOT, "Worst: %s loses %.1f dB%s", layer.label(), drop, why);
        }
    }

    /**
     * A report with the configuration it measured and how long it took.
     *
     * @param sample  what was measured on ("2 texts", "cat.png", the built-in audio)
     * @param longest the longest sequence of the sample, in tokens (chunking changes nothing within one window)
     * @param layers  the blocks measured, null for all
     */
    public record Measured(DriftReport report, Conversion conversion, long millis, int tokens, int longest,
                           String sample, LayerRange layers) { }

    /** The layer-range choices of the selector: null is every layer. */
    public record RangeChoice(LayerRange range, String label) {
        @Override public String toString() { return label; }
    }

    private final LatestJobScheduler<Measured> scheduler = scheduler("Measure drift");
    private final LatestJobScheduler<Measured> pinnedScheduler = scheduler("Measure pinned drift");
    private final ReadOnlyObjectWrapper<Measured> measured = new ReadOnlyObjectWrapper<>(this, "measured");
    private final ReadOnlyObjectWrapper<Measured> pinnedMeasured = new ReadOnlyObjectWrapper<>(this, "pinnedMeasured");
    private final ObjectProperty<DriftMetric> metric = new SimpleObjectProperty<>(this, "metric", DriftMetric.SQNR);
    private final BooleanProperty allTaps = new SimpleBooleanProperty(this, "allTaps");
    private final BooleanProperty byCause = new SimpleBooleanProperty(this, "byCause", true);
    private final ObjectProperty<GraphNames.Layer> selectedLayer = new SimpleObjectProperty<>(this, "selectedLayer");
    private final ObjectProperty<RangeChoice> layers = new SimpleObjectProperty<>(this, "layers");
    private final ObservableList<RangeChoice> rangeChoices = FXCollections.observableArrayList();
    private final ObservableList<Series> series = FXCollections.observableArrayList();
    private final ObservableList<String> categories = FXCollections.observableArrayList();
    private final ObservableList<DriftReport.Cause> causes = FXCollections.observableArrayList();
    private final ObservableList<TapRow> rows = FXCollections.observableArrayList();
    private final ObservableList<TapRow> layerRows = FXCollections.observableArrayList();
    private final ReadOnlyObjectWrapper<YRange> yRange = new ReadOnlyObjectWrapper<>(this, "yRange");
    private final ReadOnlyObjectWrapper<Worst> worst = new ReadOnlyObjectWrapper<>(this, "worst");
    private final ReadOnlyStringWrapper taskText = new ReadOnlyStringWrapper(this, "taskText", "");
    private final ReadOnlyStringWrapper status = new ReadOnlyStringWrapper(this, "status", "");
    private final ReadOnlyStringWrapper notes = new ReadOnlyStringWrapper(this, "notes", "");
    private final ReadOnlyStringWrapper rangeNote = new ReadOnlyStringWrapper(this, "rangeNote", "");
    /** Taps of the running measurement, as they arrive; emptied when it starts and when its report lands. */
    private final List<TapMetrics> partial = new ArrayList<>();
    private Conversion partialOf;
    /**
     * Shows the running measurement's taps once it has run this long: a small model's report lands before, and its
     * chart should not flicker through a half-drawn state on every slider move.
     */
    private final PauseTransition streamAfter = new PauseTransition(STREAM_AFTER);
    private boolean streamVisible;
    /** Tap order of the loaded graph (Whisper's own map lists a layer's MLP before its attention). */
    private Map<String, Integer> order = Map.of();

    public DriftViewModel(Session session) {
        super(session, "Drift",
                "Per-layer accuracy drift of the converted model against the FP32 original: SQNR, cosine, rel. L2 and "
                        + "max-abs per tap, attributed by cause (quantization, FP16, chunking, layout).",
                List.of("Drift per tap across all layers, measured on the CPU executor",
                        "Attribution by cause: quantization, FP16, chunking, layout"),
                "Load a model to measure it.");
        for (Observable o : new Observable[]{metric, allTaps, measured, pinnedMeasured}) {
            o.addListener(x -> rebuild());
        }
        selectedLayer.addListener(x -> rebuildLayer());
        streamAfter.setOnFinished(e -> {
            streamVisible = true;
            if (!partial.isEmpty()) rebuild();
        });
        keep(Subscription.combine(
                session.modelProperty().subscribe(this::modelChanged),
                session.convertedProperty().subscribe(v -> requestMeasure()),
                session.sampleInputProperty().subscribe(v -> {
                    requestMeasure();
                    requestPinned();
                }),
                layers.subscribe(v -> {
                    requestMeasure();
                    requestPinned();
                }),
                byCause.subscribe(v -> requestMeasure()),
                session.pinnedProperty().subscribe(p -> requestPinned()),
                session.selectedOpProperty().subscribe(op -> {
                    GraphNames.Layer l = op == null ? null : GraphNames.layerOf(op);
                    if (l != null) selectedLayer.set(l);
                }),
                scheduler.computingProperty().subscribe(v -> updateStatus())));
    }

    private void modelChanged(LoadedModel m) {
        clearPartial();
        measured.set(null);
        pinnedMeasured.set(null);
        selectedLayer.set(null);
        if (m == null) {
            order = Map.of();
            rangeChoices.clear();
            layers.set(null);
            rangeNote.set("");
            return;
        }
        ModelGraph g = m.graph();
        Map<String, Integer> o = new HashMap<>();
        List<String> taps = GraphNames.tapOrder(g);
        for (int i = 0; i < taps.size(); i++) o.put(taps.get(i), i);
        order = o;
        rangeChoices.setAll(rangeChoices(g.layerCount()));
        long params = g.parameterCount();
        if (MeasuredLayers.large(g)) {
            layers.set(rangeChoices.get(1));
            // Each cause is one more converted pass over the layers, most of them unchanged by a slider move.
            byCause.set(false);
            rangeNote.set(String.format(Locale.ROOT, "%s parameters: layers 0–%d measured first (each slider move "
                    + "converts and runs only them, from the original's hidden state), without attribution by cause "
                    + "(each cause is one more pass); choose more layers or By cause above",
                    humanCount(params), MeasuredLayers.LARGE_MODEL_LAYERS - 1));
        } else {
            layers.set(rangeChoices.getFirst());
            byCause.set(true);
            rangeNote.set("");
        }
    }

    /** "All 16 layers", then ranges of {@link MeasuredLayers#LARGE_MODEL_LAYERS} layers. */
    static List<RangeChoice> rangeChoices(int layerCount) {
        List<RangeChoice> out = new ArrayList<>();
        out.add(new RangeChoice(null, "All " + layerCount + " layers"));
        if (layerCount > MeasuredLayers.LARGE_MODEL_LAYERS) {
            for (int from = 0; from < layerCount; from += MeasuredLayers.LARGE_MODEL_LAYERS) {
                int to = Math.min(layerCount, from + MeasuredLayers.LARGE_MODEL_LAYERS) - 1;
                out.add(new RangeChoice(new LayerRange(from, to), "Layers " + from + "–" + to));
            }
        }
        return out;
    }

    private static String humanCount(long n) {
        return n >= 1_000_000_000L ? String.format(Locale.ROOT, "%.2f B", n / 1e9)
                : String.format(Locale.ROOT, "%.1f M", n / 1e6);
    }

    private LayerRange range() {
        RangeChoice c = layers.get();
        return c == null ? null : c.range();
    }

    private void requestMeasure() {
        Session session = session();
        if (session.converted() == null || !session.canMeasureDrift()) {
            scheduler.cancel();
            clearPartial();
            return;
        }
        scheduler.request((Consumer<TapMetrics> sink) -> {
            ConvertedModel c = session.converted();
            if (c == null || !session.canMeasureDrift()) return null;
            // A new measurement starts: the taps shown from now on are its own.
            clearPartial();
            partialOf = c.conversion();
            streamAfter.playFromStart();
            return measureJob(session, c, session.sampleInput(), range(), byCause.get(), sink);
        }, this::taps, m -> {
            clearPartial();
            measured.set(m);
            session.latestDriftProperty().set(m.report());
        });
    }

    private void requestPinned() {
        Session session = session();
        if (session.pinnedProperty().get() == null || !session.canMeasureDrift()) {
            pinnedScheduler.cancel();
            pinnedMeasured.set(null);
            return;
        }
        pinnedScheduler.request(() -> {
            Conversion pin = session.pinnedProperty().get();
            SampleInput input = session.sampleInput();
            LayerRange r = range();
            return ctx -> {
                // converted in the job: a pin with INT8 activations may calibrate first (an FP32 run)
                ConvertedModel p = session.convertedFor(pin);
                return p == null ? null : measureJob(session, p, input, r, false, null).run(ctx);
            };
        }, pinnedMeasured::set);
    }

    private static Job<Measured> measureJob(Session session, ConvertedModel c, SampleInput input, LayerRange range,
                                            boolean byCause, Consumer<TapMetrics> onTap) {
        Conversion conversion = c.conversion();
        return ctx -> {
            long t0 = System.nanoTime();
            SampleInput.Prepared sample = session.sample(input);
            Batch batch = sample.batch();
            DriftReport r = c.drift(batch, byCause, range, ctx, onTap);
            int tokens = 0, longest = 0;
            for (int b = 0; b < batch.batch(); b++) {
                tokens += batch.validTokens(b);
                longest = Math.max(longest, batch.validTokens(b));
            }
            long millis = (System.nanoTime() - t0) / 1_000_000;
            return new Measured(r, conversion, millis, tokens, longest, sample.description(), range);
        };
    }

    /** Taps of the running measurement arriving on the FX thread. */
    private void taps(TapMetrics t) {
        partial.add(t);
        if (streamVisible) rebuild();
    }

    private void clearPartial() {
        partial.clear();
        streamAfter.stop();
        streamVisible = false;
    }

    /** Whether the chart shows the running measurement's taps instead of the last report. */
    private boolean streaming() { return streamVisible && !partial.isEmpty(); }

    private List<TapMetrics> visible(List<TapMetrics> taps) {
        List<TapMetrics> out = new ArrayList<>(allTaps.get() ? taps
                : taps.stream().filter(t -> GraphNames.isLayerOutput(t.name())).toList());
        out.sort((a, b) -> Integer.compare(order.getOrDefault(a.name(), Integer.MAX_VALUE),
                order.getOrDefault(b.name(), Integer.MAX_VALUE)));
        return out;
    }

    private void rebuild() {
        Measured m = measured.get();
        Measured p = pinnedMeasured.get();
        if (m == null && !streaming()) {
            series.clear();
            categories.clear();
            rows.clear();
            layerRows.clear();
            causes.clear();
            taskText.set("");
            notes.set("");
            worst.set(null);
            yRange.set(null);
            updateStatus();
            return;
        }
        List<TapMetrics> allOf = streaming() ? List.copyOf(partial) : m.report().taps();
        Map<DriftReport.Cause, List<TapMetrics>> byCause = streaming() ? Map.of() : m.report().byCause();
        Map<DriftReport.Cause, List<TapMetrics>> curves = new EnumMap<>(DriftReport.Cause.class);
        curves.putAll(byCause);
        curves.put(DriftReport.Cause.ALL, allOf);

        List<String> notes = new ArrayList<>();
        DriftMetric metricNow = metric.get();
        DriftReport.Cause offScale = metricNow == DriftMetric.SQNR ? offScaleCause(curves) : null;
        if (offScale != null) {
            double lowest = curves.get(offScale).stream().filter(t -> !t.exact()).mapToDouble(TapMetrics::sqnrDb)
                    .min().orElse(Double.POSITIVE_INFINITY);
            notes.add(String.format(Locale.ROOT, "%s alone: %s dB or more at every tap (exact up to FP32 reordering),"
                    + " off the chart's scale; see its column", offScale.label(),
                    Double.isFinite(lowest) ? String.format(Locale.ROOT, "%.0f", lowest) : "exact"));
        }
        if (!streaming() && m.conversion().chunked() && m.longest() <= m.conversion().chunkWindow()) {
            notes.add(String.format(Locale.ROOT, "Chunking changes nothing here: the window of %d covers the whole "
                    + "%d-token sample (a longer text shows its drift)", m.conversion().chunkWindow(), m.longest()));
        }

        List<Series> out = new ArrayList<>();
        Set<String> shownTaps = new LinkedHashSet<>();
        for (DriftReport.Cause c : DRAW_ORDER) {
            List<TapMetrics> taps = curves.get(c);
            if (taps == null || c == offScale) continue;
            out.addAll(stacked(c.label(), visible(taps), c));
        }
        if (p != null) out.addAll(stacked("pinned: " + ConversionNames.describe(p.conversion()),
                visible(p.report().taps()), null));
        for (Series s : out) for (Point pt : s.points()) shownTaps.add(pt.tap());
        List<String> cats = new ArrayList<>(shownTaps);
        cats.sort((a, b) -> Integer.compare(order.getOrDefault(a, Integer.MAX_VALUE),
                order.getOrDefault(b, Integer.MAX_VALUE)));
        yRange.set(metricNow == DriftMetric.SQNR ? yRange(out) : null);
        categories.setAll(cats.stream().map(GraphNames::shortLabel).toList());
        series.setAll(out);

        List<DriftReport.Cause> cols = COLUMN_ORDER.stream().filter(byCause::containsKey).toList();
        if (!causes.equals(cols)) causes.setAll(cols);
        rows.setAll(rowsOf(visible(allOf), byCause, p));
        this.notes.set(String.join(" · ", notes));
        worst.set(streaming() ? null : worstLayer(m.report()));
        taskText.set(streaming() ? (m == null ? "Measuring…" : taskText(m.report())) : taskText(m.report()));
        rebuildLayer();
        updateStatus();
    }

    /** One series per stack of the taps (Whisper's encoder and decoder are not one line). */
    private static List<Series> stacked(String name, List<TapMetrics> taps, DriftReport.Cause cause) {
        Map<String, List<Point>> byStack = new LinkedHashMap<>();
        for (TapMetrics t : taps) {
            byStack.computeIfAbsent(GraphNames.stackOf(t.name()), k -> new ArrayList<>())
                    .add(new Point(t.name(), GraphNames.shortLabel(t.name()), t));
        }
        List<Series> out = new ArrayList<>();
        boolean several = byStack.size() > 1;
        byStack.forEach((stack, points) -> out.add(new Series(
                several && !stack.isEmpty() ? name + " · " + stack : name, points, cause, stack)));
        return out;
    }

    /**
     * The cause whose SQNR curve lies {@link #OFF_SCALE_DB} above every other one (the layout alone, exact up to
     * reordering): plotted, it would squeeze the curves that matter into a few pixels.
     */
    static DriftReport.Cause offScaleCause(Map<DriftReport.Cause, List<TapMetrics>> curves) {
        for (DriftReport.Cause c : curves.keySet()) {
            if (c == DriftReport.Cause.ALL || curves.size() < 2) continue;
            double lowest = curves.get(c).stream().filter(t -> !t.exact()).mapToDouble(TapMetrics::sqnrDb).min()
                    .orElse(Double.POSITIVE_INFINITY);
            double othersHighest = curves.entrySet().stream().filter(e -> e.getKey() != c)
                    .flatMap(e -> e.getValue().stream()).filter(t -> !t.exact()).mapToDouble(TapMetrics::sqnrDb)
                    .max().orElse(Double.NEGATIVE_INFINITY);
            if (lowest > othersHighest + OFF_SCALE_DB) return c;
        }
        return null;
    }

    /** A y range with a little room around the plotted SQNR values, on whole ticks; null with nothing finite. */
    static YRange yRange(List<Series> shown) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Series s : shown) {
            for (Point p : s.points()) {
                double v = p.metrics().sqnrDb();
                if (!Double.isFinite(v)) continue;
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        }
        if (!Double.isFinite(lo)) return null;
        double span = Math.max(hi - lo, 4);
        double tick = span <= 10 ? 1 : span <= 25 ? 5 : span <= 60 ? 10 : 20;
        double lower = Math.floor((lo - span * 0.08) / tick) * tick;
        double upper = Math.ceil((hi + span * 0.08) / tick) * tick;
        return new YRange(lower, upper, tick);
    }

    private List<TapRow> rowsOf(List<TapMetrics> shown, Map<DriftReport.Cause, List<TapMetrics>> byCause,
                                Measured pinned) {
        Map<DriftReport.Cause, Map<String, TapMetrics>> causeMaps = new EnumMap<>(DriftReport.Cause.class);
        byCause.forEach((c, taps) -> {
            if (c == DriftReport.Cause.ALL) return;
            Map<String, TapMetrics> byName = new HashMap<>();
            for (TapMetrics t : taps) byName.put(t.name(), t);
            causeMaps.put(c, byName);
        });
        Map<String, TapMetrics> pinnedByName = new HashMap<>();
        if (pinned != null) for (TapMetrics t : pinned.report().taps()) pinnedByName.put(t.name(), t);
        double[] growth = growthsByStack(shown);
        List<TapRow> out = new ArrayList<>();
        for (int i = 0; i < shown.size(); i++) {
            TapMetrics t = shown.get(i);
            Map<DriftReport.Cause, TapMetrics> c = new EnumMap<>(DriftReport.Cause.class);
            causeMaps.forEach((cause, byName) -> {
                TapMetrics x = byName.get(t.name());
                if (x != null) c.put(cause, x);
            });
            out.add(new TapRow(t.name(), t, growth[i], c, pinnedByName.get(t.name())));
        }
        return out;
    }

    /** SQNR lost since the previous tap of the same stack (the decoder does not continue the encoder). */
    private static double[] growthsByStack(List<TapMetrics> taps) {
        double[] out = new double[taps.size()];
        Map<String, TapMetrics> last = new HashMap<>();
        for (int i = 0; i < taps.size(); i++) {
            TapMetrics t = taps.get(i);
            String stack = GraphNames.stackOf(t.name());
            TapMetrics prev = last.get(stack);
            out[i] = prev == null || prev.exact() || t.exact() ? Double.NaN : prev.sqnrDb() - t.sqnrDb();
            last.put(stack, t);
        }
        return out;
    }

    /** The layer whose output loses the most SQNR against the layer output before it (of the same stack). */
    static Worst worstLayer(DriftReport r) {
        List<TapMetrics> outputs = r.taps().stream().filter(t -> GraphNames.isLayerOutput(t.name())).toList();
        Map<String, TapMetrics> before = new HashMap<>();
        GraphNames.Layer best = null;
        double bestDrop = Double.NEGATIVE_INFINITY;
        String bestPrev = null;
        for (TapMetrics t : outputs) {
            String stack = GraphNames.stackOf(t.name());
            TapMetrics prev = before.put(stack, t);
            GraphNames.Layer l = GraphNames.layerOf(t.name());
            if (prev == null || l == null || prev.exact() || t.exact()) continue;
            double drop = prev.sqnrDb() - t.sqnrDb();
            if (drop > bestDrop) {
                bestDrop = drop;
                best = l;
                bestPrev = prev.name();
            }
        }
        if (best == null || bestDrop <= 0) return null;
        DriftReport.Cause cause = null;
        double causeDrop = Double.NaN, causeAt = Double.NaN;
        for (Map.Entry<DriftReport.Cause, List<TapMetrics>> e : r.byCause().entrySet()) {
            if (e.getKey() == DriftReport.Cause.ALL) continue;
            TapMetrics at = find(e.getValue(), best.outputTap()), prev = find(e.getValue(), bestPrev);
            if (at == null || prev == null || at.exact()) continue;
            // A cause that is exact before the layer and not after it starts its whole error there; of two such
            // causes (INT8 weights and activations both start at the first layer) the one that loses more is named.
            double d = prev.exact() ? Double.POSITIVE_INFINITY : prev.sqnrDb() - at.sqnrDb();
            if (cause == null || d > causeDrop || d == causeDrop && at.sqnrDb() < causeAt) {
                cause = e.getKey();
                causeDrop = d;
                causeAt = at.sqnrDb();
            }
        }
        return new Worst(best, bestDrop, cause, causeDrop);
    }

    private static TapMetrics find(List<TapMetrics> taps, String name) {
        for (TapMetrics t : taps) if (t.name().equals(name)) return t;
        return null;
    }

    private static String taskText(DriftReport r) {
        Map<String, Double> task = r.task();
        Double cos = task.get("sentence_embedding_cosine");
        Double pooler = task.get("pooler_cosine");
        Double cls = task.get("cls_cosine");
        Double top1 = task.get("top1_agreement_pct");
        Double greedy = task.get("greedy_token_agreement_pct");
        if (cos != null) return String.format(Locale.ROOT, "Sentence-embedding cosine %.6f", cos);
        if (cls != null) return String.format(Locale.ROOT, "CLS cosine %.6f", cls);
        if (greedy != null) return String.format(Locale.ROOT, "Greedy token agreement %.1f %%", greedy);
        if (top1 != null) {
            return String.format(Locale.ROOT, "Top-1 agreement %.1f %% · next-token KL %s nats", top1,
                    Numbers.sig(task.get("next_token_kl"), 3));
        }
        if (pooler != null) return String.format(Locale.ROOT, "Pooler cosine %.6f", pooler);
        return "Last hidden state SQNR " + (r.lastHidden() == null ? "–" : r.lastHidden().sqnrText() + " dB");
    }

    private void rebuildLayer() {
        GraphNames.Layer layer = selectedLayer.get();
        if (layer == null) {
            layerRows.clear();
            return;
        }
        Measured m = measured.get();
        List<TapMetrics> all = streaming() ? List.copyOf(partial) : m == null ? List.of() : m.report().taps();
        Map<DriftReport.Cause, List<TapMetrics>> byCause = streaming() || m == null ? Map.of() : m.report().byCause();
        List<TapMetrics> sorted = new ArrayList<>(all);
        sorted.sort((a, b) -> Integer.compare(order.getOrDefault(a.name(), Integer.MAX_VALUE),
                order.getOrDefault(b.name(), Integer.MAX_VALUE)));
        // The layer's input (the output before it) first, so the growth of its first tap is what the layer adds.
        List<TapMetrics> mine = new ArrayList<>();
        TapMetrics input = null;
        for (TapMetrics t : sorted) {
            if (GraphNames.stackOf(t.name()).equals(layer.stack()) && GraphNames.isLayerOutput(t.name())
                    && layer.equals(next(GraphNames.layerOf(t.name()), t.name()))) {
                input = t;
            }
            if (t.name().startsWith(layer.prefix()) || t.name().equals(layer.outputTap())) mine.add(t);
        }
        List<TapMetrics> shown = new ArrayList<>();
        if (input != null) shown.add(input);
        shown.addAll(mine);
        layerRows.setAll(rowsOf(shown, byCause, pinnedMeasured.get()));
    }

    /** The layer a layer-output tap feeds: {@code hidden_states.i} (output of layer i−1, or the embeddings) feeds i. */
    private static GraphNames.Layer next(GraphNames.Layer of, String tap) {
        return of == null ? new GraphNames.Layer(GraphNames.stackOf(tap), 0)
                : new GraphNames.Layer(of.stack(), of.index() + 1);
    }

    private void updateStatus() {
        Session session = session();
        Measured m = measured.get();
        if (streaming()) {
            status.set(String.format(Locale.ROOT, "measuring %s… %d taps so far",
                    partialOf == null ? "" : ConversionNames.describe(partialOf), partial.size()));
        } else if (scheduler.isComputing()) {
            status.set("computing…");
        } else if (m == null) {
            status.set(session.model() == null ? "Load a model to measure drift."
                    : !session.canMeasureDrift() ? "Drift needs a source model with weights." : "");
        } else {
            status.set(String.format(Locale.ROOT, "%s · %s, %d tokens%s · measured in %d ms",
                    ConversionNames.describe(m.conversion()), m.sample(), m.tokens(),
                    m.layers() == null ? "" : " · layers " + m.layers(), m.millis()));
        }
    }

    /** Shows the weights of the worst layer: its first projection in the Weights area. */
    public void showWorstWeights() {
        Worst w = worst.get();
        ConvertedModel c = session().converted();
        if (w == null || c == null) return;
        for (Op op : c.graph().ops()) {
            if (op instanceof Op.Linear && op.name().startsWith(w.layer().prefix())) {
                session().selectedOpProperty().set(op.name());
                session().requestedAreaProperty().set("weights");
                return;
            }
        }
    }

    /** The layer-output tap clicked on the chart or in the table: its layer's detail (null for the embeddings). */
    public void selectTap(String tap) {
        GraphNames.Layer l = GraphNames.layerOf(tap);
        if (l != null) selectedLayer.set(l);
    }

    /**
     * "INT8 b128 asym · FP16 · BC1S · chunk 64/16": the configuration in a few words (legends, the pinned curve).
     */
    public static String describe(Conversion c) { return ConversionNames.describe(c); }

    /** The pinned curve's legend name: its configuration, marked as pinned. */
    public static String pinnedName(Conversion c) { return "pinned: " + describe(c); }

    /** Whether a tap is a layer output, one point per layer on the chart (spec/drift.md). */
    public static boolean isLayerOutput(String tap) { return GraphNames.isLayerOutput(tap); }

    /** The layer index a tap belongs to within its stack, −1 for none (the embeddings, the heads). */
    public static int layerOf(String tap) {
        GraphNames.Layer l = GraphNames.layerOf(tap);
        return l == null ? -1 : l.index();
    }

    public ReadOnlyObjectProperty<Measured> measuredProperty() { return measured.getReadOnlyProperty(); }

    /** The pinned configuration's report on the same input and layers, or null. */
    public ReadOnlyObjectProperty<Measured> pinnedMeasuredProperty() { return pinnedMeasured.getReadOnlyProperty(); }

    public ObjectProperty<DriftMetric> metricProperty() { return metric; }

    /** Off: the hidden_states taps only (one point per layer); on: every tap in graph order. */
    public BooleanProperty allTapsProperty() { return allTaps; }

    /** On: each change is also measured alone (attribution by cause); off for large models until asked. */
    public BooleanProperty byCauseProperty() { return byCause; }

    /** The layer whose inner taps are detailed; null for none. */
    public ObjectProperty<GraphNames.Layer> selectedLayerProperty() { return selectedLayer; }

    /** Which blocks are measured (large models start with their first few). */
    public ObjectProperty<RangeChoice> layersProperty() { return layers; }

    public ObservableList<RangeChoice> rangeChoices() { return rangeChoices; }

    /** Why the range is not every layer, or "". */
    public ReadOnlyStringProperty rangeNoteProperty() { return rangeNote.getReadOnlyProperty(); }

    /** The curves to draw, in drawing order (the full conversion after the causes, the pinned one last). */
    public ObservableList<Series> series() { return series; }

    /** The x axis categories in graph order (short labels of the points). */
    public ObservableList<String> categories() { return categories; }

    /** The causes the shown report attributes (a table column each). */
    public ObservableList<DriftReport.Cause> causes() { return causes; }

    public ObservableList<TapRow> rows() { return rows; }

    public ObservableList<TapRow> layerRows() { return layerRows; }

    public ReadOnlyObjectProperty<YRange> yRangeProperty() { return yRange.getReadOnlyProperty(); }

    /** The layer that loses the most, or null. */
    public ReadOnlyObjectProperty<Worst> worstProperty() { return worst.getReadOnlyProperty(); }

    public ReadOnlyStringProperty taskTextProperty() { return taskText.getReadOnlyProperty(); }

    /** What the chart cannot show by itself: a curve off the scale, a window longer than the sample. */
    public ReadOnlyStringProperty notesProperty() { return notes.getReadOnlyProperty(); }

    /** "computing…" while a measurement runs, else what the shown report measured. */
    public ReadOnlyStringProperty statusProperty() { return status.getReadOnlyProperty(); }
}

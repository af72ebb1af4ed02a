package dev.anewb.app.drift;

import dev.anewb.api.ConvertedModel;
import dev.anewb.app.area.AreaViewModel;
import dev.anewb.app.jobs.LatestJobScheduler;
import dev.anewb.app.session.SampleInput;
import dev.anewb.app.session.Session;
import dev.anewb.drift.DriftReport;
import dev.anewb.drift.TapMetrics;
import dev.anewb.job.Job;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.quant.BlockQuantizer;
import javafx.beans.Observable;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.util.Subscription;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * State of the Drift area: the latest drift report of the session's conversion (measured off the FX thread,
 * debounced, latest wins), turned into chart series per cause and table rows. No numbers are made here: every
 * value comes from {@link DriftReport}/{@link TapMetrics}.
 */
public final class DriftViewModel extends AreaViewModel {
    /** One plotted point: the tap and its metrics. */
    public record Point(String tap, TapMetrics metrics) { }

    /**
     * One curve: a cause ("quantization") or the pinned configuration.
     *
     * @param cause what the curve attributes drift to; {@code null} for the pinned curve
     */
    public record Series(String name, List<Point> points, DriftReport.Cause cause) { }

    /** One table row. {@code growth} is NaN where either SQNR is exact or for the first row. */
    public record TapRow(String tap, TapMetrics metrics, double growth) {
        public String sqnr() { return metrics.sqnrText(); }
        public String cosine() { return String.format(Locale.ROOT, "%.6f", metrics.cosine()); }
        public String relL2() { return String.format(Locale.ROOT, "%.2e", metrics.relL2()); }
        public String maxAbs() { return String.format(Locale.ROOT, "%.3e", metrics.maxAbs()); }
        public String growthText() {
            return Double.isNaN(growth) ? "–" : String.format(Locale.ROOT, "%+.1f dB", growth);
        }
    }

    /** A report with the configuration it measured and how long it took. */
    /** @param sample what was measured on ("2 texts", "cat.png", the built-in audio) */
    public record Measured(DriftReport report, Conversion conversion, long millis, int tokens, String sample) { }

    private final LatestJobScheduler<Measured> scheduler = scheduler("Measure drift");
    private final ReadOnlyObjectWrapper<Measured> measured = new ReadOnlyObjectWrapper<>(this, "measured");
    private final ObjectProperty<DriftMetric> metric = new SimpleObjectProperty<>(this, "metric", DriftMetric.SQNR);
    private final BooleanProperty allTaps = new SimpleBooleanProperty(this, "allTaps");
    private final BooleanProperty compare = new SimpleBooleanProperty(this, "compare");
    private final ReadOnlyObjectWrapper<Measured> pinned = new ReadOnlyObjectWrapper<>(this, "pinned");
    private final IntegerProperty selectedLayer = new SimpleIntegerProperty(this, "selectedLayer", -1);
    private final ObservableList<Series> series = FXCollections.observableArrayList();
    private final ObservableList<TapRow> rows = FXCollections.observableArrayList();
    private final ObservableList<TapRow> layerRows = FXCollections.observableArrayList();
    private final ReadOnlyStringWrapper taskText = new ReadOnlyStringWrapper(this, "taskText", "");
    private final ReadOnlyStringWrapper status = new ReadOnlyStringWrapper(this, "status", "");

    public DriftViewModel(Session session) {
        super(session, "Drift",
                "Per-layer accuracy drift of the converted model against the FP32 original: SQNR, cosine, rel. L2 and "
                        + "max-abs per tap, attributed by cause (quantization, FP16, chunking, layout).",
                List.of("Drift per tap across all layers, measured on the CPU executor",
                        "Attribution by cause: quantization, FP16, chunking, layout"),
                "Load a model to measure it.");
        compare.addListener((obs, was, on) -> pinned.set(on ? measured.get() : null));
        for (Observable o : new Observable[]{metric, allTaps, pinned, measured}) o.addListener(x -> rebuild());
        selectedLayer.addListener(x -> rebuildLayer());
        keep(Subscription.combine(
                session.convertedProperty().subscribe(v -> requestMeasure()),
                session.sampleInputProperty().subscribe(v -> requestMeasure()),
                scheduler.computingProperty().subscribe(v -> updateStatus())));
        requestMeasure();
    }

    private void requestMeasure() {
        Session session = session();
        ConvertedModel converted = session.converted();
        if (converted == null || !session.canMeasureDrift()) {
            scheduler.cancel();
            return;
        }
        scheduler.request(() -> {
            ConvertedModel c = session.converted();
            if (c == null || !session.canMeasureDrift()) return null;
            Conversion conversion = c.conversion();
            SampleInput input = session.sampleInput();
            return (Job<Measured>) ctx -> {
                long t0 = System.nanoTime();
                SampleInput.Prepared sample = session.sample(input);
                Batch batch = sample.batch();
                DriftReport r = c.drift(batch, true, ctx);
                int tokens = 0;
                for (int b = 0; b < batch.batch(); b++) tokens += batch.validTokens(b);
                long millis = (System.nanoTime() - t0) / 1_000_000;
                return new Measured(r, conversion, millis, tokens, sample.description());
            };
        }, m -> {
            measured.set(m);
            session.latestDriftProperty().set(m.report());
        });
    }

    /**
     * "INT8 b128 asym · FP16 · BC1S · chunk 64/16": the configuration in a few words (legends, the pinned curve).
     */
    public static String describe(Conversion c) {
        List<String> parts = new ArrayList<>();
        if (c.int8()) {
            String block = c.blockSize() == BlockQuantizer.PER_CHANNEL ? "per-channel" : "b" + c.blockSize();
            parts.add("INT8 " + block + (c.symmetric() ? " sym" : ""));
            if (!c.keepFp16().isEmpty() || !c.blockOverrides().isEmpty()) {
                parts.add((c.keepFp16().size() + c.blockOverrides().size()) + " overrides");
            }
        }
        parts.add(c.precision().name());
        parts.add(c.layout().name());
        if (c.chunked()) parts.add("chunk " + c.chunkWindow() + "/" + c.chunkOverlap());
        return String.join(" · ", parts);
    }

    /** The pinned curve's legend name: its configuration, marked as pinned. */
    public static String pinnedName(Conversion c) {
        return describe(c) + " (pinned)";
    }

    /**
     * Whether a tap is a layer output, one point per layer on the chart: {@code hidden_states.i}, and Whisper's
     * encoder's and decoder's {@code encoder_/decoder_hidden_states.i} (spec/drift.md).
     */
    public static boolean isLayerOutput(String tap) {
        return tap.startsWith("hidden_states.") || tap.startsWith("encoder_hidden_states.")
                || tap.startsWith("decoder_hidden_states.");
    }

    private List<TapMetrics> visible(List<TapMetrics> taps) {
        if (allTaps.get()) return taps;
        return taps.stream().filter(t -> isLayerOutput(t.name())).toList();
    }

    private void rebuild() {
        Measured m = measured.get();
        if (m == null) {
            series.clear();
            rows.clear();
            layerRows.clear();
            taskText.set("");
            return;
        }
        DriftReport r = m.report();
        List<Series> out = new ArrayList<>();
        for (Map.Entry<DriftReport.Cause, List<TapMetrics>> e : r.byCause().entrySet()) {
            out.add(new Series(e.getKey().label(), points(visible(e.getValue())), e.getKey()));
        }
        if (out.isEmpty()) {
            out.add(new Series(DriftReport.Cause.ALL.label(), points(visible(r.taps())), DriftReport.Cause.ALL));
        }
        Measured p = pinned.get();
        if (p != null) out.add(new Series(pinnedName(p.conversion()), points(visible(p.report().taps())), null));
        series.setAll(out);

        List<TapRow> table = new ArrayList<>();
        List<TapMetrics> shown = visible(r.taps());
        double[] growth = TapMetrics.growths(shown);
        for (int i = 0; i < shown.size(); i++) table.add(new TapRow(shown.get(i).name(), shown.get(i), growth[i]));
        rows.setAll(table);
        Double cos = r.task().get("sentence_embedding_cosine");
        Double pooler = r.task().get("pooler_cosine");
        Double cls = r.task().get("cls_cosine");
        Double top1 = r.task().get("top1_agreement_pct");
        Double greedy = r.task().get("greedy_token_agreement_pct");
        if (cos != null) taskText.set(String.format(Locale.ROOT, "Sentence-embedding cosine %.6f", cos));
        else if (cls != null) taskText.set(String.format(Locale.ROOT, "CLS cosine %.6f", cls));
        else if (greedy != null) taskText.set(String.format(Locale.ROOT, "Greedy token agreement %.1f %%", greedy));
        else if (top1 != null) taskText.set(String.format(Locale.ROOT, "Top-1 agreement %.1f %% · next-token "
                + "KL %.3g nats", top1, r.task().get("next_token_kl")));
        else if (pooler != null) taskText.set(String.format(Locale.ROOT, "Pooler cosine %.6f", pooler));
        else taskText.set("Last hidden state SQNR "
                + (r.lastHidden() == null ? "–" : r.lastHidden().sqnrText() + " dB"));
        rebuildLayer();
        updateStatus();
    }

    private List<Point> points(List<TapMetrics> taps) {
        return taps.stream().map(t -> new Point(t.name(), t)).toList();
    }

    private void rebuildLayer() {
        Measured m = measured.get();
        int layer = selectedLayer.get();
        if (m == null || layer < 0) {
            layerRows.clear();
            return;
        }
        List<TapRow> out = new ArrayList<>();
        List<TapMetrics> all = m.report().taps();
        double[] growth = TapMetrics.growths(all);
        for (int i = 0; i < all.size(); i++) {
            TapMetrics t = all.get(i);
            if (t.name().startsWith("layers." + layer + ".") || t.name().equals("hidden_states." + (layer + 1))) {
                out.add(new TapRow(t.name(), t, growth[i]));
            }
        }
        layerRows.setAll(out);
    }

    /**
     * The layer a tap belongs to: {@code hidden_states.i} is layer i−1's output, {@code layers.i.*} is layer i; else
     * −1.
     */
    public static int layerOf(String tap) {
        try {
            if (tap.startsWith("hidden_states.")) return Integer.parseInt(tap.substring("hidden_states.".length())) - 1;
            if (tap.startsWith("layers.")) return Integer.parseInt(tap.substring(7, tap.indexOf('.', 7)));
        } catch (RuntimeException e) {
            return -1;
        }
        return -1;
    }

    private void updateStatus() {
        Session session = session();
        Measured m = measured.get();
        if (scheduler.isComputing()) {
            status.set("computing…");
        } else if (m == null) {
            status.set(session.model() == null ? "Load a model to measure drift."
                    : !session.canMeasureDrift() ? "Drift needs a source model with weights." : "");
        } else {
            status.set(String.format(Locale.ROOT, "%s · %s, %d tokens · measured in %d ms", describe(m.conversion()),
                    m.sample(), m.tokens(), m.millis()));
        }
    }

    public ReadOnlyObjectProperty<Measured> measuredProperty() { return measured.getReadOnlyProperty(); }

    public ObjectProperty<DriftMetric> metricProperty() { return metric; }

    /** Off: the hidden_states taps only (one point per layer); on: every tap in graph order. */
    public BooleanProperty allTapsProperty() { return allTaps; }

    /** On: the report at the moment of switching on stays as a pinned curve; later reports draw over it. */
    public BooleanProperty compareProperty() { return compare; }

    public ReadOnlyObjectProperty<Measured> pinnedProperty() { return pinned.getReadOnlyProperty(); }

    /** The layer whose inner taps are detailed; −1 for none. */
    public IntegerProperty selectedLayerProperty() { return selectedLayer; }

    public ObservableList<Series> series() { return series; }

    public ObservableList<TapRow> rows() { return rows; }

    public ObservableList<TapRow> layerRows() { return layerRows; }

    public ReadOnlyStringProperty taskTextProperty() { return taskText.getReadOnlyProperty(); }

    /** "computing…" while a measurement runs, else what the shown report measured. */
    public ReadOnlyStringProperty statusProperty() { return status.getReadOnlyProperty(); }
}

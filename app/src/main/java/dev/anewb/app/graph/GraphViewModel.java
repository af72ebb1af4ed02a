package dev.anewb.app.graph;

import dev.anewb.AnewbException;
import dev.anewb.ane.AnePlanner;
import dev.anewb.ane.ChipProfile;
import dev.anewb.ane.OpPlan;
import dev.anewb.ane.PlanResult;
import dev.anewb.api.ConvertedModel;
import dev.anewb.app.area.AreaViewModel;
import dev.anewb.app.jobs.LatestJobScheduler;
import dev.anewb.app.session.GraphNames;
import dev.anewb.app.session.MeasuredLayers;
import dev.anewb.app.session.PlanLength;
import dev.anewb.app.session.SampleInput;
import dev.anewb.app.session.Session;
import dev.anewb.app.ui.Numbers;
import dev.anewb.drift.DriftReport;
import dev.anewb.drift.TapMetrics;
import dev.anewb.io.ByteSizes;
import dev.anewb.job.Job;
import dev.anewb.model.Conversion;
import dev.anewb.model.LayerRange;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.Op;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleObjectProperty;
import javafx.util.Subscription;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * State of the Graph area: the converted graph as blocks of ops (one per layer, collapsible), each op coloured by the
 * chosen overlay: drift at its output (where it is a tap), its on-chip buffer occupancy, what it spills, whether it
 * stays on the ANE. The overlays come from one drift measurement and one plan of the session's conversion; choosing
 * an op selects it in every area through the session.
 */
public final class GraphViewModel extends AreaViewModel {
    /** What colours the nodes. */
    public enum Overlay {
        DRIFT("Drift (SQNR at the op's output)"), BUFFER("Buffer occupancy"), SPILL("Spill"),
        ANE("ANE compatibility");
        private final String label;
        Overlay(String label) { this.label = label; }
        @Override public String toString() { return label; }
    }

    /** How an overlay rates a node: a level for its colour and the text beside it. */
    public enum Level { GOOD, FAIR, POOR, NONE }

    /**
     * One op as a node.
     *
     * @param detail "Linear 384 → 384", "attention · 12 heads"
     * @param inputs the ops whose outputs it reads, where they are not the op just before it (residuals, q/k/v)
     */
    public record Node(String op, String kind, String detail, GraphNames.Layer layer, List<String> inputs) { }

    /** A run of ops of one layer (or the embeddings before, the heads after), as the graph runs them. */
    public record Block(String title, GraphNames.Layer layer, List<Node> nodes) { }

    /** What the overlay says about one node. */
    public record Mark(Level level, String text) {
        static final Mark NONE = new Mark(Level.NONE, "");
    }

    /** The overlays' inputs: a drift report and a plan of one conversion (either may be missing). */
    public record Overlays(Conversion conversion, DriftReport drift, PlanResult plan, String problem) { }

    private final LatestJobScheduler<Overlays> scheduler = scheduler("Graph overlays");
    private final ReadOnlyObjectWrapper<List<Block>> blocks = new ReadOnlyObjectWrapper<>(this, "blocks", List.of());
    private final ReadOnlyObjectWrapper<Overlays> overlays = new ReadOnlyObjectWrapper<>(this, "overlays");
    private final ObjectProperty<Overlay> overlay = new SimpleObjectProperty<>(this, "overlay", Overlay.DRIFT);
    private final ReadOnlyStringWrapper status = new ReadOnlyStringWrapper(this, "status", "");
    private final ReadOnlyStringWrapper legend = new ReadOnlyStringWrapper(this, "legend", "");
    private Map<String, String> tapOfValue = Map.of();

    public GraphViewModel(Session session) {
        super(session, "Graph",
                "The converted graph, op by op and layer by layer, coloured by drift, buffer occupancy, spills or ANE "
                        + "compatibility; choosing an op shows it in Drift, Memory, Layout and Weights.",
                List.of("Every op of the converted graph, layers collapsible",
                        "Overlays: drift, buffer occupancy, spill, ANE compatibility",
                        "Click an op to select it in the other areas"),
                "Load a model, or just its config.json, to see its graph.");
        keep(Subscription.combine(
                session.convertedProperty().subscribe(c -> rebuild()),
                session.modelProperty().subscribe(m -> rebuild()),
                session.sampleInputProperty().subscribe(i -> measure()),
                session.chipProperty().subscribe(c -> measure()),
                session.planSequenceLengthProperty().subscribe(v -> measure()),
                overlay.subscribe(o -> updateLegend()),
                overlays.subscribe(o -> updateStatus()),
                scheduler.computingProperty().subscribe(c -> updateStatus())));
    }

    private ModelGraph graph() {
        ConvertedModel c = session().converted();
        return c != null ? c.graph() : session().model() == null ? null : session().model().graph();
    }

    private void rebuild() {
        ModelGraph g = graph();
        if (g == null) {
            blocks.set(List.of());
            overlays.set(null);
            scheduler.cancel();
            return;
        }
        Map<String, String> taps = new HashMap<>();
        g.taps().forEach((tap, value) -> taps.put(value, tap));
        tapOfValue = taps;
        blocks.set(blocksOf(g));
        measure();
    }

    /** The graph's ops in execution order, cut into blocks where the layer changes. */
    static List<Block> blocksOf(ModelGraph g) {
        Map<String, Integer> producer = new HashMap<>();
        List<Block> out = new ArrayList<>();
        List<Node> current = new ArrayList<>();
        GraphNames.Layer currentLayer = null;
        int currentOpLayer = Integer.MIN_VALUE;
        List<Op> ops = g.ops();
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            GraphNames.Layer layer = op.layer() < 0 ? null : GraphNames.layerOf(op.name());
            if (op.layer() != currentOpLayer && !current.isEmpty()) {
                out.add(new Block(title(currentLayer, currentOpLayer, out), currentLayer, List.copyOf(current)));
                current.clear();
            }
            currentOpLayer = op.layer();
            currentLayer = layer;
            List<String> skips = new ArrayList<>();
            for (String in : op.inputs()) {
                Integer p = producer.get(in);
                if (p != null && p != i - 1) skips.add(ops.get(p).name());
            }
            current.add(new Node(op.name(), op.kind(), detail(op), layer, List.copyOf(skips)));
            producer.put(op.output(), i);
        }
        if (!current.isEmpty()) out.add(new Block(title(currentLayer, currentOpLayer, out), currentLayer,
                List.copyOf(current)));
        return out;
    }

    private static String title(GraphNames.Layer layer, int opLayer, List<Block> before) {
        if (layer != null) return (layer.stack().isEmpty() ? "" : layer.stack() + " ") + "layers." + layer.index();
        return before.isEmpty() ? "inputs and embeddings" : "after the layers";
    }

    private static String detail(Op op) {
        return switch (op) {
            case Op.Linear l -> String.format(Locale.ROOT, "%s %d → %d", op.kind(), l.in(), l.out());
            case Op.Attention a -> String.format(Locale.ROOT, "%s · %d heads%s", op.kind(), a.heads(),
                    a.chunk() == null ? "" : " · window " + a.chunk().window());
            default -> op.kind();
        };
    }

    /** Measures drift (taps only) and plans the session's conversion, off the FX thread, latest wins. */
    private void measure() {
        Session session = session();
        if (graph() == null || session.model() == null) return;
        // the state is read when the job starts: a new model's input and its converted graph arrive one by one
        scheduler.request(() -> overlaysJob(session), overlays::set);
    }

    private static Job<Overlays> overlaysJob(Session session) {
        ConvertedModel c = session.converted();
        if (session.model() == null) return null;
        ModelGraph original = session.model().graph();
        Conversion conv = c == null ? session.conversion() : c.conversion();
        ChipProfile chip = session.baseChip();
        Double override = session.bufferOverrideMbProperty().get();
        int batch = session.planBatchProperty().get();
        int seq = PlanLength.of(original, session.planSequenceLengthProperty().get()).planned();
        boolean drift = c != null && c.source() == session.model() && session.canMeasureDrift();
        SampleInput input = session.sampleInput();
        LayerRange range = MeasuredLayers.byDefault(original);
        return ctx -> {
            PlanResult plan = null;
            String problem = null;
            try {
                plan = AnePlanner.plan(original, conv, chip, batch, seq, override);
            } catch (AnewbException | IllegalArgumentException e) {
                problem = e.getMessage();
            }
            DriftReport report = drift ? c.drift(session.sample(input).batch(), false, range, ctx, null) : null;
            return new Overlays(conv, report, plan, problem);
        };
    }

    /** What the chosen overlay says about {@code node}. */
    public Mark mark(Node node) { return mark(node, overlay.get(), overlays.get(), tapOfValue, graph()); }

    static Mark mark(Node node, Overlay overlay, Overlays o, Map<String, String> tapOfValue, ModelGraph g) {
        if (o == null) return Mark.NONE;
        return switch (overlay) {
            case DRIFT -> {
                if (o.drift() == null || g == null) yield Mark.NONE;
                Op op = opNamed(g, node.op());
                String tap = op == null ? null : tapOfValue.get(op.output());
                if (tap == null) yield Mark.NONE;
                for (TapMetrics t : o.drift().taps()) {
                    if (t.name().equals(tap)) {
                        double db = t.sqnrDb();
                        yield new Mark(t.exact() || db >= 50 ? Level.GOOD : db >= 30 ? Level.FAIR : Level.POOR,
                                t.exact() ? "exact" : t.sqnrText() + " dB");
                    }
                }
                yield Mark.NONE;
            }
            case BUFFER -> {
                OpPlan p = planned(o, node.op());
                if (p == null) yield Mark.NONE;
                double f = (double) p.sramTotal() / o.plan().chip().bufferBytes();
                yield new Mark(f < 0.5 ? Level.GOOD : f < 0.9 ? Level.FAIR : Level.POOR,
                        ByteSizes.format(p.sramTotal()) + " · " + Numbers.sig(100 * f, 2) + " %");
            }
            case SPILL -> {
                OpPlan p = planned(o, node.op());
                if (p == null) yield Mark.NONE;
                yield p.spillBytes() > 0 ? new Mark(Level.POOR, "spills " + ByteSizes.format(p.spillBytes()))
                        : new Mark(Level.GOOD, "fits");
            }
            case ANE -> {
                OpPlan p = planned(o, node.op());
                if (p == null) yield Mark.NONE;
                if (!p.onAne()) yield new Mark(Level.POOR, "off the ANE");
                if (!p.warnings().isEmpty()) {
                    String w = p.warnings().getFirst();
                    int colon = w.indexOf(':');
                    yield new Mark(Level.FAIR, colon > 0 && colon < 24 ? w.substring(0, colon) : "warning");
                }
                yield new Mark(Level.GOOD, "native");
            }
        };
    }

    /** The worst mark of a block's nodes: what a collapsed layer shows. */
    public Mark mark(Block b) {
        Mark worst = Mark.NONE;
        for (Node n : b.nodes()) {
            Mark m = mark(n);
            if (m.level() == Level.NONE) continue;
            if (worst.level() == Level.NONE || m.level().ordinal() > worst.level().ordinal()) worst = m;
        }
        // drift of a layer is its output's (the last tap of the block), not its worst inner tap
        if (overlay.get() == Overlay.DRIFT) {
            for (int i = b.nodes().size() - 1; i >= 0; i--) {
                Mark m = mark(b.nodes().get(i));
                if (m.level() != Level.NONE) return m;
            }
        }
        return worst;
    }

    private static OpPlan planned(Overlays o, String op) {
        if (o.plan() == null) return null;
        for (OpPlan p : o.plan().optimized().ops()) if (p.name().equals(op)) return p;
        return null;
    }

    private static Op opNamed(ModelGraph g, String name) {
        for (Op op : g.ops()) if (op.name().equals(name)) return op;
        return null;
    }

    /** Selects {@code op} in every area (the session's selection). */
    public void select(String op) { session().selectedOpProperty().set(op); }

    /** Shows {@code op} in another area ("drift", "memory", "layout", "weights"). */
    public void showIn(String op, String area) {
        select(op);
        session().requestedAreaProperty().set(area);
    }

    private void updateLegend() {
        legend.set(switch (overlay.get()) {
            case DRIFT -> "green ≥ 50 dB · amber 30–50 dB · red < 30 dB at the op's output (taps only; measured on the"
                    + " CPU)";
            case BUFFER -> "share of the on-chip buffer the op uses: green < 50 % · amber < 90 % · red ≥ 90 % "
                    + "(estimate)";
            case SPILL -> "red: the working set is tiled and re-streamed from DRAM (estimate)";
            case ANE -> "green: native · amber: breaks a rule of the ANE model (hover for it) · red: runs off the ANE";
        });
    }

    private void updateStatus() {
        Overlays o = overlays.get();
        if (scheduler.isComputing()) status.set("measuring drift and planning…");
        else if (o == null) status.set("");
        else {
            List<String> parts = new ArrayList<>();
            parts.add(blocks.get().stream().mapToInt(b -> b.nodes().size()).sum() + " ops");
            if (o.drift() == null) parts.add("no drift (needs weights)");
            if (o.plan() != null) parts.add("planned for " + o.plan().chip().name() + " (estimate)");
            if (o.problem() != null) parts.add("cannot plan: " + o.problem());
            status.set(String.join(" · ", parts));
        }
    }

    /** The op chosen in any area. */
    public ReadOnlyStringProperty selectedOpProperty() { return session().selectedOpProperty(); }

    /** Blocks in execution order. */
    public ReadOnlyObjectProperty<List<Block>> blocksProperty() { return blocks.getReadOnlyProperty(); }

    public ReadOnlyObjectProperty<Overlays> overlaysProperty() { return overlays.getReadOnlyProperty(); }

    public ObjectProperty<Overlay> overlayProperty() { return overlay; }

    public ReadOnlyStringProperty statusProperty() { return status.getReadOnlyProperty(); }

    /** What the overlay's colours mean. */
    public ReadOnlyStringProperty legendProperty() { return legend.getReadOnlyProperty(); }

    /** Ops by name to their blocks' titles (tests). */
    Map<String, String> blockOf() {
        Map<String, String> out = new LinkedHashMap<>();
        for (Block b : blocks.get()) for (Node n : b.nodes()) out.put(n.op(), b.title());
        return out;
    }
}

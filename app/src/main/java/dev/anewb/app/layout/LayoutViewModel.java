package dev.anewb.app.layout;

import dev.anewb.AnewbException;
import dev.anewb.ane.LayoutCatalog;
import dev.anewb.ane.PlannedWeights;
import dev.anewb.ane.TensorLayout;
import dev.anewb.ane.WeightStorage;
import dev.anewb.api.ConvertedModel;
import dev.anewb.app.area.AreaViewModel;
import dev.anewb.app.session.PlanLength;
import dev.anewb.app.session.Session;
import dev.anewb.io.LoadedModel;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.Op;
import dev.anewb.model.WeightInfo;
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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * State of the Layout area: every tensor of the planned graph grouped by layer and kind, the
 * {@link TensorLayout} of the chosen one ({@link LayoutCatalog}) in the chosen arrangement (HF, BC1S or the
 * per-head split), its figures, and what lies under the pointer. All numbers come from the layout model.
 */
public final class LayoutViewModel extends AreaViewModel {
    /** How the tensor is arranged: the two layouts of spec/ane-model.md rule 2, or split into heads. */
    public enum Mode {
        HF("HF (B, S, C)"), BC1S("BC1S (B, C, 1, S)"), PER_HEAD("Per-head");
        private final String label;
        Mode(String label) { this.label = label; }
        @Override public String toString() { return label; }
    }

    /**
     * A tree entry: a group (tensor null) or a tensor with the name LayoutCatalog knows it by, and what it is (the
     * tooltip: "linear output").
     */
    public record Entry(String label, String tensor, String detail) {
        public Entry(String label, String tensor) { this(label, tensor, ""); }

        @Override public String toString() { return label; }
    }

    /** A group of the tree with its children (groups or tensors). */
    public record Group(Entry entry, List<Group> children) { }

    /** One figure beside the grid. */
    public record Figure(String label, String value) { }

    /** What lies at one byte of the tensor's memory. {@code element} is -1 in padding. */
    public record Cell(long row, long byteInRow, long address, long element, String index, String owner) {
        public boolean padding() { return element < 0; }
    }

    private static final String INT8_PARTS = "INT8 codes, scales, zero points";

    private final ObjectProperty<Group> tree = new SimpleObjectProperty<>(this, "tree");
    private final ObjectProperty<String> selected = new SimpleObjectProperty<>(this, "selected");
    private final ObjectProperty<Mode> mode = new SimpleObjectProperty<>(this, "mode", Mode.BC1S);
    private final ReadOnlyObjectWrapper<TensorLayout> layout = new ReadOnlyObjectWrapper<>(this, "layout");
    private final ReadOnlyStringWrapper note = new ReadOnlyStringWrapper(this, "note", "");
    private final ReadOnlyObjectWrapper<Cell> hover = new ReadOnlyObjectWrapper<>(this, "hover");
    private final ObservableList<Figure> figures = FXCollections.observableArrayList();
    private final Set<String> attentionValues = new LinkedHashSet<>();

    public LayoutViewModel(Session session) {
        super(session, "Layout",
                "How tensors are laid out for the Neural Engine: the channel-first BC1S layout, padding added for "
                        + "alignment, and the transposes and reshapes the converter inserts.",
                List.of("Layout grid of each tensor",
                        "Padding overhead per tensor",
                        "Transposes and reshapes added by conversion"),
                "Load a model to see its tensor layouts.");
        keep(Subscription.combine(
                session.modelProperty().subscribe(m -> {
                    Conversion c = session.conversion();
                    if (c != null) mode.set(c.layout() == Conversion.Layout.HF ? Mode.HF : Mode.BC1S);
                }),
                session.convertedProperty().subscribe(c -> rebuildTree()),
                session.modelProperty().subscribe(m -> rebuildTree()),
                selected.subscribe(s -> resolve()),
                mode.subscribe(s -> resolve()),
                session.planSequenceLengthProperty().subscribe(v -> resolve()),
                session.planBatchProperty().subscribe(v -> resolve()),
                session.chipProperty().subscribe(c -> resolve()),
                session.selectedOpProperty().subscribe(this::selectOp)));
    }

    /** The graph whose weights carry the conversion's quantization (names of .q/.scale/.zero_point follow it). */
    private ModelGraph plannedGraph() {
        ConvertedModel c = session().converted();
        LoadedModel m = session().model();
        return c != null ? c.graph() : m == null ? null : m.graph();
    }

    private void rebuildTree() {
        ModelGraph g = plannedGraph();
        attentionValues.clear();
        if (g == null) {
            tree.set(null);
            selected.set(null);
            layout.set(null);
            figures.clear();
            return;
        }
        Conversion conv = session().conversion();
        Map<Integer, Map<String, List<Entry>>> byLayer = new LinkedHashMap<>();
        Set<String> seen = new LinkedHashSet<>();
        for (Op op : g.ops()) {
            Map<String, List<Entry>> kinds = byLayer.computeIfAbsent(op.layer(), l -> new LinkedHashMap<>());
            for (String k : List.of("Activations", "Weights", INT8_PARTS, "Attention scores", "KV cache")) {
                kinds.putIfAbsent(k, new ArrayList<>());
            }
            if (seen.add(op.output())) {
                kinds.get("Activations").add(new Entry(op.output(), op.output(), op.kind() + " output"));
            }
            for (String w : op.weights()) {
                WeightInfo info = g.weights().get(w);
                if (info == null || !seen.add(w)) continue;
                // named by the op that reads it, as every area names things; the file's name is the tooltip
                String part = w.endsWith("bias") ? " bias" : w.endsWith("weight") ? " weight" : " " + w
                        .substring(w.lastIndexOf('.') + 1);
                WeightStorage s = PlannedWeights.storageOf(info, conv);
                if (s.format() == WeightStorage.Format.INT8_BLOCK) {
                    kinds.get(INT8_PARTS).add(new Entry(op.name() + " codes", w + ".q"));
                    kinds.get(INT8_PARTS).add(new Entry(op.name() + " scales", w + ".scale"));
                    kinds.get(INT8_PARTS).add(new Entry(op.name() + " zero points", w + ".zero_point"));
                } else {
                    kinds.get("Weights").add(new Entry(op.name() + part + " " + Arrays.toString(info.shape()), w));
                }
            }
            if (op instanceof Op.Attention a) {
                attentionValues.addAll(List.of(a.q(), a.k(), a.v(), a.output()));
                kinds.get("Attention scores").add(new Entry(a.name() + ".scores", a.name() + ".scores"));
                if (a.causal()) kinds.get("KV cache").add(new Entry(a.name() + ".kv_cache", a.name() + ".kv_cache"));
            }
        }
        List<Group> layers = new ArrayList<>();
        byLayer.forEach((layer, kinds) -> {
            List<Group> kindGroups = new ArrayList<>();
            kinds.forEach((k, entries) -> {
                if (!entries.isEmpty()) kindGroups.add(new Group(new Entry(k + " (" + entries.size() + ")", null),
                        entries.stream().map(e -> new Group(e, List.of())).toList()));
            });
            layers.add(new Group(new Entry(layer < 0 ? "Embeddings and heads" : "Layer " + layer, null), kindGroups));
        });
        tree.set(new Group(new Entry(g.config().modelType(), null), layers));
        if (selected.get() == null || !tensorNames().contains(selected.get())) {
            List<String> examples = LayoutCatalog.examples(g);
            selected.set(examples.isEmpty() ? tensorNames().stream().findFirst().orElse(null) : examples.getFirst());
        } else {
            resolve();
        }
    }

    /** Another area chose an op: show its output's layout. */
    private void selectOp(String op) {
        ModelGraph g = plannedGraph();
        if (op == null || g == null) return;
        for (Op o : g.ops()) {
            if (o.name().equals(op) && tensorNames().contains(o.output())) {
                selected.set(o.output());
                return;
            }
        }
    }

    /** Every tensor name in the tree, in tree order. */
    public List<String> tensorNames() {
        List<String> out = new ArrayList<>();
        if (tree.get() != null) collect(tree.get(), out);
        return out;
    }

    private static void collect(Group g, List<String> out) {
        if (g.entry().tensor() != null) out.add(g.entry().tensor());
        for (Group c : g.children()) collect(c, out);
    }

    /** The name LayoutCatalog is asked for in the current mode. */
    String catalogName(String name) {
        return mode.get() == Mode.PER_HEAD && attentionValues.contains(name) ? name + ".heads" : name;
    }

    private void resolve() {
        Session session = session();
        LoadedModel m = session.model();
        String name = selected.get();
        hover.set(null);
        if (m == null || name == null) {
            layout.set(null);
            figures.clear();
            note.set("");
            return;
        }
        Conversion conv = session.conversion()
                .withLayout(mode.get() == Mode.HF ? Conversion.Layout.HF : Conversion.Layout.BC1S);
        String asked = catalogName(name);
        try {
            // A graph rewrite and a lookup: as cheap as the session's own conversion on this thread.
            TensorLayout t = LayoutCatalog.find(m.graph(), conv, session.planBatchProperty().get(),
                    PlanLength.of(m.graph(), session.planSequenceLengthProperty().get()).planned(), asked,
                    session.chip().constants());
            layout.set(t);
            note.set(mode.get() == Mode.PER_HEAD && asked.equals(name)
                    ? name + " has no per-head split (only attention's q, k, v and output are split by head); shown as "
                    + "stored in BC1S."
                    : t.description());
            figures.setAll(figuresOf(t));
        } catch (AnewbException e) {
            layout.set(null);
            figures.clear();
            note.set(e.getMessage());
        }
    }

    static List<Figure> figuresOf(TensorLayout t) {
        List<Figure> f = new ArrayList<>();
        f.add(new Figure("Shape", t.shapeText()));
        f.add(new Figure("Strides (bytes)", Arrays.toString(t.strides()).replace('[', '(').replace(']', ')')));
        f.add(new Figure("Element", t.elementBytes() + " B"));
        f.add(new Figure("Rows × row bytes", String.format(Locale.ROOT, "%,d × %,d used / %,d allocated",
                t.rows(), t.rowBytesUsed(), t.rowBytesAllocated())));
        f.add(new Figure("64-byte lines",
                String.format(Locale.ROOT, "%,d", t.rows() * (t.rowBytesAllocated() / TensorLayout.ROW_ALIGN))));
        f.add(new Figure("Bytes used", String.format(Locale.ROOT, "%,d", t.bytesUsed())));
        f.add(new Figure("Bytes allocated", String.format(Locale.ROOT, "%,d", t.bytesAllocated())));
        f.add(new Figure("Padding", String.format(Locale.ROOT, "%,d B = %.1f%% of allocated (×%.2f)", t.paddingBytes(),
                t.bytesAllocated() == 0 ? 0.0 : 100.0 * t.paddingBytes() / t.bytesAllocated(), t.wasteFactor())));
        if (!t.rowGroups().none()) {
            f.add(new Figure("Rows owned by", t.rowGroups().label() + " (" + t.rowGroups().groups(t.rows()) + ")"));
        }
        if (!t.columnGroups().none()) {
            f.add(new Figure("Row parts owned by",
                    t.columnGroups().label() + " (" + t.columnGroups().groups(t.lastAxis()) + ")"));
        }
        return f;
    }

    /** What is at byte {@code byteInRow} of row {@code row}: address, element, index along every axis, owner. */
    public static Cell cellAt(TensorLayout t, long row, long byteInRow) {
        long address = row * t.rowBytesAllocated() + byteInRow;
        if (byteInRow >= t.rowBytesUsed()) return new Cell(row, byteInRow, address, -1, "padding", "");
        long col = byteInRow / t.elementBytes();
        long element = row * t.lastAxis() + col;
        long[] shape = t.shape();
        long[] idx = new long[shape.length];
        idx[shape.length - 1] = col;
        long r = row;
        for (int i = shape.length - 2; i >= 0; i--) {
            idx[i] = r % shape[i];
            r /= shape[i];
        }
        String owner = "";
        if (!t.rowGroups().none()) owner = t.rowGroups().label() + " " + t.rowOwner(row);
        if (!t.columnGroups().none()) {
            owner = (owner.isEmpty() ? "" : owner + ", ") + t.columnGroups().label() + " " + t.columnOwner(col);
        }
        String index = Arrays.toString(idx).replace('[', '(').replace(']', ')');
        return new Cell(row, byteInRow, address, element, index, owner);
    }

    /** The pointer is over byte {@code byteInRow} of {@code row}; null clears it. */
    public void hover(long row, long byteInRow) {
        TensorLayout t = layout.get();
        boolean inside = t != null && row >= 0 && row < t.rows() && byteInRow >= 0 && byteInRow < t.rowBytesAllocated();
        hover.set(inside ? cellAt(t, row, byteInRow) : null);
    }

    public void clearHover() { hover.set(null); }

    public ReadOnlyObjectProperty<Group> treeProperty() { return tree; }

    /** The chosen tensor's base name (the mode decides whether its per-head split is shown). */
    public ObjectProperty<String> selectedProperty() { return selected; }

    public ObjectProperty<Mode> modeProperty() { return mode; }

    public ReadOnlyObjectProperty<TensorLayout> layoutProperty() { return layout.getReadOnlyProperty(); }

    /** The layout's description, or why there is none / why per-head does not apply. */
    public ReadOnlyStringProperty noteProperty() { return note.getReadOnlyProperty(); }

    public ReadOnlyObjectProperty<Cell> hoverProperty() { return hover.getReadOnlyProperty(); }

    public ObservableList<Figure> figures() { return figures; }
}

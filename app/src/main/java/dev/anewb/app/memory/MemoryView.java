package dev.anewb.app.memory;

import dev.anewb.ane.BufferKind;
import dev.anewb.ane.OpPlan;
import dev.anewb.ane.PlanResult;
import dev.anewb.app.area.AreaView;
import dev.anewb.app.area.EmptyState;
import dev.anewb.app.chip.ChipSourcesPopover;
import dev.anewb.app.ui.Fxml;
import dev.anewb.app.ui.Icons;
import dev.anewb.app.ui.Numbers;
import dev.anewb.app.ui.TableColumns;
import javafx.collections.ListChangeListener;
import javafx.fxml.FXML;
import javafx.scene.Node;
import javafx.scene.Parent;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.ListView;
import javafx.scene.control.ProgressIndicator;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.TableColumn;
import javafx.scene.control.Tab;
import javafx.scene.control.TabPane;
import javafx.scene.control.TableRow;
import javafx.scene.control.TableView;
import javafx.scene.control.TextField;
import javafx.scene.control.ToggleButton;
import javafx.scene.control.ToggleGroup;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.FlowPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Region;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import javafx.scene.paint.Color;
import javafx.scene.paint.Paint;
import javafx.util.Subscription;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Controller of MemoryView.fxml: summary cards, the SRAM timeline (one canvas), per-op table and warnings, kept in
 * sync.
 */
public final class MemoryView implements AreaView {
    /** The area's icon in the navigation list and its empty state. */
    public static final String ICON = Icons.CHIP;
    private static final String[] KIND_LABELS = {"weights (incl. INT8 scales/zero points)", "activations in",
            "activations out", "attention scores", "KV cache"};

    private final MemoryViewModel viewModel;
    private final Parent root;
    private final SramTimeline timeline = new SramTimeline();
    private Subscription subscriptions = Subscription.EMPTY;
    private boolean syncing;
    private final Label bufferLegend = new Label("- - - on-chip buffer size");

    @FXML private EmptyState emptyState;
    @FXML private VBox content;
    @FXML private ToggleButton showOptimized;
    @FXML private ToggleButton showBaseline;
    @FXML private ToggleButton showBoth;
    @FXML private ProgressIndicator busy;
    @FXML private Label status;
    @FXML private Label caption;
    @FXML private FlowPane cards;
    @FXML private ScrollPane contentScroll;
    @FXML private FlowPane legend;
    @FXML private StackPane timelineBox;
    @FXML private Label hover;
    @FXML private TableView<OpPlan> opTable;
    @FXML private ListView<MemoryViewModel.Finding> findingList;
    @FXML private Tab findingsTab;
    @FXML private TabPane tables;
    @FXML private ToggleButton compare;
    @FXML private HBox perChannelCard;
    @FXML private Label perChannelText;
    @FXML private Button applyPerChannel;
    @FXML private Label title;
    @FXML private Label ceiling;
    @FXML private TextField measuredMs;
    @FXML private TextField profileName;
    @FXML private Button calibrate;
    @FXML private ProgressIndicator calibrating;
    @FXML private Label calibrationMessage;

    public MemoryView(MemoryViewModel viewModel) {
        this.viewModel = viewModel;
        this.root = Fxml.load(this, "MemoryView.fxml");
    }

    @FXML private void initialize() {
        emptyState.show(viewModel, ICON);
        timelineBox.getChildren().add(timeline);
        timeline.setId("sramTimeline");

        ToggleGroup group = new ToggleGroup();
        for (ToggleButton b : List.of(showOptimized, showBaseline, showBoth)) b.setToggleGroup(group);
        showOptimized.setTooltip(new Tooltip("Timeline and table of the plan for the current conversion"));
        showBaseline.setTooltip(new Tooltip("Timeline and table of the baseline: HF layout, batched heads with their "
                + "copies, FP16, no INT8, no chunking"));
        showBoth.setTooltip(new Tooltip("Optimized (top, in the table) and baseline (below) on the same scale"));
        group.selectedToggleProperty().addListener((obs, old, now) -> {
            if (now == null) old.setSelected(true);
            else viewModel.viewProperty().set(now == showBaseline ? MemoryViewModel.View.BASELINE
                    : now == showBoth ? MemoryViewModel.View.SIDE_BY_SIDE : MemoryViewModel.View.OPTIMIZED);
        });

        busy.visibleProperty().bind(viewModel.computingProperty());
        status.textProperty().bind(viewModel.statusProperty());
        caption.textProperty().bind(viewModel.captionProperty());
        caption.setTooltip(new Tooltip("Every figure here is a simulated ESTIMATE; click for the chip profile's "
                + "figures and sources"));
        ChipSourcesPopover.install(caption, viewModel::chip);

        ceiling.textProperty().bind(viewModel.ceilingSummaryProperty());
        Tooltip ceilingTip = new Tooltip();
        ceilingTip.textProperty().bind(viewModel.ceilingDetailsProperty());
        ceilingTip.setWrapText(true);
        ceilingTip.setMaxWidth(640);
        ceiling.setTooltip(ceilingTip);

        measuredMs.textProperty().bindBidirectional(viewModel.measuredMsProperty());
        profileName.textProperty().bindBidirectional(viewModel.profileNameProperty());
        measuredMs.setTooltip(new Tooltip("The median latency in ms that Xcode's performance report shows for the "
                + "exported package of this model, with this conversion, batch and sequence length, on your device"));
        profileName.setTooltip(new Tooltip("Name of the chip profile to save the calibration under (in your "
                + "chips.json); empty: the chip's name + \" (mine)\""));
        calibrate.setTooltip(new Tooltip("Fit the chosen chip's throughput so the estimate equals your measurement, "
                + "save it as a chip profile and plan with it"));
        calibrate.setOnAction(e -> viewModel.calibrate());
        measuredMs.setOnAction(e -> viewModel.calibrate());
        calibrate.disableProperty().bind(viewModel.calibratingProperty());
        calibrating.visibleProperty().bind(viewModel.calibratingProperty());
        calibrationMessage.textProperty().bind(viewModel.calibrationMessageProperty());

        for (int k = 0; k < KIND_LABELS.length; k++) {
            legend.getChildren().add(swatch(SramTimeline.KIND_COLOURS.get(k), KIND_LABELS[k]));
        }
        legend.getChildren().add(swatch(SramTimeline.SPILL, "▲ spill (tiled, re-streamed from DRAM)"));
        bufferLegend.getStyleClass().add("hint");
        legend.getChildren().add(bufferLegend);

        buildTable();
        findingList.setItems(viewModel.findings());
        findingList.setCellFactory(l -> new ListCell<>() {
            private final Label title = new Label();
            private final Label ops = new Label();
            private final VBox box = new VBox(2, title, ops);
            {
                title.getStyleClass().add("finding-title");
                ops.getStyleClass().add("hint");
                for (Label x : List.of(title, ops)) {
                    x.setWrapText(true);
                    x.maxWidthProperty().bind(l.widthProperty().subtract(28));
                    // a cell as tall as its wrapped text: without it long findings end in "..." after two lines
                    x.setMinHeight(Region.USE_PREF_SIZE);
                }
            }
            @Override protected void updateItem(MemoryViewModel.Finding f, boolean empty) {
                super.updateItem(f, empty);
                setText(null);
                if (empty || f == null) {
                    setGraphic(null);
                    setTooltip(null);
                    return;
                }
                title.setText(f.rule() + ": " + f.title() + " · " + f.ops().size()
                        + (f.ops().size() == 1 ? " op" : " ops"));
                ops.setText(f.opsText());
                Tooltip tip = new Tooltip(f.detail() + "\n\nOps: " + String.join(", ", f.ops()));
                tip.setWrapText(true);
                tip.setMaxWidth(560);
                setTooltip(tip);
                setGraphic(box);
            }
        });
        findingList.setPlaceholder(new Label("Nothing in this plan breaks a rule of the ANE model"));
        findingList.getSelectionModel().selectedItemProperty().addListener((obs, old, f) -> {
            if (f != null) viewModel.selectedOpProperty().set(f.opIndices().getFirst());
        });
        ListChangeListener<MemoryViewModel.Finding> onFindings = c -> findingsTab.setText(
                "Findings (" + viewModel.findings().size() + ")");
        viewModel.findings().addListener(onFindings);

        compare.selectedProperty().bindBidirectional(viewModel.compareProperty());
        compare.setTooltip(new Tooltip("Pin the current configuration: the cards show its figures and the difference "
                + "while you change the conversion"));
        perChannelCard.visibleProperty().bind(viewModel.perChannelProperty().isNotNull());
        perChannelCard.managedProperty().bind(perChannelCard.visibleProperty());
        applyPerChannel.setOnAction(e -> viewModel.applyPerChannel());
        applyPerChannel.setTooltip(new Tooltip("Use per-channel INT8 (one scale per output row): native on the ANE"));

        timeline.setOnPick(i -> viewModel.selectedOpProperty().set(i));
        timeline.setOnHover(i -> hover.setText(i < 0 || i >= viewModel.ops().size() ? "Hover an op for its bytes; "
                + "click to select it in the table" : describe(i, viewModel.ops().get(i))));
        Tooltip.install(timeline, new Tooltip("Buffer bytes of each op by kind (estimate). Click an op to select it "
                + "in the table."));
        hover.setText("Hover an op for its bytes; click to select it in the table");

        opTable.getSelectionModel().selectedIndexProperty().addListener((obs, old, i) -> {
            if (!syncing && i.intValue() >= 0) viewModel.selectedOpProperty().set(i.intValue());
        });

        ListChangeListener<MemoryViewModel.Card> onCards = c -> showCards();
        viewModel.cards().addListener(onCards);
        subscriptions = Subscription.combine(
                () -> viewModel.cards().removeListener(onCards),
                () -> viewModel.findings().removeListener(onFindings),
                viewModel.perChannelProperty().subscribe(c -> perChannelText.setText(c == null ? "" : c.text())),
                viewModel.outcomeProperty().subscribe(o -> redraw()),
                viewModel.viewProperty().subscribe(v -> redraw()),
                viewModel.selectedOpProperty().subscribe(i -> select(i.intValue())),
                viewModel.modelLoadedProperty().subscribe(loaded -> {
                    contentScroll.setVisible(loaded);
                    emptyState.setVisible(!loaded);
                }),
                viewModel.chipNameProperty().subscribe(n -> profileName.setPromptText(viewModel.defaultProfileName())));
        title.setText("Memory");
        // cards fill the row: as many columns of at least CARD_MIN as fit, the rest wrap to the next row
        cards.widthProperty().addListener((obs, old, w) -> sizeCards());
        showCards();
    }

    private static final double CARD_MIN = 124;

    private void sizeCards() {
        int n = cards.getChildren().size();
        if (n == 0 || cards.getWidth() <= 0) return;
        double gap = cards.getHgap(), w = cards.getWidth() - 1;
        int columns = (int) Math.max(1, Math.min(n, Math.floor((w + gap) / (CARD_MIN + gap))));
        // equal rows: 5 cards in 3 columns stay 3 + 2, not 4 + 1
        double each = Math.floor((w - (columns - 1) * gap) / columns);
        for (Node c : cards.getChildren()) ((Region) c).setPrefWidth(each);
    }

    private static Node swatch(Color c, String text) {
        Region r = new Region();
        r.setMinSize(12, 12);
        r.setMaxSize(12, 12);
        r.setStyle("-fx-background-color: " + toCss(c) + "; -fx-background-radius: 2;");
        Label l = new Label(text, r);
        l.getStyleClass().add("legend-item");
        return l;
    }

    private static String toCss(Color c) {
        return String.format(Locale.ROOT, "#%02x%02x%02x",
                (int) (c.getRed() * 255), (int) (c.getGreen() * 255), (int) (c.getBlue() * 255));
    }

    private void buildTable() {
        List<TableColumn<OpPlan, String>> cols = new ArrayList<>();
        cols.add(TableColumns.text("#", o -> Integer.toString(viewModel.ops().indexOf(o)), "999"));
        cols.add(TableColumns.text("op", OpPlan::name, "layers.11.attn_out"));
        cols.add(TableColumns.text("buffer", o -> MemoryViewModel.bytes(o.sramTotal()), "999 KiB"));
        cols.add(TableColumns.text("spill", o -> o.spillBytes() == 0 ? "–" : MemoryViewModel.bytes(o.spillBytes()),
                "999 KiB"));
        cols.add(TableColumns.text("DRAM", o -> MemoryViewModel.bytes(o.dramBytes()), "999 KiB"));
        cols.add(TableColumns.text("ms", o -> Numbers.sig(o.latencyMs(), 3), "0.0123"));
        cols.add(TableColumns.text("ANE", o -> o.onAne() ? "yes" : "CPU", "CPU"));
        cols.add(TableColumns.text("warn", o -> o.warnings().isEmpty() ? "" : Integer.toString(o.warnings().size()),
                "9"));
        opTable.getColumns().setAll(cols);
        opTable.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_FLEX_NEXT_COLUMN);
        opTable.setItems(viewModel.ops());
        opTable.setPlaceholder(new Label("No plan yet"));
        opTable.setRowFactory(t -> new TableRow<>() {
            @Override protected void updateItem(OpPlan o, boolean empty) {
                super.updateItem(o, empty);
                setTooltip(empty || o == null ? null : new Tooltip(describe(viewModel.ops().indexOf(o), o)));
            }
        });
        opTable.setTooltip(new Tooltip("Per-op estimate: buffer bytes (by kind in the timeline and the row's "
                + "tooltip), spilled bytes, DRAM traffic, latency (all estimates)"));
    }


    private String describe(int i, OpPlan o) {
        String spills = o.spillBytes() > 0
                ? " · spills " + MemoryViewModel.bytes(o.spillBytes()) + " in " + o.tiles() + " tiles" : "";
        return String.format(Locale.ROOT, "#%d %s (%s): weights %s · in %s · out %s · scores %s · KV %s · "
                        + "total %s of %s buffer%s · %s (estimate)",
                i, o.name(), o.kind(), MemoryViewModel.bytes(o.sram(BufferKind.WEIGHTS)),
                MemoryViewModel.bytes(o.sram(BufferKind.ACTIVATIONS_IN)),
                MemoryViewModel.bytes(o.sram(BufferKind.ACTIVATIONS_OUT)),
                MemoryViewModel.bytes(o.sram(BufferKind.SCORES)),
                MemoryViewModel.bytes(o.sram(BufferKind.KV_CACHE)), MemoryViewModel.bytes(o.sramTotal()),
                viewModel.plan() == null ? "?" : MemoryViewModel.bytes(viewModel.plan().chip().bufferBytes()),
                spills, Numbers.ms(o.latencyMs()));
    }

    private void redraw() {
        PlanResult p = viewModel.plan();
        Paint fill = title.getTextFill();
        if (fill instanceof Color c) timeline.setInk(c);
        if (p == null) {
            timeline.setData(List.of(), 0, "");
            return;
        }
        String opt = "Optimized: " + p.optimized().conversion().layout() + ", " + p.optimized().ops().size() + " ops";
        String base = "Baseline: HF layout, FP16, no INT8, no chunking, " + p.baseline().ops().size() + " ops";
        List<SramTimeline.Panel> panels = switch (viewModel.viewProperty().get()) {
            case OPTIMIZED -> List.of(new SramTimeline.Panel(opt, p.optimized()));
            case BASELINE -> List.of(new SramTimeline.Panel(base, p.baseline()));
            case SIDE_BY_SIDE ->
                    List.of(new SramTimeline.Panel(opt, p.optimized()), new SramTimeline.Panel(base, p.baseline()));
        };
        timeline.setData(panels, p.chip().bufferBytes(), "buffer " + MemoryViewModel.bytes(p.chip().bufferBytes())
                + " (" + p.chip().name() + ", confidence " + p.chip().bufferMb().confidence() + ")");
        timeline.setSelected(viewModel.selectedOpProperty().get());
        bufferLegend.setText(timeline.bufferOffScale()
                ? "on-chip buffer " + MemoryViewModel.bytes(p.chip().bufferBytes())
                        + ": above this scale, every op fits"
                : "- - - on-chip buffer size");
    }

    private void select(int i) {
        timeline.setSelected(i);
        syncing = true;
        try {
            if (i < 0) opTable.getSelectionModel().clearSelection();
            else if (opTable.getSelectionModel().getSelectedIndex() != i) {
                opTable.getSelectionModel().clearAndSelect(i);
                opTable.scrollTo(Math.max(0, i - 3));
            }
        } finally {
            syncing = false;
        }
    }

    private void showCards() {
        cards.getChildren().clear();
        for (MemoryViewModel.Card c : viewModel.cards()) {
            Label t = new Label(c.title());
            t.getStyleClass().add("estimate-card-title");
            Label v = new Label(c.value());
            v.getStyleClass().add("estimate-card-value");
            v.setId("card-" + c.id());
            Label r = new Label(c.ratio());
            r.getStyleClass().add("estimate-card-ratio");
            Label b = new Label(c.baseline());
            b.getStyleClass().add("estimate-card-ratio");
            Label pinned = new Label(c.pinned());
            pinned.getStyleClass().add("pinned-label");
            pinned.setWrapText(true);
            pinned.setMinHeight(Region.USE_PREF_SIZE);
            pinned.setVisible(!c.pinned().isEmpty());
            pinned.setManaged(pinned.isVisible());
            Label cap = new Label(c.caption());
            cap.getStyleClass().add("estimate-card-caption");
            // a calibrated chip's longer name wraps rather than shortening to "…"
            cap.setWrapText(true);
            cap.setMinHeight(Region.USE_PREF_SIZE);
            VBox box = new VBox(1, t, v, r, b, pinned, cap);
            box.setMinWidth(CARD_MIN);
            box.setPrefWidth(CARD_MIN);
            box.getStyleClass().add("estimate-card");
            Tooltip.install(box, new Tooltip(c.title() + " of the optimized plan (estimate), " + c.ratio()
                    + "; click for the chip profile's sources"));
            ChipSourcesPopover.install(box, viewModel::chip);
            cards.getChildren().add(box);
        }
        sizeCards();
    }

    public MemoryViewModel viewModel() { return viewModel; }

    public SramTimeline timeline() { return timeline; }

    public TableView<OpPlan> opTable() { return opTable; }

    @Override public Parent root() { return root; }

    @Override public void dispose() {
        compare.selectedProperty().unbindBidirectional(viewModel.compareProperty());
        measuredMs.textProperty().unbindBidirectional(viewModel.measuredMsProperty());
        profileName.textProperty().unbindBidirectional(viewModel.profileNameProperty());
        subscriptions.unsubscribe();
        subscriptions = Subscription.EMPTY;
    }
}

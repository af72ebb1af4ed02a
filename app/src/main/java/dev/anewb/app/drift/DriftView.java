package dev.anewb.app.drift;

import dev.anewb.app.area.AreaView;
import dev.anewb.app.area.EmptyState;
import dev.anewb.app.session.GraphNames;
import dev.anewb.app.ui.Fxml;
import dev.anewb.app.ui.Icons;
import dev.anewb.app.ui.TableColumns;
import dev.anewb.drift.DriftReport;
import dev.anewb.drift.TapMetrics;
import javafx.collections.ListChangeListener;
import javafx.fxml.FXML;
import javafx.scene.Node;
import javafx.scene.Parent;
import javafx.scene.chart.CategoryAxis;
import javafx.scene.chart.LineChart;
import javafx.scene.chart.NumberAxis;
import javafx.scene.chart.XYChart;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Hyperlink;
import javafx.scene.control.Label;
import javafx.scene.control.Labeled;
import javafx.scene.control.ProgressIndicator;
import javafx.scene.control.SplitPane;
import javafx.scene.control.Tab;
import javafx.scene.control.TabPane;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.ToggleButton;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.VBox;
import javafx.util.Duration;
import javafx.util.Subscription;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Controller of DriftView.fxml: per-tap drift chart (one series per cause and stack), table, layer detail. */
public final class DriftView implements AreaView {
    /** The area's icon in the navigation list and its empty state. */
    public static final String ICON = Icons.ACTIVITY;
    private static final String X_LAYERS = "layer output (emb = embeddings, L3 = output of layers.3.*)";
    private static final String X_TAPS = "tap in graph order (L3 attn = layers.3.attn_out)";
    private final DriftViewModel viewModel;
    private final Parent root;
    private Subscription subscriptions = Subscription.EMPTY;

    @FXML private EmptyState emptyState;
    @FXML private VBox toolbar;
    @FXML private SplitPane content;
    @FXML private Label taskMetric;
    @FXML private ProgressIndicator busy;
    @FXML private Label status;
    @FXML private ComboBox<DriftMetric> metric;
    @FXML private ToggleButton allTaps;
    @FXML private ToggleButton compare;
    @FXML private ToggleButton byCause;
    @FXML private ComboBox<DriftViewModel.RangeChoice> layers;
    @FXML private Label rangeNote;
    @FXML private Label pinnedLabel;
    @FXML private Hyperlink worst;
    @FXML private Label notes;
    @FXML private LineChart<String, Number> chart;
    @FXML private CategoryAxis xAxis;
    @FXML private NumberAxis yAxis;
    @FXML private TabPane tabs;
    @FXML private Tab layerTab;
    @FXML private TableView<DriftViewModel.TapRow> layerTable;
    @FXML private TableView<DriftViewModel.TapRow> table;

    public DriftView(DriftViewModel viewModel) {
        this.viewModel = viewModel;
        this.root = Fxml.load(this, "DriftView.fxml");
    }

    @FXML private void initialize() {
        emptyState.show(viewModel, ICON);
        metric.getItems().setAll(DriftMetric.values());
        metric.valueProperty().bindBidirectional(viewModel.metricProperty());
        metric.setTooltip(new Tooltip("Which metric the chart plots per tap"));
        allTaps.selectedProperty().bindBidirectional(viewModel.allTapsProperty());
        allTaps.setTooltip(new Tooltip("Off: one point per layer output; on: every tap, including each layer's "
                + "attention and MLP outputs"));
        compare.selectedProperty().bindBidirectional(viewModel.compareProperty());
        byCause.selectedProperty().bindBidirectional(viewModel.byCauseProperty());
        byCause.setTooltip(new Tooltip("Also measure each change alone (quantization, FP16, chunking, layout, "
                + "INT8 activations): one more converted pass per cause"));
        compare.setTooltip(new Tooltip("Pin the current configuration: it stays drawn (dashed, on top) and the table "
                + "gains a Δ column while you change the conversion. Memory and Run compare with it too."));
        layers.setItems(viewModel.rangeChoices());
        layers.valueProperty().bindBidirectional(viewModel.layersProperty());
        layers.setTooltip(new Tooltip("Which layers drift is measured on: a range starts from the original's hidden "
                + "state before it, so it shows what those layers add"));
        columns(table);
        columns(layerTable);
        table.setItems(viewModel.rows());
        table.setPlaceholder(new Label("No drift measured yet"));
        layerTable.setItems(viewModel.layerRows());
        layerTable.setPlaceholder(new Label("Click a point or a table row to see the taps inside that layer"));
        table.getSelectionModel().selectedItemProperty().addListener((obs, old, row) -> {
            if (row != null) viewModel.selectTap(row.tap());
        });
        busy.visibleProperty().bind(viewModel.computingProperty());
        status.textProperty().bind(viewModel.statusProperty());
        taskMetric.textProperty().bind(viewModel.taskTextProperty());
        rangeNote.textProperty().bind(viewModel.rangeNoteProperty());
        notes.textProperty().bind(viewModel.notesProperty());
        worst.setOnAction(e -> viewModel.showWorstWeights());
        worst.setTooltip(new Tooltip("The layer whose output loses the most SQNR against its input; click to see "
                + "its weights"));
        for (Label l : List.of(rangeNote, pinnedLabel, notes)) collapseWhenEmpty(l);
        worst.managedProperty().bind(worst.visibleProperty());
        // wrapped labels in the toolbar get the toolbar's width, not their one-line preferred width
        for (Labeled l : List.of(status, rangeNote, pinnedLabel, notes, worst)) {
            l.maxWidthProperty().bind(toolbar.widthProperty().subtract(32));
        }

        ListChangeListener<Object> onData = c -> redraw();
        ListChangeListener<DriftViewModel.TapRow> onRows = c -> {
            for (TableView<DriftViewModel.TapRow> t : List.of(table, layerTable)) {
                @SuppressWarnings("unchecked")
                TableColumn<DriftViewModel.TapRow, String> tap =
                        (TableColumn<DriftViewModel.TapRow, String>) t.getColumns().getFirst();
                if (!t.getItems().isEmpty()) TableColumns.fit(tap, t.getItems(), DriftViewModel.TapRow::tap);
            }
        };
        viewModel.rows().addListener(onRows);
        viewModel.layerRows().addListener(onRows);
        ListChangeListener<DriftReport.Cause> onCauses = c -> {
            columns(table);
            columns(layerTable);
        };
        viewModel.series().addListener(onData);
        viewModel.causes().addListener(onCauses);
        subscriptions = Subscription.combine(
                () -> viewModel.series().removeListener(onData),
                () -> viewModel.rows().removeListener(onRows),
                () -> viewModel.layerRows().removeListener(onRows),
                () -> viewModel.causes().removeListener(onCauses),
                viewModel.metricProperty().subscribe(m -> yAxis.setLabel(m.axisLabel())),
                viewModel.allTapsProperty().subscribe(all -> xAxis.setLabel(all ? X_TAPS : X_LAYERS)),
                viewModel.measuredProperty().subscribe(m -> showContent(m != null || !viewModel.series().isEmpty())),
                viewModel.pinnedMeasuredProperty().subscribe(p -> {
                    pinnedLabel.setText(p == null ? "" : DriftViewModel.pinnedName(p.conversion())
                            + " (dashed): Δ = current − pinned SQNR, per tap");
                    columns(table);
                    columns(layerTable);
                }),
                viewModel.worstProperty().subscribe(w -> {
                    worst.setText(w == null ? "" : w.text() + " · its weights ›");
                    worst.setVisible(w != null);
                }),
                viewModel.yRangeProperty().subscribe(r -> redraw()),
                viewModel.selectedLayerProperty().subscribe(l -> {
                    layerTab.setText(l == null ? "Layer detail" : "Layer detail: " + l.label());
                    if (l != null) tabs.getSelectionModel().select(layerTab);
                }));
        redraw();
    }

    private static void collapseWhenEmpty(Label l) {
        l.visibleProperty().bind(l.textProperty().isNotEmpty());
        l.managedProperty().bind(l.visibleProperty());
    }

    private void showContent(boolean has) {
        content.setVisible(has);
        emptyState.setVisible(!has);
    }

    /** The columns: the full conversion's SQNR, each cause alone, the pinned difference, then the other metrics. */
    private void columns(TableView<DriftViewModel.TapRow> t) {
        List<TableColumn<DriftViewModel.TapRow, String>> cols = new ArrayList<>();
        TableColumn<DriftViewModel.TapRow, String> tap = column("tap", DriftViewModel.TapRow::tap, "hidden_states.12");
        // as wide as the longest tap shown (Whisper's decoder_hidden_states.N, a layer's inner taps)
        TableColumns.fit(tap, t.getItems(), DriftViewModel.TapRow::tap);
        cols.add(tap);
        cols.add(column("SQNR dB", DriftViewModel.TapRow::sqnr, "100.0"));
        for (DriftReport.Cause c : viewModel.causes()) {
            TableColumn<DriftViewModel.TapRow, String> col = column(c.label(), r -> r.causeSqnr(c), "exact");
            col.setId("cause-" + c.label());
            col.setGraphic(null);
            cols.add(col);
        }
        if (viewModel.pinnedMeasuredProperty().get() != null) {
            TableColumn<DriftViewModel.TapRow, String> d =
                    column("Δ pinned", DriftViewModel.TapRow::deltaText, "+10.0 dB");
            d.setId("delta-pinned");
            cols.add(d);
        }
        cols.add(column("growth", DriftViewModel.TapRow::growthText, "+10.0 dB"));
        cols.add(column("cosine", DriftViewModel.TapRow::cosine, "0.999999"));
        cols.add(column("rel. L2", DriftViewModel.TapRow::relL2, "1.00e-02"));
        cols.add(column("max abs", DriftViewModel.TapRow::maxAbs, "1.000e-02"));
        t.getColumns().setAll(cols);
        t.setColumnResizePolicy(TableView.UNCONSTRAINED_RESIZE_POLICY);
    }

    private static TableColumn<DriftViewModel.TapRow, String> column(String title,
                                                                      Function<DriftViewModel.TapRow, String> value,
                                                                      String widest) {
        return TableColumns.text(title, value, widest);
    }

    /** Rebuilds the chart from the view model's series; non-finite values (exact SQNR) are not plotted. */
    private void redraw() {
        DriftMetric m = viewModel.metricProperty().get();
        DriftViewModel.YRange r = viewModel.yRangeProperty().get();
        yAxis.setAutoRanging(r == null);
        if (r != null) {
            yAxis.setLowerBound(r.lower());
            yAxis.setUpperBound(r.upper());
            yAxis.setTickUnit(r.tick());
        }
        chart.getData().clear();
        xAxis.getCategories().setAll(viewModel.categories());
        List<DriftViewModel.Series> shown = new ArrayList<>(viewModel.series());
        for (DriftViewModel.Series s : shown) {
            XYChart.Series<String, Number> fx = new XYChart.Series<>();
            fx.setName(s.name());
            for (DriftViewModel.Point p : s.points()) {
                double v = m.of(p.metrics());
                if (!Double.isFinite(v)) continue;
                XYChart.Data<String, Number> d = new XYChart.Data<>(p.label(), v);
                d.setExtraValue(p);
                fx.getData().add(d);
            }
            chart.getData().add(fx);
            for (XYChart.Data<String, Number> d : fx.getData()) decorate(d, s);
        }
        // Colours by cause, not by position; after every add, since each add rebuilds the legend.
        for (int i = 0; i < shown.size(); i++) {
            DriftPalette.style(chart, chart.getData().get(i), shown.get(i).cause(), shown.get(i).stack());
        }
        showContent(!shown.isEmpty());
    }

    private void decorate(XYChart.Data<String, Number> d, DriftViewModel.Series s) {
        Node node = d.getNode();
        if (node == null) return;
        DriftViewModel.Point p = (DriftViewModel.Point) d.getExtraValue();
        TapMetrics t = p.metrics();
        Tooltip tip = new Tooltip(s.name() + " · " + p.tap() + "\nSQNR " + DriftMetric.SQNR.format(t)
                + "\ncosine " + DriftMetric.COSINE.format(t) + "\nrel. L2 " + DriftMetric.REL_L2.format(t)
                + "\nmax abs " + DriftMetric.MAX_ABS.format(t));
        tip.setShowDelay(Duration.millis(100));
        Tooltip.install(node, tip);
        node.setOnMouseClicked(e -> {
            viewModel.selectTap(p.tap());
            if (GraphNames.layerOf(p.tap()) != null) tabs.getSelectionModel().select(layerTab);
        });
        node.getStyleClass().add("drift-point");
    }

    /** The chart (tests read its data). */
    public LineChart<String, Number> chart() { return chart; }

    public TableView<DriftViewModel.TapRow> table() { return table; }

    public TableView<DriftViewModel.TapRow> layerTable() { return layerTable; }

    public DriftViewModel viewModel() { return viewModel; }

    @Override public Parent root() { return root; }

    @Override public void dispose() {
        subscriptions.unsubscribe();
        subscriptions = Subscription.EMPTY;
        metric.valueProperty().unbindBidirectional(viewModel.metricProperty());
        allTaps.selectedProperty().unbindBidirectional(viewModel.allTapsProperty());
        compare.selectedProperty().unbindBidirectional(viewModel.compareProperty());
        byCause.selectedProperty().unbindBidirectional(viewModel.byCauseProperty());
        layers.valueProperty().unbindBidirectional(viewModel.layersProperty());
    }
}

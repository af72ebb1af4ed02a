package dev.anewb.app.drift;

import dev.anewb.app.area.AreaView;
import dev.anewb.app.area.EmptyState;
import dev.anewb.app.ui.Fxml;
import dev.anewb.app.ui.Icons;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.collections.ListChangeListener;
import javafx.fxml.FXML;
import javafx.scene.Node;
import javafx.scene.Parent;
import javafx.scene.chart.CategoryAxis;
import javafx.scene.chart.LineChart;
import javafx.scene.chart.NumberAxis;
import javafx.scene.chart.XYChart;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressIndicator;
import javafx.scene.control.SplitPane;
import javafx.scene.control.Tab;
import javafx.scene.control.TabPane;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.ToggleButton;
import javafx.scene.control.Tooltip;
import javafx.util.Duration;
import javafx.util.Subscription;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/** Controller of DriftView.fxml: per-tap drift chart (one series per cause), table, layer detail. */
public final class DriftView implements AreaView {
    /** The area's icon in the navigation list and its empty state. */
    public static final String ICON = Icons.ACTIVITY;
    private final DriftViewModel viewModel;
    private final Parent root;
    private Subscription subscriptions = Subscription.EMPTY;

    @FXML private EmptyState emptyState;
    @FXML private SplitPane content;
    @FXML private Label taskMetric;
    @FXML private ProgressIndicator busy;
    @FXML private Label status;
    @FXML private ComboBox<DriftMetric> metric;
    @FXML private ToggleButton allTaps;
    @FXML private ToggleButton compare;
    @FXML private Label pinnedLabel;
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
        allTaps.setTooltip(new Tooltip("Off: one point per layer (hidden_states.i); on: every tap including "
                + "attn_out and mlp_out"));
        compare.selectedProperty().bindBidirectional(viewModel.compareProperty());
        compare.setTooltip(new Tooltip("Pin the current configuration's curve, then change the conversion to overlay "
                + "the next one"));
        columns(table);
        columns(layerTable);
        table.setItems(viewModel.rows());
        table.setTooltip(new Tooltip(
                "Drift of the full conversion per tap; growth = SQNR lost since the previous row"));
        layerTable.setItems(viewModel.layerRows());
        layerTable.setPlaceholder(new Label("Click a point or a table row to see the taps inside that layer"));
        table.getSelectionModel().selectedItemProperty().addListener((obs, old, row) -> {
            if (row != null) viewModel.selectedLayerProperty().set(DriftViewModel.layerOf(row.tap()));
        });
        busy.visibleProperty().bind(viewModel.computingProperty());
        status.textProperty().bind(viewModel.statusProperty());
        Tooltip statusTip = new Tooltip();
        statusTip.textProperty().bind(viewModel.statusProperty());
        status.setTooltip(statusTip);
        taskMetric.textProperty().bind(viewModel.taskTextProperty());

        ListChangeListener<DriftViewModel.Series> onSeries = c -> redraw();
        viewModel.series().addListener(onSeries);
        subscriptions = Subscription.combine(
                () -> viewModel.series().removeListener(onSeries),
                viewModel.metricProperty().subscribe(m -> yAxis.setLabel(m.axisLabel())),
                viewModel.allTapsProperty().subscribe(all -> xAxis.setLabel(all ? "tap (graph order)"
                        : "hidden state (0 = embeddings, i = output of layer i)")),
                viewModel.measuredProperty().subscribe(m -> showContent(m != null)),
                viewModel.pinnedProperty().subscribe(p -> pinnedLabel.setText(p == null ? ""
                        : "Compare: " + DriftViewModel.pinnedName(p.conversion()))),
                viewModel.selectedLayerProperty().subscribe(l -> layerTab.setText(l.intValue() < 0
                        ? "Layer detail" : "Layer " + l + " detail (attention out, MLP out, layer out)")));
        redraw();
    }

    private void showContent(boolean has) {
        content.setVisible(has);
        emptyState.setVisible(!has);
    }

    private static void columns(TableView<DriftViewModel.TapRow> t) {
        t.getColumns().setAll(
                column("tap", DriftViewModel.TapRow::tap, 170),
                column("SQNR (dB)", DriftViewModel.TapRow::sqnr, 72),
                column("cosine", DriftViewModel.TapRow::cosine, 80),
                column("rel. L2", DriftViewModel.TapRow::relL2, 70),
                column("max abs", DriftViewModel.TapRow::maxAbs, 76),
                column("growth", DriftViewModel.TapRow::growthText, 70));
        t.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN);
    }

    private static TableColumn<DriftViewModel.TapRow, String> column(String title,
                                                                      Function<DriftViewModel.TapRow, String> value,
                                                                      double width) {
        TableColumn<DriftViewModel.TapRow, String> c = new TableColumn<>(title);
        c.setCellValueFactory(r -> new ReadOnlyStringWrapper(value.apply(r.getValue())));
        c.setPrefWidth(width);
        c.setSortable(false);
        return c;
    }

    /** Rebuilds the chart from the view model's series; non-finite values (exact SQNR) are not plotted. */
    private void redraw() {
        DriftMetric m = viewModel.metricProperty().get();
        chart.getData().clear();
        // The category axis orders taps by first appearance: the series with the most plottable points goes first,
        // so a tap another series cannot plot (exact SQNR) keeps its place in graph order.
        List<DriftViewModel.Series> ordered = new ArrayList<>(viewModel.series());
        ordered.sort(Comparator.comparingLong((DriftViewModel.Series s) ->
                -s.points().stream().filter(p -> Double.isFinite(m.of(p.metrics()))).count()));
        for (DriftViewModel.Series s : ordered) {
            XYChart.Series<String, Number> fx = new XYChart.Series<>();
            fx.setName(s.name());
            for (DriftViewModel.Point p : s.points()) {
                double v = m.of(p.metrics());
                if (!Double.isFinite(v)) continue;
                XYChart.Data<String, Number> d = new XYChart.Data<>(p.tap(), v);
                d.setExtraValue(p);
                fx.getData().add(d);
            }
            chart.getData().add(fx);
            for (XYChart.Data<String, Number> d : fx.getData()) decorate(d, s);
        }
        // Colours by cause, not by position; after every add, since each add rebuilds the legend.
        for (int i = 0; i < ordered.size(); i++) {
            DriftPalette.style(chart, chart.getData().get(i), ordered.get(i).cause());
        }
    }

    private void decorate(XYChart.Data<String, Number> d, DriftViewModel.Series s) {
        Node node = d.getNode();
        if (node == null) return;
        DriftViewModel.Point p = (DriftViewModel.Point) d.getExtraValue();
        var t = p.metrics();
        Tooltip tip = new Tooltip(s.name() + " · " + p.tap() + "\nSQNR " + DriftMetric.SQNR.format(t)
                + "\ncosine " + DriftMetric.COSINE.format(t) + "\nrel. L2 " + DriftMetric.REL_L2.format(t)
                + "\nmax abs " + DriftMetric.MAX_ABS.format(t));
        tip.setShowDelay(Duration.millis(100));
        Tooltip.install(node, tip);
        node.setOnMouseClicked(e -> {
            viewModel.selectedLayerProperty().set(DriftViewModel.layerOf(p.tap()));
            tabs.getSelectionModel().select(layerTab);
        });
        node.getStyleClass().add("drift-point");
    }

    /** The chart (Export snapshots an equivalent one; tests read its data). */
    public LineChart<String, Number> chart() { return chart; }

    public DriftViewModel viewModel() { return viewModel; }

    @Override public Parent root() { return root; }

    @Override public void dispose() {
        subscriptions.unsubscribe();
        subscriptions = Subscription.EMPTY;
        metric.valueProperty().unbindBidirectional(viewModel.metricProperty());
        allTaps.selectedProperty().unbindBidirectional(viewModel.allTapsProperty());
        compare.selectedProperty().unbindBidirectional(viewModel.compareProperty());
    }
}

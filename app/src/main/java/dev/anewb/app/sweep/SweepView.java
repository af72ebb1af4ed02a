package dev.anewb.app.sweep;

import dev.anewb.app.area.AreaView;
import dev.anewb.app.area.EmptyState;
import dev.anewb.app.session.ConversionNames;
import dev.anewb.app.ui.Fxml;
import dev.anewb.app.ui.Icons;
import dev.anewb.app.ui.Numbers;
import dev.anewb.app.ui.TableColumns;
import javafx.collections.ListChangeListener;
import javafx.fxml.FXML;
import javafx.scene.Parent;
import javafx.scene.chart.LineChart;
import javafx.scene.chart.NumberAxis;
import javafx.scene.chart.XYChart;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressIndicator;
import javafx.scene.control.SplitPane;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableRow;
import javafx.scene.control.TableView;
import javafx.scene.control.Tooltip;
import javafx.scene.input.KeyCode;
import javafx.scene.input.MouseButton;
import javafx.util.Duration;
import javafx.util.Subscription;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Controller of SweepView.fxml: every swept configuration as a labelled point (value against cost), the Pareto
 * front as a line through its points, and the same points in a table; a click on a point or a double-click on a
 * row applies it.
 */
public final class SweepView implements AreaView {
    /** The area's icon in the navigation list and its empty state. */
    public static final String ICON = Icons.SCATTER;
    private final SweepViewModel viewModel;
    private final Parent root;
    private Subscription subscriptions = Subscription.EMPTY;

    @FXML private EmptyState emptyState;
    @FXML private SplitPane content;
    @FXML private Button run;
    @FXML private ComboBox<SweepViewModel.Metric> metric;
    @FXML private ComboBox<SweepViewModel.Cost> cost;
    @FXML private ProgressIndicator busy;
    @FXML private Label status;
    @FXML private Label note;
    @FXML private Label frontHint;
    @FXML private LineChart<Number, Number> chart;
    @FXML private NumberAxis xAxis;
    @FXML private NumberAxis yAxis;
    @FXML private TableView<SweepViewModel.Point> table;
    private TableColumn<SweepViewModel.Point, String> taskColumn;

    public SweepView(SweepViewModel viewModel) {
        this.viewModel = viewModel;
        this.root = Fxml.load(this, "SweepView.fxml");
    }

    @FXML private void initialize() {
        emptyState.show(viewModel, ICON);
        frontHint.setText("Filled labels joined by the line: the Pareto front, where nothing is both more accurate "
                + "and cheaper. Click a point (or double-click a row) to use it.");
        run.setOnAction(e -> {
            if (viewModel.computingProperty().get()) viewModel.cancel();
            else viewModel.start();
        });
        run.setTooltip(new Tooltip("Measure every block size of the current configuration (cancel: click again)"));
        metric.getItems().setAll(SweepViewModel.Metric.values());
        metric.valueProperty().bindBidirectional(viewModel.metricProperty());
        cost.getItems().setAll(SweepViewModel.Cost.values());
        cost.valueProperty().bindBidirectional(viewModel.costProperty());
        busy.visibleProperty().bind(viewModel.computingProperty());
        status.textProperty().bind(viewModel.statusProperty());
        note.textProperty().bind(viewModel.noteProperty());
        note.visibleProperty().bind(note.textProperty().isNotEmpty());
        note.managedProperty().bind(note.visibleProperty());
        taskColumn = TableColumns.text("task metric", p -> Double.isNaN(p.task()) ? "–" : Numbers.sig(p.task(), 6),
                "0.999999");
        table.getColumns().setAll(List.of(
                TableColumns.text("configuration", p -> p.label(viewModel.windows()), "per-channel · w512"),
                TableColumns.text("SQNR dB", p -> Numbers.sig(p.sqnrDb(), 3), "100.0"),
                taskColumn,
                TableColumns.text("weights", p -> Numbers.sig(p.weightBytes() / (double) (1 << 20), 3) + " MiB",
                        "1000 MiB"),
                TableColumns.text("latency", p -> Numbers.ms(p.latencyMs()), "1000 ms"),
                TableColumns.text("front", p -> p.pareto() ? "✓" : "", "✓")));
        table.setItems(viewModel.points());
        table.setPlaceholder(new Label("No sweep yet: Run sweep measures each block size"));
        table.setRowFactory(t -> {
            TableRow<SweepViewModel.Point> row = new TableRow<>() {
                @Override protected void updateItem(SweepViewModel.Point p, boolean empty) {
                    super.updateItem(p, empty);
                    setTooltip(empty || p == null ? null : new Tooltip(viewModel.describe(p)
                            + "\nDouble-click to use it"));
                }
            };
            row.setOnMouseClicked(e -> {
                if (e.getButton() == MouseButton.PRIMARY && e.getClickCount() == 2 && !row.isEmpty()) {
                    viewModel.apply(row.getItem());
                }
            });
            return row;
        });
        table.setOnKeyPressed(e -> {
            if (e.getCode() == KeyCode.ENTER) viewModel.apply(table.getSelectionModel().getSelectedItem());
        });
        ListChangeListener<SweepViewModel.Point> onPoints = c -> redraw();
        viewModel.points().addListener(onPoints);
        subscriptions = Subscription.combine(
                () -> viewModel.points().removeListener(onPoints),
                viewModel.computingProperty().subscribe(c -> run.setText(c ? "Cancel" : "Run sweep")),
                viewModel.modelLoadedProperty().subscribe(loaded -> {
                    content.setVisible(loaded);
                    emptyState.setVisible(!loaded);
                }),
                viewModel.metricProperty().subscribe(m -> redraw()),
                viewModel.costProperty().subscribe(c -> redraw()));
    }

    /** The front as a line through its points by cost, every other point alone; each point carries its label. */
    private void redraw() {
        // the task column is titled by what the model's task metric is
        viewModel.points().stream().map(SweepViewModel.Point::taskName).filter(n -> !n.isEmpty()).findFirst()
                .ifPresent(n -> {
                    taskColumn.setText(n);
                    TableColumns.fit(taskColumn, viewModel.points(), p -> Numbers.sig(p.task(), 6));
                });
        SweepViewModel.Metric m = viewModel.metricProperty().get();
        SweepViewModel.Cost c = viewModel.costProperty().get();
        xAxis.setLabel(c.label());
        yAxis.setLabel(m.label());
        XYChart.Series<Number, Number> front = new XYChart.Series<>();
        front.setName("Pareto front (nothing beats it on both axes)");
        XYChart.Series<Number, Number> others = new XYChart.Series<>();
        others.setName("other configurations");
        List<SweepViewModel.Point> sorted = viewModel.points().stream()
                .filter(p -> Double.isFinite(p.value(m)))
                .sorted(Comparator.comparingDouble(p -> p.cost(c))).toList();
        for (SweepViewModel.Point p : sorted) {
            XYChart.Data<Number, Number> d = new XYChart.Data<>(p.cost(c), p.value(m));
            d.setNode(pointNode(p));
            (p.pareto() ? front : others).getData().add(d);
        }
        chart.getData().setAll(List.of(front, others));
        // room around the points, so a labelled point at the edge is not cut by the plot's border
        pad(xAxis, sorted.stream().mapToDouble(p -> p.cost(c)).toArray());
        pad(yAxis, sorted.stream().mapToDouble(p -> p.value(m)).toArray());
        if (others.getNode() != null) others.getNode().setStyle("-fx-stroke: transparent;");
        if (front.getNode() != null) front.getNode().setStyle("-fx-stroke: -color-accent-emphasis; "
                + "-fx-stroke-width: 2;");
    }

    private static void pad(NumberAxis axis, double[] values) {
        if (values.length == 0) {
            axis.setAutoRanging(true);
            return;
        }
        double lo = Arrays.stream(values).min().orElse(0), hi = Arrays.stream(values).max().orElse(1);
        double span = Math.max(hi - lo, Math.max(Math.abs(hi) * 0.02, 1e-6));
        double tick = niceTick(span * 1.24 / 5);
        axis.setAutoRanging(false);
        // whole ticks at both ends: the tick labels read 42.5, 43, not 42.336
        axis.setLowerBound(Math.floor((lo - span * 0.12) / tick) * tick);
        axis.setUpperBound(Math.ceil((hi + span * 0.12) / tick) * tick);
        axis.setTickUnit(tick);
    }

    private static double niceTick(double raw) {
        double mag = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / mag;
        return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
    }

    private Label pointNode(SweepViewModel.Point p) {
        Label l = new Label(p.label(viewModel.windows()));
        l.getStyleClass().add("sweep-point");
        // inline, so the chart's own symbol colours (by series) do not paint over it
        l.setStyle(p.pareto() ? "-fx-background-color: -color-accent-emphasis; -fx-text-fill: -color-fg-emphasis;"
                + " -fx-background-insets: 0;"
                : "-fx-background-color: -color-neutral-muted; -fx-text-fill: -color-fg-default;"
                + " -fx-background-insets: 0;");
        l.setId("sweep-" + p.label(viewModel.windows()).replace(" · ", "-"));
        Tooltip tip = new Tooltip(viewModel.describe(p) + "\nClick to use " + ConversionNames.describe(
                p.conversion()));
        tip.setShowDelay(Duration.millis(100));
        l.setTooltip(tip);
        l.setOnMouseClicked(e -> viewModel.apply(p));
        return l;
    }

    public SweepViewModel viewModel() { return viewModel; }

    public LineChart<Number, Number> chart() { return chart; }

    @Override public Parent root() { return root; }

    @Override public void dispose() {
        subscriptions.unsubscribe();
        subscriptions = Subscription.EMPTY;
        metric.valueProperty().unbindBidirectional(viewModel.metricProperty());
        cost.valueProperty().unbindBidirectional(viewModel.costProperty());
    }
}

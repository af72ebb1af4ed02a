package dev.anewb.app.weights;

import dev.anewb.app.area.AreaView;
import dev.anewb.app.area.EmptyState;
import dev.anewb.app.ui.Fxml;
import dev.anewb.app.ui.Icons;
import dev.anewb.app.ui.TableColumns;
import javafx.collections.ListChangeListener;
import javafx.fxml.FXML;
import javafx.scene.Parent;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.ProgressIndicator;
import javafx.scene.control.SplitPane;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.Tooltip;
import javafx.scene.paint.Color;
import javafx.util.Subscription;

import java.util.List;

/**
 * Controller of WeightsView.fxml: every projection weight with its block errors, and the chosen one's error and scale
 * maps (axes, block boundaries, colour bars), histogram and worst blocks.
 */
public final class WeightsView implements AreaView {
    /** The area's icon in the navigation list and its empty state. */
    public static final String ICON = Icons.BARS;
    private final WeightsViewModel viewModel;
    private final Parent root;
    private Subscription subscriptions = Subscription.EMPTY;
    private boolean syncing;

    @FXML private EmptyState emptyState;
    @FXML private SplitPane content;
    @FXML private ComboBox<String> weight;
    @FXML private ComboBox<WeightsViewModel.ErrorKind> kind;
    @FXML private ProgressIndicator busy;
    @FXML private Label status;
    @FXML private TableView<WeightsViewModel.WeightRow> table;
    @FXML private Label errorTitle;
    @FXML private BlockMap errorMap;
    @FXML private BlockMap scaleMap;
    @FXML private Histogram histogram;
    @FXML private TableView<WeightsViewModel.BlockRow> worst;

    public WeightsView(WeightsViewModel viewModel) {
        this.viewModel = viewModel;
        this.root = Fxml.load(this, "WeightsView.fxml");
    }

    @FXML private void initialize() {
        emptyState.show(viewModel, ICON);
        weight.setItems(viewModel.weights());
        weight.valueProperty().bindBidirectional(viewModel.selectedProperty());
        // the op's name in the box (the naming of every area), the file's weight name in the list beside it
        weight.setButtonCell(new WeightCell(false));
        weight.setCellFactory(l -> new WeightCell(true));
        weight.setTooltip(new Tooltip("Projection weight to quantize with the block size and scheme of the current "
                + "conversion, by the op that reads it"));
        kind.getItems().setAll(WeightsViewModel.ErrorKind.values());
        kind.valueProperty().bindBidirectional(viewModel.kindProperty());
        kind.setTooltip(new Tooltip("Largest or RMS difference between the weight and its INT8 round trip, per block"));
        busy.visibleProperty().bind(viewModel.computingProperty());
        status.textProperty().bind(viewModel.statusProperty());

        TableColumn<WeightsViewModel.WeightRow, String> opColumn = TableColumns.text("op",
                WeightsViewModel.WeightRow::op, "layers.11.mlp_out");
        TableColumn<WeightsViewModel.WeightRow, String> weightColumn = TableColumns.text("weight",
                WeightsViewModel.WeightRow::weight, "encoder.layer.0.attention.self.query.weight");
        table.getColumns().setAll(List.of(
                opColumn,
                TableColumns.text("shape", WeightsViewModel.WeightRow::shape, "3072 × 768"),
                TableColumns.text("scheme", WeightsViewModel.WeightRow::scheme, "per-channel sym"),
                TableColumns.text("max error", WeightsViewModel.WeightRow::maxText, "1.00e-02"),
                TableColumns.text("RMS error", WeightsViewModel.WeightRow::rmsText, "1.00e-02"),
                weightColumn));
        table.setItems(viewModel.rows());
        table.setPlaceholder(new Label("Quantizing every projection weight…"));
        table.setTooltip(new Tooltip("Every projection weight with the current conversion: the largest block error "
                + "and the RMS over its blocks; choose one to see its maps"));
        table.getSelectionModel().selectedItemProperty().addListener((obs, old, r) -> {
            if (!syncing && r != null) viewModel.selectedProperty().set(r.weight());
        });
        ListChangeListener<WeightsViewModel.WeightRow> onRows = c -> {
            TableColumns.fit(opColumn, viewModel.rows(), WeightsViewModel.WeightRow::op);
            TableColumns.fit(weightColumn, viewModel.rows(), WeightsViewModel.WeightRow::weight);
            selectRow(viewModel.selectedProperty().get());
        };

        worst.getColumns().setAll(List.of(
                TableColumns.text("row", r -> Integer.toString(r.row()), "4096"),
                TableColumns.text("block", r -> Integer.toString(r.block()), "999"),
                TableColumns.text("error", WeightsViewModel.BlockRow::errorText, "1.00e-02"),
                TableColumns.text("scale", WeightsViewModel.BlockRow::scaleText, "1.00e-02"),
                TableColumns.text("zero pt", r -> Integer.toString(r.zeroPoint()), "-128")));
        worst.setItems(viewModel.worst());
        worst.setPlaceholder(new Label("No quantized weight selected"));
        Tooltip.install(errorMap, new Tooltip("One cell per output row and input block; brighter = larger error"));
        Tooltip.install(scaleMap, new Tooltip("FP16 scale per block; brighter = larger scale (a wider value range)"));

        ListChangeListener<WeightsViewModel.Bin> onBins = c -> drawHistogram();
        viewModel.histogram().addListener(onBins);
        viewModel.rows().addListener(onRows);
        subscriptions = Subscription.combine(
                () -> viewModel.histogram().removeListener(onBins),
                () -> viewModel.rows().removeListener(onRows),
                viewModel.analysisProperty().subscribe(a -> drawMaps()),
                viewModel.kindProperty().subscribe(k -> {
                    drawMaps();
                    drawHistogram();
                }),
                viewModel.selectedProperty().subscribe(this::selectRow),
                viewModel.modelLoadedProperty().subscribe(loaded -> {
                    content.setVisible(loaded);
                    emptyState.setVisible(!loaded);
                }));
    }

    private void selectRow(String name) {
        if (name == null) return;
        for (WeightsViewModel.WeightRow r : viewModel.rows()) {
            if (r.weight().equals(name) && table.getSelectionModel().getSelectedItem() != r) {
                syncing = true;
                try {
                    table.getSelectionModel().select(r);
                    table.scrollTo(Math.max(0, table.getItems().indexOf(r) - 2));
                } finally {
                    syncing = false;
                }
                return;
            }
        }
    }

    private void drawMaps() {
        WeightsViewModel.Analysis a = viewModel.analysisProperty().get();
        errorTitle.setText(viewModel.kindProperty().get() + " per block");
        if (errorTitle.getTextFill() instanceof Color c) {
            errorMap.setInk(c);
            scaleMap.setInk(c);
            histogram.setInk(c);
        }
        if (a == null) {
            errorMap.setData(null, 0, 0, 0, "");
            scaleMap.setData(null, 0, 0, 0, "");
            return;
        }
        int rows = a.map().rows(), blocks = a.map().blocksPerRow();
        errorMap.setData(viewModel.errors(a), rows, blocks, a.blockSize(), "error");
        scaleMap.setData(WeightsViewModel.scales(a), rows, blocks, a.blockSize(), "scale");
    }

    private void drawHistogram() {
        histogram.setData(viewModel.histogram(), viewModel.kindProperty().get() + " of a block");
    }

    /** "layers.0.q" in the box; "layers.0.q · encoder.layer.0.attention.self.query.weight" in the list. */
    private final class WeightCell extends ListCell<String> {
        private final boolean full;

        WeightCell(boolean full) { this.full = full; }

        @Override protected void updateItem(String w, boolean empty) {
            super.updateItem(w, empty);
            if (empty || w == null) {
                setText(null);
                return;
            }
            String op = viewModel.opOf(w);
            setText(op.isEmpty() ? w : full ? op + " · " + w : op);
        }
    }

    public WeightsViewModel viewModel() { return viewModel; }

    public TableView<WeightsViewModel.WeightRow> table() { return table; }

    public BlockMap errorMap() { return errorMap; }

    @Override public Parent root() { return root; }

    @Override public void dispose() {
        subscriptions.unsubscribe();
        subscriptions = Subscription.EMPTY;
        weight.valueProperty().unbindBidirectional(viewModel.selectedProperty());
        kind.valueProperty().unbindBidirectional(viewModel.kindProperty());
    }
}

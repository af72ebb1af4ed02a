package dev.anewb.app.weights;

import dev.anewb.app.area.AreaView;
import dev.anewb.app.ui.Fxml;
import dev.anewb.app.ui.Icons;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.collections.ListChangeListener;
import javafx.fxml.FXML;
import javafx.scene.Parent;
import javafx.scene.chart.BarChart;
import javafx.scene.chart.XYChart;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressIndicator;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.Tooltip;
import javafx.scene.image.ImageView;
import javafx.scene.image.PixelFormat;
import javafx.scene.image.PixelWriter;
import javafx.scene.image.WritableImage;
import javafx.scene.layout.StackPane;
import javafx.util.Subscription;

import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/** Controller of WeightsView.fxml: heatmaps drawn into one WritableImage each, histogram, worst blocks. */
public final class WeightsView implements AreaView {
    /** The area's icon in the navigation list and its empty state. */
    public static final String ICON = Icons.BARS;
    private final WeightsViewModel viewModel;
    private final Parent root;
    private Subscription subscriptions = Subscription.EMPTY;

    @FXML private ComboBox<String> weight;
    @FXML private ComboBox<WeightsViewModel.ErrorKind> kind;
    @FXML private ProgressIndicator busy;
    @FXML private Label status;
    @FXML private Label errorTitle;
    @FXML private StackPane errorBox;
    @FXML private ImageView errorMap;
    @FXML private Label errorLegend;
    @FXML private StackPane scaleBox;
    @FXML private ImageView scaleMap;
    @FXML private Label scaleLegend;
    @FXML private BarChart<String, Number> histogram;
    @FXML private TableView<WeightsViewModel.BlockRow> worst;

    public WeightsView(WeightsViewModel viewModel) {
        this.viewModel = viewModel;
        this.root = Fxml.load(this, "WeightsView.fxml");
    }

    @FXML private void initialize() {
        weight.setItems(viewModel.weights());
        weight.valueProperty().bindBidirectional(viewModel.selectedProperty());
        weight.setTooltip(new Tooltip("Projection weight to quantize with the block size and scheme of the "
                + "current conversion"));
        kind.getItems().setAll(WeightsViewModel.ErrorKind.values());
        kind.valueProperty().bindBidirectional(viewModel.kindProperty());
        kind.setTooltip(new Tooltip("Largest or RMS difference between the weight and its INT8 round trip, per block"));
        busy.visibleProperty().bind(viewModel.computingProperty());
        status.textProperty().bind(viewModel.statusProperty());
        fit(errorMap, errorBox);
        fit(scaleMap, scaleBox);
        Tooltip.install(errorMap, new Tooltip(
                "One pixel column per input block, one row per output channel; brighter = larger error"));
        Tooltip.install(scaleMap, new Tooltip("FP16 scale per block; brighter = larger scale (wider value range)"));
        worst.getColumns().setAll(
                col("row", 44, r -> Integer.toString(r.row())),
                col("block", 48, r -> Integer.toString(r.block())),
                col("error", 82, WeightsViewModel.BlockRow::errorText),
                col("scale", 82, WeightsViewModel.BlockRow::scaleText),
                col("zero pt", 72, r -> Integer.toString(r.zeroPoint())));
        worst.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN);
        worst.setItems(viewModel.worst());
        worst.setPlaceholder(new Label("No quantized weight selected"));
        ListChangeListener<WeightsViewModel.Bin> onBins = c -> drawHistogram();
        viewModel.histogram().addListener(onBins);
        subscriptions = Subscription.combine(
                () -> viewModel.histogram().removeListener(onBins),
                viewModel.analysisProperty().subscribe(a -> drawMaps()),
                viewModel.kindProperty().subscribe(k -> drawMaps()));
    }

    private static void fit(ImageView view, StackPane box) {
        view.setPreserveRatio(false);
        view.fitWidthProperty().bind(box.widthProperty().subtract(2));
        view.fitHeightProperty().bind(box.heightProperty().subtract(2));
        box.setMinWidth(0);
    }

    /** @param min narrowest width that still shows the whole header and a formatted value ("1.47e-03") */
    private static TableColumn<WeightsViewModel.BlockRow, String> col(String title, double min,
                                                                       Function<WeightsViewModel.BlockRow, String> f) {
        TableColumn<WeightsViewModel.BlockRow, String> c = new TableColumn<>(title);
        c.setMinWidth(min);
        c.setPrefWidth(min);
        c.setCellValueFactory(r -> new ReadOnlyStringWrapper(f.apply(r.getValue())));
        c.setSortable(false);
        return c;
    }

    private void drawMaps() {
        WeightsViewModel.Analysis a = viewModel.analysisProperty().get();
        errorTitle.setText(viewModel.kindProperty().get() + " per block (rows ↓ × input blocks →)");
        if (a == null) {
            errorMap.setImage(null);
            scaleMap.setImage(null);
            errorLegend.setText("");
            scaleLegend.setText("");
            return;
        }
        int rows = a.map().rows(), blocks = a.map().blocksPerRow();
        float[] err = viewModel.errors(a);
        float[] sc = WeightsViewModel.scales(a);
        errorLegend.setText(legend(err, "error"));
        scaleLegend.setText(legend(sc, "scale"));
        errorMap.setImage(heatmap(err, rows, blocks));
        scaleMap.setImage(heatmap(sc, rows, blocks));
    }

    private static String legend(float[] v, String what) {
        float lo = Float.MAX_VALUE, hi = 0;
        for (float x : v) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
        return String.format(Locale.ROOT, "dark = %.2e … bright = %.2e (%s)", lo, hi, what);
    }

    /** The whole map as one image, one pixel per block; the ImageView scales it without smoothing. */
    static WritableImage heatmap(float[] values, int rows, int blocks) {
        float lo = Float.MAX_VALUE, hi = 0;
        for (float x : values) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
        int[] argb = new int[rows * blocks];
        float span = hi - lo;
        for (int i = 0; i < argb.length; i++) argb[i] = ramp(span <= 0 ? 0 : (values[i] - lo) / span);
        WritableImage image = new WritableImage(blocks, rows);
        PixelWriter w = image.getPixelWriter();
        w.setPixels(0, 0, blocks, rows, PixelFormat.getIntArgbInstance(), argb, 0, blocks);
        return image;
    }

    /** Dark blue → teal → yellow (viridis-like), readable on light and dark themes. */
    static int ramp(float t) {
        float[][] stops = {{0.27f, 0.00f, 0.33f}, {0.23f, 0.32f, 0.55f}, {0.13f, 0.57f, 0.55f}, {0.37f, 0.79f, 0.38f},
                {0.99f, 0.91f, 0.15f}};
        float x = Math.max(0, Math.min(1, t)) * (stops.length - 1);
        int i = Math.min(stops.length - 2, (int) x);
        float f = x - i;
        int r = (int) (255 * (stops[i][0] + f * (stops[i + 1][0] - stops[i][0])));
        int g = (int) (255 * (stops[i][1] + f * (stops[i + 1][1] - stops[i][1])));
        int b = (int) (255 * (stops[i][2] + f * (stops[i + 1][2] - stops[i][2])));
        return 0xFF000000 | (r << 16) | (g << 8) | b;
    }

    private void drawHistogram() {
        XYChart.Series<String, Number> s = new XYChart.Series<>();
        for (WeightsViewModel.Bin b : viewModel.histogram()) s.getData().add(new XYChart.Data<>(b.label(), b.count()));
        histogram.getData().setAll(List.of(s));
        for (int i = 0; i < s.getData().size(); i++) {
            WeightsViewModel.Bin b = viewModel.histogram().get(i);
            var node = s.getData().get(i).getNode();
            if (node != null) Tooltip.install(node, new Tooltip(String.format(Locale.ROOT, "%d blocks with error in "
                    + "[%.3e, %.3e)", b.count(), b.from(), b.to())));
        }
    }

    @Override public Parent root() { return root; }

    @Override public void dispose() {
        subscriptions.unsubscribe();
        subscriptions = Subscription.EMPTY;
        weight.valueProperty().unbindBidirectional(viewModel.selectedProperty());
        kind.valueProperty().unbindBidirectional(viewModel.kindProperty());
    }
}

package dev.anewb.app.export;

import dev.anewb.app.area.AreaView;
import dev.anewb.app.drift.DriftCharts;
import dev.anewb.app.drift.DriftMetric;
import dev.anewb.app.jobs.JobView;
import dev.anewb.app.ui.Fxml;
import dev.anewb.app.ui.Icons;
import dev.anewb.drift.DriftReport;
import javafx.embed.swing.SwingFXUtils;
import javafx.fxml.FXML;
import javafx.scene.Parent;
import javafx.scene.Scene;
import javafx.scene.chart.LineChart;
import javafx.scene.control.Alert;
import javafx.scene.control.Button;
import javafx.scene.control.ButtonType;
import javafx.scene.control.Control;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.image.WritableImage;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyCodeCombination;
import javafx.scene.input.KeyCombination;
import javafx.scene.layout.HBox;
import javafx.scene.layout.StackPane;
import javafx.stage.DirectoryChooser;
import javafx.stage.FileChooser;
import javafx.util.Subscription;

import java.awt.Desktop;
import java.awt.GraphicsEnvironment;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Controller of ExportView.fxml. */
public final class ExportView implements AreaView {
    /** The area's icon in the navigation list and its empty state. */
    public static final String ICON = Icons.UPLOAD;
    /** Export the converted package: Ctrl+E (Cmd+E on macOS). */
    public static final KeyCodeCombination EXPORT_PACKAGE_SHORTCUT =
            new KeyCodeCombination(KeyCode.E, KeyCombination.SHORTCUT_DOWN);
    /** Export the converted graph as ONNX: Ctrl+Shift+E (Cmd+Shift+E on macOS). */
    public static final KeyCodeCombination EXPORT_ONNX_SHORTCUT =
            new KeyCodeCombination(KeyCode.E, KeyCombination.SHORTCUT_DOWN, KeyCombination.SHIFT_DOWN);
    private final ExportViewModel viewModel;
    private final Parent root;
    private Subscription subscriptions = Subscription.EMPTY;
    private Subscription jobSubscription = Subscription.EMPTY;

    @FXML private Label summary;
    @FXML private TextField packagePath;
    @FXML private Button choosePackage;
    @FXML private Button exportPackage;
    @FXML private Button exportOnnx;
    @FXML private TextField onnxPath;
    @FXML private Button showInFolder;
    @FXML private TextField reportFolder;
    @FXML private Button chooseReport;
    @FXML private Button exportReport;
    @FXML private HBox progressRow;
    @FXML private ProgressBar progress;
    @FXML private Label progressMessage;
    @FXML private Button cancel;
    @FXML private Label result;

    public ExportView(ExportViewModel viewModel) {
        this.viewModel = viewModel;
        this.root = Fxml.load(this, "ExportView.fxml");
    }

    @FXML private void initialize() {
        packagePath.textProperty().bindBidirectional(viewModel.packagePathProperty());
        reportFolder.textProperty().bindBidirectional(viewModel.reportFolderProperty());
        exportPackage.disableProperty().bind(viewModel.canExportBinding().not());
        exportReport.disableProperty().bind(viewModel.canExportBinding().not());
        showInFolder.disableProperty().bind(viewModel.lastWrittenProperty().isNull());
        onnxPath.textProperty().bindBidirectional(viewModel.onnxPathProperty());
        exportOnnx.disableProperty().bind(viewModel.canExportBinding().not());
        exportOnnx.setOnAction(e -> exportOnnx());
        tip(onnxPath, "File the ONNX model is written to");
        tip(exportOnnx, "Write the converted graph as ONNX: FP16 rounding as casts, INT8 weights with their block "
                + "scales, chunking as a band mask ("
                + EXPORT_ONNX_SHORTCUT.getDisplayText() + ")");
        choosePackage.setOnAction(e -> choosePackage());
        chooseReport.setOnAction(e -> chooseReport());
        exportPackage.setOnAction(e -> exportPackage());
        exportReport.setOnAction(e -> exportReport());
        showInFolder.setOnAction(e -> showInFolder());
        cancel.setOnAction(e -> { if (viewModel.jobProperty().get() != null) viewModel.jobProperty().get().cancel(); });
        result.textProperty().bind(viewModel.resultProperty());
        tip(packagePath, "Folder the .anepkg package is written to");
        tip(choosePackage, "Choose where the package goes");
        tip(exportPackage, "Convert the loaded model with the panel's settings and write the .anepkg ("
                + EXPORT_PACKAGE_SHORTCUT.getDisplayText() + ")");
        tip(showInFolder, "Open the folder of what was written last");
        tip(reportFolder, "Folder the report files (HTML, JSON, CSV) are written to");
        tip(chooseReport, "Choose the report folder");
        tip(exportReport, "Write the drift table and chart as HTML (chart embedded), JSON and CSV");
        tip(cancel, "Stop the export");
        subscriptions = Subscription.combine(
                viewModel.jobProperty().subscribe(this::follow),
                viewModel.summaryProperty().subscribe(summary::setText));
    }

    private static void tip(Control c, String text) { c.setTooltip(new Tooltip(text)); }

    private void follow(JobView<?> job) {
        jobSubscription.unsubscribe();
        progressRow.setVisible(job != null);
        progressRow.setManaged(job != null);
        if (job == null) {
            jobSubscription = Subscription.EMPTY;
            return;
        }
        jobSubscription = Subscription.combine(
                job.progressProperty().subscribe(p -> progress.setProgress(
                        p.doubleValue() < 0 ? ProgressBar.INDETERMINATE_PROGRESS : p.doubleValue())),
                job.messageProperty().subscribe(progressMessage::setText));
    }

    /** Ctrl/Cmd+Shift+E and the button: asks before replacing an existing file. */
    public void exportOnnx() {
        if (!viewModel.canExportBinding().get()) return;
        if (!viewModel.onnxExists() || confirm(viewModel.onnxPathProperty().get())) viewModel.exportOnnx();
    }

    /** Ctrl/Cmd+E and the button: asks before replacing an existing package. */
    public void exportPackage() {
        if (!viewModel.canExportBinding().get()) return;
        boolean force = false;
        if (viewModel.targetExists()) {
            if (!confirm(viewModel.packagePathProperty().get())) return;
            force = true;
        }
        viewModel.exportPackage(force);
    }

    private boolean confirm(String path) {
        if (root.getScene() == null || root.getScene().getWindow() == null) return false;
        Alert a = new Alert(Alert.AlertType.CONFIRMATION, path + " exists. Replace it?", ButtonType.CANCEL,
                ButtonType.OK);
        a.setHeaderText("Replace the existing file?");
        a.initOwner(root.getScene().getWindow());
        return a.showAndWait().filter(b -> b == ButtonType.OK).isPresent();
    }

    /** Snapshots the per-layer chart on the FX thread, then writes the files in a job. */
    public JobView<?> exportReport() {
        return viewModel.exportReport(chartPng(viewModel.chartReport()));
    }

    /** The drift chart as PNG bytes, or null without a report. */
    static byte[] chartPng(DriftReport report) {
        if (report == null) return null;
        LineChart<String, Number> chart = DriftCharts.perLayer(report, DriftMetric.SQNR, "SQNR per layer by cause");
        Scene scene = new Scene(new StackPane(chart), 900, 480);
        scene.getStylesheets().add(ExportView.class.getResource("/dev/anewb/app/app.css").toExternalForm());
        WritableImage image = scene.snapshot(null);
        try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            ImageIO.write(SwingFXUtils.fromFXImage(image, null), "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            return null;
        }
    }

    private void choosePackage() {
        if (root.getScene() == null) return;
        FileChooser chooser = new FileChooser();
        chooser.setTitle("Write the package to");
        Path current = Path.of(viewModel.packagePathProperty().get());
        if (current.getParent() != null && Files.isDirectory(current.getParent())) {
            chooser.setInitialDirectory(current.getParent().toFile());
        }
        chooser.setInitialFileName(current.getFileName() == null ? "model.anepkg" : current.getFileName().toString());
        File f = chooser.showSaveDialog(root.getScene().getWindow());
        if (f != null) {
            String path = f.getPath();
            viewModel.packagePathProperty().set(path.endsWith(".anepkg") ? path : path + ".anepkg");
        }
    }

    private void chooseReport() {
        if (root.getScene() == null) return;
        DirectoryChooser chooser = new DirectoryChooser();
        chooser.setTitle("Write the report to");
        File f = chooser.showDialog(root.getScene().getWindow());
        if (f != null) viewModel.reportFolderProperty().set(f.getPath());
    }

    /** Opens the written folder in the file manager; does nothing where there is no desktop (headless, CI). */
    private void showInFolder() {
        Path p = viewModel.lastWrittenProperty().get();
        if (p == null || GraphicsEnvironment.isHeadless() || !Desktop.isDesktopSupported()) return;
        Path dir = Files.isDirectory(p) ? p : p.getParent();
        Thread.ofVirtual().start(() -> {
            try {
                Desktop.getDesktop().open(dir.toFile());
            } catch (IOException | UnsupportedOperationException e) {
                // Nothing to open it with: the path is in the result line.
            }
        });
    }

    public ExportViewModel viewModel() { return viewModel; }

    @Override public Parent root() { return root; }

    @Override public void dispose() {
        jobSubscription.unsubscribe();
        subscriptions.unsubscribe();
        subscriptions = Subscription.EMPTY;
        packagePath.textProperty().unbindBidirectional(viewModel.packagePathProperty());
        reportFolder.textProperty().unbindBidirectional(viewModel.reportFolderProperty());
        onnxPath.textProperty().unbindBidirectional(viewModel.onnxPathProperty());
    }
}

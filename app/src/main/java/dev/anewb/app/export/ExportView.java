package dev.anewb.app.export;

import dev.anewb.app.area.AreaView;
import dev.anewb.app.jobs.JobView;
import dev.anewb.app.ui.Fxml;
import dev.anewb.app.ui.Icons;
import dev.anewb.convert.coreml.CoreMlPreview;
import dev.anewb.convert.coreml.CoreMlTarget;
import dev.anewb.io.ByteSizes;
import javafx.fxml.FXML;
import javafx.scene.Parent;
import javafx.scene.control.Alert;
import javafx.scene.control.Button;
import javafx.scene.control.ButtonType;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Control;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyCodeCombination;
import javafx.scene.input.KeyCombination;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.stage.DirectoryChooser;
import javafx.stage.FileChooser;
import javafx.util.StringConverter;
import javafx.util.Subscription;

import java.awt.Desktop;
import java.awt.GraphicsEnvironment;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Controller of ExportView.fxml. */
public final class ExportView implements AreaView {
    /** The area's icon in the navigation list and its empty state. */
    public static final String ICON = Icons.UPLOAD;
    /** Export the converted package: Ctrl+E (Cmd+E on macOS). */
    public static final KeyCodeCombination EXPORT_PACKAGE_SHORTCUT =
            new KeyCodeCombination(KeyCode.E, KeyCombination.SHORTCUT_DOWN);
    /** Export the Core ML package: Ctrl+Shift+M (Cmd+Shift+M on macOS). */
    public static final KeyCodeCombination EXPORT_COREML_SHORTCUT =
            new KeyCodeCombination(KeyCode.M, KeyCombination.SHORTCUT_DOWN, KeyCombination.SHIFT_DOWN);
    /** Export the converted graph as ONNX: Ctrl+Shift+E (Cmd+Shift+E on macOS). */
    public static final KeyCodeCombination EXPORT_ONNX_SHORTCUT =
            new KeyCodeCombination(KeyCode.E, KeyCombination.SHORTCUT_DOWN, KeyCombination.SHIFT_DOWN);
    private final ExportViewModel viewModel;
    private final Parent root;
    private Subscription subscriptions = Subscription.EMPTY;
    private Subscription jobSubscription = Subscription.EMPTY;

    @FXML private Label summary;
    @FXML private TextField coreMlPath;
    @FXML private Button chooseCoreMl;
    @FXML private TextField coreMlSequence;
    @FXML private ComboBox<CoreMlTarget> coreMlTarget;
    @FXML private CheckBox coreMlFp16Io;
    @FXML private GridPane coreMlFacts;
    @FXML private Label coreMlProblem;
    @FXML private VBox coreMlNotes;
    @FXML private Button exportCoreMl;
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
        coreMlPath.textProperty().bindBidirectional(viewModel.coreMlPathProperty());
        coreMlSequence.textProperty().bindBidirectional(viewModel.coreMlSequenceProperty());
        coreMlTarget.getItems().setAll(Arrays.asList((CoreMlTarget) null));
        coreMlTarget.getItems().addAll(CoreMlTarget.values());
        coreMlTarget.setConverter(new StringConverter<>() {
            @Override public String toString(CoreMlTarget t) {
                return t == null ? "Lowest the ops allow" : t.label() + " / " + t.macOs();
            }
            @Override public CoreMlTarget fromString(String s) { return null; }
        });
        coreMlTarget.valueProperty().bindBidirectional(viewModel.coreMlTargetProperty());
        coreMlFp16Io.selectedProperty().bindBidirectional(viewModel.coreMlFp16IoProperty());
        coreMlProblem.textProperty().bind(viewModel.coreMlProblemProperty());
        coreMlProblem.managedProperty().bind(coreMlProblem.textProperty().isNotEmpty());
        coreMlProblem.visibleProperty().bind(coreMlProblem.managedProperty());
        exportCoreMl.disableProperty().bind(viewModel.canExportBinding().not()
                .or(viewModel.coreMlPreviewProperty().isNull()));
        exportCoreMl.setOnAction(e -> exportCoreMl());
        chooseCoreMl.setOnAction(e -> chooseCoreMl());
        tip(coreMlPath, "Folder the .mlpackage is written to");
        tip(coreMlSequence, "Sequence length of the text input: N (fixed), N1,N2,... (enumerated shapes, what the "
                + "Neural Engine runs) or MIN..MAX (a range)");
        tip(coreMlTarget, "The deployment target the package declares; block-wise INT8 needs iOS18 / macOS 15, "
                + "per-channel INT8 iOS16");
        tip(coreMlFp16Io, "FP16 inputs and outputs instead of FP32 ones cast at the boundary");
        tip(exportCoreMl, "Write the ML Program package Xcode and Core ML load: the converted graph op for op, "
                + "with the drift measured on the sample input in its metadata ("
                        + EXPORT_COREML_SHORTCUT.getDisplayText()
                + ")");
        packagePath.textProperty().bindBidirectional(viewModel.packagePathProperty());
        reportFolder.textProperty().bindBidirectional(viewModel.reportFolderProperty());
        exportPackage.disableProperty().bind(viewModel.canExportBinding().not());
        exportReport.disableProperty().bind(viewModel.canExportBinding().not());
        exportPackage.getStyleClass().remove("accent");
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
                viewModel.coreMlPreviewProperty().subscribe(this::showPreview),
                viewModel.jobProperty().subscribe(this::follow),
                viewModel.summaryProperty().subscribe(summary::setText));
    }

    private static void tip(Control c, String text) { c.setTooltip(new Tooltip(text)); }

    /** What the Core ML package will be: its facts in a grid, then one line per note (ops off the ANE and why). */
    private void showPreview(CoreMlPreview p) {
        coreMlFacts.getChildren().clear();
        coreMlNotes.getChildren().clear();
        if (p == null) return;
        fact(0, "Size", ByteSizes.format(p.packageBytes()) + " (" + ByteSizes.format(p.weightBytes()) + " of weights)");
        fact(1, "Operations", p.operations() + " MIL ops (" + p.histogram().size() + " kinds)");
        fact(2, "Minimum OS", p.minimumOs().label() + " / " + p.minimumOs().macOs());
        fact(3, "Inputs", String.join(", ", p.inputs()));
        fact(4, "Outputs", String.join(", ", p.outputs()));
        for (String n : p.notes()) {
            Label l = new Label("• " + n);
            l.setWrapText(true);
            l.setMinHeight(Region.USE_PREF_SIZE);
            l.getStyleClass().add("hint");
            coreMlNotes.getChildren().add(l);
        }
    }

    private void fact(int row, String name, String value) {
        Label k = new Label(name);
        k.getStyleClass().add("hint");
        Label v = new Label(value);
        v.setWrapText(true);
        v.setMinHeight(Region.USE_PREF_SIZE);
        v.setId("coreMl" + name.replace(" ", ""));
        coreMlFacts.addRow(row, k, v);
    }

    /** Ctrl/Cmd+Shift+M and the button: asks before replacing an existing package. */
    public void exportCoreMl() {
        if (exportCoreMl.isDisabled()) return;
        boolean force = false;
        if (viewModel.coreMlExists()) {
            if (!confirm(viewModel.coreMlPathProperty().get())) return;
            force = true;
        }
        viewModel.exportCoreMl(force);
    }

    private void chooseCoreMl() {
        if (root.getScene() == null) return;
        FileChooser chooser = new FileChooser();
        chooser.setTitle("Write the Core ML package to");
        Path current = Path.of(viewModel.coreMlPathProperty().get());
        if (current.getParent() != null && Files.isDirectory(current.getParent())) {
            chooser.setInitialDirectory(current.getParent().toFile());
        }
        chooser.setInitialFileName(
                current.getFileName() == null ? "model.mlpackage" : current.getFileName().toString());
        File f = chooser.showSaveDialog(root.getScene().getWindow());
        if (f != null) {
            String path = f.getPath();
            viewModel.coreMlPathProperty().set(path.endsWith(".mlpackage") ? path : path + ".mlpackage");
        }
    }

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

    /** Writes the report files in a job (drift by cause, the per-layer chart, the estimated plan). */
    public JobView<?> exportReport() {
        return viewModel.exportReport();
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
        coreMlPath.textProperty().unbindBidirectional(viewModel.coreMlPathProperty());
        coreMlSequence.textProperty().unbindBidirectional(viewModel.coreMlSequenceProperty());
        coreMlTarget.valueProperty().unbindBidirectional(viewModel.coreMlTargetProperty());
        coreMlFp16Io.selectedProperty().unbindBidirectional(viewModel.coreMlFp16IoProperty());
    }
}

package dev.anewb.app.run;

import dev.anewb.app.session.SampleInput;
import dev.anewb.app.ui.Fxml;
import javafx.fxml.FXML;
import javafx.scene.Parent;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.Tooltip;
import javafx.scene.image.ImageView;
import javafx.scene.layout.GridPane;
import javafx.stage.FileChooser;
import javafx.util.Subscription;

import java.io.File;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static dev.anewb.app.run.SideBySideGrid.key;
import static dev.anewb.app.run.SideBySideGrid.val;

/** Controller of VisionRunView.fxml: an image, what the model sees of it, both models' outputs compared. */
final class VisionRunView {
    private final VisionRun viewModel;
    private final Parent root;
    private Subscription subscriptions = Subscription.EMPTY;

    @FXML private Button chooseImage;
    @FXML private Button sampleImage;
    @FXML private Label imageName;
    @FXML private ImageView imagePreview;
    @FXML private GridPane results;

    VisionRunView(VisionRun viewModel) {
        this.viewModel = viewModel;
        this.root = Fxml.load(this, "VisionRunView.fxml");
    }

    @FXML private void initialize() {
        chooseImage.setOnAction(e -> {
            File f = choose(new FileChooser.ExtensionFilter("Images (PNG, JPEG)", "*.png", "*.jpg", "*.jpeg"));
            if (f != null) viewModel.inputProperty().set(new SampleInput.Image(f.toPath()));
        });
        sampleImage.setOnAction(e -> viewModel.inputProperty().set(new SampleInput.Image(null)));
        chooseImage.setTooltip(new Tooltip("Run a PNG or JPEG through both models (resized and normalised as "
                + "preprocessor_config.json says)"));
        sampleImage.setTooltip(new Tooltip("The engine's built-in sample image (a colour gradient with a "
                + "checkerboard)"));
        Tooltip.install(imagePreview, new Tooltip("pixel_values de-normalised back to RGB: exactly what the model "
                + "sees, after resizing"));
        subscriptions = Subscription.combine(
                viewModel.outcomeProperty().subscribe(this::showOutcome),
                viewModel.inputProperty().subscribe(in -> imageName.setText("loading " + describe(in) + "…")));
    }

    private static String describe(SampleInput.Image in) {
        return in.file() != null ? in.file().getFileName().toString() : "the built-in sample";
    }

    private File choose(FileChooser.ExtensionFilter filter) {
        FileChooser chooser = new FileChooser();
        chooser.setTitle("Choose an image");
        chooser.getExtensionFilters().add(filter);
        return chooser.showOpenDialog(root.getScene() == null ? null : root.getScene().getWindow());
    }

    private void showOutcome(VisionRun.Outcome o) {
        results.getChildren().clear();
        if (o == null) return;
        imageName.setText(o.description() + " · preprocessed to " + o.inputSize());
        imagePreview.setImage(o.preview());
        VisionRun.Pinned p = o.pinned();
        SideBySideGrid.header(results, 0, p == null ? null : p.name());
        results.addRow(1, key("CPU time, forward pass"), val(o.original().text()), val(o.converted().text()));
        if (p != null) results.add(val(p.time().text()), 3, 1);
        int row = 2;
        List<Map.Entry<String, String>> cosines =
                List.of(Map.entry("cls_cosine", "CLS cosine"), Map.entry("pooler_cosine", "Pooler cosine"));
        for (Map.Entry<String, String> m : cosines) {
            Double v = o.task().get(m.getKey());
            if (v == null) continue;
            Label k = key(m.getValue() + " with the original");
            k.setTooltip(new Tooltip(m.getKey().equals("cls_cosine")
                    ? "Cosine between the two models' CLS token (position 0 of the last hidden state): what a "
                            + "classification head reads"
                    : "Cosine between the two models' pooler outputs"));
            results.addRow(row, k, new Label(), val(String.format(Locale.ROOT, "%.6f", v)));
            Double pv = p == null ? null : p.task().get(m.getKey());
            if (pv != null) results.add(val(String.format(Locale.ROOT, "%.6f", pv)), 3, row);
            row++;
        }
    }

    Parent root() { return root; }

    void dispose() {
        subscriptions.unsubscribe();
        subscriptions = Subscription.EMPTY;
    }
}

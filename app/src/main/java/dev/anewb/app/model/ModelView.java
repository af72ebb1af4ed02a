package dev.anewb.app.model;

import dev.anewb.app.shell.AreaView;
import dev.anewb.app.shell.Fxml;
import javafx.collections.ListChangeListener;
import javafx.fxml.FXML;
import javafx.scene.Parent;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.ListView;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.input.MouseButton;
import javafx.scene.input.TransferMode;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.VBox;
import javafx.stage.DirectoryChooser;
import javafx.util.Subscription;

import java.io.File;
import java.util.List;

/** Controller of ModelView.fxml: model sources on the left, the loaded model's card on the right. */
public final class ModelView implements AreaView {
    private final ModelViewModel viewModel;
    private final Parent root;
    private Subscription subscriptions = Subscription.EMPTY;

    @FXML private javafx.scene.layout.BorderPane rootPane;
    @FXML private VBox sources;
    @FXML private ListView<ModelSource> bundledList;
    @FXML private ListView<ModelSource> cacheList;
    @FXML private ListView<ModelSource> recentList;
    @FXML private Button openFolder;
    @FXML private Label dropHint;
    @FXML private TextField hubSearch;
    @FXML private Label cardTitle;
    @FXML private Label cardSubtitle;
    @FXML private GridPane cardGrid;

    public ModelView(ModelViewModel viewModel) {
        this.viewModel = viewModel;
        this.root = Fxml.load(this, "ModelView.fxml");
    }

    @FXML private void initialize() {
        setUp(bundledList, viewModel.bundled(), "Double-click or press Enter to load the bundled model (no network needed)", "");
        setUp(cacheList, viewModel.cached(), "Models in the local Hugging Face cache (" + viewModel.cacheRoot() + "); double-click to load",
                "No models in " + viewModel.cacheRoot());
        setUp(recentList, viewModel.recent(), "Models opened before; double-click to load again", "Nothing opened yet");
        openFolder.setOnAction(e -> openFolder());
        openFolder.setTooltip(new Tooltip("Open a model folder, an .anepkg package, or the folder of an .onnx file (Ctrl+O)"));
        hubSearch.setTooltip(new Tooltip("Comes with the Hub feature"));

        // Drag and drop of a folder anywhere in the area.
        rootPane.setOnDragOver(e -> {
            if (e.getDragboard().hasFiles()) e.acceptTransferModes(TransferMode.LINK, TransferMode.COPY);
            e.consume();
        });
        rootPane.setOnDragDropped(e -> {
            List<File> files = e.getDragboard().hasFiles() ? e.getDragboard().getFiles() : List.of();
            if (!files.isEmpty()) viewModel.open(files.getFirst().toPath());
            e.setDropCompleted(!files.isEmpty());
            e.consume();
        });

        ListChangeListener<ModelViewModel.CardRow> onCard = c -> showCard();
        viewModel.card().addListener(onCard);
        showCard();
        subscriptions = Subscription.combine(() -> viewModel.card().removeListener(onCard),
                viewModel.session().loadingProperty().subscribe(v -> showCard()));
    }

    private void setUp(ListView<ModelSource> list, javafx.collections.ObservableList<ModelSource> items, String tip, String empty) {
        list.setItems(items);
        list.setTooltip(new Tooltip(tip));
        list.setPlaceholder(new Label(empty));
        list.setCellFactory(l -> new SourceCell());
        list.setOnMouseClicked(e -> {
            ModelSource s = list.getSelectionModel().getSelectedItem();
            if (s != null && e.getButton() == MouseButton.PRIMARY && e.getClickCount() == 2) viewModel.open(s.reference());
        });
        list.setOnKeyPressed(e -> {
            ModelSource s = list.getSelectionModel().getSelectedItem();
            if (s != null && e.getCode() == javafx.scene.input.KeyCode.ENTER) viewModel.open(s.reference());
        });
    }

    private void showCard() {
        cardGrid.getChildren().clear();
        var rows = viewModel.card();
        if (rows.isEmpty()) {
            cardTitle.setText(viewModel.session().loadingProperty().get() ? "Loading " + viewModel.session().loadingWhatProperty().get() + "…" : "No model loaded");
            cardSubtitle.setText("Pick the bundled model, a cached one, or open a folder.");
            return;
        }
        var info = viewModel.session().infoProperty().get();
        cardTitle.setText(info.name());
        var m = viewModel.session().model();
        cardSubtitle.setText(m != null && m.folder() != null ? m.folder().toString() : "");
        for (int i = 0; i < rows.size(); i++) {
            Label k = new Label(rows.get(i).label());
            k.getStyleClass().add("card-key");
            k.setMinWidth(javafx.scene.layout.Region.USE_PREF_SIZE);
            Label v = new Label(rows.get(i).value());
            v.getStyleClass().add("card-value");
            v.setWrapText(true);
            cardGrid.addRow(i, k, v);
        }
    }

    /** Ctrl/Cmd+O: pick a folder (model, .anepkg, or the folder holding an .onnx file). */
    public void openFolder() {
        if (root.getScene() == null || root.getScene().getWindow() == null) return;
        DirectoryChooser chooser = new DirectoryChooser();
        chooser.setTitle("Open a model folder");
        File dir = chooser.showDialog(root.getScene().getWindow());
        if (dir != null) viewModel.open(dir.toPath());
    }

    public ModelViewModel viewModel() { return viewModel; }

    @Override public Parent root() { return root; }

    @Override public void dispose() {
        subscriptions.unsubscribe();
        subscriptions = Subscription.EMPTY;
        viewModel.dispose();
    }

    private static final class SourceCell extends ListCell<ModelSource> {
        private final Label name = new Label();
        private final Label detail = new Label();
        private final VBox box = new VBox(name, detail);

        SourceCell() {
            name.getStyleClass().add("source-name");
            detail.getStyleClass().add("source-detail");
        }

        @Override protected void updateItem(ModelSource s, boolean empty) {
            super.updateItem(s, empty);
            setText(null);
            if (empty || s == null) {
                setGraphic(null);
                return;
            }
            name.setText(s.label());
            detail.setText(s.detail());
            setGraphic(box);
        }
    }
}

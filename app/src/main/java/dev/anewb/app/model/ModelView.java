package dev.anewb.app.model;

import dev.anewb.app.area.AreaView;
import dev.anewb.app.ui.Fxml;
import dev.anewb.app.ui.Icons;
import dev.anewb.hub.HubModelSummary;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.collections.ListChangeListener;
import javafx.collections.ObservableList;
import javafx.fxml.FXML;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.Parent;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.ListView;
import javafx.scene.control.OverrunStyle;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableRow;
import javafx.scene.control.TableView;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.input.KeyCode;
import javafx.scene.input.MouseButton;
import javafx.scene.input.TransferMode;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.scene.text.Font;
import javafx.scene.text.FontWeight;
import javafx.scene.text.Text;
import javafx.scene.text.TextAlignment;
import javafx.stage.DirectoryChooser;
import javafx.util.Subscription;

import java.io.File;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/** Controller of ModelView.fxml: model sources on the left, the loaded model's card on the right. */
public final class ModelView implements AreaView {
    /** The area's icon in the navigation list and its empty state. */
    public static final String ICON = Icons.LAYERS;
    private final ModelViewModel viewModel;
    private final Parent root;
    private Subscription subscriptions = Subscription.EMPTY;

    @FXML private BorderPane rootPane;
    @FXML private ListView<ModelSource> bundledList;
    @FXML private ListView<ModelSource> cacheList;
    @FXML private ListView<ModelSource> recentList;
    @FXML private Button openFolder;
    @FXML private TextField hubSearch;
    @FXML private Label cardTitle;
    @FXML private Label cardSubtitle;
    @FXML private GridPane cardGrid;
    @FXML private Button hubSearchButton;
    @FXML private Label hubOnline;
    @FXML private Button setToken;
    @FXML private Label hubStatus;
    @FXML private TableView<HubModelSummary> hubResults;
    @FXML private Label repoTitle;
    @FXML private Label repoFacts;
    @FXML private ListView<HubSearchViewModel.FileRow> repoFiles;
    @FXML private Button planRepo;
    @FXML private Button downloadRepo;
    @FXML private Button cancelDownload;
    @FXML private ProgressBar downloadProgress;
    @FXML private Label downloadMessage;

    public ModelView(ModelViewModel viewModel) {
        this.viewModel = viewModel;
        this.root = Fxml.load(this, "ModelView.fxml");
    }

    @FXML private void initialize() {
        setUp(bundledList, viewModel.bundled(),
                "Double-click or press Enter to load the bundled model (no network needed)", "");
        setUp(cacheList, viewModel.cached(),
                "Models in the local Hugging Face cache (" + viewModel.cacheRoot() + "); double-click to load",
                "No models in " + viewModel.cacheRoot());
        setUp(recentList, viewModel.recent(), "Models opened before; double-click to load again", "Nothing opened yet");
        openFolder.setOnAction(e -> openFolder());
        openFolder.setTooltip(new Tooltip(
                "Open a model folder, an .anepkg package, or the folder of an .onnx file (Ctrl+O)"));
        setUpHub();

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

        cardTitle.textProperty().bind(viewModel.cardTitleProperty());
        cardSubtitle.textProperty().bind(viewModel.cardSubtitleProperty());
        ListChangeListener<ModelViewModel.CardRow> onCard = c -> showCard();
        viewModel.card().addListener(onCard);
        showCard();
        subscriptions = Subscription.combine(subscriptions, () -> viewModel.card().removeListener(onCard));
    }

    private void setUpHub() {
        HubSearchViewModel hub = viewModel.hub();
        hubSearch.textProperty().bindBidirectional(hub.queryProperty());
        hubSearch.setOnAction(e -> hub.search());
        hubSearchButton.setOnAction(e -> hub.search());
        hubSearchButton.disableProperty().bind(hub.searchingProperty());
        hubSearch.setTooltip(new Tooltip("Search the Hugging Face Hub by name (Enter); results sorted by downloads"));
        hubSearchButton.setTooltip(new Tooltip("Search the Hub"));
        setToken.setTooltip(new Tooltip(
                "Store a Hugging Face token in the standard token file (" + hub.tokenFile() + ") for gated models"));
        setToken.setOnAction(e -> TokenDialog.show(root, hub));
        hubStatus.textProperty().bind(hub.statusProperty());
        subscriptions = Subscription.combine(subscriptions, hub.offlineProperty().subscribe(off -> updateOnline()),
                hub.contactedProperty().subscribe(c -> updateOnline()),
                hub.tokenPresentProperty().subscribe(t -> updateOnline()));

        hubResults.getColumns().setAll(List.of(
                col("model", 200, HubModelSummary::id),
                col("downloads", 90, s -> String.format(Locale.ROOT, "%,d", s.downloads())),
                col("likes", 60, s -> Long.toString(s.likes())),
                col("supported", 70, HubSearchViewModel::supportedText)));
        // Tags do not fit a column at 1280 px; each row shows them on hover.
        hubResults.setRowFactory(t -> new TableRow<>() {
            @Override protected void updateItem(HubModelSummary s, boolean empty) {
                super.updateItem(s, empty);
                if (empty || s == null) {
                    setTooltip(null);
                    return;
                }
                List<String> tags = s.tags().stream().filter(x -> !x.startsWith("region:")).limit(8).toList();
                setTooltip(new Tooltip(s.id() + "\ntags: " + String.join(", ", tags)));
            }
        });
        hubResults.setItems(hub.results());
        hubResults.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN);
        hubResults.setPlaceholder(new Label("Search the Hub to list models"));
        hubResults.setTooltip(new Tooltip("supported: whether anewb can load the model type (? when the Hub "
                + "did not say)"));
        hubResults.getSelectionModel().selectedItemProperty().addListener((obs, o, n) -> hub.selectedProperty().set(n));

        repoFiles.setPlaceholder(wrapped("Select a model to see its files"));
        repoFiles.setCellFactory(list -> new FileCell());
        repoFiles.setTooltip(new Tooltip("Files of the repository with their sizes"));
        subscriptions = Subscription.combine(subscriptions, hub.selectedProperty().subscribe(s -> showRepo()),
                hub.infoProperty().subscribe(i -> showRepo()));
        planRepo.setTooltip(new Tooltip(
                "Fetch config.json only, load the model from it and open Memory (no weights needed to plan)"));
        downloadRepo.setTooltip(new Tooltip("Download the files the engine reads (weights included) into the Hugging "
                + "Face cache, then open the model; again resumes"));
        cancelDownload.setTooltip(new Tooltip("Stop the download; the partial file stays and Download resumes it"));
        planRepo.setOnAction(e -> hub.plan());
        downloadRepo.setOnAction(e -> hub.download());
        cancelDownload.setOnAction(e -> hub.cancelDownload());
        planRepo.disableProperty().bind(hub.selectedProperty().isNull().or(hub.downloadingProperty()));
        downloadRepo.disableProperty().bind(
                hub.selectedProperty().isNull().or(hub.downloadingProperty()).or(hub.offlineProperty()));
        cancelDownload.disableProperty().bind(hub.downloadingProperty().not());
        downloadProgress.progressProperty().bind(hub.progressProperty());
        downloadProgress.visibleProperty().bind(hub.downloadingProperty());
        downloadMessage.textProperty().bind(hub.progressMessageProperty());
    }

    private void updateOnline() {
        HubSearchViewModel hub = viewModel.hub();
        boolean off = hub.offlineProperty().get();
        boolean asked = hub.contactedProperty().get();
        String token = hub.tokenPresentProperty().get() ? " · token set" : "";
        hubOnline.setText((off ? "offline" : asked ? "online" : "not asked yet") + (off ? "" : token));
        hubOnline.getStyleClass().setAll("label", off ? "hub-offline" : asked ? "hub-online" : "hub-unknown");
        hubOnline.setTooltip(new Tooltip(off ? hub.offlineReasonProperty().get()
                : (asked ? "The Hub answered" : "Nothing has been asked of the Hub yet: a search shows whether it "
                        + "can be reached") + "; a token is "
                        + (hub.tokenPresentProperty().get() ? "set (never shown)" : "not set")));
    }

    private void showRepo() {
        HubSearchViewModel hub = viewModel.hub();
        HubModelSummary s = hub.selectedProperty().get();
        var info = hub.infoProperty().get();
        repoTitle.setText(s == null ? "No model selected" : s.id());
        if (s == null) {
            repoFacts.setText("");
            repoFiles.getItems().clear();
            return;
        }
        String license = HubSearchViewModel.license(info != null ? info.tags() : s.tags());
        repoFacts.setText((s.modelType() == null ? "model type unknown" : "model type " + s.modelType())
                + " · supported " + HubSearchViewModel.supportedText(s)
                + (license == null ? "" : " · license " + license) + (s.gated() ? " · gated (needs a token)" : ""));
        if (info == null) {
            String unknown = hub.offlineProperty().get() ? "(offline: files unknown)" : "(loading files…)";
            repoFiles.getItems().setAll(new HubSearchViewModel.FileRow(unknown, ""));
        } else {
            repoFiles.getItems().setAll(HubSearchViewModel.fileRows(info));
        }
    }

    private static TableColumn<HubModelSummary, String> col(String title, double width,
                                                            Function<HubModelSummary, String> f) {
        TableColumn<HubModelSummary, String> c = new TableColumn<>(title);
        c.setCellValueFactory(r -> new ReadOnlyStringWrapper(f.apply(r.getValue())));
        c.setPrefWidth(width);
        // The header never shrinks below its own text (the constrained policy took it down to "…").
        Text measure = new Text(title);
        measure.setFont(Font.font(Font.getDefault().getFamily(), FontWeight.BOLD, 13));
        c.setMinWidth(Math.ceil(measure.getLayoutBounds().getWidth()) + 16);
        return c;
    }

    private static Label wrapped(String text) {
        Label l = new Label(text);
        l.setWrapText(true);
        l.setTextAlignment(TextAlignment.CENTER);
        l.setPadding(new Insets(8));
        return l;
    }

    /** A file of the Hub card: its name on the left (elided in the middle), its size right-aligned. */
    private static final class FileCell extends ListCell<HubSearchViewModel.FileRow> {
        private final Label name = new Label();
        private final Label size = new Label();
        private final HBox row;

        FileCell() {
            name.setTextOverrun(OverrunStyle.CENTER_ELLIPSIS);
            name.setMinWidth(0);
            size.setMinWidth(Label.USE_PREF_SIZE);
            size.getStyleClass().add("hint");
            Region gap = new Region();
            HBox.setHgrow(gap, Priority.ALWAYS);
            row = new HBox(6, name, gap, size);
            row.setAlignment(Pos.CENTER_LEFT);
        }

        @Override protected void updateItem(HubSearchViewModel.FileRow item, boolean empty) {
            super.updateItem(item, empty);
            setText(null);
            if (empty || item == null) {
                setGraphic(null);
                setTooltip(null);
                return;
            }
            name.setText(item.name());
            size.setText(item.size());
            setGraphic(row);
            setTooltip(new Tooltip(item.name() + (item.size().isEmpty() ? "" : " · " + item.size())));
        }
    }

    private void setUp(ListView<ModelSource> list, ObservableList<ModelSource> items, String tip, String empty) {
        list.setItems(items);
        list.setTooltip(new Tooltip(tip));
        list.setPlaceholder(wrapped(empty));
        list.setCellFactory(l -> new SourceCell());
        list.setOnMouseClicked(e -> {
            ModelSource s = list.getSelectionModel().getSelectedItem();
            if (s != null && e.getButton() == MouseButton.PRIMARY && e.getClickCount() == 2) {
                viewModel.open(s.reference());
            }
        });
        list.setOnKeyPressed(e -> {
            ModelSource s = list.getSelectionModel().getSelectedItem();
            if (s != null && e.getCode() == KeyCode.ENTER) viewModel.open(s.reference());
        });
    }

    private void showCard() {
        cardGrid.getChildren().clear();
        var rows = viewModel.card();
        for (int i = 0; i < rows.size(); i++) {
            Label k = new Label(rows.get(i).label());
            k.getStyleClass().add("card-key");
            k.setMinWidth(Region.USE_PREF_SIZE);
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

    @Override public Parent root() { return root; }

    @Override public void dispose() {
        subscriptions.unsubscribe();
        subscriptions = Subscription.EMPTY;
        hubSearch.textProperty().unbindBidirectional(viewModel.hub().queryProperty());
        cardTitle.textProperty().unbind();
        cardSubtitle.textProperty().unbind();
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

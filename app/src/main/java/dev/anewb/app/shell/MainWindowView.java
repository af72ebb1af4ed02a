package dev.anewb.app.shell;

import dev.anewb.app.area.AreaView;
import dev.anewb.app.conversion.ConversionPanel;
import dev.anewb.app.export.ExportView;
import dev.anewb.app.jobs.JobFailure;
import dev.anewb.app.jobs.JobFailureNotice;
import dev.anewb.app.jobs.JobStatusBar;
import dev.anewb.app.model.ModelView;
import dev.anewb.app.theme.AppTheme;
import dev.anewb.app.ui.Fxml;
import dev.anewb.app.ui.Icons;
import javafx.beans.binding.Bindings;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.value.ObservableBooleanValue;
import javafx.collections.ListChangeListener;
import javafx.css.PseudoClass;
import javafx.fxml.FXML;
import javafx.geometry.Pos;
import javafx.scene.Parent;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.ListView;
import javafx.scene.control.ToggleButton;
import javafx.scene.control.Tooltip;
import javafx.scene.input.KeyCodeCombination;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import javafx.scene.shape.Rectangle;
import javafx.util.Duration;
import javafx.util.Subscription;
import org.controlsfx.control.PopOver;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Controller of MainWindow.fxml: header, area navigation, area host, conversion panel, job status bar. */
public final class MainWindowView {
    /** Light/dark switch: Ctrl+Shift+D (Cmd+Shift+D on macOS). */
    public static final KeyCodeCombination THEME_SHORTCUT = KeyboardShortcuts.THEME;
    static final String APP_STYLESHEET = "/dev/anewb/app/app.css";
    static final String CONTROLSFX_BRIDGE = "/dev/anewb/app/controlsfx-bridge.css";

    private final MainWindowViewModel viewModel;
    private final Map<Area, AreaView> areaViews = new EnumMap<>(Area.class);
    private final Parent root;
    private Subscription subscriptions = Subscription.EMPTY;

    @FXML private BorderPane window;
    @FXML private StackPane logo;
    @FXML private Label modelTitle;
    @FXML private Label modelDetails;
    @FXML private ToggleButton darkToggle;
    @FXML private Button helpButton;
    @FXML private ListView<Area> areaList;
    @FXML private StackPane areaHost;
    @FXML private VBox notifications;
    @FXML private JobStatusBar statusBar;
    @FXML private StackPane sidePanel;
    private ConversionPanel conversionPanel;

    /** Open a model folder: Ctrl+O (Cmd+O on macOS). */
    public static final KeyCodeCombination OPEN_SHORTCUT = KeyboardShortcuts.OPEN;
    /** Export the converted package: Ctrl+E (Cmd+E on macOS). */
    public static final KeyCodeCombination EXPORT_SHORTCUT = KeyboardShortcuts.EXPORT_PACKAGE;
    private PopOver shortcutsHelp;
    /** Window width below which the navigation shrinks to icons. */
    static final double COMPACT_WIDTH = 1100;
    private static final PseudoClass COMPACT = PseudoClass.getPseudoClass("compact");
    private final BooleanProperty compact = new SimpleBooleanProperty(this, "compact");

    public MainWindowView(MainWindowViewModel viewModel) {
        this.viewModel = viewModel;
        this.root = Fxml.load(this, "MainWindow.fxml");
    }

    @FXML private void initialize() {
        logo.getChildren().setAll(Icons.icon(Icons.CHIP, 18));
        // Below COMPACT_WIDTH the navigation shows icons only (names as tooltips), leaving the area room to fit.
        compact.bind(window.widthProperty().lessThan(COMPACT_WIDTH));
        compact.subscribe(c -> window.pseudoClassStateChanged(COMPACT, c));
        // An area wider than its room is cut at the host's edge, never drawn over the conversion panel.
        Rectangle clip = new Rectangle();
        clip.widthProperty().bind(areaHost.widthProperty());
        clip.heightProperty().bind(areaHost.heightProperty());
        areaHost.setClip(clip);
        areaHost.setMinWidth(0);
        modelTitle.textProperty().bind(viewModel.modelTitleProperty());
        modelDetails.textProperty().bind(viewModel.modelDetailsProperty());

        areaList.getItems().setAll(Area.values());
        areaList.setCellFactory(list -> new AreaCell(compact));
        areaList.getSelectionModel().selectedItemProperty().addListener((obs, old, now) -> viewModel.select(now));

        darkToggle.setGraphic(Icons.icon(Icons.MOON, 16));
        darkToggle.setTooltip(new Tooltip("Dark theme (" + THEME_SHORTCUT.getDisplayText() + ")"));
        darkToggle.setOnAction(e -> viewModel.toggleTheme());
        helpButton.setTooltip(new Tooltip("Keyboard shortcuts (" + KeyboardShortcuts.HELP.getDisplayText() + ")"));
        helpButton.setOnAction(e -> toggleShortcutsHelp());

        conversionPanel = new ConversionPanel(viewModel.conversion());
        sidePanel.getChildren().setAll(conversionPanel.root());

        statusBar.bind(viewModel.runningJobs());
        ListChangeListener<JobFailure> onFailures = c -> showFailures();
        viewModel.failures().addListener(onFailures);
        showFailures();

        subscriptions = Subscription.combine(
                viewModel.selectedAreaProperty().subscribe(this::show),
                viewModel.themeProperty().subscribe(this::applyTheme),
                () -> viewModel.failures().removeListener(onFailures),
                statusBar::dispose,
                conversionPanel::dispose);
    }

    /** The window's scene with the app stylesheets and shortcuts; the theme is applied to the whole app. */
    public Scene createScene(double width, double height) {
        Scene scene = new Scene(root, width, height);
        scene.getStylesheets().addAll(
                Objects.requireNonNull(getClass().getResource(CONTROLSFX_BRIDGE)).toExternalForm(),
                Objects.requireNonNull(getClass().getResource(APP_STYLESHEET)).toExternalForm());
        for (Area a : Area.values()) scene.getAccelerators().put(a.shortcut(), () -> viewModel.select(a));
        scene.getAccelerators().put(THEME_SHORTCUT, viewModel::toggleTheme);
        scene.getAccelerators().put(OPEN_SHORTCUT, () -> {
            viewModel.select(Area.MODEL);
            if (areaViews.get(Area.MODEL) instanceof ModelView v) v.openFolder();
        });
        scene.getAccelerators().put(EXPORT_SHORTCUT, () -> {
            viewModel.select(Area.EXPORT);
            if (areaViews.get(Area.EXPORT) instanceof ExportView v) v.exportPackage();
        });
        scene.getAccelerators().put(KeyboardShortcuts.EXPORT_ONNX, () -> {
            viewModel.select(Area.EXPORT);
            if (areaViews.get(Area.EXPORT) instanceof ExportView v) v.exportOnnx();
        });
        scene.getAccelerators().put(KeyboardShortcuts.RUN, this::runCurrent);
        scene.getAccelerators().put(KeyboardShortcuts.HELP, this::toggleShortcutsHelp);
        return scene;
    }

    public Parent root() { return root; }

    /** Shows the Run area and runs what the loaded model takes on its current input (Ctrl/Cmd+R, the self-test). */
    public void runCurrent() { viewModel.runCurrent(); }

    /** Shows the keyboard shortcuts under the "?" button, or hides them if shown. */
    public void toggleShortcutsHelp() {
        if (shortcutsHelp != null && shortcutsHelp.isShowing()) {
            shortcutsHelp.hide(Duration.ZERO);
            return;
        }
        if (shortcutsHelp == null) {
            shortcutsHelp = new PopOver(KeyboardShortcuts.helpContent());
            shortcutsHelp.setTitle("Keyboard shortcuts");
            shortcutsHelp.setHeaderAlwaysVisible(true);
            shortcutsHelp.setDetachable(false);
            shortcutsHelp.setArrowLocation(PopOver.ArrowLocation.TOP_RIGHT);
        }
        Scene scene = helpButton.getScene();
        if (scene != null && scene.getWindow() != null && scene.getWindow().isShowing()) shortcutsHelp.show(helpButton);
    }

    /** The shortcuts popover once it has been asked for (tests). */
    public PopOver shortcutsHelp() { return shortcutsHelp; }

    public ConversionPanel conversionPanel() { return conversionPanel; }

    /** The area's view if it has been shown (views are built on first visit). */
    public AreaView areaView(Area area) { return areaViews.get(area); }

    /** Drops listeners on the view model, disposes the area views, then the view models (window closed). */
    public void dispose() {
        subscriptions.unsubscribe();
        subscriptions = Subscription.EMPTY;
        if (shortcutsHelp != null) shortcutsHelp.hide();
        areaViews.values().forEach(AreaView::dispose);
        areaViews.clear();
        viewModel.close();
    }

    private void show(Area area) {
        AreaView view = areaViews.computeIfAbsent(area, a -> a.createView(viewModel.area(a)));
        areaHost.getChildren().setAll(view.root());
        if (areaList.getSelectionModel().getSelectedItem() != area) areaList.getSelectionModel().select(area);
    }

    private void applyTheme(AppTheme theme) {
        theme.apply(root);
        darkToggle.setSelected(theme == AppTheme.DARK);
    }

    private void showFailures() {
        notifications.getChildren().setAll(viewModel.failures().stream()
                .map(f -> new JobFailureNotice(f, () -> viewModel.dismiss(f)))
                .toList());
    }

    /**
     * Icon, name and shortcut of one area in the navigation list. The row is built once per cell: nodes created
     * during a layout pass would miss that pass's CSS and draw unstyled for a frame.
     */
    private static final class AreaCell extends ListCell<Area> {
        private final Icons.Icon icon = Icons.icon(Icons.LAYERS, 18);
        private final Label name = new Label();
        private final Label key = new Label();
        private final HBox row;

        AreaCell(ObservableBooleanValue compact) {
            name.getStyleClass().add("area-nav-name");
            for (Label l : List.of(name, key)) {
                l.visibleProperty().bind(Bindings.not(compact));
                l.managedProperty().bind(l.visibleProperty());
            }
            key.getStyleClass().add("area-nav-shortcut");
            Region gap = new Region();
            HBox.setHgrow(gap, Priority.ALWAYS);
            row = new HBox(icon, name, gap, key);
            row.getStyleClass().add("area-nav-row");
            row.setAlignment(Pos.CENTER_LEFT);
        }

        @Override protected void updateItem(Area area, boolean empty) {
            super.updateItem(area, empty);
            setText(null);
            if (empty || area == null) {
                setGraphic(null);
                setId(null);
                return;
            }
            icon.setPath(area.iconPath());
            name.setText(area.title());
            setTooltip(new Tooltip(area.title() + " (" + area.shortcut().getDisplayText() + ")"));
            key.setText(area.shortcut().getDisplayText());
            setGraphic(row);
            setId("nav-" + area.key());
        }
    }
}

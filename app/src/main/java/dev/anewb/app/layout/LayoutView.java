package dev.anewb.app.layout;

import dev.anewb.ane.TensorLayout;
import dev.anewb.app.area.AreaView;
import dev.anewb.app.area.EmptyState;
import dev.anewb.app.ui.Fxml;
import dev.anewb.app.ui.Icons;
import javafx.collections.ListChangeListener;
import javafx.fxml.FXML;
import javafx.scene.Parent;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ToggleButton;
import javafx.scene.control.ToggleGroup;
import javafx.scene.control.Tooltip;
import javafx.scene.control.TreeCell;
import javafx.scene.control.TreeItem;
import javafx.scene.control.TreeView;
import javafx.scene.layout.FlowPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Region;
import javafx.scene.layout.StackPane;
import javafx.scene.paint.Color;
import javafx.util.Subscription;

import java.util.Locale;

/** Controller of LayoutView.fxml: tensor tree, the 64-byte-line grid (one image per frame), mode, zoom, figures. */
public final class LayoutView implements AreaView {
    /** The area's icon in the navigation list and its empty state. */
    public static final String ICON = Icons.GRID;
    static final String HOVER_HINT = "Hover a cell for its element index and byte address · drag or scroll to pan · "
            + "Ctrl+scroll or +/− to zoom";
    private final LayoutViewModel viewModel;
    private final Parent root;
    private final LayoutGrid grid = new LayoutGrid();
    private Subscription subscriptions = Subscription.EMPTY;
    private boolean syncingTree;

    @FXML private EmptyState emptyState;
    @FXML private HBox content;
    @FXML private Label title;
    @FXML private TreeView<LayoutViewModel.Entry> tensorTree;
    @FXML private Label tensorName;
    @FXML private ToggleButton modeHf;
    @FXML private ToggleButton modeBc1s;
    @FXML private ToggleButton modePerHead;
    @FXML private Button zoomOut;
    @FXML private Button zoomIn;
    @FXML private Label note;
    @FXML private StackPane gridBox;
    @FXML private Label hover;
    @FXML private FlowPane legend;
    @FXML private FlowPane figures;

    public LayoutView(LayoutViewModel viewModel) {
        this.viewModel = viewModel;
        this.root = Fxml.load(this, "LayoutView.fxml");
    }

    @FXML private void initialize() {
        emptyState.show(viewModel, ICON);
        grid.setId("layoutGrid");
        gridBox.getChildren().add(grid);
        Tooltip.install(grid, new Tooltip("Each line is 64 bytes of memory, one cell per element; colour = owning head "
                + "or quantization block; hatched = padding"));

        ToggleGroup modes = new ToggleGroup();
        for (ToggleButton b : new ToggleButton[]{modeHf, modeBc1s, modePerHead}) b.setToggleGroup(modes);
        modeHf.setTooltip(new Tooltip("Hugging Face layout (B, S, C): tokens are rows, heads own slices of each row"));
        modeBc1s.setTooltip(new Tooltip("ANE layout (B, C, 1, S): channels are rows, the sequence is contiguous"));
        modePerHead.setTooltip(new Tooltip("Attention q/k/v/output split into one (B, d, 1, S) tensor per head"));
        modes.selectedToggleProperty().addListener((obs, old, now) -> {
            if (now == null) old.setSelected(true);
            else viewModel.modeProperty().set(now == modeHf ? LayoutViewModel.Mode.HF
                    : now == modePerHead ? LayoutViewModel.Mode.PER_HEAD : LayoutViewModel.Mode.BC1S);
        });
        zoomIn.setOnAction(e -> grid.zoom(1));
        zoomOut.setOnAction(e -> grid.zoom(-1));
        zoomIn.setTooltip(new Tooltip("Zoom in (+ or Ctrl+scroll)"));
        zoomOut.setTooltip(new Tooltip("Zoom out (− or Ctrl+scroll)"));
        tensorTree.setTooltip(new Tooltip("Every tensor of the planned graph by layer: activations, weights, INT8 "
                + "codes/scales/zero points, attention scores, KV cache"));
        tensorTree.setCellFactory(t -> new TreeCell<>() {
            @Override protected void updateItem(LayoutViewModel.Entry e, boolean empty) {
                super.updateItem(e, empty);
                setText(empty || e == null ? null : e.label());
                setTooltip(empty || e == null || e.tensor() == null ? null
                        : new Tooltip(e.tensor() + (e.detail().isEmpty() ? "" : " (" + e.detail() + ")")));
            }
        });
        tensorTree.getSelectionModel().selectedItemProperty().addListener((obs, old, item) -> {
            if (!syncingTree && item != null && item.getValue().tensor() != null) {
                viewModel.selectedProperty().set(item.getValue().tensor());
            }
        });
        grid.setOnHover(viewModel::hover);
        grid.setOnExit(viewModel::clearHover);
        hover.setText(HOVER_HINT);
        note.setMinHeight(Region.USE_PREF_SIZE);

        ListChangeListener<LayoutViewModel.Figure> onFigures = c -> showFigures();
        showFigures();
        viewModel.figures().addListener(onFigures);
        subscriptions = Subscription.combine(
                () -> viewModel.figures().removeListener(onFigures),
                viewModel.treeProperty().subscribe(this::showTree),
                viewModel.selectedProperty().subscribe(this::selectInTree),
                viewModel.modeProperty().subscribe(m -> (m == LayoutViewModel.Mode.HF ? modeHf
                        : m == LayoutViewModel.Mode.PER_HEAD ? modePerHead : modeBc1s).setSelected(true)),
                viewModel.layoutProperty().subscribe(this::showLayout),
                viewModel.noteProperty().subscribe(note::setText),
                viewModel.hoverProperty().subscribe(this::showHover),
                viewModel.modelLoadedProperty().subscribe(loaded -> {
                    content.setVisible(loaded);
                    emptyState.setVisible(!loaded);
                }));
    }

    private void showTree(LayoutViewModel.Group g) {
        syncingTree = true;
        try {
            tensorTree.setRoot(g == null ? null : item(g, 0));
        } finally {
            syncingTree = false;
        }
        selectInTree(viewModel.selectedProperty().get());
    }

    private static TreeItem<LayoutViewModel.Entry> item(LayoutViewModel.Group g, int depth) {
        TreeItem<LayoutViewModel.Entry> t = new TreeItem<>(g.entry());
        for (LayoutViewModel.Group c : g.children()) t.getChildren().add(item(c, depth + 1));
        t.setExpanded(depth == 0);
        return t;
    }

    private void selectInTree(String tensor) {
        tensorName.setText(tensor == null ? "" : tensor);
        if (tensor == null || tensorTree.getRoot() == null) return;
        TreeItem<LayoutViewModel.Entry> found = find(tensorTree.getRoot(), tensor);
        if (found == null || tensorTree.getSelectionModel().getSelectedItem() == found) return;
        for (TreeItem<LayoutViewModel.Entry> p = found.getParent(); p != null; p = p.getParent()) p.setExpanded(true);
        syncingTree = true;
        try {
            tensorTree.getSelectionModel().select(found);
            int row = tensorTree.getRow(found);
            if (row >= 0) tensorTree.scrollTo(Math.max(0, row - 2));
        } finally {
            syncingTree = false;
        }
    }

    private static TreeItem<LayoutViewModel.Entry> find(TreeItem<LayoutViewModel.Entry> item, String tensor) {
        if (tensor.equals(item.getValue().tensor())) return item;
        for (TreeItem<LayoutViewModel.Entry> c : item.getChildren()) {
            TreeItem<LayoutViewModel.Entry> f = find(c, tensor);
            if (f != null) return f;
        }
        return null;
    }

    private void showLayout(TensorLayout t) {
        if (title.getTextFill() instanceof Color c) grid.setInk(c);
        grid.setLayout(t);
        if (t != null) tensorName.setText(t.name() + "  " + t.shapeText());
        legend.getChildren().clear();
        if (t == null) return;
        TensorLayout.Grouping g = !t.rowGroups().none() ? t.rowGroups() : t.columnGroups();
        long groups = g.none() ? 0 : !t.rowGroups().none() ? g.groups(t.rows()) : g.groups(t.lastAxis());
        for (long i = 0; i < Math.min(12, groups); i++) {
            legend.getChildren().add(swatch(LayoutGrid.legendColour(i), g.label() + " " + i));
        }
        if (groups > 12) {
            legend.getChildren().add(new Label("colours repeat every 12 of " + groups + " " + g.label() + "s"));
        }
        if (groups == 0) {
            legend.getChildren().add(swatch(Color.web("#8FA8C8"), "element of an even tensor row"));
            legend.getChildren().add(swatch(Color.web("#5F7FA8"), "of an odd row (no head or block owns them)"));
        }
        legend.getChildren().add(swatch(Color.web("#B0B0B0"), "padding to the 64-byte row alignment (hatched)"));
        Label rule = new Label("▬ dark top edge: a new tensor row starts");
        rule.getStyleClass().add("legend-item");
        legend.getChildren().add(rule);
    }

    private static Label swatch(Color c, String text) {
        Region r = new Region();
        r.setMinSize(12, 12);
        r.setMaxSize(12, 12);
        r.setStyle(String.format(Locale.ROOT, "-fx-background-color: #%02x%02x%02x;",
                (int) (c.getRed() * 255), (int) (c.getGreen() * 255), (int) (c.getBlue() * 255)));
        Label l = new Label(text, r);
        l.getStyleClass().add("legend-item");
        return l;
    }

    private void showHover(LayoutViewModel.Cell c) {
        if (c == null) {
            hover.setText(HOVER_HINT);
        } else if (c.padding()) {
            hover.setText(String.format(Locale.ROOT, "row %,d · byte %,d of the row · address 0x%X (%,d) · padding",
                    c.row(), c.byteInRow(), c.address(), c.address()));
        } else {
            hover.setText(String.format(Locale.ROOT, "element %,d at index %s · row %,d · address 0x%X (%,d)%s",
                    c.element(), c.index(), c.row(), c.address(), c.address(),
                    c.owner().isEmpty() ? "" : " · " + c.owner()));
        }
    }

    /** Each figure a key and its value side by side; the pairs wrap as a whole, never inside a value. */
    private void showFigures() {
        figures.getChildren().clear();
        for (LayoutViewModel.Figure f : viewModel.figures()) {
            Label k = new Label(f.label());
            k.getStyleClass().add("card-key");
            k.setMinWidth(Region.USE_PREF_SIZE);
            Label v = new Label(f.value());
            v.getStyleClass().add("card-value");
            // a long value wraps within its pair, never runs past the area's edge
            v.setWrapText(true);
            v.setMaxWidth(220);
            v.setMinHeight(Region.USE_PREF_SIZE);
            HBox pair = new HBox(6, k, v);
            figures.getChildren().add(pair);
        }
    }

    public LayoutViewModel viewModel() { return viewModel; }

    public LayoutGrid grid() { return grid; }

    public TreeView<LayoutViewModel.Entry> tree() { return tensorTree; }

    @Override public Parent root() { return root; }

    @Override public void dispose() {
        subscriptions.unsubscribe();
        subscriptions = Subscription.EMPTY;
    }
}

package dev.anewb.app.graph;

import dev.anewb.app.area.AreaView;
import dev.anewb.app.area.EmptyState;
import dev.anewb.app.ui.Fxml;
import dev.anewb.app.ui.Icons;
import javafx.css.PseudoClass;
import javafx.fxml.FXML;
import javafx.geometry.Pos;
import javafx.scene.Parent;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressIndicator;
import javafx.scene.control.Tooltip;
import javafx.scene.control.TreeCell;
import javafx.scene.control.TreeItem;
import javafx.scene.control.TreeView;
import javafx.scene.layout.FlowPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.util.Subscription;

import java.util.List;

/**
 * Controller of GraphView.fxml: the converted graph as a tree of blocks (layers, collapsible) and ops, each drawn as
 * a node box coloured by the overlay; choosing an op selects it in every area, the buttons below show it there.
 */
public final class GraphView implements AreaView {
    /** The area's icon in the navigation list and its empty state. */
    public static final String ICON = Icons.GRAPH;
    private static final List<PseudoClass> LEVELS = List.of(PseudoClass.getPseudoClass("good"),
            PseudoClass.getPseudoClass("fair"), PseudoClass.getPseudoClass("poor"));

    private final GraphViewModel viewModel;
    private final Parent root;
    private Subscription subscriptions = Subscription.EMPTY;
    private boolean syncing;

    @FXML private EmptyState emptyState;
    @FXML private VBox content;
    @FXML private ComboBox<GraphViewModel.Overlay> overlay;
    @FXML private Button expandAll;
    @FXML private Button collapseAll;
    @FXML private ProgressIndicator busy;
    @FXML private Label legend;
    @FXML private Label status;
    @FXML private TreeView<Object> tree;
    @FXML private FlowPane selection;
    @FXML private Label selected;
    @FXML private Button showDrift;
    @FXML private Button showMemory;
    @FXML private Button showLayout;
    @FXML private Button showWeights;

    public GraphView(GraphViewModel viewModel) {
        this.viewModel = viewModel;
        this.root = Fxml.load(this, "GraphView.fxml");
    }

    @FXML private void initialize() {
        emptyState.show(viewModel, ICON);
        overlay.getItems().setAll(GraphViewModel.Overlay.values());
        overlay.valueProperty().bindBidirectional(viewModel.overlayProperty());
        busy.visibleProperty().bind(viewModel.computingProperty());
        legend.textProperty().bind(viewModel.legendProperty());
        status.textProperty().bind(viewModel.statusProperty());
        tree.setCellFactory(t -> new NodeCell());
        tree.getSelectionModel().selectedItemProperty().addListener((obs, old, item) -> {
            if (!syncing && item != null && item.getValue() instanceof GraphViewModel.Node n) {
                viewModel.select(n.op());
            }
        });
        expandAll.setOnAction(e -> expand(true));
        collapseAll.setOnAction(e -> expand(false));
        showDrift.setOnAction(e -> show("drift"));
        showMemory.setOnAction(e -> show("memory"));
        showLayout.setOnAction(e -> show("layout"));
        showWeights.setOnAction(e -> show("weights"));
        for (Button b : List.of(showDrift, showMemory, showLayout, showWeights)) {
            b.setTooltip(new Tooltip("Show the selected op in " + b.getText()));
        }
        subscriptions = Subscription.combine(
                viewModel.blocksProperty().subscribe(this::showBlocks),
                viewModel.overlaysProperty().subscribe(o -> tree.refresh()),
                viewModel.overlayProperty().subscribe(o -> tree.refresh()),
                viewModel.selectedOpProperty().subscribe(this::selectOp),
                viewModel.modelLoadedProperty().subscribe(loaded -> {
                    content.setVisible(loaded);
                    emptyState.setVisible(!loaded);
                }));
    }

    private void show(String area) {
        String op = viewModel.selectedOpProperty().get();
        if (op != null) viewModel.showIn(op, area);
    }

    private void showBlocks(List<GraphViewModel.Block> blocks) {
        TreeItem<Object> top = new TreeItem<>("graph");
        for (int i = 0; i < blocks.size(); i++) {
            GraphViewModel.Block b = blocks.get(i);
            TreeItem<Object> item = new TreeItem<>(b);
            for (GraphViewModel.Node n : b.nodes()) item.getChildren().add(new TreeItem<>(n));
            // the embeddings and the first layer open, to show a layer's structure; the rest collapsed
            item.setExpanded(i < 2 || b.layer() == null);
            top.getChildren().add(item);
        }
        syncing = true;
        try {
            tree.setRoot(top);
        } finally {
            syncing = false;
        }
        selectOp(viewModel.selectedOpProperty().get());
    }

    private void expand(boolean on) {
        if (tree.getRoot() == null) return;
        for (TreeItem<Object> b : tree.getRoot().getChildren()) b.setExpanded(on);
    }

    private void selectOp(String op) {
        selected.setText(op == null ? "Choose an op, then show it in:" : op + " · show in:");
        for (Button b : List.of(showDrift, showMemory, showLayout, showWeights)) b.setDisable(op == null);
        if (op == null || tree.getRoot() == null) return;
        for (TreeItem<Object> b : tree.getRoot().getChildren()) {
            for (TreeItem<Object> n : b.getChildren()) {
                if (n.getValue() instanceof GraphViewModel.Node node && node.op().equals(op)) {
                    b.setExpanded(true);
                    if (tree.getSelectionModel().getSelectedItem() != n) {
                        syncing = true;
                        try {
                            tree.getSelectionModel().select(n);
                            int row = tree.getRow(n);
                            if (row >= 0) tree.scrollTo(Math.max(0, row - 3));
                        } finally {
                            syncing = false;
                        }
                    }
                    return;
                }
            }
        }
    }

    /** A node box: the op's name and kind, the overlay's text, coloured by its level; a block's title row alike. */
    private final class NodeCell extends TreeCell<Object> {
        private final Label name = new Label();
        private final Label detail = new Label();
        private final Label mark = new Label();
        private final Label inputs = new Label();
        private final HBox box;

        NodeCell() {
            name.getStyleClass().add("graph-node-name");
            detail.getStyleClass().add("graph-node-detail");
            mark.getStyleClass().add("graph-node-mark");
            inputs.getStyleClass().add("graph-node-inputs");
            for (Label l : List.of(name, detail, mark, inputs)) l.setMinWidth(Region.USE_PREF_SIZE);
            Region gap = new Region();
            HBox.setHgrow(gap, Priority.ALWAYS);
            box = new HBox(8, name, detail, inputs, gap, mark);
            box.setAlignment(Pos.CENTER_LEFT);
            box.getStyleClass().add("graph-node");
        }

        @Override protected void updateItem(Object item, boolean empty) {
            super.updateItem(item, empty);
            setText(null);
            GraphViewModel.Mark m;
            if (empty || item == null) {
                setGraphic(null);
                setTooltip(null);
                return;
            }
            if (item instanceof GraphViewModel.Block b) {
                name.setText(b.title());
                detail.setText(b.nodes().size() + " ops");
                inputs.setText("");
                m = viewModel.mark(b);
                box.getStyleClass().setAll("graph-node", "graph-block");
                setTooltip(new Tooltip(b.title() + ": " + b.nodes().size() + " ops; the colour is "
                        + (viewModel.overlayProperty().get() == GraphViewModel.Overlay.DRIFT ? "its output's"
                        : "its worst op's")));
            } else {
                GraphViewModel.Node n = (GraphViewModel.Node) item;
                name.setText(n.op());
                detail.setText(n.detail());
                inputs.setText(n.inputs().isEmpty() ? "" : "← " + String.join(", ", n.inputs()));
                m = viewModel.mark(n);
                box.getStyleClass().setAll("graph-node");
                setTooltip(new Tooltip(n.op() + " (" + n.detail() + ")"
                        + (n.inputs().isEmpty() ? "" : "\nalso reads " + String.join(", ", n.inputs()))
                        + (m.text().isEmpty() ? "" : "\n" + viewModel.overlayProperty().get() + ": " + m.text())));
            }
            mark.setText(m.text());
            for (int i = 0; i < LEVELS.size(); i++) {
                box.pseudoClassStateChanged(LEVELS.get(i), m.level().ordinal() == i);
            }
            setGraphic(box);
        }
    }

    public GraphViewModel viewModel() { return viewModel; }

    public TreeView<Object> tree() { return tree; }

    @Override public Parent root() { return root; }

    @Override public void dispose() {
        subscriptions.unsubscribe();
        subscriptions = Subscription.EMPTY;
        overlay.valueProperty().unbindBidirectional(viewModel.overlayProperty());
    }
}

package dev.anewb.app.layout;

import dev.anewb.app.shell.Area;
import dev.anewb.app.shell.AreaView;
import dev.anewb.app.shell.EmptyState;
import dev.anewb.app.shell.Fxml;
import javafx.fxml.FXML;
import javafx.scene.Parent;

/** Controller of LayoutView.fxml. */
public final class LayoutView implements AreaView {
    private final LayoutViewModel viewModel;
    private final Parent root;
    @FXML private EmptyState emptyState;

    public LayoutView(LayoutViewModel viewModel) {
        this.viewModel = viewModel;
        this.root = Fxml.load(this, "LayoutView.fxml");
    }

    @FXML private void initialize() {
        emptyState.show(viewModel, Area.LAYOUT.iconPath());
    }

    public LayoutViewModel viewModel() { return viewModel; }

    @Override public Parent root() { return root; }

    @Override public void dispose() {
        // Nothing is bound yet: the empty state holds copies of fixed texts.
    }
}

package dev.anewb.app.model;

import dev.anewb.app.shell.Area;
import dev.anewb.app.shell.AreaView;
import dev.anewb.app.shell.EmptyState;
import dev.anewb.app.shell.Fxml;
import javafx.fxml.FXML;
import javafx.scene.Parent;

/** Controller of ModelView.fxml. */
public final class ModelView implements AreaView {
    private final ModelViewModel viewModel;
    private final Parent root;
    @FXML private EmptyState emptyState;

    public ModelView(ModelViewModel viewModel) {
        this.viewModel = viewModel;
        this.root = Fxml.load(this, "ModelView.fxml");
    }

    @FXML private void initialize() {
        emptyState.show(viewModel, Area.MODEL.iconPath());
    }

    public ModelViewModel viewModel() { return viewModel; }

    @Override public Parent root() { return root; }

    @Override public void dispose() {
        // Nothing is bound yet: the empty state holds copies of fixed texts.
    }
}

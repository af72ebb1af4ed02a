package dev.anewb.app.drift;

import dev.anewb.app.shell.Area;
import dev.anewb.app.shell.AreaView;
import dev.anewb.app.shell.EmptyState;
import dev.anewb.app.shell.Fxml;
import javafx.fxml.FXML;
import javafx.scene.Parent;

/** Controller of DriftView.fxml. */
public final class DriftView implements AreaView {
    private final DriftViewModel viewModel;
    private final Parent root;
    @FXML private EmptyState emptyState;

    public DriftView(DriftViewModel viewModel) {
        this.viewModel = viewModel;
        this.root = Fxml.load(this, "DriftView.fxml");
    }

    @FXML private void initialize() {
        emptyState.show(viewModel, Area.DRIFT.iconPath());
    }

    public DriftViewModel viewModel() { return viewModel; }

    @Override public Parent root() { return root; }

    @Override public void dispose() {
        // Nothing is bound yet: the empty state holds copies of fixed texts.
    }
}

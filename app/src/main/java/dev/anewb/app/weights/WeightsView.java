package dev.anewb.app.weights;

import dev.anewb.app.shell.Area;
import dev.anewb.app.shell.AreaView;
import dev.anewb.app.shell.EmptyState;
import dev.anewb.app.shell.Fxml;
import javafx.fxml.FXML;
import javafx.scene.Parent;

/** Controller of WeightsView.fxml. */
public final class WeightsView implements AreaView {
    private final WeightsViewModel viewModel;
    private final Parent root;
    @FXML private EmptyState emptyState;

    public WeightsView(WeightsViewModel viewModel) {
        this.viewModel = viewModel;
        this.root = Fxml.load(this, "WeightsView.fxml");
    }

    @FXML private void initialize() {
        emptyState.show(viewModel, Area.WEIGHTS.iconPath());
    }

    public WeightsViewModel viewModel() { return viewModel; }

    @Override public Parent root() { return root; }

    @Override public void dispose() {
        // Nothing is bound yet: the empty state holds copies of fixed texts.
    }
}

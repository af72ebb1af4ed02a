package dev.anewb.app.run;

import dev.anewb.app.shell.Area;
import dev.anewb.app.shell.AreaView;
import dev.anewb.app.shell.EmptyState;
import dev.anewb.app.shell.Fxml;
import javafx.fxml.FXML;
import javafx.scene.Parent;

/** Controller of RunView.fxml. */
public final class RunView implements AreaView {
    private final RunViewModel viewModel;
    private final Parent root;
    @FXML private EmptyState emptyState;

    public RunView(RunViewModel viewModel) {
        this.viewModel = viewModel;
        this.root = Fxml.load(this, "RunView.fxml");
    }

    @FXML private void initialize() {
        emptyState.show(viewModel, Area.RUN.iconPath());
    }

    public RunViewModel viewModel() { return viewModel; }

    @Override public Parent root() { return root; }

    @Override public void dispose() {
        // Nothing is bound yet: the empty state holds copies of fixed texts.
    }
}

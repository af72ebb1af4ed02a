package dev.anewb.app.memory;

import dev.anewb.app.shell.Area;
import dev.anewb.app.shell.AreaView;
import dev.anewb.app.shell.EmptyState;
import dev.anewb.app.shell.Fxml;
import javafx.fxml.FXML;
import javafx.scene.Parent;

/** Controller of MemoryView.fxml. */
public final class MemoryView implements AreaView {
    private final MemoryViewModel viewModel;
    private final Parent root;
    @FXML private EmptyState emptyState;

    public MemoryView(MemoryViewModel viewModel) {
        this.viewModel = viewModel;
        this.root = Fxml.load(this, "MemoryView.fxml");
    }

    @FXML private void initialize() {
        emptyState.show(viewModel, Area.MEMORY.iconPath());
    }

    public MemoryViewModel viewModel() { return viewModel; }

    @Override public Parent root() { return root; }

    @Override public void dispose() {
        // Nothing is bound yet: the empty state holds copies of fixed texts.
    }
}

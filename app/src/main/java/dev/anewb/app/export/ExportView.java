package dev.anewb.app.export;

import dev.anewb.app.shell.Area;
import dev.anewb.app.shell.AreaView;
import dev.anewb.app.shell.EmptyState;
import dev.anewb.app.shell.Fxml;
import javafx.fxml.FXML;
import javafx.scene.Parent;

/** Controller of ExportView.fxml. */
public final class ExportView implements AreaView {
    private final ExportViewModel viewModel;
    private final Parent root;
    @FXML private EmptyState emptyState;

    public ExportView(ExportViewModel viewModel) {
        this.viewModel = viewModel;
        this.root = Fxml.load(this, "ExportView.fxml");
    }

    @FXML private void initialize() {
        emptyState.show(viewModel, Area.EXPORT.iconPath());
    }

    public ExportViewModel viewModel() { return viewModel; }

    @Override public Parent root() { return root; }

    @Override public void dispose() {
        // Nothing is bound yet: the empty state holds copies of fixed texts.
    }
}

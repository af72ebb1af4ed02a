package dev.anewb.app;

import dev.anewb.app.jobs.FxJobs;
import dev.anewb.app.settings.SettingsStore;
import dev.anewb.app.shell.MainWindowView;
import dev.anewb.app.shell.MainWindowViewModel;
import javafx.stage.Stage;

/**
 * The whole workbench window for a TestFX flow test, at the self-test's 1280×800 with in-memory settings: opened in
 * the test's {@code @Start} (on {@code model}, or on none when null), closed in its {@code @Stop}.
 */
public record TestWorkbench(FxJobs jobs, MainWindowViewModel viewModel, MainWindowView view) {
    public static TestWorkbench open(Stage stage, String model) {
        FxJobs jobs = new FxJobs();
        MainWindowViewModel viewModel = new MainWindowViewModel(SettingsStore.inMemory(), jobs, model);
        MainWindowView view = new MainWindowView(viewModel);
        stage.setScene(view.createScene(1280, 800));
        stage.show();
        if (model != null) viewModel.openRequestedModel();
        return new TestWorkbench(jobs, viewModel, view);
    }

    public void close() {
        view.dispose();
        jobs.close();
    }
}

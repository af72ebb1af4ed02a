package dev.anewb.app;

import dev.anewb.app.jobs.FxJobs;
import dev.anewb.app.settings.Settings;
import dev.anewb.app.settings.SettingsStore;
import dev.anewb.app.shell.MainWindowView;
import dev.anewb.app.shell.MainWindowViewModel;
import javafx.application.Application;
import javafx.geometry.Rectangle2D;
import javafx.scene.Scene;
import javafx.scene.image.Image;
import javafx.stage.Screen;
import javafx.stage.Stage;

import java.util.ArrayList;
import java.util.List;

/** The desktop workbench. Started by {@link GuiCommand} through {@code Application.launch}, never as main class. */
public final class WorkbenchApp extends Application {
    /** Named launch parameter carrying {@code anewb gui MODEL}. */
    static final String MODEL_PARAMETER = "model";
    public static final double DEFAULT_WIDTH = 1280;
    public static final double DEFAULT_HEIGHT = 800;

    private FxJobs jobs;
    private MainWindowView view;

    @Override public void start(Stage stage) {
        jobs = new FxJobs();
        String requested = getParameters().getNamed().get(MODEL_PARAMETER);
        MainWindowViewModel viewModel = new MainWindowViewModel(SettingsStore.forUser(), jobs, requested);
        view = new MainWindowView(viewModel);
        Settings.WindowGeometry saved = viewModel.savedWindow();
        Scene scene = view.createScene(saved != null ? saved.width() : DEFAULT_WIDTH,
                saved != null ? saved.height() : DEFAULT_HEIGHT);
        stage.setTitle("ANE Workbench");
        stage.getIcons().setAll(windowIcons());
        stage.setScene(scene);
        stage.setMinWidth(960);
        stage.setMinHeight(600);
        placeWindow(stage, saved);
        stage.setOnCloseRequest(e -> viewModel.rememberWindow(new Settings.WindowGeometry(
                stage.getX(), stage.getY(), stage.getScene().getWidth(), stage.getScene().getHeight(),
                stage.isMaximized())));
        stage.show();
        viewModel.openRequestedModel();
    }

    @Override public void stop() {
        if (view != null) view.dispose();
        if (jobs != null) jobs.close();
    }

    /** The app icon in the sizes window managers ask for (exported from icons/anewb.svg by icons/build-icons.sh). */
    static List<Image> windowIcons() {
        List<Image> icons = new ArrayList<>();
        for (int size : new int[] {16, 32, 48, 64, 128, 256}) {
            var url = WorkbenchApp.class.getResource("icons/anewb-" + size + ".png");
            if (url != null) icons.add(new Image(url.toExternalForm()));
        }
        return icons;
    }

    /** Back where it was if that spot is still on a screen (monitors get unplugged), else centred. */
    private static void placeWindow(Stage stage, Settings.WindowGeometry saved) {
        if (saved == null) {
            stage.centerOnScreen();
            return;
        }
        var bounds = new Rectangle2D(saved.x(), saved.y(), Math.max(1, saved.width()), Math.max(1, saved.height()));
        boolean visible = !Screen.getScreensForRectangle(bounds).isEmpty();
        if (visible) {
            stage.setX(saved.x());
            stage.setY(saved.y());
        } else {
            stage.centerOnScreen();
        }
        stage.setMaximized(saved.maximized());
    }
}

package dev.anewb.app;

import dev.anewb.app.jobs.FxJobs;
import dev.anewb.app.settings.SettingsStore;
import dev.anewb.app.shell.Area;
import dev.anewb.app.shell.MainWindowView;
import dev.anewb.app.shell.MainWindowViewModel;
import dev.anewb.app.theme.AppTheme;
import javafx.application.Platform;
import javafx.embed.swing.SwingFXUtils;
import javafx.scene.Scene;
import javafx.scene.image.PixelReader;
import javafx.scene.image.WritableImage;
import javafx.stage.Stage;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code anewb gui --self-test DIR}: opens the main window headless at 1280×800, visits every area, and writes
 * one PNG per area plus {@code model-dark.png}. It uses in-memory settings so it neither reads nor changes the
 * user's theme or window size.
 */
public final class SelfTest {
    public static final int WIDTH = 1280;
    public static final int HEIGHT = 800;

    private SelfTest() { }

    /** Starts the toolkit headless, renders, shuts the toolkit down; returns the exit code. */
    static int runHeadless(Path dir, String requestedModel, PrintWriter out, PrintWriter err) {
        // Must be set before the toolkit starts; an explicit -D from the user wins.
        setIfAbsent("glass.platform", "Headless");
        setIfAbsent("prism.order", "sw");
        setIfAbsent("java.awt.headless", "true");
        CompletableFuture<List<Path>> done = new CompletableFuture<>();
        try {
            Platform.startup(() -> { });
        } catch (IllegalStateException alreadyRunning) {
            // The toolkit is already up (e.g. inside a test JVM): reuse it.
        }
        Platform.setImplicitExit(false);
        Platform.runLater(() -> {
            try {
                done.complete(render(dir, requestedModel));
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        });
        try {
            List<Path> written = done.get(120, TimeUnit.SECONDS);
            written.forEach(p -> out.println(p));
            out.flush();
            return 0;
        } catch (ExecutionException e) {
            err.println("anewb: self-test failed: " + e.getCause().getMessage());
            return 1;
        } catch (TimeoutException e) {
            err.println("anewb: self-test failed: rendering did not finish within 120 s");
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("anewb: self-test interrupted");
            return 1;
        } finally {
            err.flush();
            Platform.exit();
        }
    }

    /**
     * Renders every area (light theme) and the Model area in the dark theme into {@code dir}. FX thread only.
     *
     * @return the written files in area order, the dark one last
     * @throws IOException naming every area that failed to render, after trying them all
     */
    public static List<Path> render(Path dir, String requestedModel) throws IOException {
        Files.createDirectories(dir);
        FxJobs jobs = new FxJobs();
        MainWindowViewModel viewModel = new MainWindowViewModel(SettingsStore.inMemory(), jobs, requestedModel);
        MainWindowView view = new MainWindowView(viewModel);
        Stage stage = new Stage();
        List<Path> written = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        try {
            Scene scene = view.createScene(WIDTH, HEIGHT);
            stage.setScene(scene);
            stage.show();
            for (Area area : Area.values()) {
                shoot(scene, () -> viewModel.select(area), dir.resolve(area.key() + ".png"), area.title(), written, problems);
            }
            shoot(scene, () -> {
                viewModel.select(Area.MODEL);
                viewModel.themeProperty().set(AppTheme.DARK);
            }, dir.resolve("model-dark.png"), "Model (dark)", written, problems);
        } finally {
            // The theme is application-wide: leave the light default behind for whoever shares this toolkit.
            viewModel.themeProperty().set(AppTheme.LIGHT);
            stage.close();
            view.dispose();
            jobs.close();
        }
        if (!problems.isEmpty()) throw new IOException(String.join("; ", problems));
        return written;
    }

    private static void shoot(Scene scene, Runnable prepare, Path file, String name, List<Path> written, List<String> problems) {
        try {
            prepare.run();
            // Settle first: a theme switch restyles everything and cells may rebuild during the first layout;
            // snapshot() then runs its own CSS and layout pass on a stable scene.
            scene.getRoot().applyCss();
            scene.getRoot().layout();
            WritableImage image = scene.snapshot(null);
            if ((int) image.getWidth() != WIDTH || (int) image.getHeight() != HEIGHT) {
                problems.add(name + " rendered at " + (int) image.getWidth() + "x" + (int) image.getHeight() + " instead of " + WIDTH + "x" + HEIGHT);
                return;
            }
            if (isBlank(image)) {
                problems.add(name + " rendered as a blank image");
                return;
            }
            if (!ImageIO.write(SwingFXUtils.fromFXImage(image, null), "png", file.toFile())) {
                problems.add(name + ": no PNG writer available");
                return;
            }
            written.add(file.toAbsolutePath());
        } catch (RuntimeException | IOException e) {
            problems.add(name + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        }
    }

    /** One colour everywhere means nothing was drawn (a failed skin or stylesheet). */
    static boolean isBlank(WritableImage image) {
        PixelReader r = image.getPixelReader();
        int first = r.getArgb(0, 0);
        for (int y = 0; y < image.getHeight(); y += 7) {
            for (int x = 0; x < image.getWidth(); x += 7) {
                if (r.getArgb(x, y) != first) return false;
            }
        }
        return true;
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) System.setProperty(key, value);
    }
}

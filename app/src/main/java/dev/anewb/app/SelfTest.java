package dev.anewb.app;

import dev.anewb.app.jobs.FxJobs;
import dev.anewb.app.jobs.JobFailure;
import dev.anewb.app.settings.SettingsStore;
import dev.anewb.app.shell.Area;
import dev.anewb.app.shell.MainWindowView;
import dev.anewb.app.shell.MainWindowViewModel;
import dev.anewb.app.theme.AppTheme;
import javafx.animation.PauseTransition;
import javafx.application.Platform;
import javafx.embed.swing.SwingFXUtils;
import javafx.scene.Scene;
import javafx.scene.image.PixelReader;
import javafx.scene.image.WritableImage;
import javafx.stage.Stage;
import javafx.util.Duration;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.imageio.ImageIO;

/**
 * {@code anewb gui --self-test DIR}: opens the main window headless (1280×800 unless {@code --size} says
 * otherwise), visits every area, and writes one PNG per area, plus {@code model-dark.png} unless {@code --theme}
 * chose one theme for all; {@code --matrix} renders both sizes in both themes, a folder each.
 * It uses in-memory settings so it neither reads nor changes the user's theme or window
 * size.
 */
public final class SelfTest {
    static final int TIMEOUT_SECONDS = 300;

    /**
     * What to render: the window size, and the theme of every shot ({@code theme} null: light, with the Model
     * area shot once more in dark as {@code model-dark.png}).
     */
    public record Shots(int width, int height, AppTheme theme) {
        public static final Shots DEFAULT = new Shots(1280, 800, null);
        /** Both sizes the layout must hold at, each in both themes (--matrix). */
        public static final List<Shots> MATRIX = List.of(new Shots(1280, 800, AppTheme.LIGHT),
                new Shots(1280, 800, AppTheme.DARK), new Shots(960, 600, AppTheme.LIGHT),
                new Shots(960, 600, AppTheme.DARK));

        /** "960x600-dark": the folder of one combination of the matrix. */
        String folder() {
            return width + "x" + height + "-" + (theme == null ? "light" : theme.name().toLowerCase(Locale.ROOT));
        }
    }

    private SelfTest() { }

    /** Starts the toolkit headless, renders, shuts the toolkit down; returns the exit code. */
    static int runHeadless(Path dir, String requestedModel, List<Shots> all, PrintWriter out, PrintWriter err) {
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
        Platform.runLater(() -> renderAll(dir, requestedModel, all, 0, new ArrayList<>(), done));
        try {
            List<Path> written = done.get((long) TIMEOUT_SECONDS * all.size(), TimeUnit.SECONDS);
            written.forEach(p -> out.println(p));
            out.flush();
            return 0;
        } catch (ExecutionException e) {
            Throwable root = e.getCause();
            while (root.getCause() != null && root.getCause() != root) root = root.getCause();
            String where = root.getStackTrace().length > 0 ? " at " + root.getStackTrace()[0] : "";
            err.println("anewb: self-test failed: " + e.getCause().getMessage()
                    + (root != e.getCause() ? " (" + root + where + ")" : ""));
            return 1;
        } catch (TimeoutException e) {
            err.println("anewb: self-test failed: rendering did not finish within " + TIMEOUT_SECONDS + " s");
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

    /** Renders the combinations one after the other (one window each), into a folder each when there are several. */
    private static void renderAll(Path dir, String requestedModel, List<Shots> all, int next, List<Path> written,
                                  CompletableFuture<List<Path>> done) {
        if (next == all.size()) {
            done.complete(written);
            return;
        }
        Shots shots = all.get(next);
        try {
            render(all.size() == 1 ? dir : dir.resolve(shots.folder()), requestedModel, shots)
                    .whenComplete((files, error) -> {
                        if (error != null) {
                            done.completeExceptionally(error);
                            return;
                        }
                        written.addAll(files);
                        renderAll(dir, requestedModel, all, next + 1, written, done);
                    });
        } catch (Throwable t) {
            done.completeExceptionally(t);
        }
    }

    /**
     * Loads the requested model, then renders every area once its jobs have finished as {@code shots} says, into
     * {@code dir}. Call on the FX thread; completes on it.
     *
     * @return the written files in area order, the dark one last; fails naming every area that did not render
     */
    public static CompletableFuture<List<Path>> render(Path dir, String requestedModel, Shots shots)
            throws IOException {
        Files.createDirectories(dir);
        FxJobs jobs = new FxJobs();
        MainWindowViewModel viewModel = new MainWindowViewModel(SettingsStore.inMemory(), jobs, requestedModel);
        MainWindowView view = new MainWindowView(viewModel);
        Stage stage = new Stage();
        List<Path> written = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        CompletableFuture<List<Path>> result = new CompletableFuture<>();
        Scene scene = view.createScene(shots.width(), shots.height());
        stage.setScene(scene);
        stage.show();
        if (shots.theme() != null) viewModel.themeProperty().set(shots.theme());
        viewModel.openRequestedModel();
        List<Runnable> steps = new ArrayList<>();
        for (Area area : Area.values()) {
            steps.add(() -> viewModel.select(area));
            // Run shows real content for every kind of model: generation and decoding start from their sample input.
            if (area == Area.RUN) steps.add(view::runCurrent);
            // Sweep shows its points and front, not an empty chart: the self-test starts it.
            if (area == Area.SWEEP) steps.add(viewModel::sweep);
            steps.add(() -> shoot(scene, shots, dir.resolve(area.key() + ".png"), area.title(), written, problems));
        }
        if (shots.theme() == null) {
            steps.add(() -> {
                viewModel.select(Area.MODEL);
                viewModel.themeProperty().set(AppTheme.DARK);
            });
            steps.add(() -> shoot(scene, shots, dir.resolve("model-dark.png"), "Model (dark)", written, problems));
        }
        Runnable finish = () -> {
            // The theme is application-wide: leave the light default behind for whoever shares this toolkit.
            viewModel.themeProperty().set(AppTheme.LIGHT);
            stage.close();
            view.dispose();
            jobs.close();
            // Load failures show as notifications in the shots; they also fail the self-test.
            jobs.failures().forEach(f -> problems.add(f.title() + " failed: " + f.message()));
            if (!problems.isEmpty()) result.completeExceptionally(new IOException(String.join("; ", problems)));
            else result.complete(written);
        };
        runWhenIdle(jobs, steps, 0, finish);
        return result;
    }

    /**
     * Runs {@code steps} one by one, each once no job has been running for a while: areas start their
     * measurements after a debounce, so "nothing running" must hold across a few polls, not just once.
     */
    private static void runWhenIdle(FxJobs jobs, List<Runnable> steps, int next, Runnable finish) {
        if (next == steps.size()) {
            finish.run();
            return;
        }
        waitIdle(jobs, 0, () -> {
            try {
                steps.get(next).run();
            } catch (RuntimeException e) {
                jobs.failures().add(JobFailure.of("self-test step", e));
            }
            runWhenIdle(jobs, steps, next + 1, finish);
        });
    }

    private static void waitIdle(FxJobs jobs, int quietPolls, Runnable then) {
        PauseTransition poll = new PauseTransition(Duration.millis(100));
        poll.setOnFinished(e -> {
            int quiet = jobs.running().isEmpty() ? quietPolls + 1 : 0;
            // 4 quiet polls = 400 ms: longer than the 150 ms debounce of every recompute.
            if (quiet >= 4) then.run();
            else waitIdle(jobs, quiet, then);
        });
        poll.play();
    }

    private static void shoot(Scene scene, Shots shots, Path file, String name, List<Path> written,
                              List<String> problems) {
        try {
            // Settle first: a theme switch restyles everything and cells may rebuild during the first layout;
            // snapshot() then runs its own CSS and layout pass on a stable scene.
            scene.getRoot().applyCss();
            scene.getRoot().layout();
            WritableImage image = scene.snapshot(null);
            if ((int) image.getWidth() != shots.width() || (int) image.getHeight() != shots.height()) {
                problems.add(name + " rendered at " + (int) image.getWidth() + "x" + (int) image.getHeight()
                        + " instead of " + shots.width() + "x" + shots.height());
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

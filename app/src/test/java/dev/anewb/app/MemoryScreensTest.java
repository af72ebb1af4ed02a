package dev.anewb.app;

import dev.anewb.app.jobs.FxJobs;
import dev.anewb.app.memory.MemoryView;
import dev.anewb.app.settings.SettingsStore;
import dev.anewb.app.shell.Area;
import dev.anewb.app.shell.MainWindowView;
import dev.anewb.app.shell.MainWindowViewModel;
import dev.anewb.app.theme.AppTheme;
import dev.anewb.io.BundledModel;
import javafx.embed.swing.SwingFXUtils;
import javafx.scene.Node;
import javafx.scene.Parent;
import javafx.scene.Scene;
import javafx.scene.control.Labeled;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.TableView;
import javafx.scene.image.WritableImage;
import javafx.scene.text.Text;
import javafx.stage.Stage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.util.WaitForAsyncUtils;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Memory area at 960×600 and 1280×800, light and dark, with its ceiling line and calibration form: no label of
 * the area elided ("...") or pushed outside the area. The shots land in {@code target/memory-shots} to look at.
 */
@ExtendWith(ApplicationExtension.class)
class MemoryScreensTest {
    @Test void memoryAreaFitsAtBothSizesInBothThemes(FxRobot robot) throws Exception {
        List<String> problems = new ArrayList<>();
        for (int[] size : new int[][]{{960, 600}, {1280, 800}}) {
            for (AppTheme theme : List.of(AppTheme.LIGHT, AppTheme.DARK)) {
                problems.addAll(render(robot, size, theme, false));
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    /** After calibrating on a measurement: the longer profile name, "(calibrated)" captions and the saved message. */
    @Test void calibratedMemoryAreaFits(FxRobot robot, @TempDir Path config) throws Exception {
        String old = System.getProperty("anewb.config.dir");
        System.setProperty("anewb.config.dir", config.toString());
        try {
            List<String> problems = new ArrayList<>(render(robot, new int[]{960, 600}, AppTheme.LIGHT, true));
            problems.addAll(render(robot, new int[]{1280, 800}, AppTheme.DARK, true));
            assertTrue(problems.isEmpty(), String.join("\n", problems));
        } finally {
            if (old == null) System.clearProperty("anewb.config.dir"); else System.setProperty("anewb.config.dir", old);
        }
    }

    private static List<String> render(FxRobot robot, int[] size, AppTheme theme, boolean calibrated) throws Exception {
        Path dir = Path.of("target", "memory-shots");
        Files.createDirectories(dir);
        List<String> problems = new ArrayList<>();
        AtomicReference<Stage> stage = new AtomicReference<>();
        AtomicReference<MainWindowViewModel> vm = new AtomicReference<>();
        AtomicReference<MainWindowView> view = new AtomicReference<>();
        FxJobs jobs = new FxJobs();
        robot.interact(() -> {
            vm.set(new MainWindowViewModel(SettingsStore.inMemory(), jobs, BundledModel.ID));
            view.set(new MainWindowView(vm.get()));
            Stage s = new Stage();
            s.setScene(view.get().createScene(size[0], size[1]));
            s.show();
            stage.set(s);
            vm.get().themeProperty().set(theme);
            vm.get().openRequestedModel();
            vm.get().select(Area.MEMORY);
        });
        MemoryView memory = (MemoryView) view.get().areaView(Area.MEMORY);
        WaitForAsyncUtils.waitFor(90, TimeUnit.SECONDS, () -> memory.viewModel().plan() != null
                && !memory.viewModel().computingProperty().get()
                && !memory.viewModel().ceilingSummaryProperty().get().isEmpty());
        robot.interact(() -> memory.viewModel().measuredMsProperty().set("4.2"));
        if (calibrated) {
            robot.interact(() -> {
                memory.viewModel().profileNameProperty().set("my iPhone 13 Pro Max");
                memory.viewModel().calibrate();
            });
            WaitForAsyncUtils.waitFor(90, TimeUnit.SECONDS, () -> !memory.viewModel().calibratingProperty().get()
                    && memory.viewModel().plan() != null && memory.viewModel().plan().chip().calibration() != null
                    && !memory.viewModel().computingProperty().get());
        }
        WaitForAsyncUtils.waitForFxEvents();
        String name = "memory-" + size[0] + "x" + size[1] + "-" + theme.name().toLowerCase(Locale.ROOT)
                + (calibrated ? "-calibrated" : "");
        robot.interact(() -> problems.addAll(shoot(stage.get().getScene(), memory.root(), dir.resolve(name + ".png"))));
        // the area scrolls where the window is short: its lower part must fit as well
        robot.interact(() -> ((ScrollPane) stage.get().getScene().lookup("#memoryScroll")).setVvalue(1));
        WaitForAsyncUtils.waitForFxEvents();
        Path scrolled = dir.resolve(name + "-scrolled.png");
        robot.interact(() -> problems.addAll(shoot(stage.get().getScene(), memory.root(), scrolled)));
        robot.interact(() -> {
            vm.get().themeProperty().set(AppTheme.LIGHT);
            stage.get().close();
            view.get().dispose();
            jobs.close();
        });
        return problems;
    }

    private static List<String> shoot(Scene scene, Parent area, Path file) {
        scene.getRoot().applyCss();
        scene.getRoot().layout();
        WritableImage image = scene.snapshot(null);
        try {
            ImageIO.write(SwingFXUtils.fromFXImage(image, null), "png", file.toFile());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return elided(area, file.getFileName().toString());
    }

    /** Labels of the area shortened or cut off (not its op table: its cells may elide long op names). */
    static List<String> elided(Parent root, String shot) {
        List<String> out = new ArrayList<>();
        double right = root.localToScene(root.getLayoutBounds()).getMaxX();
        walk(root, n -> {
            if (!(n instanceof Labeled l) || !l.isVisible() || l.getText() == null || l.getText().isBlank()) return;
            if (!treeVisible(l)) return;
            Node t = l.lookup(".text");
            // JavaFX shortens with the label's ellipsis string ("..." by default)
            if (t instanceof Text text && !text.getText().equals(l.getText())
                    && text.getText().endsWith(l.getEllipsisString())) {
                out.add(shot + ": elided \"" + l.getText() + "\" -> \"" + text.getText() + "\"");
            }
            double maxX = l.localToScene(l.getLayoutBounds()).getMaxX();
            if (maxX > right + 1) {
                out.add(shot + ": \"" + l.getText() + "\" ends at " + maxX + " past the area's " + right);
            }
        });
        return out;
    }

    private static boolean treeVisible(Node n) {
        for (Node p = n; p != null; p = p.getParent()) if (!p.isVisible()) return false;
        return true;
    }

    private static void walk(Node n, Consumer<Node> f) {
        if (n instanceof TableView<?>) return;
        f.accept(n);
        if (n instanceof Parent p) for (Node c : p.getChildrenUnmodifiable()) walk(c, f);
    }
}

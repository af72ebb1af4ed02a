package dev.anewb.app;

import dev.anewb.app.shell.Area;
import dev.anewb.app.theme.AppTheme;
import dev.anewb.io.BundledModel;
import javafx.scene.Node;
import javafx.scene.control.Label;
import javafx.scene.layout.Pane;
import javafx.scene.layout.StackPane;
import javafx.stage.Stage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.framework.junit5.Stop;
import org.testfx.util.WaitForAsyncUtils;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every area with the bundled model, at the 1280×800 the self-test renders and at the 960×600 minimum window (dark
 * there, so both themes are laid out): no visible label is cut to an ellipsis, drawn over another or cut by the area's
 * edge. Export is left out: its layout is being redone around the Core ML package.
 */
@ExtendWith(ApplicationExtension.class)
class LayoutCheckTest {
    private TestWorkbench workbench;
    private Stage stage;

    @Start void start(Stage stage) {
        this.stage = stage;
        workbench = TestWorkbench.open(stage, BundledModel.ID);
    }

    @Stop void stop() { workbench.close(); }

    @Test void noAreaCutsOrOverlapsALabelAtEitherSize(FxRobot robot) throws Exception {
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> workbench.viewModel().session().model() != null);
        List<String> problems = new ArrayList<>();
        problems.addAll(visitAll(robot, 1280, 800));
        robot.interact(() -> workbench.viewModel().themeProperty().set(AppTheme.DARK));
        problems.addAll(visitAll(robot, 960, 600));
        robot.interact(() -> workbench.viewModel().themeProperty().set(AppTheme.LIGHT));
        assertEquals(List.of(), problems);
    }

    @Test void everyKindOfModelFitsTheMinimumWindow(FxRobot robot, @TempDir Path tmp) throws Exception {
        // A language model without a tokenizer.json (as `anewb synth` writes them): Run takes token ids.
        Path noTokenizer = Files.createDirectory(tmp.resolve("gpt2-no-tokenizer"));
        for (String f : List.of("config.json", "model.safetensors")) {
            Files.copy(Path.of("../../shared/fixtures/gpt2-tiny", f), noTokenizer.resolve(f));
        }
        List<String> problems = new ArrayList<>();
        for (String fixture : List.of("gpt2-tiny", "llama-tiny", "vit-tiny", "whisper-tiny", noTokenizer.toString())) {
            String path = Path.of("../../shared/fixtures").resolve(fixture).toAbsolutePath().normalize().toString();
            robot.interact(() -> workbench.viewModel().session().load(path));
            WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> workbench.viewModel().session().model() != null
                    && workbench.viewModel().session().model().folder() != null
                    && workbench.viewModel().session().model().folder().endsWith(Path.of(fixture).getFileName()));
            String name = Path.of(fixture).getFileName().toString();
            for (String p : visitAll(robot, 960, 600)) problems.add(name + " " + p);
            workbench.jobs().failures().forEach(f -> problems.add(name + " job failed: " + f.title() + ": "
                    + f.message()));
            robot.interact(() -> workbench.jobs().failures().clear());
        }
        assertEquals(List.of(), problems);
    }

    @Test void theCheckSeesACutLabelAndAnOverlap(FxRobot robot) throws Exception {
        // The check itself must be able to fail: a label squeezed to half its text, and one drawn over it.
        AtomicReference<List<String>> found = new AtomicReference<>();
        robot.interact(() -> {
            workbench.viewModel().select(Area.MODEL);
            Node host = stage.getScene().lookup("#areaHost");
            Label cut = new Label("a label far too long for the forty pixels it is given here");
            cut.setMaxWidth(40);
            Label over = new Label("drawn on top");
            Pane pane = new Pane(cut, over);
            cut.relocate(10, 10);
            over.relocate(12, 10);
            ((StackPane) host).getChildren().add(pane);
            stage.getScene().getRoot().applyCss();
            stage.getScene().getRoot().layout();
            cut.resize(40, cut.prefHeight(-1));
            over.resize(over.prefWidth(-1), over.prefHeight(-1));
            cut.layout();
            found.set(LayoutCheck.problems(stage.getScene().getRoot(), host));
            ((StackPane) host).getChildren().remove(pane);
        });
        assertTrue(found.get().stream().anyMatch(p -> p.startsWith("cut to an ellipsis")), found.get().toString());
        assertTrue(found.get().stream().anyMatch(p -> p.startsWith("overlap")), found.get().toString());
    }

    private List<String> visitAll(FxRobot robot, double width, double height) throws Exception {
        robot.interact(() -> {
            stage.setWidth(width);
            stage.setHeight(height);
        });
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> stage.getScene().getWidth() == width);
        List<String> out = new ArrayList<>();
        for (Area area : Area.values()) {
            if (area == Area.EXPORT) continue;
            robot.interact(() -> workbench.viewModel().select(area));
            if (area == Area.RUN) robot.interact(() -> workbench.view().runCurrent());
            waitIdle();
            AtomicReference<List<String>> found = new AtomicReference<>();
            robot.interact(() -> {
                stage.getScene().getRoot().applyCss();
                stage.getScene().getRoot().layout();
                Node host = stage.getScene().lookup("#areaHost");
                found.set(LayoutCheck.problems(stage.getScene().getRoot(), host));
            });
            for (String p : found.get()) out.add((int) width + "x" + (int) height + " " + area.title() + ": " + p);
        }
        return out;
    }

    /** No job for half a second: every area has drawn what its jobs computed. */
    private void waitIdle() throws Exception {
        long[] quietSince = {System.nanoTime()};
        WaitForAsyncUtils.waitFor(120, TimeUnit.SECONDS, () -> {
            if (!workbench.jobs().running().isEmpty()) quietSince[0] = System.nanoTime();
            return System.nanoTime() - quietSince[0] > 500_000_000L;
        });
        WaitForAsyncUtils.waitForFxEvents();
    }
}

package dev.anewb.app.shell;

import atlantafx.base.controls.Notification;
import dev.anewb.AnewbException;
import dev.anewb.app.jobs.FxJobs;
import dev.anewb.app.jobs.JobFailureNotice;
import dev.anewb.app.settings.SettingsStore;
import dev.anewb.app.theme.AppTheme;
import dev.anewb.job.Job;
import javafx.application.Application;
import javafx.application.Platform;
import javafx.scene.Node;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.TextArea;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.StackPane;
import javafx.stage.Stage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.framework.junit5.Stop;
import org.testfx.util.WaitForAsyncUtils;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/** The real main window on the headless glass platform, driven by clicks and key presses. */
@ExtendWith(ApplicationExtension.class)
class MainWindowTest {
    private Path configDir;
    private FxJobs jobs;
    private MainWindowViewModel viewModel;
    private MainWindowView view;

    @Start void start(Stage stage) throws IOException {
        configDir = Files.createTempDirectory("anewb-config");
        System.setProperty(SettingsStore.CONFIG_DIR_PROPERTY, configDir.toString());
        jobs = new FxJobs();
        viewModel = new MainWindowViewModel(SettingsStore.forUser(), jobs, "bundled:all-MiniLM-L6-v2");
        view = new MainWindowView(viewModel);
        stage.setScene(view.createScene(1280, 800));
        stage.show();
    }

    @Stop void stop() {
        // The theme is application-wide and the toolkit outlives this test.
        Application.setUserAgentStylesheet(AppTheme.LIGHT.userAgentStylesheet());
        view.dispose();
        jobs.close();
        System.clearProperty(SettingsStore.CONFIG_DIR_PROPERTY);
        deleteTree(configDir);
    }

    /** The per-test settings folder goes with the test (a hundred of them piled up in /tmp). */
    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a leftover temp folder is not a test failure
        }
    }

    @Test void themeToggleAndShortcutSwitchStylesheetAndRememberIt(FxRobot robot) throws IOException {
        Path file = configDir.resolve(SettingsStore.FILE_NAME);
        assertEquals(AppTheme.LIGHT.userAgentStylesheet(), Application.getUserAgentStylesheet());

        robot.clickOn("#darkToggle");
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(AppTheme.DARK.userAgentStylesheet(), Application.getUserAgentStylesheet());
        assertTrue(view.root().getPseudoClassStates().contains(AppTheme.DARK_PSEUDO_CLASS));
        assertEquals(AppTheme.DARK, SettingsStore.at(configDir).get().theme(), Files.readString(file));

        robot.push(MainWindowView.THEME_SHORTCUT);
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(AppTheme.LIGHT.userAgentStylesheet(), Application.getUserAgentStylesheet());
        assertFalse(view.root().getPseudoClassStates().contains(AppTheme.DARK_PSEUDO_CLASS));
        assertEquals(AppTheme.LIGHT, SettingsStore.at(configDir).get().theme(), Files.readString(file));
    }

    @Test void shortcutsAndClicksShowEachArea(FxRobot robot) {
        assertShown(robot, Area.MODEL);
        Area[] order = {Area.EXPORT, Area.DRIFT, Area.MEMORY, Area.LAYOUT, Area.WEIGHTS, Area.RUN, Area.MODEL};
        for (Area area : order) {
            robot.push(area.shortcut());
            WaitForAsyncUtils.waitForFxEvents();
            assertShown(robot, area);
        }
        for (Area area : new Area[]{Area.WEIGHTS, Area.DRIFT, Area.EXPORT}) {
            robot.clickOn("#nav-" + area.key());
            WaitForAsyncUtils.waitForFxEvents();
            assertShown(robot, area);
        }
    }

    @Test void runShortcutShowsRunAndF1ListsEveryShortcut(FxRobot robot) {
        robot.push(KeyboardShortcuts.RUN);
        WaitForAsyncUtils.waitForFxEvents();
        assertShown(robot, Area.RUN);

        robot.push(KeyboardShortcuts.HELP);
        WaitForAsyncUtils.waitForFxEvents();
        assertNotNull(view.shortcutsHelp());
        assertTrue(view.shortcutsHelp().isShowing(), "F1 opens the shortcuts popover");
        GridPane grid = (GridPane) view.shortcutsHelp().getContentNode().lookup("#shortcutsGrid");
        List<String> texts = grid.getChildren().stream().map(n -> ((Label) n).getText()).toList();
        for (KeyboardShortcuts.Shortcut s : KeyboardShortcuts.all()) {
            assertTrue(texts.contains(s.keys().getDisplayText()), s.keys().getDisplayText() + " listed");
            assertTrue(texts.contains(s.action()), s.action() + " listed");
        }
        assertTrue(texts.contains(KeyboardShortcuts.EXPORT_ONNX.getDisplayText()));
        robot.interact(view::toggleShortcutsHelp);
        assertFalse(view.shortcutsHelp().isShowing(), "asking again closes it");
    }

    private void assertShown(FxRobot robot, Area area) {
        StackPane host = robot.lookup("#areaHost").queryAs(StackPane.class);
        assertEquals(1, host.getChildren().size());
        Node shown = host.getChildren().getFirst();
        assertEquals(area.key() + "View", shown.getId());
        assertEquals(area, viewModel.selectedAreaProperty().get());
        // Placeholder areas (Memory, Layout) still name themselves in their empty state.
        if (area == Area.MEMORY || area == Area.LAYOUT) {
            Label title = robot.from(shown).lookup(".empty-state-title").queryAs(Label.class);
            assertEquals(area.title(), title.getText());
        }
    }

    @Test void runningJobShowsProgressAndCancelStopsItWithinASecond(FxRobot robot) throws Exception {
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicBoolean sawCancel = new AtomicBoolean();
        Job<Void> job = ctx -> {
            try {
                for (int i = 0; ; i++) {
                    ctx.checkCancelled();
                    ctx.progress(Math.min(0.99, i / 500.0), "layer " + i);
                    Thread.sleep(5);
                }
            } finally {
                sawCancel.set(ctx.isCancelled());
                stopped.countDown();
            }
        };
        robot.interact(() -> jobs.submit("Measure drift", job, v -> fail("a cancelled job must not report success")));

        WaitForAsyncUtils.waitFor(5, TimeUnit.SECONDS, () -> robot.lookup(".job-progress").tryQuery()
                .map(n -> ((ProgressBar) n).getProgress() > 0).orElse(false));
        assertEquals("Measure drift", robot.lookup(".job-title").queryAs(Label.class).getText());
        assertTrue(robot.lookup(".job-message").queryAs(Label.class).getText().startsWith("layer "));
        assertEquals(1, viewModel.runningJobs().size());

        robot.clickOn(".job-cancel");
        assertTrue(stopped.await(1, TimeUnit.SECONDS), "the job loop must end within 1 s of the click");
        assertTrue(sawCancel.get(), "the job saw the cancel through its context");
        WaitForAsyncUtils.waitFor(1, TimeUnit.SECONDS, () -> robot.lookup(".job-entry").queryAll().isEmpty());
        assertTrue(viewModel.runningJobs().isEmpty());
        assertTrue(viewModel.failures().isEmpty(), "a cancel is not a failure");
    }

    @Test void indeterminateProgressAndSuccessReachTheFxThread(FxRobot robot) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<String> result = new AtomicReference<>();
        AtomicBoolean onFxThread = new AtomicBoolean();
        robot.interact(() -> jobs.submit("Download model", ctx -> {
            ctx.progress(-1, "connecting");
            release.await(5, TimeUnit.SECONDS);
            return "done";
        }, v -> {
            onFxThread.set(Platform.isFxApplicationThread());
            result.set(v);
        }));
        WaitForAsyncUtils.waitFor(5, TimeUnit.SECONDS, () -> robot.lookup(".job-message").tryQuery()
                .map(n -> "connecting".equals(((Label) n).getText())).orElse(false));
        assertTrue(robot.lookup(".job-progress").queryAs(ProgressBar.class).isIndeterminate());
        release.countDown();
        WaitForAsyncUtils.waitFor(5, TimeUnit.SECONDS, () -> result.get() != null);
        assertEquals("done", result.get());
        assertTrue(onFxThread.get());
        WaitForAsyncUtils.waitFor(1, TimeUnit.SECONDS, () -> robot.lookup(".job-entry").queryAll().isEmpty());
    }

    @Test void failedJobBecomesANotificationWithDetails(FxRobot robot) throws Exception {
        robot.interact(() -> jobs.submit("Load model", ctx -> {
            ctx.progress(0.1, "reading header");
            throw AnewbException.file(Path.of("model.safetensors"), "header is truncated");
        }, v -> fail("must not succeed")));

        WaitForAsyncUtils.waitFor(5, TimeUnit.SECONDS, () -> !robot.lookup(".job-failure").queryAll().isEmpty());
        assertTrue(robot.lookup(".job-entry").queryAll().isEmpty(), "the failed job left the status bar");
        Notification note = robot.lookup(".job-failure .notification").queryAs(Notification.class);
        assertEquals("Load model failed: model.safetensors: header is truncated", note.getMessage());

        JobFailureNotice notice = robot.lookup(".job-failure").queryAs(JobFailureNotice.class);
        assertFalse(notice.isDetailsShown());
        robot.clickOn("Show details");
        WaitForAsyncUtils.waitForFxEvents();
        assertTrue(notice.isDetailsShown());
        assertTrue(robot.lookup(".job-failure-details").queryAs(TextArea.class).getText().contains("AnewbException"));

        // The window stays usable behind the notification.
        robot.push(Area.LAYOUT.shortcut());
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(Area.LAYOUT, viewModel.selectedAreaProperty().get());

        robot.clickOn(robot.lookup(".job-failure .close-button").queryAs(Node.class));
        WaitForAsyncUtils.waitFor(1, TimeUnit.SECONDS, () -> robot.lookup(".job-failure").queryAll().isEmpty());
        assertTrue(viewModel.failures().isEmpty());
    }
}

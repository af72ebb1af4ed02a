package dev.anewb.app.run;

import dev.anewb.app.TestWorkbench;
import dev.anewb.app.jobs.FxJobs;
import dev.anewb.app.shell.Area;
import dev.anewb.app.shell.MainWindowView;
import dev.anewb.app.shell.MainWindowViewModel;
import dev.anewb.testing.Fixtures;
import javafx.scene.control.Label;
import javafx.scene.input.KeyCode;
import javafx.stage.Stage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.framework.junit5.Stop;
import org.testfx.util.WaitForAsyncUtils;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** The Run area as a user drives it: open gpt2-tiny, type a prompt, Generate, and both panes fill. */
@ExtendWith(ApplicationExtension.class)
class RunFlowTest {
    private FxJobs jobs;
    private MainWindowViewModel viewModel;
    private MainWindowView view;

    private TestWorkbench workbench;

    @Start void start(Stage stage) {
        workbench = TestWorkbench.open(stage, Fixtures.fixture("gpt2-tiny").toString());
        jobs = workbench.jobs();
        viewModel = workbench.viewModel();
        view = workbench.view();
    }

    @Stop void stop() {
        workbench.close();
    }

    @Test void typedPromptGeneratesIntoBothPanes(FxRobot robot) throws Exception {
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> viewModel.session().converted() != null);
        robot.interact(() -> viewModel.select(Area.RUN));
        WaitForAsyncUtils.waitForFxEvents();
        assertTrue(robot.lookup("#runGeneration").query().isVisible(), "a language model gets the generation form");
        assertFalse(robot.lookup("#runEmbedding").query().isVisible());

        robot.clickOn("#runPrompt").press(KeyCode.CONTROL, KeyCode.A)
                .release(KeyCode.A, KeyCode.CONTROL).write("Hello world");
        RunView run = (RunView) view.areaView(Area.RUN);
        assertEquals("Hello world", run.viewModel().languageModel().promptProperty().get());
        robot.clickOn("#generateButton");

        SideBySideGeneration g = run.viewModel().languageModel().generation();
        WaitForAsyncUtils.waitFor(120, TimeUnit.SECONDS, () -> g.outcomeProperty().get() != null);
        WaitForAsyncUtils.waitForFxEvents();
        Label original = robot.lookup("#lmOriginalText").queryAs(Label.class);
        Label converted = robot.lookup("#lmConvertedText").queryAs(Label.class);
        assertFalse(original.getText().isEmpty(), "the original pane filled");
        assertFalse(converted.getText().isEmpty(), "the converted pane filled");
        assertEquals(LanguageModelRun.DEFAULT_MAX_NEW_TOKENS, g.original().ids().size());
        assertEquals(LanguageModelRun.DEFAULT_MAX_NEW_TOKENS, g.converted().ids().size());
        assertTrue(robot.lookup("#lmOriginalIds").queryAs(Label.class).getText().startsWith("ids: "));
    }
}

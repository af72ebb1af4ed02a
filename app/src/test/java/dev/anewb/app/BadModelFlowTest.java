package dev.anewb.app;

import dev.anewb.app.jobs.FxJobs;
import dev.anewb.app.jobs.JobFailure;
import dev.anewb.app.shell.MainWindowView;
import dev.anewb.app.shell.MainWindowViewModel;
import dev.anewb.testing.Fixtures;
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
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11, the app: a corrupt model, an unsupported architecture and a truncated download become readable
 * notifications naming the file and the problem; the window keeps working.
 */
@ExtendWith(ApplicationExtension.class)
class BadModelFlowTest {
    @TempDir static Path tmp;
    FxJobs jobs;
    MainWindowViewModel viewModel;
    MainWindowView view;

    static final Path FIXTURE = Fixtures.fixture("bert-tiny");

    private TestWorkbench workbench;

    @Start void start(Stage stage) {
        workbench = TestWorkbench.open(stage, null);
        jobs = workbench.jobs();
        viewModel = workbench.viewModel();
        view = workbench.view();
    }

    @Stop void stop() {
        workbench.close();
    }

    private Path folder(String name, String config, byte[] weights) throws Exception {
        Path d = Files.createDirectories(tmp.resolve(name));
        Files.writeString(d.resolve("config.json"), config);
        if (weights != null) Files.write(d.resolve("model.safetensors"), weights);
        return d;
    }

    private JobFailure loadAndFail(FxRobot robot, Path model) throws Exception {
        int before = jobs.failures().size();
        robot.interact(() -> viewModel.session().load(model.toString()));
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> jobs.failures().size() > before);
        WaitForAsyncUtils.waitForFxEvents();
        JobFailure f = jobs.failures().get(jobs.failures().size() - 1);
        assertTrue(robot.lookup(".job-failure").queryAll().size() >= 1, "a notification is shown");
        return f;
    }

    @Test void badModelsBecomeNotificationsNamingTheFile(FxRobot robot) throws Exception {
        String bertConfig = Files.readString(FIXTURE.resolve("config.json"));
        byte[] weights = Files.readAllBytes(FIXTURE.resolve("model.safetensors"));

        // corrupt: the header length is garbage
        byte[] corrupt = weights.clone();
        for (int i = 0; i < 8; i++) corrupt[i] = (byte) 0x7f;
        Path c = folder("corrupt", bertConfig, corrupt);
        JobFailure f1 = loadAndFail(robot, c);
        assertTrue(f1.message().contains("model.safetensors") && f1.message().contains("header length"), f1.message());

        // unsupported architecture
        Path u = folder("mamba", "{\"model_type\": \"mamba\", \"hidden_size\": 64}", weights);
        JobFailure f2 = loadAndFail(robot, u);
        assertTrue(f2.message().contains("mamba") && f2.message().contains("supported"), f2.message());

        // a download cut short: the weights file ends early
        byte[] truncated = Arrays.copyOf(weights, weights.length / 2);
        Path t = folder("truncated", bertConfig, truncated);
        JobFailure f3 = loadAndFail(robot, t);
        assertTrue(f3.message().contains("model.safetensors"), f3.message());
        assertEquals(1, f3.message().lines().count(), "one readable line; the stack trace is behind 'details'");

        // the window still works: a good model loads afterwards
        robot.interact(() -> viewModel.session().load(FIXTURE.toString()));
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> viewModel.session().model() != null);
        assertEquals("bert-tiny", viewModel.session().model().displayName());
    }
}

package dev.anewb.app;

import dev.anewb.ane.BufferKind;
import dev.anewb.app.jobs.FxJobs;
import dev.anewb.app.layout.LayoutView;
import dev.anewb.app.layout.LayoutViewModel;
import dev.anewb.app.memory.MemoryView;
import dev.anewb.app.shell.Area;
import dev.anewb.app.shell.MainWindowView;
import dev.anewb.app.shell.MainWindowViewModel;
import dev.anewb.io.BundledModel;
import javafx.scene.control.Label;
import javafx.scene.input.MouseButton;
import javafx.scene.input.MouseEvent;
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

/** The chunk window in the conversion panel changes Memory's score bytes; Layout shows a weight's scales per head. */
@ExtendWith(ApplicationExtension.class)
class MemoryLayoutFlowTest {
    private FxJobs jobs;
    private MainWindowViewModel viewModel;
    private MainWindowView view;

    private TestWorkbench workbench;

    @Start void start(Stage stage) {
        workbench = TestWorkbench.open(stage, BundledModel.ID);
        jobs = workbench.jobs();
        viewModel = workbench.viewModel();
        view = workbench.view();
    }

    @Stop void stop() {
        workbench.close();
    }

    @Test void chunkWindowChangesScoreBytesAndLayoutShowsScalesPerHead(FxRobot robot) throws Exception {
        robot.interact(() -> viewModel.select(Area.MEMORY));
        MemoryView memory = (MemoryView) view.areaView(Area.MEMORY);
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS,
                () -> memory.viewModel().plan() != null && !memory.viewModel().computingProperty().get());
        long before = memory.viewModel().plan().optimized().sram(BufferKind.SCORES);
        assertFalse(memory.opTable().getItems().isEmpty());
        // The cards are filled on the FX thread after the plan lands: wait for them rather than race them.
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> robot.lookup("#card-peakBuffer").tryQueryAs(Label.class)
                .map(l -> l.getText() != null && l.getText().endsWith("iB")).orElse(false));

        robot.interact(() -> view.conversionPanel().viewModel().chunkWindowProperty().set(16));
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS,
                () -> memory.viewModel().plan() != null && !memory.viewModel().computingProperty().get()
                        && memory.viewModel().plan().optimized().conversion().chunkWindow() == 16);
        long after = memory.viewModel().plan().optimized().sram(BufferKind.SCORES);
        assertTrue(after < before, "chunked scores " + after + " < " + before);

        // chart click selects the table row
        robot.interact(() -> {
            var t = memory.timeline();
            int n = memory.viewModel().ops().size();
            var at = t.canvas().localToScene(t.xOf(5, n), 60);   // the event constructor takes scene coordinates
            t.canvas().fireEvent(new MouseEvent(MouseEvent.MOUSE_CLICKED, at.getX(), at.getY(), 0, 0,
                    MouseButton.PRIMARY, 1, false, false, false, false, true, false, false, true, false, false, null));
        });
        assertEquals(5, memory.viewModel().selectedOpProperty().get(), () -> "canvas "
                + memory.timeline().canvas().getWidth() + "x" + memory.timeline().canvas().getHeight()
                + " opAt " + memory.timeline().opAt(memory.timeline().xOf(5, memory.viewModel().ops().size()), 60));
        assertEquals(5, memory.opTable().getSelectionModel().getSelectedIndex());

        robot.interact(() -> viewModel.select(Area.LAYOUT));
        LayoutView layout = (LayoutView) view.areaView(Area.LAYOUT);
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> layout.viewModel().layoutProperty().get() != null);
        String scale = layout.viewModel().tensorNames().stream().filter(n -> n.endsWith(".scale")).findFirst()
                .orElseThrow();
        robot.interact(() -> layout.viewModel().selectedProperty().set(scale));
        assertEquals(scale, layout.tree().getSelectionModel().getSelectedItem().getValue().tensor(), "tree follows");
        robot.clickOn("#modePerHead");
        assertEquals(LayoutViewModel.Mode.PER_HEAD, layout.viewModel().modeProperty().get());
        assertEquals(scale, layout.viewModel().layoutProperty().get().name());
        assertTrue(robot.lookup("#layoutNote").queryAs(Label.class).getText().contains("per-head"));
        // hover a cell of the grid: the label names the element and its address
        robot.interact(() -> {
            double[] p = layout.grid().pointOf(2, 2);
            var at = layout.grid().canvas().localToScene(p[0], p[1]);
            layout.grid().canvas().fireEvent(new MouseEvent(MouseEvent.MOUSE_MOVED, at.getX(), at.getY(), 0, 0,
                    MouseButton.NONE, 0, false, false, false, false, false, false, false, true, false, false, null));
        });
        String hover = robot.lookup("#layoutHover").queryAs(Label.class).getText();
        assertTrue(hover.contains("element 7") && hover.contains("0x82"), hover);
        // a 4096-wide tensor pans by drawing frames, not by rebuilding
        long frames = layout.grid().frames();
        robot.interact(() -> layout.grid().scrollToLine(1000));
        assertTrue(layout.grid().frames() > frames);
        assertTrue(jobs.failures().isEmpty(), () -> jobs.failures().toString());
    }
}

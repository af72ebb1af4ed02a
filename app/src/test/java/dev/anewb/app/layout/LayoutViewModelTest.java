package dev.anewb.app.layout;

import dev.anewb.ane.TensorLayout;
import dev.anewb.app.jobs.FxJobs;
import dev.anewb.app.session.Session;
import dev.anewb.app.settings.SettingsStore;
import dev.anewb.io.BundledModel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.util.WaitForAsyncUtils;

import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/** The Layout area's view model: tensor tree, mode switch, hover arithmetic (no scene). */
@ExtendWith(ApplicationExtension.class)
class LayoutViewModelTest {
    private FxJobs jobs;
    private Session session;
    private LayoutViewModel vm;

    @BeforeEach void load(FxRobot robot) throws Exception {
        AtomicReference<Session> s = new AtomicReference<>();
        robot.interact(() -> {
            jobs = new FxJobs();
            s.set(new Session(SettingsStore.inMemory(), jobs));
            vm = new LayoutViewModel(s.get());
            s.get().load(BundledModel.ID);
        });
        session = s.get();
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> vm.layoutProperty().get() != null);
    }

    @AfterEach void close(FxRobot robot) {
        robot.interact(() -> {
            vm.dispose();
            session.close();
            jobs.close();
        });
    }

    @Test void treeListsEveryKindAndSelectionResolvesTheLayout(FxRobot robot) {
        var names = vm.tensorNames();
        assertTrue(names.contains("layers.0.q"));
        assertTrue(names.contains("encoder.layer.0.attention.self.query.weight.scale"),
                names.stream().filter(n -> n.contains("scale")).findFirst().orElse("no scale"));
        assertTrue(names.contains("layers.0.attention.scores") || names.stream().anyMatch(n -> n.endsWith(".scores")));
        String scale = names.stream().filter(n -> n.endsWith(".scale")).findFirst().orElseThrow();
        robot.interact(() -> vm.selectedProperty().set(scale));
        TensorLayout t = vm.layoutProperty().get();
        assertEquals(scale, t.name());
        // block 128 over 384 inputs: 3 FP16 scales per row, padded to one 64-byte row
        assertArrayEquals(new long[]{384, 3}, t.shape());
        assertEquals(64, t.rowBytesAllocated());
        String padding = String.format(Locale.ROOT, "%,d B", t.paddingBytes());
        assertTrue(vm.figures().stream().anyMatch(f -> f.label().equals("Padding") && f.value().startsWith(padding)));
    }

    @Test void modeSwitchChangesTheArrangement(FxRobot robot) {
        robot.interact(() -> vm.selectedProperty().set("layers.0.q"));
        robot.interact(() -> vm.modeProperty().set(LayoutViewModel.Mode.BC1S));
        assertArrayEquals(new long[]{1, 384, 1, 128}, vm.layoutProperty().get().shape());
        robot.interact(() -> vm.modeProperty().set(LayoutViewModel.Mode.HF));
        assertArrayEquals(new long[]{1, 128, 384}, vm.layoutProperty().get().shape());
        robot.interact(() -> vm.modeProperty().set(LayoutViewModel.Mode.PER_HEAD));
        assertEquals("layers.0.q.heads", vm.layoutProperty().get().name());
        assertArrayEquals(new long[]{12, 1, 32, 1, 128}, vm.layoutProperty().get().shape());
        String w = vm.tensorNames().stream().filter(n -> n.endsWith(".scale")).findFirst().orElseThrow();
        robot.interact(() -> vm.selectedProperty().set(w));
        assertEquals(w, vm.layoutProperty().get().name(), "a weight has no per-head split");
        assertTrue(vm.noteProperty().get().contains("no per-head split"));
    }

    @Test void hoverGivesElementIndexAndAddress(FxRobot robot) {
        TensorLayout t = TensorLayout.activationBc1s("x", 1, 100, 64, 2, 32, 2);   // rows of 200 B, allocated 256
        LayoutViewModel.Cell c = LayoutViewModel.cellAt(t, 33, 10);
        assertEquals(33 * 256 + 10, c.address());
        assertEquals(33 * 100 + 5, c.element());
        assertEquals("(0, 33, 0, 5)", c.index());
        assertEquals("head 1", c.owner());
        LayoutViewModel.Cell pad = LayoutViewModel.cellAt(t, 0, 210);
        assertTrue(pad.padding());
        assertEquals(210, pad.address());

        robot.interact(() -> vm.selectedProperty().set("layers.0.q"));
        robot.interact(() -> vm.modeProperty().set(LayoutViewModel.Mode.BC1S));
        robot.interact(() -> vm.hover(40, 6));
        LayoutViewModel.Cell h = vm.hoverProperty().get();
        assertEquals(40 * 256 + 6, h.address());
        assertEquals(40 * 128 + 3, h.element());
        assertEquals("head 1", h.owner());
    }
}

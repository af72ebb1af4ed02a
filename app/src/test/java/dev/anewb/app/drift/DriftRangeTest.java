package dev.anewb.app.drift;

import dev.anewb.api.ConvertedModel;
import dev.anewb.app.jobs.FxJobs;
import dev.anewb.app.jobs.JobView;
import dev.anewb.app.session.ModelKind;
import dev.anewb.app.session.Session;
import dev.anewb.app.settings.SettingsStore;
import dev.anewb.drift.DriftReport;
import dev.anewb.drift.TapMetrics;
import dev.anewb.io.LoadedModel;
import dev.anewb.job.JobContext;
import dev.anewb.model.LayerRange;
import javafx.collections.ListChangeListener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.util.WaitForAsyncUtils;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/** A layer range measures only its layers, from the original's hidden state, as the engine does (no scene). */
@ExtendWith(ApplicationExtension.class)
class DriftRangeTest {
    private FxJobs jobs;
    private Session session;
    private DriftViewModel vm;

    @BeforeEach void load(FxRobot robot) throws Exception {
        AtomicReference<Session> s = new AtomicReference<>();
        robot.interact(() -> {
            jobs = new FxJobs();
            s.set(new Session(SettingsStore.inMemory(), jobs));
            vm = new DriftViewModel(s.get());
            s.get().load(Path.of("../../shared/fixtures/llama-tiny").toAbsolutePath().normalize().toString());
        });
        session = s.get();
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> vm.measuredProperty().get() != null
                && !vm.computingProperty().get());
    }

    @AfterEach void close(FxRobot robot) {
        robot.interact(() -> {
            vm.dispose();
            session.close();
            jobs.close();
        });
    }

    @Test void aRangeMeasuresOnlyItsLayersAsTheEngineDoes(FxRobot robot) throws Exception {
        assertNull(vm.layersProperty().get().range(), "a small model measures every layer by default");
        assertTrue(vm.byCauseProperty().get(), "and attributes by cause");
        LayerRange second = new LayerRange(1, 1);
        robot.interact(() -> vm.layersProperty().set(new DriftViewModel.RangeChoice(second, "Layer 1")));
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> vm.measuredProperty().get() != null
                && second.equals(vm.measuredProperty().get().layers()) && !vm.computingProperty().get());
        DriftReport shown = vm.measuredProperty().get().report();
        DriftReport engine = session.converted().drift(session.sample(session.sampleInput()).batch(), true, second,
                JobContext.NONE, null);
        assertEquals(engine.taps().stream().map(TapMetrics::name).toList(),
                shown.taps().stream().map(TapMetrics::name).toList());
        assertFalse(shown.taps().stream().anyMatch(t -> t.name().startsWith("layers.0.")), "layer 0 is not measured");
        assertEquals(engine.tap("hidden_states.2").sqnrDb(), shown.tap("hidden_states.2").sqnrDb(), 1e-9);
        assertTrue(vm.statusProperty().get().contains("layers 1"), vm.statusProperty().get());

        robot.interact(() -> vm.byCauseProperty().set(false));
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> vm.measuredProperty().get() != null
                && vm.measuredProperty().get().report().byCause().isEmpty() && !vm.computingProperty().get());
        WaitForAsyncUtils.waitForFxEvents();
        assertTrue(vm.causes().isEmpty(), "no cause columns without attribution");
    }

    @Test void aNewKindOfModelIsMeasuredOnlyWithItsOwnConversionAndSample(FxRobot robot) throws Exception {
        // Loading an image model after a text model changes the sample before the conversion: a measurement started
        // in between would run the text model's conversion on an image (CI saw it fail "needs token ids").
        List<String> mismatched = new CopyOnWriteArrayList<>();
        robot.interact(() -> jobs.running().addListener((ListChangeListener<JobView<?>>) change -> {
            while (change.next()) {
                for (JobView<?> job : change.getAddedSubList()) {
                    if (!job.title().equals("Measure drift")) continue;
                    ConvertedModel c = session.converted();
                    LoadedModel m = session.model();
                    if (c.source() != m || !session.sampleInput().fits(ModelKind.of(m))) {
                        mismatched.add(c.source().folder() + " measured on " + session.sampleInput()
                                + " while " + m.folder() + " is loaded");
                    }
                }
            }
        }));
        robot.interact(() -> session.load(Path.of("../../shared/fixtures/vit-tiny").toAbsolutePath().normalize()
                .toString()));
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> session.model().folder().endsWith("vit-tiny")
                && vm.measuredProperty().get() != null && !vm.computingProperty().get());
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(List.of(), mismatched);
        assertEquals(List.of(), List.copyOf(jobs.failures()));
        assertTrue(vm.measuredProperty().get().sample().contains("image"), vm.measuredProperty().get().sample());
    }
}

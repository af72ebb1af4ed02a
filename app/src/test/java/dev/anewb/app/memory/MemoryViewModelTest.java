package dev.anewb.app.memory;

import dev.anewb.ane.AnePlanner;
import dev.anewb.ane.BufferKind;
import dev.anewb.ane.OpPlan;
import dev.anewb.ane.PlanResult;
import dev.anewb.ane.PlannedWeights;
import dev.anewb.app.jobs.FxJobs;
import dev.anewb.app.session.Session;
import dev.anewb.app.settings.SettingsStore;
import dev.anewb.convert.Converter;
import dev.anewb.io.BundledModel;
import dev.anewb.model.Conversion;
import dev.anewb.model.WeightInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.util.WaitForAsyncUtils;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/** The Memory area's view model against the planner's own numbers (toolkit up for the scheduler; no scene). */
@ExtendWith(ApplicationExtension.class)
class MemoryViewModelTest {
    private FxJobs jobs;
    private Session session;
    private MemoryViewModel vm;

    @BeforeEach void load(FxRobot robot) throws Exception {
        AtomicReference<Session> s = new AtomicReference<>();
        robot.interact(() -> {
            jobs = new FxJobs();
            s.set(new Session(SettingsStore.inMemory(), jobs));
            vm = new MemoryViewModel(s.get());
            s.get().load(BundledModel.ID);
        });
        session = s.get();
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> session.model() != null);
        waitPlanned(session.conversion());
    }

    @AfterEach void close(FxRobot robot) {
        robot.interact(() -> {
            vm.dispose();
            session.close();
            jobs.close();
        });
    }

    private PlanResult waitPlanned(Conversion c) throws Exception {
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> vm.plan() != null && !vm.computingProperty().get()
                && vm.plan().optimized().conversion().equals(c));
        WaitForAsyncUtils.waitForFxEvents();
        return vm.plan();
    }

    private PlanResult planner(Conversion c) {
        return AnePlanner.plan(session.model().graph(), c, session.baseChip(), session.planBatchProperty().get(),
                session.planSequenceLengthProperty().get(), session.bufferOverrideMbProperty().get());
    }

    @Test void blockSizeChangesWeightBytesAsThePlannerCountsThem(FxRobot robot) throws Exception {
        Conversion b32 = Conversion.ANE_DEFAULT.withInt8(true, 32, false);
        Conversion b128 = Conversion.ANE_DEFAULT.withInt8(true, 128, false);
        robot.interact(() -> session.conversionProperty().set(b32));
        PlanResult shown32 = waitPlanned(b32);
        robot.interact(() -> session.conversionProperty().set(b128));
        PlanResult shown128 = waitPlanned(b128);

        PlanResult ref32 = planner(b32), ref128 = planner(b128);
        OpPlan q32 = shown32.optimized().op("layers.0.q"), q128 = shown128.optimized().op("layers.0.q");
        assertEquals(ref32.optimized().op("layers.0.q").sram(BufferKind.WEIGHTS), q32.sram(BufferKind.WEIGHTS));
        assertEquals(ref128.optimized().op("layers.0.q").sram(BufferKind.WEIGHTS), q128.sram(BufferKind.WEIGHTS));
        assertTrue(q32.sram(BufferKind.WEIGHTS) > q128.sram(BufferKind.WEIGHTS), "smaller blocks store more scales "
                + "and zero points");
        // The difference is the scale + zero-point bytes of the stored weights (WeightStorage, the planner's formula).
        long expected = 0;
        for (WeightInfo w : Converter.convert(session.model().graph(), b32).graph().weights().values()) {
            if (w.quant() == null) continue;
            WeightInfo w128 = Converter.convert(session.model().graph(), b128).graph().weights().get(w.name());
            expected += PlannedWeights.storageOf(w, b32).totalBytes()
                    - PlannedWeights.storageOf(w128, b128).totalBytes();
        }
        assertEquals(expected, shown32.optimized().weightBytes() - shown128.optimized().weightBytes());
        assertEquals(ref32.optimized().weightBytes(), shown32.optimized().weightBytes());
        // The table shows the same ops the planner planned.
        assertEquals(shown128.optimized().ops().size(), vm.ops().size());
        assertEquals(5, vm.cards().size());
        assertTrue(vm.cards().stream()
                .allMatch(c -> c.caption().contains("estimate") && c.caption().contains(session.chip().name())));
    }

    @Test void chunkWindowChangesScoreBytes(FxRobot robot) throws Exception {
        Conversion full = session.conversion(), chunked = full.withChunking(16, 0);
        long fullScores = waitPlanned(full).optimized().sram(BufferKind.SCORES);
        robot.interact(() -> session.conversionProperty().set(chunked));
        PlanResult c = waitPlanned(chunked);
        assertEquals(planner(chunked).optimized().sram(BufferKind.SCORES), c.optimized().sram(BufferKind.SCORES));
        assertTrue(c.optimized().sram(BufferKind.SCORES) < fullScores,
                c.optimized().sram(BufferKind.SCORES) + " vs " + fullScores);
    }

    @Test void chipBufferAndSequenceReplan(FxRobot robot) throws Exception {
        robot.interact(() -> {
            session.chipNameProperty().set("M4");
            session.bufferOverrideMbProperty().set(1.0);
            session.planSequenceLengthProperty().set(256);
        });
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> vm.plan() != null && !vm.computingProperty().get()
                && vm.plan().seq() == 256 && vm.plan().chip().bufferOverridden());
        // The caption follows the plan on the FX thread: let pending FX events run before reading it.
        WaitForAsyncUtils.waitForFxEvents();
        PlanResult p = vm.plan();
        assertEquals("M4", p.chip().name());
        assertEquals(1L << 20, p.chip().bufferBytes());
        assertTrue(p.optimized().peakSramBytes() <= 1L << 20, "never above the buffer");
        assertTrue(vm.captionProperty().get().startsWith("estimate · M4"));
        assertEquals("M4", session.settings().get().chip(), "remembered");
        assertEquals(1.0, session.settings().get().bufferMb());
    }

    @Test void selectingAWarningSelectsItsOp(FxRobot robot) {
        assertFalse(vm.warnings().isEmpty(), "INT8 projections carry rule 3 warnings");
        MemoryViewModel.Warning w = vm.warnings().get(1);
        robot.interact(() -> vm.selectedOpProperty().set(w.opIndex()));
        assertEquals(w.op(), vm.ops().get(vm.selectedOpProperty().get()).name());
    }

    @Test void ceilingLineIsThePlannersCeiling() {
        PlanResult p = vm.plan();
        // the bundled MiniLM fits one iOS model (1 GiB, Anemll README) and only its gather runs on the CPU (rule 5)
        assertEquals(1, p.ceiling().models());
        String line = vm.ceilingSummaryProperty().get();
        assertTrue(line.startsWith("On the ANE: " + MemoryViewModel.bytes(p.ceiling().aneWeightBytes())
                + " of weights"), line);
        assertTrue(line.contains("only the embedding gather runs on the CPU (rule 5)") && line.endsWith("(estimate)"),
                line);
        assertEquals(String.join("\n", p.ceiling().lines()), vm.ceilingDetailsProperty().get());
    }

    @Test void badMeasurementIsAMessageNotAJob(FxRobot robot) {
        robot.interact(() -> {
            vm.measuredMsProperty().set("fast");
            vm.calibrate();
        });
        assertFalse(vm.calibratingProperty().get());
        assertTrue(vm.calibrationMessageProperty().get().contains("median latency"),
                vm.calibrationMessageProperty().get());
        assertEquals(3.47, MemoryViewModel.parseMs("3,47 ms"), 0);
    }

    @Test void calibratingSavesAProfileAndEveryEstimateOnItMatchesTheMeasurement(FxRobot robot, @TempDir Path dir)
            throws Exception {
        String old = System.getProperty("anewb.config.dir");
        System.setProperty("anewb.config.dir", dir.toString());
        try {
            double measured = 2 * vm.plan().optimized().latencyMs();
            robot.interact(() -> {
                vm.measuredMsProperty().set(Double.toString(measured));
                vm.profileNameProperty().set("test phone");
                vm.calibrate();
            });
            WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> !vm.calibratingProperty().get()
                    && "test phone".equals(session.chipNameProperty().get()));
            assertTrue(session.chipNames().contains("test phone"));
            assertTrue(Files.exists(dir.resolve("chips.json")));
            PlanResult p = waitPlanned(session.conversion());
            WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> vm.plan().chip().name().equals("test phone"));
            p = vm.plan();
            // the same workload is now estimated at the measurement, and the profile says it is calibrated
            assertEquals(measured, p.optimized().latencyMs(), 1e-6 * measured);
            assertEquals("A15", p.chip().calibration().basedOn());
            WaitForAsyncUtils.waitForFxEvents();
            String msg = vm.calibrationMessageProperty().get();
            assertTrue(msg.contains("Saved profile \"test phone\"") && msg.contains(String.format(Locale.ROOT,
                    "measured %.2f ms", measured)), msg);
            assertTrue(vm.cards().stream().allMatch(c -> c.caption().startsWith("calibrated estimate")));
            assertTrue(p.label().contains("calibrated on your measurement"), p.label());
            // switching away and back shows the chip's calibration, measured beside estimated
            robot.interact(() -> session.chipNameProperty().set("A15"));
            robot.interact(() -> session.chipNameProperty().set("test phone"));
            msg = vm.calibrationMessageProperty().get();
            assertTrue(msg.startsWith("test phone calibrated on your measurement") && msg.contains("measured")
                    && msg.contains("estimate"), msg);
        } finally {
            if (old == null) System.clearProperty("anewb.config.dir"); else System.setProperty("anewb.config.dir", old);
        }
    }
}

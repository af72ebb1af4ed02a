package dev.anewb.app;

import dev.anewb.app.drift.DriftView;
import dev.anewb.app.drift.DriftViewModel;
import dev.anewb.app.export.ExportView;
import dev.anewb.app.jobs.FxJobs;
import dev.anewb.app.session.Session;
import dev.anewb.app.shell.Area;
import dev.anewb.app.shell.MainWindowView;
import dev.anewb.app.shell.MainWindowViewModel;
import dev.anewb.convert.coreml.CoreMlOptions;
import dev.anewb.convert.coreml.CoreMlPreview;
import dev.anewb.drift.DriftReport;
import dev.anewb.io.BundledModel;
import dev.anewb.io.ByteSizes;
import javafx.animation.AnimationTimer;
import javafx.scene.chart.XYChart;
import javafx.scene.control.Label;
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
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The workbench end to end on the headless platform: the bundled model loads as a job, the conversion panel
 * drives Drift, Export writes a package and a report, and the FX thread keeps drawing while drift recomputes.
 */
@ExtendWith(ApplicationExtension.class)
class WorkbenchFlowTest {
    private FxJobs jobs;
    private MainWindowViewModel viewModel;
    private MainWindowView view;
    @TempDir Path dir;

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

    private DriftView openDrift(FxRobot robot) throws Exception {
        robot.interact(() -> viewModel.select(Area.DRIFT));
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> viewModel.session().model() != null);
        DriftView drift = (DriftView) view.areaView(Area.DRIFT);
        waitMeasured(drift, null);
        return drift;
    }

    /** Waits until a report other than {@code previous} is shown and nothing is computing. */
    private static DriftViewModel.Measured waitMeasured(DriftView drift, DriftViewModel.Measured previous)
            throws Exception {
        WaitForAsyncUtils.waitFor(120, TimeUnit.SECONDS, () -> {
            DriftViewModel.Measured m = drift.viewModel().measuredProperty().get();
            return m != null && m != previous && !drift.viewModel().computingProperty().get();
        });
        WaitForAsyncUtils.waitForFxEvents();
        return drift.viewModel().measuredProperty().get();
    }

    /** The plotted values of the chart's "all" series, in tap order. */
    private static List<Double> allCurve(DriftView drift) {
        List<Double> out = new ArrayList<>();
        for (XYChart.Series<String, Number> s : drift.chart().getData()) {
            if (s.getName().equals("all")) for (var d : s.getData()) out.add(d.getYValue().doubleValue());
        }
        return out;
    }

    @Test void blockSizeAndChunkWindowChangeTheDriftChartAndExportWritesPackageAndReport(FxRobot robot)
            throws Exception {
        DriftView drift = openDrift(robot);
        assertEquals("all-MiniLM-L6-v2", viewModel.modelTitleProperty().get());
        assertEquals("BERT · 22.6M params", viewModel.modelDetailsProperty().get());
        DriftViewModel.Measured b128 = drift.viewModel().measuredProperty().get();
        List<Double> curve128 = allCurve(drift);
        assertEquals(7, curve128.size(), "hidden_states.0..6 plotted");

        var panel = view.conversionPanel().viewModel();
        robot.interact(() -> panel.blockSizeProperty().set(32));
        DriftViewModel.Measured b32 = waitMeasured(drift, b128);
        assertEquals(32, b32.conversion().blockSize());
        List<Double> curve32 = allCurve(drift);
        assertNotEquals(curve128, curve32, "the chart shows the new block size");
        double last128 = b128.report().lastHidden().sqnrDb(), last32 = b32.report().lastHidden().sqnrDb();
        assertTrue(last32 > last128, "smaller blocks drift less: " + last32 + " vs " + last128);

        robot.interact(() -> panel.chunkWindowProperty().set(8));
        DriftViewModel.Measured chunked = waitMeasured(drift, b32);
        assertEquals(8, chunked.conversion().chunkWindow());
        assertTrue(chunked.report().byCause().containsKey(DriftReport.Cause.CHUNKING),
                "chunking attributed as a cause");
        assertTrue(drift.chart().getData().stream().anyMatch(s -> s.getName().equals("chunking")));
        assertNotEquals(curve32, allCurve(drift), "chunking changes the drift");

        // Export: package into a temp folder, then the report.
        robot.interact(() -> viewModel.select(Area.EXPORT));
        ExportView export = (ExportView) view.areaView(Area.EXPORT);
        Path pkg = dir.resolve("minilm.anepkg");
        Path report = dir.resolve("report");
        robot.interact(() -> {
            export.viewModel().packagePathProperty().set(pkg.toString());
            export.viewModel().reportFolderProperty().set(report.toString());
            export.exportPackage();
        });
        WaitForAsyncUtils.waitFor(180, TimeUnit.SECONDS, () -> export.viewModel().lastWrittenProperty().get() != null
                && export.viewModel().jobProperty().get() == null);
        assertTrue(Files.isRegularFile(pkg.resolve("manifest.json")),
                "package written: " + export.viewModel().resultProperty().get());
        robot.interact(export::exportReport);
        WaitForAsyncUtils.waitFor(120, TimeUnit.SECONDS,
                () -> Files.exists(report.resolve("all-MiniLM-L6-v2-drift.csv"))
                && export.viewModel().jobProperty().get() == null);
        String html = Files.readString(report.resolve("all-MiniLM-L6-v2-drift.html"));
        assertTrue(html.contains("<svg") && html.contains("quantization only"), "the chart, with the causes measured");
        assertTrue(html.contains("Neural Engine plan (ESTIMATE)"),
                "the Memory area's plan, though it was never opened");
        assertTrue(Files.readString(report.resolve("all-MiniLM-L6-v2-drift.csv")).contains("hidden_states.6,"));
        Path onnx = dir.resolve("minilm.onnx");
        robot.interact(() -> {
            export.viewModel().onnxPathProperty().set(onnx.toString());
            export.viewModel().exportOnnx();
        });
        WaitForAsyncUtils.waitFor(180, TimeUnit.SECONDS, () -> export.viewModel().jobProperty().get() == null);
        assertTrue(Files.size(onnx) > 1_000_000, "ONNX written");

        // Core ML: previewed before writing, written through the button's path, refused for a block size it cannot
        // express.
        Path mlpackage = dir.resolve("minilm.mlpackage");
        robot.interact(() -> export.viewModel().coreMlPathProperty().set(mlpackage.toString()));
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> export.viewModel().coreMlPreviewProperty().get() != null);
        CoreMlPreview preview = export.viewModel().coreMlPreviewProperty().get();
        Session session = viewModel.session();
        assertEquals(session.converted().coreMlPreview(CoreMlOptions.DEFAULT.withSequence(
                CoreMlOptions.Sequence.parse(export.viewModel().coreMlSequenceProperty().get()))), preview,
                "the preview is the engine's");
        String size = robot.lookup("#coreMlSize").queryAs(Label.class).getText();
        assertTrue(size.startsWith(ByteSizes.format(preview.packageBytes())), size);
        robot.interact(export::exportCoreMl);
        WaitForAsyncUtils.waitFor(180, TimeUnit.SECONDS,
                () -> mlpackage.equals(export.viewModel().lastWrittenProperty().get())
                        && export.viewModel().jobProperty().get() == null);
        assertTrue(Files.isRegularFile(mlpackage.resolve("Manifest.json"))
                && Files.isRegularFile(mlpackage.resolve("Data/com.apple.CoreML/model.mlmodel")),
                "Core ML package written: " + export.viewModel().resultProperty().get());
        assertEquals(preview.weightBytes(), Files.size(mlpackage.resolve("Data/com.apple.CoreML/weights/weight.bin")),
                "the preview said what would be written");
        robot.interact(() -> session.conversionProperty().set(session.conversion().withInt8(true, 40, false)));
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> export.viewModel().coreMlProblemProperty().get()
                .contains("valid block sizes"));
        assertNull(export.viewModel().coreMlPreviewProperty().get());
        assertTrue(robot.lookup("#exportCoreMl").queryButton().isDisabled(), "nothing to write with block 40");
        assertTrue(jobs.failures().isEmpty(), () -> jobs.failures().toString());
    }

    @Test void theFxThreadKeepsDrawingWhileDriftRecomputes(FxRobot robot) throws Exception {
        DriftView drift = openDrift(robot);
        DriftViewModel.Measured before = drift.viewModel().measuredProperty().get();
        AtomicLong last = new AtomicLong(), worst = new AtomicLong();
        AnimationTimer timer = new AnimationTimer() {
            @Override public void handle(long now) {
                long prev = last.getAndSet(now);
                if (prev != 0) worst.accumulateAndGet(now - prev, Math::max);
            }
        };
        robot.interact(() -> {
            timer.start();
            view.conversionPanel().viewModel().blockSizeProperty().set(64);
        });
        waitMeasured(drift, before);
        robot.interact(timer::stop);
        assertEquals(64, drift.viewModel().measuredProperty().get().conversion().blockSize());
        assertTrue(worst.get() > 0, "pulses were measured");
        assertTrue(worst.get() < 250_000_000L,
                "longest gap between pulses while recomputing: " + worst.get() / 1_000_000 + " ms");
    }
}

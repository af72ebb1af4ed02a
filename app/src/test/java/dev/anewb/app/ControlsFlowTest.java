package dev.anewb.app;

import dev.anewb.AnewbException;
import dev.anewb.ane.AnePlanner;
import dev.anewb.api.ModelSession;
import dev.anewb.convert.coreml.CoreMlBlockSizes;
import dev.anewb.convert.coreml.CoreMlExporter;
import dev.anewb.convert.coreml.CoreMlOptions;
import dev.anewb.ane.PlanResult;
import dev.anewb.api.ConvertedModel;
import dev.anewb.app.drift.DriftMetric;
import dev.anewb.app.drift.DriftView;
import dev.anewb.app.drift.DriftViewModel;
import dev.anewb.app.graph.GraphView;
import dev.anewb.app.graph.GraphViewModel;
import dev.anewb.app.layout.LayoutView;
import dev.anewb.app.memory.MemoryView;
import dev.anewb.app.memory.MemoryViewModel;
import dev.anewb.app.session.GraphNames;
import dev.anewb.app.session.Session;
import dev.anewb.app.shell.Area;
import dev.anewb.app.sweep.SweepView;
import dev.anewb.app.sweep.SweepViewModel;
import dev.anewb.app.weights.WeightsView;
import dev.anewb.app.weights.WeightsViewModel;
import dev.anewb.drift.DriftReport;
import dev.anewb.drift.TapMetrics;
import dev.anewb.io.BundledModel;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;
import dev.anewb.quant.BlockErrorMap;
import dev.anewb.quant.BlockQuantizer;
import javafx.scene.Node;
import javafx.scene.chart.CategoryAxis;
import javafx.scene.chart.XYChart;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.Slider;
import javafx.scene.control.Spinner;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TreeCell;
import javafx.scene.control.TreeItem;
import javafx.scene.input.KeyCode;
import javafx.stage.Stage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.framework.junit5.Stop;
import org.testfx.util.WaitForAsyncUtils;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The real controls, clicked and typed as a user does, on the bundled model: each test asserts what the control
 * changed, against the engine's own computation of the same thing (a drift report, a plan, a block error map).
 */
@ExtendWith(ApplicationExtension.class)
class ControlsFlowTest {
    private TestWorkbench workbench;

    @Start void start(Stage stage) {
        workbench = TestWorkbench.open(stage, BundledModel.ID);
    }

    @Stop void stop() { workbench.close(); }

    private Session session() { return workbench.viewModel().session(); }

    private <T> T view(FxRobot robot, Area area, Class<T> type) throws Exception {
        robot.interact(() -> workbench.viewModel().select(area));
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> session().model() != null);
        return type.cast(workbench.view().areaView(area));
    }

    private void waitUntil(Supplier<Boolean> ready) throws Exception {
        try {
            WaitForAsyncUtils.waitFor(120, TimeUnit.SECONDS, ready::get);
        } catch (TimeoutException e) {
            fail("timed out; running " + workbench.jobs().running() + ", failed " + workbench.jobs().failures()
                    + ", conversion " + session().conversion());
        }
        WaitForAsyncUtils.waitForFxEvents();
    }

    /** Waits for Drift to show a finished report of {@code block}. */
    private DriftViewModel.Measured measured(DriftViewModel vm, int block) throws Exception {
        waitUntil(() -> vm.measuredProperty().get() != null && !vm.computingProperty().get()
                && vm.measuredProperty().get().conversion().blockSize() == block);
        return vm.measuredProperty().get();
    }

    /** The engine's own report of the session's sample with {@code c}: what the area must show. */
    private DriftReport engineReport(Conversion c) {
        ConvertedModel m = session().converted().session().convert(c);
        Batch batch = session().sample(session().sampleInput()).batch();
        return m.drift(batch, true, null, JobContext.NONE, null);
    }

    @Test void sliderKeysPresetsAndSpinnerMoveTheBlockSize(FxRobot robot) throws Exception {
        DriftView drift = view(robot, Area.DRIFT, DriftView.class);
        measured(drift.viewModel(), 128);
        Slider slider = robot.lookup("#blockSlider").queryAs(Slider.class);
        // focused, not clicked: a click on the track moves the thumb to where it lands
        robot.interact(slider::requestFocus);
        robot.type(KeyCode.RIGHT);
        assertEquals(256, session().conversion().blockSize(), "one key step is the next power of two");
        DriftViewModel.Measured m256 = measured(drift.viewModel(), 256);
        assertEquals(engineReport(session().conversion()).lastHidden().sqnrDb(),
                m256.report().lastHidden().sqnrDb(), 1e-9);
        robot.type(KeyCode.LEFT, 2);
        assertEquals(64, session().conversion().blockSize());

        robot.clickOn("#preset-32");
        assertEquals(32, session().conversion().blockSize());
        assertEquals(5, slider.getValue(), 1e-9, "the slider shows 2^5");
        DriftViewModel.Measured m32 = measured(drift.viewModel(), 32);
        assertTrue(m32.report().lastHidden().sqnrDb() > m256.report().lastHidden().sqnrDb(),
                "smaller blocks drift less");

        @SuppressWarnings("unchecked")
        Spinner<Integer> spinner = robot.lookup("#blockSpinner").queryAs(Spinner.class);
        robot.doubleClickOn(spinner.getEditor()).eraseText(4).write("96").type(KeyCode.ENTER);
        assertEquals(96, session().conversion().blockSize(), "the spinner takes any block size");
        assertEquals(Math.log(96) / Math.log(2), slider.getValue(), 1e-9);
        DriftViewModel.Measured m96 = measured(drift.viewModel(), 96);
        assertEquals(engineReport(session().conversion()).lastHidden().sqnrDb(),
                m96.report().lastHidden().sqnrDb(), 1e-9);
    }

    @Test void aBlockSizeCoreMlCannotExportIsNamedWithTheSizesItCan(FxRobot robot) throws Exception {
        DriftView drift = view(robot, Area.DRIFT, DriftView.class);
        measured(drift.viewModel(), 128);
        Label hint = robot.lookup("#coreMlHint").queryAs(Label.class);
        assertFalse(hint.isVisible(), "128 divides MiniLM's 384 and 1536 input channels");
        @SuppressWarnings("unchecked")
        Spinner<Integer> spinner = robot.lookup("#blockSpinner").queryAs(Spinner.class);
        robot.doubleClickOn(spinner.getEditor()).eraseText(4).write("100").type(KeyCode.ENTER);
        assertEquals(100, session().conversion().blockSize(), "the simulation still takes it");
        assertTrue(hint.isVisible());
        CoreMlBlockSizes valid = CoreMlExporter.validBlockSizes(session().model().graph());
        assertFalse(valid.valid(100));
        assertTrue(hint.getText().contains("block size 100") && hint.getText().endsWith(valid.describe()),
                hint.getText());
        // the same line the export refuses with
        Path out = Files.createTempDirectory("coreml-hint").resolve("m.mlpackage");
        AnewbException refused = assertThrows(AnewbException.class,
                () -> session().converted().writeCoreMl(out, CoreMlOptions.DEFAULT, JobContext.NONE));
        assertTrue(refused.getMessage().endsWith(valid.describe()), refused.getMessage());
        assertFalse(Files.exists(out));
        robot.doubleClickOn(spinner.getEditor()).eraseText(4).write("96").type(KeyCode.ENTER);
        assertFalse(hint.isVisible());
    }

    @Test void int8ActivationsAreCalibratedOnTheSampleTextsAndDriftNamesTheirCause(FxRobot robot) throws Exception {
        DriftView drift = view(robot, Area.DRIFT, DriftView.class);
        measured(drift.viewModel(), 128);
        robot.clickOn("#activations");
        assertTrue(session().conversion().quantizesActivations());
        waitUntil(() -> session().converted() != null && session().converted().conversion().quantizesActivations()
                && drift.viewModel().measuredProperty().get() != null && !drift.viewModel().computingProperty().get()
                && drift.viewModel().measuredProperty().get().conversion().quantizesActivations());
        DriftReport shown = drift.viewModel().measuredProperty().get().report();
        assertTrue(shown.byCause().containsKey(DriftReport.Cause.ACTIVATIONS), shown.byCause().keySet().toString());
        // an engine session of its own, calibrated on the same texts, measures the same drift
        Batch texts = session().sample(session().sampleInput()).batch();
        Conversion c = session().conversion();
        double own;
        try (ModelSession fresh = ModelSession.of(session().model())) {
            fresh.calibrateOn(texts, null);
            own = fresh.convert(c).drift(texts, false, JobContext.NONE).lastHidden().sqnrDb();
        }
        assertEquals(own, shown.lastHidden().sqnrDb(), 1e-9);

        // other texts give other scales: the model is calibrated again and Drift re-measures
        ConvertedModel before = session().converted();
        robot.interact(() -> session().sampleTextsProperty().set(List.of(
                "A completely different calibration text, much longer than the first one, with numbers 1234.")));
        waitUntil(() -> session().converted() != before && drift.viewModel().measuredProperty().get() != null
                && !drift.viewModel().computingProperty().get()
                && drift.viewModel().measuredProperty().get().report() != shown);
        Batch other = session().sample(session().sampleInput()).batch();
        try (ModelSession fresh = ModelSession.of(session().model())) {
            fresh.calibrateOn(other, null);
            own = fresh.convert(c).drift(other, false, JobContext.NONE).lastHidden().sqnrDb();
        }
        assertEquals(own, drift.viewModel().measuredProperty().get().report().lastHidden().sqnrDb(), 1e-9);
    }

    @Test void compareKeepsThePinnedCurveOnTopAndTheTableGainsItsDifference(FxRobot robot) throws Exception {
        DriftView drift = view(robot, Area.DRIFT, DriftView.class);
        DriftViewModel.Measured b128 = measured(drift.viewModel(), 128);
        robot.clickOn("#compare");
        assertEquals(Conversion.ANE_DEFAULT, session().pinnedProperty().get(), "Compare pins the current one");
        robot.clickOn("#preset-32");
        DriftViewModel.Measured b32 = measured(drift.viewModel(), 32);
        waitUntil(() -> drift.viewModel().pinnedMeasuredProperty().get() != null);
        List<XYChart.Series<String, Number>> data = drift.chart().getData();
        XYChart.Series<String, Number> last = data.getLast();
        assertTrue(last.getName().startsWith("pinned: INT8 b128"), "the pinned curve is drawn last, on top: "
                + last.getName());
        assertTrue(last.getNode().getStyle().contains("-fx-stroke-dash-array"), "and dashed");
        TableColumn<DriftViewModel.TapRow, ?> delta = drift.table().getColumns().stream()
                .filter(c -> "delta-pinned".equals(c.getId())).findFirst().orElseThrow();
        DriftViewModel.TapRow lastRow = drift.table().getItems().getLast();
        double expected = b32.report().tap(lastRow.tap()).sqnrDb() - b128.report().tap(lastRow.tap()).sqnrDb();
        assertEquals(String.format(Locale.ROOT, "%+.1f dB", expected), delta.getCellData(lastRow));
        assertTrue(expected > 0, "block 32 drifts less than the pinned 128");
        robot.clickOn("#compare");
        assertNull(session().pinnedProperty().get());
        waitUntil(() -> drift.table().getColumns().stream().noneMatch(c -> "delta-pinned".equals(c.getId())));
    }

    @Test void allTapsMetricAndLayerDetailFollowTheReport(FxRobot robot) throws Exception {
        DriftView drift = view(robot, Area.DRIFT, DriftView.class);
        DriftReport r = measured(drift.viewModel(), 128).report();
        long outputs = r.taps().stream().filter(t -> GraphNames.isLayerOutput(t.name())).count();
        assertEquals(outputs, drift.table().getItems().size(), "one row per layer output");
        robot.clickOn("#allTaps");
        waitUntil(() -> drift.table().getItems().size() == r.taps().size());
        assertEquals(r.taps().size(), drift.chart().getXAxis() instanceof CategoryAxis c
                ? c.getCategories().size() : -1, "every tap on the axis");

        @SuppressWarnings("unchecked")
        ComboBox<DriftMetric> metric = robot.lookup("#driftMetric").queryAs(ComboBox.class);
        robot.interact(() -> metric.getSelectionModel().select(DriftMetric.COSINE));
        assertEquals(DriftMetric.COSINE.axisLabel(), drift.chart().getYAxis().getLabel());
        XYChart.Series<String, Number> band = drift.chart().getData().getFirst();
        assertEquals("all", band.getName());
        for (XYChart.Data<String, Number> d : band.getData()) {
            DriftViewModel.Point p = (DriftViewModel.Point) d.getExtraValue();
            assertEquals(r.tap(p.tap()).cosine(), d.getYValue().doubleValue(), 0, p.tap());
        }

        // a point of layer 2's output opens its detail: the layer's input, its inner taps and its output
        XYChart.Data<String, Number> l2 = band.getData().stream()
                .filter(d -> ((DriftViewModel.Point) d.getExtraValue()).tap().equals("hidden_states.3"))
                .findFirst().orElseThrow();
        robot.clickOn(l2.getNode());
        assertEquals(new GraphNames.Layer("", 2), drift.viewModel().selectedLayerProperty().get());
        assertEquals(List.of("hidden_states.2", "layers.2.attn_out", "layers.2.mlp_out", "hidden_states.3"),
                drift.layerTable().getItems().stream().map(DriftViewModel.TapRow::tap).toList());
        DriftViewModel.TapRow out = drift.layerTable().getItems().getLast();
        TapMetrics quant = r.byCause().get(DriftReport.Cause.QUANTIZATION).stream()
                .filter(t -> t.name().equals("hidden_states.3")).findFirst().orElseThrow();
        assertEquals(quant.sqnrText(), out.causeSqnr(DriftReport.Cause.QUANTIZATION), "per-cause column");
    }

    @Test void weightsListsEveryProjectionWithTheQuantizersError(FxRobot robot) throws Exception {
        WeightsView weights = view(robot, Area.WEIGHTS, WeightsView.class);
        WeightsViewModel vm = weights.viewModel();
        waitUntil(() -> vm.rows().size() == vm.weights().size() && !vm.computingProperty().get());
        assertEquals(36, vm.rows().size(), "MiniLM: 6 layers × 6 projections");
        WeightsViewModel.WeightRow v2 = vm.rows().stream().filter(r -> r.op().equals("layers.2.v")).findFirst()
                .orElseThrow();
        robot.interact(() -> weights.table().getSelectionModel().select(v2));
        waitUntil(() -> vm.analysisProperty().get() != null
                && vm.analysisProperty().get().weight().equals(v2.weight()) && !vm.computingProperty().get());
        ConvertedModel c = session().converted();
        BlockErrorMap map = BlockErrorMap.of(c.source().weights().get(v2.weight()),
                c.source().graph().weights().get(v2.weight()), BlockQuantizer.of(
                        c.graph().weights().get(v2.weight()).quant()));
        float max = 0;
        for (float x : map.maxAbs()) max = Math.max(max, x);
        assertEquals(max, v2.maxError(), 0, "the table's error is the quantizer's");
        assertEquals(map.blocksPerRow(), (int) weights.errorMap().image().getWidth(), "one cell per block");
        assertEquals(map.rows(), (int) weights.errorMap().image().getHeight());
        robot.clickOn("#preset-32");
        waitUntil(() -> vm.analysisProperty().get() != null && vm.analysisProperty().get().blockSize() == 32
                && !vm.computingProperty().get());
        assertEquals(384 / 32, (int) weights.errorMap().image().getWidth(), "12 blocks of 32 per 384-wide row");
    }

    @Test void memoryBaselineAndBothShowThePlannersPlans(FxRobot robot) throws Exception {
        MemoryView memory = view(robot, Area.MEMORY, MemoryView.class);
        MemoryViewModel vm = memory.viewModel();
        waitUntil(() -> vm.plan() != null && !vm.computingProperty().get());
        PlanResult p = AnePlanner.plan(session().model().graph(), session().conversion(), session().baseChip(), 1,
                128, null);
        assertEquals(p.optimized().ops().size(), vm.ops().size());
        robot.clickOn("#showBaseline");
        assertEquals(MemoryViewModel.View.BASELINE, vm.viewProperty().get());
        assertEquals(p.baseline().ops().size(), memory.opTable().getItems().size(), "the baseline's ops");
        assertEquals(p.baseline().ops().getFirst().name(), memory.opTable().getItems().getFirst().name());
        robot.clickOn("#showBoth");
        assertEquals(MemoryViewModel.View.SIDE_BY_SIDE, vm.viewProperty().get());
        assertEquals(p.optimized().ops().size(), memory.opTable().getItems().size(), "the table keeps the "
                + "optimized plan while both are drawn");
        assertTrue(vm.findings().stream().anyMatch(f -> f.rule().equals("rule 3") && f.ops().size() == 36));
        // the per-channel alternative, applied from its card
        waitUntil(() -> vm.perChannelProperty().get() != null);
        robot.clickOn("#applyPerChannel");
        assertEquals(Conversion.PER_CHANNEL, session().conversion().blockSize());
        assertTrue(robot.lookup("#perChannel").queryAs(CheckBox.class).isSelected(),
                "the panel follows");
    }

    @Test void sweepMeasuresEveryBlockSizeAndAPointApplies(FxRobot robot) throws Exception {
        SweepView sweep = view(robot, Area.SWEEP, SweepView.class);
        SweepViewModel vm = sweep.viewModel();
        robot.clickOn("#runSweep");
        waitUntil(() -> vm.points().size() == SweepViewModel.BLOCKS.size() && !vm.computingProperty().get());
        SweepViewModel.Point b32 = vm.points().stream().filter(x -> x.conversion().blockSize() == 32).findFirst()
                .orElseThrow();
        assertEquals(engineReport(b32.conversion()).lastHidden().sqnrDb(), b32.sqnrDb(), 1e-9);
        PlanResult plan = AnePlanner.plan(session().model().graph(), b32.conversion(), session().chip(), 1, 128, null);
        assertEquals(plan.optimized().weightBytes(), b32.weightBytes());
        assertEquals(SweepViewModel.front(List.copyOf(vm.points()), vm.metricProperty().get(),
                vm.costProperty().get()), List.copyOf(vm.points()), "the front as defined");
        Node point = robot.lookup("#sweep-b32").query();
        robot.clickOn(point);
        assertEquals(32, session().conversion().blockSize(), "a click applies the point");
        @SuppressWarnings("unchecked")
        Spinner<Integer> spinner = robot.lookup("#blockSpinner").queryAs(Spinner.class);
        assertEquals(32, spinner.getValue(), "the panel follows");
    }

    @Test void choosingANodeOfTheGraphSelectsItEverywhere(FxRobot robot) throws Exception {
        GraphView graph = view(robot, Area.GRAPH, GraphView.class);
        waitUntil(() -> graph.viewModel().overlaysProperty().get() != null && !graph.viewModel().computingProperty()
                .get());
        AtomicReference<TreeItem<Object>> q = new AtomicReference<>();
        robot.interact(() -> {
            for (TreeItem<Object> block : graph.tree().getRoot().getChildren()) {
                for (TreeItem<Object> n : block.getChildren()) {
                    if (n.getValue() instanceof GraphViewModel.Node node && node.op().equals("layers.1.q")) {
                        block.setExpanded(true);
                        q.set(n);
                    }
                }
            }
            graph.tree().scrollTo(graph.tree().getRow(q.get()));
        });
        WaitForAsyncUtils.waitForFxEvents();
        Node cell = robot.lookup(".tree-cell").queryAll().stream()
                .filter(c -> c instanceof TreeCell<?> tc && tc.getTreeItem() == q.get())
                .findFirst().orElseThrow();
        robot.clickOn(cell);
        assertEquals("layers.1.q", session().selectedOpProperty().get());

        MemoryView memory = view(robot, Area.MEMORY, MemoryView.class);
        waitUntil(() -> memory.viewModel().plan() != null && memory.viewModel().selectedOpProperty().get() >= 0);
        assertEquals("layers.1.q", memory.viewModel().ops().get(memory.viewModel().selectedOpProperty().get()).name());
        WeightsView weights = view(robot, Area.WEIGHTS, WeightsView.class);
        assertEquals("encoder.layer.1.attention.self.query.weight", weights.viewModel().selectedProperty().get());
        LayoutView layout = view(robot, Area.LAYOUT, LayoutView.class);
        assertEquals("layers.1.q", layout.viewModel().selectedProperty().get());
        DriftView drift = view(robot, Area.DRIFT, DriftView.class);
        assertEquals(new GraphNames.Layer("", 1), drift.viewModel().selectedLayerProperty().get());
    }
}

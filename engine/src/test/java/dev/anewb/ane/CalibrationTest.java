package dev.anewb.ane;

import dev.anewb.AnewbException;
import dev.anewb.model.ModelGraph;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The joint fit against the published measurements (spec/ane-model.md calibration table; issue 20 targets). */
class CalibrationTest {
    static final ChipProfiles BUNDLED = ChipProfiles.bundled();
    static final Calibration.Table TABLE = Calibration.table(BUNDLED);

    /** The measurements as their sources print them. */
    @Test void fitRowsAreTheSourcesMeasurements() {
        Map<String, Double> measured = Map.ofEntries(Map.entry("1", 3.47), Map.entry("2", 9.89), Map.entry("3o", 20.0),
                Map.entry("3b", 170.0), Map.entry("4o", 180.0), Map.entry("4b", 1680.0), Map.entry("5t", 30.0),
                Map.entry("5b", 64.0), Map.entry("6m1", 60.87), Map.entry("6m2", 60.45), Map.entry("6m4", 64.18));
        assertEquals(measured.keySet(), Set.copyOf(TABLE.fitRows().stream().map(Calibration.Row::id).toList()));
        for (Calibration.Row r : TABLE.fitRows()) assertEquals(measured.get(r.id()), r.measured(), 1e-12, r.id());
        assertEquals(208, TABLE.row("5s").measured());
        assertEquals(1033, TABLE.row("5m").measured());
        assertEquals(Calibration.Role.LEFT_OUT, TABLE.row("6m4max").role());
    }

    @Test void everyFitRowWithin25PercentAndLeaveOneOutMedianWithin35() {
        for (Calibration.Row r : TABLE.fitRows()) {
            assertTrue(Math.abs(r.error()) <= 0.25, r.id() + ": estimate " + r.estimate() + " vs measured "
                    + r.measured());
            assertTrue(Double.isFinite(r.looError()), r.id());
        }
        assertTrue(TABLE.looMedianAbsError() <= 0.35, "leave-one-out median " + TABLE.looMedianAbsError());
    }

    @Test void bundledConstantsAreWhatTheFitFinds() {
        Calibration.Params bundled = BUNDLED.constants().params(), fitted = TABLE.params();
        assertEquals(bundled.matmul(), fitted.matmul(), 0.01 * bundled.matmul());
        assertEquals(bundled.reduction(), fitted.reduction(), 0.01 * bundled.reduction());
        assertEquals(bundled.evaluationMs(), fitted.evaluationMs(), 0.002);
        assertEquals(bundled.bandwidth(), fitted.bandwidth(), 0.01);
        // not identified: at its upper bound (docs/ane-notes.md)
        assertTrue(fitted.elementwise() > 0.5, "elementwise " + fitted.elementwise());
        // and the bundled constants give the table the planner prints (same estimates without refitting)
        for (Calibration.Row r : Calibration.rows(BUNDLED)) {
            if (r.role() == Calibration.Role.FIT) assertEquals(TABLE.row(r.id()).estimate(), r.estimate(),
                    0.02 * r.estimate(), r.id());
        }
    }

    @Test void bandwidthRowIsModelBytesOverTheEstimatedLatency() {
        // anemll-bench's _calculate_throughput: weight bytes / 1e9 / seconds
        ModelGraph head = Calibration.lmHeadOnly(Calibration.builtIn(Calibration.LLAMA_LM_HEAD, "head"));
        ChipProfile m1 = BUNDLED.get("M1");
        PlanTotals t = AnePlanner.plan(head, Calibration.APPLE_OPTIMIZED, m1, 1, 1, null).optimized();
        assertEquals(1_050_673_152L, Calibration.LM_HEAD_BYTES, "128256 x 4096 x 2 = Results.MD's 1050.67 MB");
        assertEquals(Calibration.LM_HEAD_BYTES / 1e9 / (t.latencyMs(m1) / 1e3), Calibration.rows(BUNDLED).stream()
                .filter(r -> r.id().equals("6m1")).findFirst().orElseThrow().estimate(), 1e-9);
        // the weights and the padded logits (128256 rows of 64 B) streamed once at the measured 60.87 GB/s, plus one op
        // and one evaluation overhead
        CostConstants k = m1.constants();
        double ms = (Calibration.LM_HEAD_BYTES + 128256L * 64) / 60.87e9 * 1e3 + k.opOverheadMs().value()
                + k.evaluationOverheadMs().value();
        assertEquals(ms, t.latencyMs(m1), 1e-9);
    }

    @Test void leaveOneOutOfABandwidthRowForgetsTheChipsMeasurement() {
        // Without its own measurement the M4 gets share x 120 GB/s SoC: the share, refitted without the row, lies in
        // its bounds, so the estimate lies between 0.14 and 0.89 of 120 GB/s (less the fixed overheads)
        double loo = TABLE.row("6m4").looEstimate();
        assertTrue(loo < 0.89 * 120 && loo > 0.14 * 120 * 0.9, "LOO " + loo);
        assertTrue(Math.abs(TABLE.row("6m4").looError()) > Math.abs(TABLE.row("6m4").error()));
    }

    @Test void fitIsDeterministic() {
        assertEquals(Calibration.fit(BUNDLED), Calibration.fit(BUNDLED));
    }

    @Test void calibrationOnAMeasurementMakesTheEstimateMatchIt() {
        ModelGraph g = Calibration.distilbertBase();
        ChipProfile a15 = BUNDLED.get("A15");
        double before = AnePlanner.plan(g, Calibration.APPLE_OPTIMIZED, a15, 1, 128, null).optimized().latencyMs();
        for (double measured : new double[]{3.47, 1.5 * before, 0.7 * before}) {
            DeviceCalibration c = Calibration.calibrateOnMeasurement(g, Calibration.APPLE_OPTIMIZED, a15, 1, 128,
                    PlanOptions.DEFAULT, measured, "distilbert seq 128");
            assertEquals(measured, c.estimatedMs(), 1e-6 * measured);
            assertEquals(before, c.estimatedBeforeMs(), 1e-9);
            assertEquals("A15", c.basedOn());
            PlanResult after = AnePlanner.plan(g, Calibration.APPLE_OPTIMIZED, a15.withCalibration(c), 1, 128, null);
            assertEquals(measured, after.optimized().latencyMs(), 1e-6 * measured,
                    "the planner itself now estimates the measurement");
            assertTrue(after.label().contains("calibrated on your measurement"), after.label());
            assertTrue(measured > before ? c.scale() < 1 : c.scale() > 1);
        }
        // below the fixed overheads (74 ops x 4 us + one evaluation) no throughput explains it
        AnewbException e = assertThrows(AnewbException.class, () -> Calibration.calibrateOnMeasurement(g,
                Calibration.APPLE_OPTIMIZED, a15, 1, 128, PlanOptions.DEFAULT, 0.05, "w"));
        assertTrue(e.getMessage().contains("fixed overheads"), e.getMessage());
    }
}

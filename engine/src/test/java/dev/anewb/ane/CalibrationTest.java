package dev.anewb.ane;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Row 1 is the calibration point; rows 2–4 validate ratios within a factor of 2 (spec/ane-model.md). */
class CalibrationTest {
    static final Map<String, Calibration.Row> ROWS = new HashMap<>();

    static {
        for (Calibration.Row r : Calibration.rows(ChipProfiles.bundled())) ROWS.put(r.id(), r);
    }

    @Test void row1WithinTenPercent() {
        assertEquals(3.47, ROWS.get("1").estimate(), 0.347);
    }

    @Test void bundledEfficiencyIsWhatRow1Solves() {
        double solved = Calibration.solveEfficiency(ChipProfiles.bundled().get("A15"));
        assertEquals(ChipProfiles.bundled().constants().efficiency().value(), solved, 0.001);
    }

    @Test void ratiosOfRows2To4WithinAFactorOf2() {
        // measured: row 2/1 9.89/3.47 = 2.85×; row 3 170/20 = 8.5×, memory 370/98 = 3.8×; row 4 1680/180 = 9.3×, memory 2150/153 = 14×
        for (String id : List.of("2r", "3r", "3mr", "4r", "4mr")) {
            Calibration.Row r = ROWS.get(id);
            double q = r.estimate() / r.measured();
            assertTrue(q >= 0.5 && q <= 2, id + ": estimate " + r.estimate() + " vs measured " + r.measured());
        }
    }

    /** Rows 5 and 6 are validation rows printed with their error; no bound is asserted on the error itself. */
    @Test void whisperAndLlamaRowsArePlannedWithAnError() {
        for (String id : List.of("5", "5b", "6", "6m4")) {
            Calibration.Row r = ROWS.get(id);
            assertTrue(r.plannable(), id);
            assertTrue(r.estimate() > 0 && Double.isFinite(r.error()), id + ": " + r.estimate());
        }
        // base has 1.33x the width and 1.5x the layers of tiny: its encoder must cost more
        assertTrue(ROWS.get("5b").estimate() > ROWS.get("5").estimate());
        assertTrue(ROWS.get("5").note().contains("M1 profile"));
        assertFalse(ROWS.get("6p").plannable());
    }
}

package dev.anewb.ane;

import dev.anewb.AnewbException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChipProfilesTest {
    static final ChipProfiles BUNDLED = ChipProfiles.bundled();

    @Test void everyChipOfIssue20IsThereWithSourcedFigures() {
        assertEquals(List.of("A14", "A15", "A16", "A17 Pro", "A18 Pro", "M1", "M1 Pro", "M1 Max", "M2", "M3", "M3 Max",
                "M4",
                "M4 Pro", "M4 Max", "M5"), BUNDLED.names());
        for (ChipProfile c : BUNDLED.all().values()) {
            List<Figure> figures = new ArrayList<>(List.of(c.aneCores(), c.peakTops(), c.fp16Tflops(), c.dramGbPerS(),
                    c.bufferMb(),
                    c.modelWeightLimitMb()));
            if (c.aneGbPerS() != null) figures.add(c.aneGbPerS());
            for (Figure f : figures) assertFalse(f.source().isBlank(), c.name());
            assertEquals(16, c.aneCores().value(), c.name());
        }
    }

    /**
     * The figures as their sources state them (hollance/neural-engine, anemll-bench Results.MD, maderix/ANE README).
     */
    @Test void figuresAreTheSourcesNumbers() {
        double[][] tops = {{11}, {15.8}, {17}, {35}, {35}, {11}, {11}, {11}, {15.8}, {18}, {18}, {38}, {38}, {38}};
        List<String> names = BUNDLED.names();
        for (int i = 0; i < tops.length; i++) assertEquals(tops[i][0], BUNDLED.get(names.get(i)).peakTops().value(),
                names.get(i));
        // anemll-bench Results.MD llama_lm_head bandwidth, GB/s
        String[] chips = {"M1", "M1 Pro", "M1 Max", "M2", "M3", "M3 Max", "M4", "M4 Pro", "M4 Max", "M5"};
        double[] ane = {60.87, 54.90, 54.62, 60.45, 63.10, 120.22, 64.18, 126.36, 118.88, 70.21};
        double[] soc = {68.25, 200, 400, 100, 100, 400, 120, 273, 546, 153};
        for (int i = 0; i < chips.length; i++) {
            ChipProfile c = BUNDLED.get(chips[i]);
            assertEquals(ane[i] * 1e9, c.dramBytesPerSecond(), 1, chips[i]);
            assertEquals(soc[i], c.dramGbPerS().value(), 1e-9, chips[i]);
            assertEquals("E", c.aneGbPerS().confidence());
        }
        // maderix/ANE README: FP16 18.6 TOPS measured on M4; INT8-basis chips run FP16 at half their TOPS otherwise
        assertEquals(18.6, BUNDLED.get("M4").fp16Tflops().value());
        assertEquals(35e12, BUNDLED.get("A17 Pro").int8OpsPerSecond(), 1);
        assertEquals(17.5e12, BUNDLED.get("A17 Pro").fp16FlopsPerSecond(), 1);
        // no int8 x int8 path before A17 Pro / M4: INT8 ops run at the FP16 rate
        assertEquals(15.8e12, BUNDLED.get("A15").int8OpsPerSecond(), 1);
        assertEquals("?", BUNDLED.get("M5").peakTops().confidence(), "Apple published no M5 Neural Engine TOPS");
    }

    @Test void chipsWithoutAMeasuredAneBandwidthGetTheFittedShareOfTheSocFigure() {
        ChipProfile a15 = BUNDLED.get("A15");
        assertNull(a15.aneGbPerS());
        double share = BUNDLED.constants().bandwidthUtilization().value();
        assertEquals(34.1e9 * share, a15.dramBytesPerSecond(), 1);
        assertEquals(68.25e9 * share, BUNDLED.get("M1").withoutAneBandwidth().dramBytesPerSecond(), 1);
        assertTrue(a15.summary().contains("SoC"), a15.summary());
    }

    @Test void modelWeightLimitIsIosOrMacos() {
        // Anemll/Anemll README: 1GB per model on iOS, ~2GB on macOS; the ANE compiler's maximum is 2147483648 bytes
        assertEquals(1L << 30, BUNDLED.get("A18 Pro").modelWeightLimitBytes());
        assertEquals(2_147_483_648L, BUNDLED.get("M4 Max").modelWeightLimitBytes());
    }

    @Test void unknownChipListsTheChips() {
        AnewbException e = assertThrows(AnewbException.class, () -> BUNDLED.get("A99"));
        assertTrue(e.getMessage().contains("A99") && e.getMessage().contains("A17 Pro")
                && e.getMessage().contains("M4"), e.getMessage());
    }

    @Test void userFileOverridesOneFigureAndAddsAChip(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("chips.json");
        Files.writeString(f, """
                {"chips": {"A15": {"buffer_mb": {"value": 8, "source": "my measurement", "confidence": "E"}},
                           "X1": {"ane_cores": {"value": 8, "source": "s", "confidence": "?"},
                            "peak_tops": {"value": 4, "source": "s", "confidence": "?"},
                                  "tops_basis": "FP16", "fp16_tflops": {"value": 4, "source": "s", "confidence": "?"},
                                  "dram_gb_per_s": {"value": 10, "source": "s", "confidence": "?"},
                                   "buffer_mb": {"value": 1, "source": "s", "confidence": "?"}}}}""");
        ChipProfiles p = ChipProfiles.load(f);
        assertEquals(8L << 20, p.get("A15").bufferBytes());
        assertEquals("my measurement", p.get("A15").bufferMb().source());
        assertEquals(15.8, p.get("A15").peakTops().value(), 0);
        assertEquals(1L << 20, p.get("x1").bufferBytes());
        assertEquals("?", p.get("x1").modelWeightLimitMb().confidence(),
                "a user chip without the limit gets the documented default");
    }

    @Test void badUserFileIsAnErrorNamingIt(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("chips.json");
        Files.writeString(f, "{\"chips\": {\"A15\": ");
        AnewbException e = assertThrows(AnewbException.class, () -> ChipProfiles.load(f));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        Files.writeString(f, "{\"chips\": {\"X2\": {\"tops_basis\": \"FP16\"}}}");
        e = assertThrows(AnewbException.class, () -> ChipProfiles.load(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("X2"), e.getMessage());
        Files.writeString(f, "{\"chips\": {\"X3\": {\"based_on\": \"A99\"}}}");
        e = assertThrows(AnewbException.class, () -> ChipProfiles.load(f));
        assertTrue(e.getMessage().contains("A99"), e.getMessage());
    }

    @Test void savedCalibrationIsAUserChipBasedOnTheBundledOneAndKeepsTheRestOfTheFile(@TempDir Path dir)
            throws Exception {
        Path f = dir.resolve("sub").resolve("chips.json");
        ChipProfiles.saveCalibrated(f, "my iPhone", new DeviceCalibration(0.8, "A15", "distilbert seq 128", 4.2, 4.2,
                3.5));
        ChipProfiles p = ChipProfiles.load(f);
        ChipProfile mine = p.get("my iphone");
        assertEquals(0.8, mine.calibrationScale());
        assertEquals("A15", mine.calibration().basedOn());
        assertEquals(BUNDLED.get("A15").fp16Tflops(), mine.fp16Tflops(), "every figure comes from the base chip");
        assertTrue(mine.figureLines().getFirst().startsWith("calibrated on your measurement"),
                mine.figureLines().getFirst());
        assertTrue(mine.summary().contains("measured 4.20 ms") && mine.summary().contains("estimate 4.20 ms"),
                mine.summary());
        // a second save replaces that chip's calibration and keeps other user settings
        Files.writeString(f, Files.readString(f).replace("\"chips\"",
                "\"constants\": {\"cpu_handoff_ms\": {\"value\": 0.07, "
                + "\"source\": \"mine\", \"confidence\": \"E\"}}, \"chips\""));
        ChipProfiles.saveCalibrated(f, "My iPhone", new DeviceCalibration(1.25, "A15", "minilm seq 64", 2.0, 2.0, 2.5));
        p = ChipProfiles.load(f);
        assertEquals(1.25, p.get("my iPhone").calibrationScale());
        assertEquals(0.07, p.constants().cpuHandoffMs().value());
        assertEquals(1, p.names().stream().filter(n -> n.equalsIgnoreCase("my iphone")).count());
        // calibrating a bundled chip writes only its calibration
        ChipProfiles.saveCalibrated(f, "m4", new DeviceCalibration(1.1, "M4", "w", 1, 1, 1.1));
        assertEquals(1.1, ChipProfiles.load(f).get("M4").calibrationScale());
        assertFalse(Files.readString(f).contains("\"based_on\" : \"M4\""));
    }

    @Test void configDirPropertyPicksTheUserFile(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("chips.json"),
                "{\"chips\": {\"M4\": {\"buffer_mb\": {\"value\": 16, \"source\": \"me\", \"confidence\": \"L\"}}}}");
        String old = System.getProperty("anewb.config.dir");
        System.setProperty("anewb.config.dir", dir.toString());
        try {
            assertEquals(16L << 20, ChipProfiles.load().get("M4").bufferBytes());
        } finally {
            if (old == null) System.clearProperty("anewb.config.dir"); else System.setProperty("anewb.config.dir", old);
        }
    }

    @Test void sramOverrideReplacesTheBufferForOneRun() {
        ChipProfile c = BUNDLED.get("A15").withBufferMb(0.5);
        assertEquals(1L << 19, c.bufferBytes());
        assertTrue(c.bufferOverridden());
    }
}

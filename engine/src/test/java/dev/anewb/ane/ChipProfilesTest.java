package dev.anewb.ane;

import dev.anewb.AnewbException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChipProfilesTest {
    @Test void everyChipOfTheSpecTableIsThereWithSourcedFigures() {
        ChipProfiles p = ChipProfiles.bundled();
        assertEquals(List.of("A14", "A15", "A16", "A17 Pro", "A18 Pro", "M1", "M2", "M3", "M4"), p.names());
        for (ChipProfile c : p.all().values()) {
            for (Figure f : List.of(c.aneCores(), c.peakTops(), c.fp16Tflops(), c.dramGbPerS(), c.bufferMb())) {
                assertTrue(!f.source().isBlank(), c.name());
            }
        }
        ChipProfile a15 = p.get("a15");
        assertEquals(15.8e12, a15.fp16FlopsPerSecond(), 1);
        assertEquals(34.1e9, a15.dramBytesPerSecond(), 1);
        assertEquals(4L << 20, a15.bufferBytes());
        // INT8-basis chips: FP16 is about half the quoted TOPS (35 / 2)
        assertEquals(17.5, p.get("A17-Pro").fp16Tflops().value(), 1e-12);
        assertEquals("E", p.constants().energyPjPerFlop().confidence());
    }

    @Test void unknownChipListsTheChips() {
        AnewbException e = assertThrows(AnewbException.class, () -> ChipProfiles.bundled().get("A99"));
        assertTrue(e.getMessage().contains("A99") && e.getMessage().contains("A17 Pro") && e.getMessage().contains("M4"), e.getMessage());
    }

    @Test void userFileOverridesOneFigureAndAddsAChip(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("chips.json");
        Files.writeString(f, """
                {"chips": {"A15": {"buffer_mb": {"value": 8, "source": "my measurement", "confidence": "E"}},
                           "X1": {"ane_cores": {"value": 8, "source": "s", "confidence": "?"}, "peak_tops": {"value": 4, "source": "s", "confidence": "?"},
                                  "tops_basis": "FP16", "fp16_tflops": {"value": 4, "source": "s", "confidence": "?"},
                                  "dram_gb_per_s": {"value": 10, "source": "s", "confidence": "?"}, "buffer_mb": {"value": 1, "source": "s", "confidence": "?"}}}}""");
        ChipProfiles p = ChipProfiles.load(f);
        assertEquals(8L << 20, p.get("A15").bufferBytes());
        assertEquals("my measurement", p.get("A15").bufferMb().source());
        assertEquals(15.8, p.get("A15").peakTops().value(), 0);
        assertEquals(1L << 20, p.get("x1").bufferBytes());
    }

    @Test void badUserFileIsAnErrorNamingIt(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("chips.json");
        Files.writeString(f, "{\"chips\": {\"A15\": ");
        AnewbException e = assertThrows(AnewbException.class, () -> ChipProfiles.load(f));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        Files.writeString(f, "{\"chips\": {\"X2\": {\"tops_basis\": \"FP16\"}}}");
        e = assertThrows(AnewbException.class, () -> ChipProfiles.load(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("X2"), e.getMessage());
    }

    @Test void configDirPropertyPicksTheUserFile(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("chips.json"), "{\"chips\": {\"M4\": {\"buffer_mb\": {\"value\": 16, \"source\": \"me\", \"confidence\": \"L\"}}}}");
        String old = System.getProperty("anewb.config.dir");
        System.setProperty("anewb.config.dir", dir.toString());
        try {
            assertEquals(16L << 20, ChipProfiles.load().get("M4").bufferBytes());
        } finally {
            if (old == null) System.clearProperty("anewb.config.dir"); else System.setProperty("anewb.config.dir", old);
        }
    }

    @Test void sramOverrideReplacesTheBufferForOneRun() {
        ChipProfile c = ChipProfiles.bundled().get("A15").withBufferMb(0.5);
        assertEquals(1L << 19, c.bufferBytes());
        assertTrue(c.bufferOverridden());
    }
}

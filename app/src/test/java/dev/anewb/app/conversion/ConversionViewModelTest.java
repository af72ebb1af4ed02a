package dev.anewb.app.conversion;

import dev.anewb.app.jobs.FxJobs;
import dev.anewb.app.session.Session;
import dev.anewb.app.settings.SettingsStore;
import dev.anewb.model.Conversion;
import dev.anewb.quant.BlockQuantizer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The conversion panel's logic without a screen: every control edits the session's Conversion, validated by the engine.
 */
class ConversionViewModelTest {
    private final FxJobs jobs = new FxJobs();
    private final Session session = new Session(SettingsStore.inMemory(), jobs);
    private final ConversionViewModel vm = new ConversionViewModel(session);

    @AfterEach void close() { jobs.close(); }

    @Test void startsFromTheSessionsConversionAndWritesEveryChangeBack() {
        assertEquals(Conversion.ANE_DEFAULT, vm.toConversion());
        vm.blockSizeProperty().set(32);
        assertEquals(32, session.conversion().blockSize());
        vm.choosePreset(256);
        assertEquals(256, session.conversion().blockSize());
        vm.symmetricProperty().set(true);
        vm.precisionProperty().set(Conversion.Precision.FP32);
        vm.layoutProperty().set(Conversion.Layout.HF);
        assertEquals(new Conversion(Conversion.Layout.HF, Conversion.Precision.FP32, true, 256, true, List.of(),
                Map.of(), 0, 0), session.conversion());
        vm.perChannelProperty().set(true);
        assertEquals(BlockQuantizer.PER_CHANNEL, session.conversion().blockSize());
        vm.choosePreset(64);
        assertFalse(vm.perChannelProperty().get(), "a preset leaves per-channel");
        assertEquals(64, session.conversion().blockSize());
    }

    @Test void invalidChunkingShowsTheEnginesMessageAndKeepsTheLastValidConversion() {
        vm.chunkWindowProperty().set(16);
        vm.chunkOverlapProperty().set(16);
        assertEquals("chunk overlap 16 must be smaller than the window 16", vm.problemBinding().get());
        assertEquals(16, session.conversion().chunkWindow());
        assertEquals(0, session.conversion().chunkOverlap(), "the invalid overlap never reaches the session");
        vm.chunkOverlapProperty().set(4);
        assertNull(vm.problemBinding().get());
        assertEquals(4, session.conversion().chunkOverlap());
        vm.chunkWindowProperty().set(0);
        assertTrue(vm.problemBinding().get().contains("needs --chunk-window"), vm.problemBinding().get());
    }

    @Test void blockSizeBelowEightIsRefusedInline() {
        vm.blockSizeProperty().set(7);
        assertTrue(vm.problemBinding().get().contains("at least 8"), vm.problemBinding().get());
        assertEquals(128, session.conversion().blockSize());
        vm.blockSizeProperty().set(8);
        assertNull(vm.problemBinding().get());
        assertEquals(8, session.conversion().blockSize());
    }

    @Test void overridesBecomeKeepFp16AndBlockOverrides() {
        assertTrue(vm.addOverride("layer\\.0\\.", "keep FP16"));
        assertTrue(vm.addOverride("output\\.dense", "32"));
        assertEquals(List.of("layer\\.0\\."), session.conversion().keepFp16());
        assertEquals(Map.of("output\\.dense", 32), session.conversion().blockOverrides());
        assertFalse(vm.addOverride("x", "big"));
        assertTrue(vm.errorProperty().get().contains("neither"), vm.errorProperty().get());
        assertFalse(vm.addOverride(" ", "32"));
        vm.overrides().clear();
        assertTrue(session.conversion().keepFp16().isEmpty());
    }

    @Test void sampleTextIsOneTextPerLineAndNeverEmpty() {
        vm.sampleTextProperty().set("first text\n\n  second text  \n");
        assertEquals(List.of("first text", "second text"), session.sampleTexts());
        vm.sampleTextProperty().set("  \n");
        assertNotNull(vm.problemBinding().get());
        assertEquals(List.of("first text", "second text"), session.sampleTexts(), "an empty box keeps the last texts");
    }
}

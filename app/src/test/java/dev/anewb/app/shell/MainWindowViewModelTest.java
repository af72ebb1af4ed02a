package dev.anewb.app.shell;

import dev.anewb.app.area.AreaViewModel;
import dev.anewb.app.jobs.FxJobs;
import dev.anewb.app.layout.LayoutViewModel;
import dev.anewb.app.memory.MemoryViewModel;
import dev.anewb.app.session.Session;
import dev.anewb.app.settings.SettingsStore;
import dev.anewb.app.theme.AppTheme;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** The main window's state without a screen: no toolkit is started here. */
class MainWindowViewModelTest {
    @TempDir Path dir;
    private final FxJobs jobs = new FxJobs();

    @AfterEach void close() { jobs.close(); }

    @Test void toggleThemeFlipsAndIsRemembered() {
        MainWindowViewModel vm = new MainWindowViewModel(SettingsStore.at(dir), jobs, null);
        assertEquals(AppTheme.LIGHT, vm.themeProperty().get());
        vm.toggleTheme();
        assertEquals(AppTheme.DARK, vm.themeProperty().get());
        assertEquals(AppTheme.DARK, SettingsStore.at(dir).get().theme(), "a new run starts dark");
        assertEquals(AppTheme.DARK, new MainWindowViewModel(SettingsStore.at(dir), jobs, null).themeProperty().get());
        vm.toggleTheme();
        assertEquals(AppTheme.LIGHT, SettingsStore.at(dir).get().theme());
    }

    @Test void shortcutNumbersSelectAreasInNavigationOrder() {
        MainWindowViewModel vm = new MainWindowViewModel(SettingsStore.inMemory(), jobs, null);
        assertEquals(Area.MODEL, vm.selectedAreaProperty().get(), "starts on Model");
        Area[] expected = {Area.MODEL, Area.DRIFT, Area.MEMORY, Area.LAYOUT, Area.WEIGHTS, Area.GRAPH, Area.SWEEP,
            Area.RUN, Area.EXPORT};
        for (int n = 9; n >= 1; n--) {
            assertTrue(vm.selectNumber(n));
            assertEquals(expected[n - 1], vm.selectedAreaProperty().get());
        }
        assertFalse(vm.selectNumber(10));
        assertFalse(vm.selectNumber(0));
        assertEquals(Area.MODEL, vm.selectedAreaProperty().get(), "an unknown number leaves the selection alone");
    }

    @Test void selectionNeverBecomesEmpty() {
        MainWindowViewModel vm = new MainWindowViewModel(SettingsStore.inMemory(), jobs, null);
        vm.select(Area.RUN);
        vm.selectedAreaProperty().set(null);
        assertEquals(Area.RUN, vm.selectedAreaProperty().get());
    }

    @Test void headerSaysNoModelAndNamesTheRequestedOne() {
        MainWindowViewModel vm = new MainWindowViewModel(SettingsStore.inMemory(), jobs, "bundled:all-MiniLM-L6-v2");
        assertEquals("No model loaded", vm.modelTitleProperty().get());
        assertEquals("bundled:all-MiniLM-L6-v2", vm.requestedModel());
        assertTrue(vm.modelDetailsProperty().get().contains("bundled:all-MiniLM-L6-v2"));
        assertFalse(new MainWindowViewModel(SettingsStore.inMemory(), jobs, null).modelDetailsProperty().get()
                .contains("null"));
    }

    @Test void placeholderAreasDescribeWhatTheyWillHoldWithoutFigures() {
        var session = new Session(SettingsStore.inMemory(), jobs);
        // Memory and Layout wait for the ANE planner; building their view models needs no toolkit.
        for (AreaViewModel vm : new AreaViewModel[]{new MemoryViewModel(session), new LayoutViewModel(session)}) {
            assertFalse(vm.purposeProperty().get().isBlank());
            assertFalse(vm.contents().isEmpty());
            assertTrue(vm.hintProperty().get().startsWith("Load"), "hint says what to do first");
            String all = vm.purposeProperty().get() + String.join(" ", vm.contents());
            assertFalse(all.replaceAll("INT8|FP16|FP32|L2|BC1S|hidden_states\\.i", "").matches(".*\\d.*"), all);
        }
    }
}

package dev.anewb.app.settings;

import dev.anewb.app.theme.AppTheme;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class SettingsStoreTest {
    @TempDir Path dir;

    @Test void savedSettingsAreReadBackByANewStore() {
        SettingsStore store = SettingsStore.at(dir);
        assertEquals(AppTheme.LIGHT, store.get().theme(), "default before anything is saved");
        store.update(s -> s.withTheme(AppTheme.DARK).withWindow(new Settings.WindowGeometry(10, 20, 1400, 900, false)));

        Settings again = SettingsStore.at(dir).get();
        assertEquals(AppTheme.DARK, again.theme());
        assertEquals(new Settings.WindowGeometry(10, 20, 1400, 900, false), again.window());
    }

    @Test void savingLeavesOnlyTheSettingsFileBehind() throws IOException {
        SettingsStore store = SettingsStore.at(dir.resolve("nested"));
        store.update(s -> s.withTheme(AppTheme.DARK));
        store.update(s -> s.withTheme(AppTheme.LIGHT));
        try (Stream<Path> files = Files.list(dir.resolve("nested"))) {
            assertEquals(List.of(dir.resolve("nested").resolve(SettingsStore.FILE_NAME)), files.toList(),
                    "the temp file must be renamed onto settings.json, not left next to it");
        }
        assertTrue(Files.readString(store.file()).contains("\"LIGHT\""));
    }

    @Test void aBrokenFileGivesDefaultsInsteadOfFailing() throws IOException {
        Files.writeString(dir.resolve(SettingsStore.FILE_NAME), "{\"theme\": \"DARK\", \"window\": ");
        assertEquals(Settings.defaults(), SettingsStore.at(dir).get());
        Files.writeString(dir.resolve(SettingsStore.FILE_NAME), "{\"theme\": \"SEPIA\", \"futureKey\": 3}");
        assertEquals(AppTheme.LIGHT, SettingsStore.at(dir).get().theme(), "unknown theme names fall back to light");
    }

    @Test void configDirPropertyOverridesThePlatformFolder() {
        String old = System.getProperty(SettingsStore.CONFIG_DIR_PROPERTY);
        try {
            System.setProperty(SettingsStore.CONFIG_DIR_PROPERTY, dir.toString());
            assertEquals(dir.resolve(SettingsStore.FILE_NAME), SettingsStore.forUser().file());
            System.clearProperty(SettingsStore.CONFIG_DIR_PROPERTY);
            Path platform = SettingsStore.configDir();
            assertTrue(platform.endsWith("anewb") || platform.endsWith("ANE Workbench"), platform.toString());
        } finally {
            if (old == null) System.clearProperty(SettingsStore.CONFIG_DIR_PROPERTY);
            else System.setProperty(SettingsStore.CONFIG_DIR_PROPERTY, old);
        }
    }

    @Test void inMemoryStoreNeverWrites() throws IOException {
        SettingsStore store = SettingsStore.inMemory();
        store.update(s -> s.withTheme(AppTheme.DARK));
        assertEquals(AppTheme.DARK, store.get().theme());
        assertNull(store.file());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(0, files.count());
        }
    }
}

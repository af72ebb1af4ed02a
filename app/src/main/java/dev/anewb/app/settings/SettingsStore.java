package dev.anewb.app.settings;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.anewb.io.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * Loads and saves {@link Settings} as {@code settings.json} in the user's config folder. A missing or unreadable
 * file gives the defaults (a broken settings file must never stop the app from starting); saving writes a temp
 * file and renames it so a crash mid-write cannot leave half a file.
 */
public final class SettingsStore {
    /** Overrides the config folder (tests, portable installs). */
    public static final String CONFIG_DIR_PROPERTY = "anewb.config.dir";
    public static final String FILE_NAME = "settings.json";

    private static final System.Logger LOG = System.getLogger(SettingsStore.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.READ_UNKNOWN_ENUM_VALUES_AS_NULL)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Path file;   // null: remember in memory only
    private Settings current;

    private SettingsStore(Path file, Settings initial) {
        this.file = file;
        this.current = initial;
    }

    /** The store in the user's config folder (or {@value #CONFIG_DIR_PROPERTY} when set). */
    public static SettingsStore forUser() { return at(configDir()); }

    public static SettingsStore at(Path dir) {
        Path f = dir.resolve(FILE_NAME);
        return new SettingsStore(f, read(f));
    }

    /**
     * A store that never touches the disk: the self-test renders with defaults and must not change the user's settings.
     */
    public static SettingsStore inMemory() { return new SettingsStore(null, Settings.defaults()); }

    /** The settings file, or null for an in-memory store. */
    public Path file() { return file; }

    public synchronized Settings get() { return current; }

    /** Applies {@code change} and writes the result. */
    public synchronized Settings update(UnaryOperator<Settings> change) {
        current = change.apply(current);
        if (file != null) write(file, current);
        return current;
    }

    /** Per platform: macOS Application Support, Windows %APPDATA%, otherwise XDG ({@code ~/.config/anewb}). */
    public static Path configDir() {
        String override = System.getProperty(CONFIG_DIR_PROPERTY);
        if (override != null && !override.isBlank()) return Path.of(override);
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        Path home = Path.of(System.getProperty("user.home"));
        if (os.contains("mac")) return home.resolve("Library/Application Support/ANE Workbench");
        if (os.contains("win")) {
            String appData = System.getenv("APPDATA");
            return (appData != null ? Path.of(appData) : home.resolve("AppData/Roaming")).resolve("ANE Workbench");
        }
        String xdg = System.getenv("XDG_CONFIG_HOME");
        return (xdg != null && !xdg.isBlank() ? Path.of(xdg) : home.resolve(".config")).resolve("anewb");
    }

    private static Settings read(Path f) {
        if (!Files.isRegularFile(f)) return Settings.defaults();
        try {
            Settings s = JSON.readValue(f.toFile(), Settings.class);
            return s == null ? Settings.defaults() : s;
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, f + ": unreadable settings, using defaults (" + e.getMessage() + ")");
            return Settings.defaults();
        }
    }

    private static void write(Path f, Settings s) {
        try {
            byte[] json = JSON.writeValueAsBytes(s);
            AtomicFiles.write(f, out -> out.write(json));
        } catch (IOException e) {
            // Losing a remembered window size is not worth interrupting the user for.
            LOG.log(System.Logger.Level.WARNING, f + ": could not save settings (" + e.getMessage() + ")");
        }
    }
}

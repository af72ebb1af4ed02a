package dev.anewb.app.settings;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.anewb.app.theme.AppTheme;

import java.util.ArrayList;
import java.util.List;

/**
 * What the workbench remembers between runs. Immutable; change it through {@link SettingsStore#update}.
 *
 * @param theme        the chosen look
 * @param window       the main window's last bounds, or null before the first close
 * @param recentModels model references opened before, most recent first (at most {@link #MAX_RECENT})
 * @param chip         the chip profile Memory and Layout plan for ({@link #DEFAULT_CHIP} when unset)
 * @param bufferMb     the on-chip buffer override in MB, or null for the profile's own figure
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Settings(AppTheme theme, WindowGeometry window, List<String> recentModels, String chip, Double bufferMb) {
    public static final int MAX_RECENT = 8;
    /** The chip `anewb plan` defaults to. */
    public static final String DEFAULT_CHIP = "A15";

    /** Window bounds in screen coordinates. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record WindowGeometry(double x, double y, double width, double height, boolean maximized) { }

    public static Settings defaults() { return new Settings(AppTheme.LIGHT, null, List.of()); }

    public Settings {
        if (theme == null) theme = AppTheme.LIGHT;
        recentModels = recentModels == null ? List.of() : List.copyOf(recentModels);
        if (chip == null || chip.isBlank()) chip = DEFAULT_CHIP;
        if (bufferMb != null && !(bufferMb > 0)) bufferMb = null;
    }

    public Settings(AppTheme theme, WindowGeometry window, List<String> recentModels) {
        this(theme, window, recentModels, null, null);
    }

    public Settings(AppTheme theme, WindowGeometry window) { this(theme, window, List.of()); }

    public Settings withTheme(AppTheme t) { return new Settings(t, window, recentModels, chip, bufferMb); }

    public Settings withWindow(WindowGeometry w) { return new Settings(theme, w, recentModels, chip, bufferMb); }

    /** The chip profile and buffer override the planner areas use (null buffer: the profile's figure). */
    public Settings withChip(String name, Double mb) { return new Settings(theme, window, recentModels, name, mb); }

    /** {@code model} first, without duplicates, capped at {@link #MAX_RECENT}. */
    public Settings withRecentModel(String model) {
        List<String> next = new ArrayList<>();
        next.add(model);
        for (String m : recentModels) if (!m.equals(model) && next.size() < MAX_RECENT) next.add(m);
        return new Settings(theme, window, next, chip, bufferMb);
    }
}

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
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Settings(AppTheme theme, WindowGeometry window, List<String> recentModels) {
    public static final int MAX_RECENT = 8;

    /** Window bounds in screen coordinates. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record WindowGeometry(double x, double y, double width, double height, boolean maximized) { }

    public static Settings defaults() { return new Settings(AppTheme.LIGHT, null, List.of()); }

    public Settings {
        if (theme == null) theme = AppTheme.LIGHT;
        recentModels = recentModels == null ? List.of() : List.copyOf(recentModels);
    }

    public Settings(AppTheme theme, WindowGeometry window) { this(theme, window, List.of()); }

    public Settings withTheme(AppTheme t) { return new Settings(t, window, recentModels); }

    public Settings withWindow(WindowGeometry w) { return new Settings(theme, w, recentModels); }

    /** {@code model} first, without duplicates, capped at {@link #MAX_RECENT}. */
    public Settings withRecentModel(String model) {
        List<String> next = new ArrayList<>();
        next.add(model);
        for (String m : recentModels) if (!m.equals(model) && next.size() < MAX_RECENT) next.add(m);
        return new Settings(theme, window, next);
    }
}

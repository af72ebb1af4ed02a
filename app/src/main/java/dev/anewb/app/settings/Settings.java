package dev.anewb.app.settings;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.anewb.app.theme.AppTheme;

/**
 * What the workbench remembers between runs. Immutable; change it through {@link SettingsStore#update}.
 *
 * @param theme  the chosen look
 * @param window the main window's last bounds, or null before the first close
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Settings(AppTheme theme, WindowGeometry window) {

    /** Window bounds in screen coordinates. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record WindowGeometry(double x, double y, double width, double height, boolean maximized) { }

    public static Settings defaults() { return new Settings(AppTheme.LIGHT, null); }

    public Settings {
        if (theme == null) theme = AppTheme.LIGHT;
    }

    public Settings withTheme(AppTheme t) { return new Settings(t, window); }

    public Settings withWindow(WindowGeometry w) { return new Settings(theme, w); }
}

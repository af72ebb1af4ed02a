package dev.anewb.app.theme;

import atlantafx.base.theme.CupertinoDark;
import atlantafx.base.theme.CupertinoLight;
import atlantafx.base.theme.Theme;
import javafx.application.Application;
import javafx.css.PseudoClass;
import javafx.scene.Parent;

/** The two looks of the workbench. Cupertino because the people using this tool deploy to Apple hardware. */
public enum AppTheme {
    LIGHT(new CupertinoLight()),
    DARK(new CupertinoDark());

    /** Set on the scene root in dark mode so the app stylesheet can adjust the few colours it owns. */
    public static final PseudoClass DARK_PSEUDO_CLASS = PseudoClass.getPseudoClass("dark");

    private final Theme theme;

    AppTheme(Theme theme) { this.theme = theme; }

    public String userAgentStylesheet() { return theme.getUserAgentStylesheet(); }

    public AppTheme other() { return this == LIGHT ? DARK : LIGHT; }

    /** Switches the whole application (AtlantaFX themes are user agent stylesheets) and marks {@code root}. */
    public void apply(Parent root) {
        Application.setUserAgentStylesheet(userAgentStylesheet());
        if (root != null) root.pseudoClassStateChanged(DARK_PSEUDO_CLASS, this == DARK);
    }
}

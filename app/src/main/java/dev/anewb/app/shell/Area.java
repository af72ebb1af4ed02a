package dev.anewb.app.shell;

import dev.anewb.app.area.AreaView;
import dev.anewb.app.drift.DriftView;
import dev.anewb.app.drift.DriftViewModel;
import dev.anewb.app.export.ExportView;
import dev.anewb.app.export.ExportViewModel;
import dev.anewb.app.layout.LayoutView;
import dev.anewb.app.layout.LayoutViewModel;
import dev.anewb.app.memory.MemoryView;
import dev.anewb.app.memory.MemoryViewModel;
import dev.anewb.app.model.ModelView;
import dev.anewb.app.model.ModelViewModel;
import dev.anewb.app.run.RunView;
import dev.anewb.app.run.RunViewModel;
import dev.anewb.app.weights.WeightsView;
import dev.anewb.app.weights.WeightsViewModel;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyCodeCombination;
import javafx.scene.input.KeyCombination;

import java.util.Locale;
import dev.anewb.app.session.Session;

import java.util.function.Function;

/** The workbench's areas in navigation order; the order also gives the Ctrl/Cmd+1..7 shortcuts. */
public enum Area {
    MODEL("Model", ModelView.ICON, session -> new ModelView(new ModelViewModel(session))),
    DRIFT("Drift", DriftView.ICON, session -> new DriftView(new DriftViewModel(session))),
    MEMORY("Memory", MemoryView.ICON, session -> new MemoryView(new MemoryViewModel(session))),
    LAYOUT("Layout", LayoutView.ICON, session -> new LayoutView(new LayoutViewModel(session))),
    WEIGHTS("Weights", WeightsView.ICON, session -> new WeightsView(new WeightsViewModel(session))),
    RUN("Run", RunView.ICON, session -> new RunView(new RunViewModel(session))),
    EXPORT("Export", ExportView.ICON, session -> new ExportView(new ExportViewModel(session)));

    private final String title;
    private final String iconPath;
    private final Function<Session, AreaView> factory;

    Area(String title, String iconPath, Function<Session, AreaView> factory) {
        this.title = title;
        this.iconPath = iconPath;
        this.factory = factory;
    }

    public String title() { return title; }

    public String iconPath() { return iconPath; }

    /** Builds the area's view with a fresh view model reading {@code session} (FX thread). */
    public AreaView createView(Session session) { return factory.apply(session); }

    /** 1 for the first area. */
    public int number() { return ordinal() + 1; }

    /** Ctrl+N (Cmd+N on macOS). */
    public KeyCodeCombination shortcut() {
        return new KeyCodeCombination(KeyCode.valueOf("DIGIT" + number()), KeyCombination.SHORTCUT_DOWN);
    }

    /** Lower-case name used for file names and node ids ("drift"). */
    public String key() { return name().toLowerCase(Locale.ROOT); }

    /** The area reached with shortcut number {@code n}, or null when there is none. */
    public static Area byNumber(int n) {
        Area[] all = values();
        return n >= 1 && n <= all.length ? all[n - 1] : null;
    }
}

package dev.anewb.app.shell;

import dev.anewb.app.export.ExportView;
import dev.anewb.app.run.RunView;
import javafx.geometry.Insets;
import javafx.scene.Node;
import javafx.scene.control.Label;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyCodeCombination;
import javafx.scene.input.KeyCombination;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.VBox;

import java.util.ArrayList;
import java.util.List;

/**
 * Every keyboard shortcut of the main window with what it does: the scene's accelerators and the help popover
 * (F1, "?" in the header) are both made from this one list. Shortcut = Ctrl, or Cmd on macOS.
 */
public final class KeyboardShortcuts {
    public static final KeyCodeCombination OPEN = new KeyCodeCombination(KeyCode.O, KeyCombination.SHORTCUT_DOWN);
    // The areas name the keys of their own commands (their tooltips show them); the shell registers them.
    public static final KeyCodeCombination EXPORT_PACKAGE = ExportView.EXPORT_PACKAGE_SHORTCUT;
    public static final KeyCodeCombination EXPORT_ONNX = ExportView.EXPORT_ONNX_SHORTCUT;
    public static final KeyCodeCombination RUN = RunView.RUN_SHORTCUT;
    public static final KeyCodeCombination THEME =
            new KeyCodeCombination(KeyCode.D, KeyCombination.SHORTCUT_DOWN, KeyCombination.SHIFT_DOWN);
    public static final KeyCodeCombination HELP = new KeyCodeCombination(KeyCode.F1);

    /** One shortcut: the keys and what they do, as the help lists it. */
    public record Shortcut(KeyCombination keys, String action) { }

    private KeyboardShortcuts() { }

    /** All shortcuts in the order the help lists them. */
    public static List<Shortcut> all() {
        List<Shortcut> out = new ArrayList<>();
        out.add(new Shortcut(OPEN, "Open a model folder"));
        out.add(new Shortcut(RUN, "Run the sample through both models (Run area)"));
        out.add(new Shortcut(EXPORT_PACKAGE, "Export the .anepkg package"));
        out.add(new Shortcut(EXPORT_ONNX, "Export the converted graph as ONNX"));
        for (Area a : Area.values()) out.add(new Shortcut(a.shortcut(), "Show the " + a.title() + " area"));
        out.add(new Shortcut(THEME, "Switch between light and dark theme"));
        out.add(new Shortcut(HELP, "Show this list"));
        return out;
    }

    /** The help popover's body: keys on the left, actions on the right. */
    public static Node helpContent() {
        GridPane grid = new GridPane();
        grid.setId("shortcutsGrid");
        grid.setHgap(16);
        grid.setVgap(5);
        List<Shortcut> all = all();
        for (int i = 0; i < all.size(); i++) {
            Label keys = new Label(all.get(i).keys().getDisplayText());
            keys.getStyleClass().add("shortcut-keys");
            keys.setMinWidth(Label.USE_PREF_SIZE);
            grid.addRow(i, keys, new Label(all.get(i).action()));
        }
        Label note = new Label("Ctrl on Windows and Linux, Cmd on macOS.");
        note.getStyleClass().add("hint");
        VBox box = new VBox(10, grid, note);
        box.setPadding(new Insets(12));
        box.getStyleClass().add("shortcuts-help");
        return box;
    }
}

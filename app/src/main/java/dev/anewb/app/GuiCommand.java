package dev.anewb.app;

import dev.anewb.AnewbException;
import dev.anewb.app.theme.AppTheme;
import javafx.application.Application;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code anewb gui [MODEL] [--self-test DIR [--size WxH] [--theme light|dark]]}: the desktop workbench. */
@Command(name = "gui", mixinStandardHelpOptions = true, description = "Opens the desktop workbench.")
public final class GuiCommand implements Callable<Integer> {
    public static final String DEFAULT_MODEL = "bundled:all-MiniLM-L6-v2";

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", defaultValue = DEFAULT_MODEL,
            description = "Model to open: a Hugging Face folder, Hub id, .anepkg or bundled:NAME "
                    + "(default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--self-test", paramLabel = "DIR",
            description = "Render every area headless to PNG files in DIR (at 1280x800, light, plus model-dark.png "
                    + "unless --size or --theme say otherwise), print their paths and exit.")
    Path selfTestDir;

    @Option(names = "--size", paramLabel = "WxH",
            description = "With --self-test: the window size to render at, e.g. 960x600 (default: 1280x800).")
    String size;

    @Option(names = "--theme", paramLabel = "light|dark",
            description = "With --self-test: render every area in this theme only (default: light, and the Model "
                    + "area once more in dark).")
    String theme;

    @Option(names = "--matrix",
            description = "With --self-test: render every area at 1280x800 and at 960x600, each in light and in dark, "
                    + "into DIR/WxH-theme/ (the check that nothing is cut at either size in either theme).")
    boolean matrix;

    @Spec CommandSpec spec;

    @Override public Integer call() {
        if (selfTestDir == null && (size != null || theme != null || matrix)) {
            throw AnewbException.usage("--size, --theme and --matrix only apply to --self-test");
        }
        if (matrix && (size != null || theme != null)) {
            throw AnewbException.usage("--matrix renders both sizes and both themes: drop --size and --theme");
        }
        if (selfTestDir != null) {
            return SelfTest.runHeadless(selfTestDir, model, matrix ? SelfTest.Shots.MATRIX : List.of(shots()),
                    spec.commandLine().getOut(), spec.commandLine().getErr());
        }
        // Blocks until the last window closes.
        try {
            Application.launch(WorkbenchApp.class, "--" + WorkbenchApp.MODEL_PARAMETER + "=" + model);
        } catch (RuntimeException e) {
            throw explain(e);
        }
        return 0;
    }

    private SelfTest.Shots shots() {
        int width = SelfTest.Shots.DEFAULT.width(), height = SelfTest.Shots.DEFAULT.height();
        if (size != null) {
            String[] wh = size.toLowerCase(Locale.ROOT).split("x", -1);
            try {
                if (wh.length != 2) throw new NumberFormatException();
                width = Integer.parseInt(wh[0].strip());
                height = Integer.parseInt(wh[1].strip());
            } catch (NumberFormatException e) {
                throw AnewbException.usage("--size \"" + size + "\" is not WIDTHxHEIGHT, e.g. 960x600");
            }
            if (width < 1 || height < 1 || width > 8192 || height > 8192) {
                throw AnewbException.usage("--size " + size + ": width and height must be 1 to 8192 pixels");
            }
        }
        AppTheme only = null;
        if (theme != null) {
            only = switch (theme.strip().toLowerCase(Locale.ROOT)) {
                case "light" -> AppTheme.LIGHT;
                case "dark" -> AppTheme.DARK;
                default -> throw AnewbException.usage("--theme \"" + theme + "\" is neither light nor dark");
            };
        }
        return new SelfTest.Shots(width, height, only);
    }

    /** What JavaFX loads on Linux (objdump -p of its natives: GTK 3, XTest, XF86VM, GL); the .deb declares them. */
    static final String LINUX_PACKAGES = "libgtk-3-0 libxtst6 libxxf86vm1 libgl1";

    /** What a failed start means, as the one line the user can act on. */
    static RuntimeException explain(RuntimeException e) {
        String m = String.valueOf(e.getMessage());
        if (m.contains("DISPLAY") || m.contains("display")) {
            return new AnewbException("no graphical display to open the window on (" + m + "); run it on a desktop, "
                    + "or render every area headless with: anewb gui --self-test DIR", e);
        }
        if (m.contains("GTK")) {
            return new AnewbException("JavaFX cannot load GTK 3, which it draws windows with (" + m.strip() + "):"
                    + " install it, on Debian or Ubuntu with: sudo apt install " + LINUX_PACKAGES + " (Fedora: sudo dnf"
                    + " install gtk3 libXtst libXxf86vm mesa-libGL); or render every area headless with:"
                    + " anewb gui --self-test DIR", e);
        }
        return e;
    }
}

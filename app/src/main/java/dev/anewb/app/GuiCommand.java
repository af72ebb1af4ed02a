package dev.anewb.app;

import dev.anewb.AnewbException;
import javafx.application.Application;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code anewb gui [MODEL] [--self-test DIR]}: the desktop workbench. */
@Command(name = "gui", mixinStandardHelpOptions = true, description = "Opens the desktop workbench.")
public final class GuiCommand implements Callable<Integer> {
    public static final String DEFAULT_MODEL = "bundled:all-MiniLM-L6-v2";

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", defaultValue = DEFAULT_MODEL,
            description = "Model to open: a Hugging Face folder, Hub id, .anepkg or bundled:NAME (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--self-test", paramLabel = "DIR",
            description = "Render every area headless at 1280x800 to PNG files in DIR, print their paths and exit.")
    Path selfTestDir;

    @Spec CommandSpec spec;

    @Override public Integer call() {
        if (selfTestDir != null) {
            return SelfTest.runHeadless(selfTestDir, model, spec.commandLine().getOut(), spec.commandLine().getErr());
        }
        // Blocks until the last window closes.
        try {
            Application.launch(WorkbenchApp.class, "--" + WorkbenchApp.MODEL_PARAMETER + "=" + model);
        } catch (RuntimeException e) {
            throw explain(e);
        }
        return 0;
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

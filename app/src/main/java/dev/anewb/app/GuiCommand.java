package dev.anewb.app;

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
            String m = String.valueOf(e.getMessage());
            if (m.contains("DISPLAY") || m.contains("display")) {
                throw new dev.anewb.AnewbException("no graphical display to open the window on (" + m + "); run it on a desktop, "
                        + "or render every area headless with: anewb gui --self-test DIR", e);
            }
            throw e;
        }
        return 0;
    }
}

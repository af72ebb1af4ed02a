package dev.anewb.cli;

import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Terminal logging: one short line per record on stderr; warnings by default, everything with --verbose or
 * --debug (which kernels run, where the tokenizer's native library lives, ...).
 */
final class CliLogging {
    /** Held strongly: java.util.logging forgets the level of a logger nobody references. */
    private static final Logger DJL = Logger.getLogger("ai.djl");

    private CliLogging() { }

    static void configure(String[] args) {
        boolean verbose = false;
        for (String a : args) verbose |= a.equals("--verbose") || a.equals("--debug");
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) root.removeHandler(h);
        ConsoleHandler h = new ConsoleHandler();
        h.setFormatter(new Formatter() {
            @Override public String format(LogRecord r) {
                return "anewb: " + (r.getLevel().intValue() >= Level.WARNING.intValue()
                        ? r.getLevel().getName().toLowerCase() + ": " : "")
                        + formatMessage(r) + System.lineSeparator();
            }
        });
        Level level = verbose ? Level.INFO : Level.WARNING;
        h.setLevel(level);
        root.setLevel(level);
        root.addHandler(h);
        // DJL probes for CUDA and warns when there is none; that says nothing about our CPU engine.
        if (!verbose) DJL.setLevel(Level.SEVERE);
    }
}

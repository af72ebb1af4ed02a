package dev.anewb;

import java.nio.file.Path;

/**
 * An error a user can cause (a bad file, a wrong flag, no network). Its message is one readable line that
 * names the file (when there is one) and what is wrong; the CLI prints it without a stack trace and the app
 * shows it as a notification.
 */
public class AnewbException extends RuntimeException {
    /** Usage errors exit with 2, everything else with 1 (spec/cli.md). */
    public enum Kind { USAGE, INPUT }

    private final Kind kind;

    public AnewbException(String message) { this(Kind.INPUT, message, null); }

    public AnewbException(String message, Throwable cause) { this(Kind.INPUT, message, cause); }

    public AnewbException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() { return kind; }

    public static AnewbException usage(String message) { return new AnewbException(Kind.USAGE, message, null); }

    /** "FILE: problem" — the house format for problems with a file. */
    public static AnewbException file(Path file, String problem) { return new AnewbException(file + ": " + problem); }

    public static AnewbException file(Path file, String problem, Throwable cause) {
        return new AnewbException(Kind.INPUT, file + ": " + problem, cause);
    }
}

package dev.anewb;

import com.fasterxml.jackson.core.JsonProcessingException;

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

    /**
     * The cause of a failure as one line: Jackson appends the source and location on a second line, which would
     * break the one-line-on-stderr promise of spec/cli.md. Without a message of its own, the first cause's that has
     * one: a parallel stream rethrows a worker thread's exception as a copy without message whose cause is the
     * original.
     */
    public static String reason(Throwable e) {
        int depth = 0;
        for (Throwable t = e; t != null && depth < 16; t = t.getCause(), depth++) {
            String m = t instanceof JsonProcessingException j ? j.getOriginalMessage() : t.getMessage();
            if (m != null && !m.isBlank()) {
                return m.lines().map(String::strip).filter(l -> !l.isEmpty()).findFirst().orElse(m.strip());
            }
        }
        return e.getClass().getSimpleName();
    }

    public static AnewbException file(Path file, String problem, Throwable cause) {
        return new AnewbException(Kind.INPUT, file + ": " + problem, cause);
    }
}

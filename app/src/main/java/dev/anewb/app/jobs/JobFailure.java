package dev.anewb.app.jobs;

import dev.anewb.AnewbException;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * A job that ended with an error, as the user sees it: one readable line and, on request, the details.
 *
 * @param title   the job's title ("Load model")
 * @param message one line saying what went wrong
 * @param details the full error chain with stack traces, for bug reports
 */
public record JobFailure(String title, String message, String details) {

    public static JobFailure of(String title, Throwable error) {
        return new JobFailure(title, readableMessage(error), stackTrace(error));
    }

    /** An {@link AnewbException} already reads well; anything else gets its type named so the line is not empty. */
    static String readableMessage(Throwable error) {
        if (error == null) return "failed without an error message";
        String m = error.getMessage();
        if (error instanceof AnewbException && m != null) return m;
        if (m == null || m.isBlank()) return error.getClass().getSimpleName();
        return m + " (" + error.getClass().getSimpleName() + ")";
    }

    private static String stackTrace(Throwable error) {
        if (error == null) return "";
        StringWriter out = new StringWriter();
        error.printStackTrace(new PrintWriter(out));
        return out.toString();
    }
}

package dev.anewb.job;

/**
 * A unit of long work in the engine (load, convert, drift, export, download). Plain Java: the app adapts
 * it to {@code javafx.concurrent}, the CLI runs it directly with a progress printer.
 */
@FunctionalInterface
public interface Job<T> {
    T run(JobContext context) throws Exception;
}

package dev.anewb.app;

import dev.anewb.cli.AnewbCli;

import java.util.List;

/**
 * Entry point of {@code ./anewb} and the packaged app: the engine's CLI plus {@code gui}. Deliberately not an
 * {@code Application}: JavaFX on the class path refuses to start a main class that extends it.
 */
public final class Main {
    private Main() { }

    public static void main(String[] args) {
        System.exit(AnewbCli.execute(args, List.of(new GuiCommand())));
    }
}

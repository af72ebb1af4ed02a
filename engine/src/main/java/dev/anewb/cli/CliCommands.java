package dev.anewb.cli;

import java.util.List;

/** The registry of implemented engine commands (spec/cli.md order). Add a command here when it works. */
final class CliCommands {
    private CliCommands() { }

    static List<Object> all() {
        return List.of(new InfoCommand(), new TokenizeCommand(), new RunCommand(), new GenerateCommand(),
                new DriftCommand(),
                new PlanCommand(), new LayoutCommand(), new ConvertCommand(), new ExportCommand(), new BenchCommand(),
                        new ModelsCommand(System.getenv()),
                new SynthCommand());
    }
}

package dev.anewb.cli;

import dev.anewb.AnewbException;
import dev.anewb.Version;
import dev.anewb.job.JobCancelledException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.util.List;

/**
 * {@code anewb}: the command line of spec/cli.md. Only implemented commands are registered. The app module
 * adds {@code gui} through {@link #execute(String[], List)}.
 */
@Command(name = "anewb", mixinStandardHelpOptions = true, versionProvider = AnewbCli.VersionProvider.class,
        description = "ANE Workbench: convert transformer models for the Apple Neural Engine, measure their drift, "
                + "simulate the ANE.",
        subcommands = {CommandLine.HelpCommand.class})
public final class AnewbCli implements Runnable {

    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT, description = "Show stack traces of errors.")
    boolean debug;

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "Log what the engine does (kernels, files).")
    boolean verbose;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            return new String[]{"anewb " + Version.get() + " (Java " + Runtime.version() + ")"};
        }
    }

    /** The engine's subcommands, in the order of spec/cli.md. */
    static List<Object> engineCommands() {
        return List.of(CliCommands.all().toArray());
    }

    public static CommandLine commandLine(List<Object> extraSubcommands) {
        CommandLine cl = new CommandLine(new AnewbCli());
        for (Object c : engineCommands()) cl.addSubcommand(c);
        for (Object c : extraSubcommands) cl.addSubcommand(c);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) ->
                handle(ex, commandLine, parseResult.hasMatchedOption("--debug") || debugRequested(parseResult)));
        cl.setParameterExceptionHandler((ex, args) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("anewb: " + ex.getMessage());
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName()
                    + " --help' for more information.");
            return 2;
        });
        return cl;
    }

    private static boolean debugRequested(CommandLine.ParseResult pr) {
        for (CommandLine.ParseResult p = pr; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--debug")) return true;
        }
        return false;
    }

    private static int handle(Exception ex, CommandLine cl, boolean debug) {
        PrintWriter err = cl.getErr();
        if (debug) ex.printStackTrace(err);
        Throwable t = ex;
        if (t instanceof JobCancelledException) {
            err.println("anewb: cancelled");
            return 1;
        }
        if (t instanceof AnewbException a) {
            // one line, whatever a message picked up from a library or a file name
            err.println("anewb: " + a.getMessage().replaceAll("\\R+", " "));
            return a.kind() == AnewbException.Kind.USAGE ? 2 : 1;
        }
        if (t instanceof OutOfMemoryError) {
            err.println("anewb: out of memory (" + t.getMessage() + "); give the JVM more with JAVA_OPTS=-Xmx...");
            return 1;
        }
        String msg = AnewbException.reason(t);
        err.println("anewb: " + msg + (debug ? "" : " (run with --debug for details)"));
        return 1;
    }

    public static int execute(String[] args, List<Object> extraSubcommands) {
        CliLogging.configure(args);
        CommandLine cl = commandLine(extraSubcommands);
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {
            // picocli hands only Exceptions to the handler; an Error would otherwise end in a JVM stack trace.
            cl.getErr().println("anewb: out of memory; give the JVM more with JAVA_OPTS=-Xmx...g (now at most "
                    + Runtime.getRuntime().maxMemory() / (1L << 20) + " MiB)");
            return 1;
        }
    }

    public static void main(String[] args) {
        System.exit(execute(args, List.of()));
    }
}

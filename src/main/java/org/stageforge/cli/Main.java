package org.stageforge.cli;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.util.IoErrors;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.List;

/** Entry point: a thin picocli shell over the library API. */
@Command(name = "stageforge",
        // every subcommand inherits -h/--help and -V/--version (and the exit-code footer)
        scope = CommandLine.ScopeType.INHERIT,
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Build Gentoo root filesystems reproducibly, without a Gentoo host or root.",
        footer = {"", ExitCodes.HELP})
public final class Main implements Runnable {
    /**
     * The subcommands, in help order. Added programmatically: building a command's model (reflection over its
     * options) is most of the start-up, so a run that names its command builds only that one.
     */
    static final List<Class<?>> SUBCOMMANDS = List.of(
            CommandLine.HelpCommand.class,
            BinhostCommand.class,
            IndexCommand.class,
            VdbCommand.class,
            PkgCommand.class,
            KeyCommand.class,
            VersionCommand.class,
            AtomCommand.class,
            DependCommand.class,
            MergeCommand.class,
            InstallMaskCommand.class,
            PackCommand.class,
            InstallCommand.class,
            ProfileCommand.class,
            ResolveCommand.class,
            BuildCommand.class,
            LockCommand.class,
            StatesCommand.class,
            SeedCommand.class,
            SnapshotCommand.class,
            ServeCommand.class,
            ServerCommand.class,
            ReleaseCommands.Publish.class,
            ReleaseCommands.Promote.class,
            ReleaseCommands.Rollback.class,
            ReleaseCommands.Release.class);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI with the given arguments and returns the exit code (used by tests too). */
    public static int execute(String... args) {
        return commandLine(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args).execute(args);
    }

    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        return commandLine(out, err, null);
    }

    /**
     * The command line for {@code args}: with only the subcommand they start with when that is one (or none for a
     * lone --version), else with all of them (help, usage errors and suggestions need every name).
     */
    static CommandLine commandLine(PrintWriter out, PrintWriter err, String[] args) {
        CommandLine cl = new CommandLine(new Main());
        String first = args == null || args.length == 0 ? null : args[0];
        boolean versionOnly = args != null && args.length == 1 && (first.equals("--version") || first.equals("-V"));
        // "help CMD" needs every command
        boolean named = first != null && !first.equals("help") && SUBCOMMANDS.stream().anyMatch(c -> name(c).equals(first));
        for (Class<?> c : SUBCOMMANDS) {
            if (!versionOnly && (!named || name(c).equals(first))) cl.addSubcommand(c);
        }
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        // "@system", "@world", "@docs" are sets, not picocli argument files (a file "docs" in the cwd broke them)
        cl.setExpandAtFiles(false);
        cl.setExitCodeExceptionMapper(Main::exitCodeOf);
        cl.setExecutionStrategy(Main::executeStrict);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            PrintWriter e = cmd.getErr();
            if (ex instanceof StageforgeException se) {
                e.println("stageforge: " + se.getMessage());
                return se.exitCode();
            }
            if (ex instanceof java.io.IOException || ex instanceof java.io.UncheckedIOException) {
                // an I/O failure the library did not word itself: say which path and why, no stack trace
                e.println("stageforge: " + IoErrors.describe(ex));
                return IoErrors.reason(ex).equals("file not found") ? ExitCodes.NOT_FOUND : ExitCodes.FAILURE;
            }
            e.println("stageforge: internal error: " + ex);
            ex.printStackTrace(e);
            return ExitCodes.FAILURE;
        });
        return cl;
    }

    /**
     * picocli skips argument validation when --help is given, so "stageforge serve --help" would print the main
     * help and exit 0; an unknown command or argument is a usage error whatever else is on the line.
     */
    private static int executeStrict(CommandLine.ParseResult pr) {
        for (CommandLine.ParseResult p = pr; p != null; p = p.subcommand()) {
            if (!p.unmatched().isEmpty()) throw new CommandLine.UnmatchedArgumentException(p.commandSpec().commandLine(), p.unmatched());
        }
        return new CommandLine.RunLast().execute(pr);
    }

    private static String name(Class<?> command) {
        return command.getAnnotation(Command.class).name();
    }

    private static int exitCodeOf(Throwable t) {
        if (t instanceof StageforgeException se) return se.exitCode();
        if (t instanceof CommandLine.ParameterException) return ExitCodes.USAGE;
        return ExitCodes.FAILURE;
    }

    /** Version from the jar manifest; "dev" when run from classes. */
    public static final class Version implements CommandLine.IVersionProvider {
        public static String get() {
            return org.stageforge.StageforgeVersion.get();
        }

        @Override
        public String[] getVersion() {
            return new String[] {"stageforge " + get()};
        }
    }
}

package org.stageforge.cli;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.pipeline.Part;
import org.stageforge.pipeline.PartState;
import org.stageforge.pipeline.StateStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** {@code stageforge states}: the saved part states of a build directory. */
@Command(name = "states", mixinStandardHelpOptions = true, description = "List, show or remove saved part states of a build directory.",
        subcommands = {StatesCommand.ListCmd.class, StatesCommand.Show.class, StatesCommand.Rm.class})
public final class StatesCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand (list, show, rm)");
    }

    /** The build directory: {@code --build-dir}, else the default for the spec's stage name. */
    static Path buildDir(Path dir, Path specFile) {
        if (dir != null) return dir;
        if (specFile == null) throw new StageforgeException("give --build-dir DIR or --spec SPEC", ExitCodes.USAGE, null);
        return Path.of(".stageforge/build", org.stageforge.spec.SpecParser.parse(specFile).name());
    }

    static StateStore store(Path dir) {
        if (!Files.isDirectory(dir.resolve("state"))) {
            throw new StageforgeException(dir + ": no saved states (not a build directory?)", ExitCodes.NOT_FOUND, null);
        }
        return new StateStore(dir);
    }

    @Command(name = "list", description = "One line per saved part: name, status, fingerprint, output digest.")
    static final class ListCmd implements Runnable {
        @Option(names = "--build-dir", paramLabel = "DIR", description = "Build directory (default: .stageforge/build/NAME of --spec).") Path dir;
        @Option(names = "--spec", paramLabel = "SPEC", description = "Spec whose default build directory to use.") Path specFile;
        @Option(names = "--json", description = "Print JSON.") boolean json;
        @Spec CommandSpec spec;

        @Override
        public void run() {
            StateStore s = store(buildDir(dir, specFile));
            PrintWriter out = spec.commandLine().getOut();
            Map<Part, PartState> all = s.all();
            if (json) {
                try {
                    out.println(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(all.values()));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return;
            }
            for (PartState p : all.values()) {
                out.printf("%-9s %-7s %s %s%n", p.part(), p.status(), p.fingerprint().substring(0, 12), p.output().length() > 12 ? p.output().substring(0, 12) : p.output());
            }
            StateStore.RootStamp r = s.root();
            out.println("root: " + (r.at() == null ? "empty" : r.at() + (r.clean() ? "" : " (interrupted)")));
        }
    }

    @Command(name = "show", description = "Print one part's saved state as JSON.")
    static final class Show implements Runnable {
        @Option(names = "--build-dir", paramLabel = "DIR", description = "Build directory (default: .stageforge/build/NAME of --spec).") Path dir;
        @Option(names = "--spec", paramLabel = "SPEC", description = "Spec whose default build directory to use.") Path specFile;
        @Parameters(paramLabel = "PART") String part;
        @Spec CommandSpec spec;

        @Override
        public void run() {
            PartState p = store(buildDir(dir, specFile)).get(Part.of(part)).orElseThrow(() ->
                    new StageforgeException("no saved state for part " + part + " in " + dir, ExitCodes.NOT_FOUND, null));
            try {
                spec.commandLine().getOut().println(new com.fasterxml.jackson.databind.ObjectMapper()
                        .writerWithDefaultPrettyPrinter().writeValueAsString(p));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    @Command(name = "rm", description = "Remove saved states of the given parts (or --all), so they run again.")
    static final class Rm implements Runnable {
        @Option(names = "--build-dir", paramLabel = "DIR", description = "Build directory (default: .stageforge/build/NAME of --spec).") Path dir;
        @Option(names = "--spec", paramLabel = "SPEC", description = "Spec whose default build directory to use.") Path specFile;
        @Option(names = "--all", description = "Every part.") boolean all;
        @Parameters(arity = "0..*", paramLabel = "PART") List<String> parts = List.of();
        @Spec CommandSpec spec;

        @Override
        public void run() {
            StateStore s = store(buildDir(dir, specFile));
            if (!all && parts.isEmpty()) throw new StageforgeException("states rm: give PART... or --all", ExitCodes.USAGE, null);
            List<Part> which = all ? List.of(Part.values()) : parts.stream().map(Part::of).toList();
            for (Part p : which) {
                if (s.remove(p)) spec.commandLine().getOut().println("removed " + p.id());
            }
        }
    }
}

package org.stageforge.cli;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.build.Seed;
import org.stageforge.build.SeedRoot;
import org.stageforge.pipeline.BuildOptions;
import org.stageforge.spec.SpecParser;
import org.stageforge.spec.StageSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;

/** {@code stageforge seed prepare SPEC}: verifies and unpacks the spec's [seed] into the cache, prints its root. */
@Command(name = "seed", mixinStandardHelpOptions = true, description = "Work with the [seed] stage tarball of a spec.",
        subcommands = SeedCommand.Prepare.class)
public final class SeedCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand (prepare)");
    }

    @Command(name = "prepare", mixinStandardHelpOptions = true,
            description = "Fetch, verify and unpack the spec's [seed] once into the shared cache; print the unpacked root.")
    static final class Prepare implements Runnable {
        @Parameters(paramLabel = "SPEC") Path specFile;

        @Option(names = "--cache-dir", paramLabel = "DIR", description = "Cache (default: $XDG_CACHE_HOME/stageforge, else ~/.cache/stageforge).")
        Path cacheDir;

        @Option(names = {"-q", "--quiet"}, description = "Print only the unpacked root.")
        boolean quiet;

        @Spec
        CommandSpec cmd;

        @Override
        public void run() {
            StageSpec spec = SpecParser.parse(specFile);
            if (spec.seed() == null) throw new StageforgeException(specFile + ": the spec has no [seed]", ExitCodes.BAD_INPUT, null);
            Path cache = BuildOptions.of(Path.of(".stageforge/build", spec.name()), Path.of(".")).withEnv(System.getenv())
                    .withCacheDir(cacheDir).cache();
            PrintWriter err = cmd.commandLine().getErr();
            SeedRoot root = Seed.prepare(spec.seed(), cache, quiet ? m -> { } : m -> err.println("stageforge: " + m));
            cmd.commandLine().getOut().println(root.dir());
        }
    }
}

package org.stageforge.cli;

import org.stageforge.pipeline.Build;
import org.stageforge.pipeline.BuildOptions;
import org.stageforge.pipeline.Lock;
import org.stageforge.pipeline.Reporter;
import org.stageforge.spec.SpecParser;
import org.stageforge.spec.StageSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;

/** {@code stageforge lock}: runs fetch and resolve and writes the lock pinning their results. */
@Command(name = "lock", mixinStandardHelpOptions = true,
        description = "Pin a spec's inputs (repository digest, binhost indexes, every binpkg, SOURCE_DATE_EPOCH) in a lock file.")
public final class LockCommand implements Runnable {
    @Parameters(paramLabel = "SPEC") Path specFile;

    @Option(names = "-o", paramLabel = "LOCK", description = "Lock file (default: SPEC with .lock in place of .toml).")
    Path lockFile;

    @Option(names = "--build-dir", paramLabel = "DIR", description = "Build directory (default: .stageforge/build/NAME).")
    Path buildDir;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "Download cache (default: $XDG_CACHE_HOME/stageforge, else ~/.cache/stageforge).")
    Path cacheDir;

    @Spec
    CommandSpec cmd;

    @Override
    public void run() {
        StageSpec spec = SpecParser.parse(specFile);
        Path bd = buildDir != null ? buildDir : Path.of(".stageforge/build", spec.name());
        Path target = lockFile != null ? lockFile
                : specFile.resolveSibling(specFile.getFileName().toString().replaceFirst("\\.toml$", "") + ".lock");
        Lock lock = Build.lock(spec, BuildOptions.of(bd, bd.resolve("unused-output")).withEnv(System.getenv()).withCacheDir(cacheDir),
                Reporter.silent(bd.resolve("logs")));
        lock.write(target);
        cmd.commandLine().getOut().println(target);
    }
}

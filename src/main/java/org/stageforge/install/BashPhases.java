package org.stageforge.install;

import org.stageforge.merge.PhaseRunner;
import org.stageforge.phase.BashPhaseRunner;
import org.stageforge.phase.PhaseContext;
import org.stageforge.phase.PhaseResult;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * The merge engine's {@link PhaseRunner} over the bash phase runner: each pkg_* phase runs from the package's saved
 * environment with ROOT, D (the extracted image for pkg_preinst) and REPLACING_VERSIONS from the engine, and
 * SOURCE_DATE_EPOCH when given. Work files and the per-package logs ({@code logs/CAT:PF.log}) go to the build
 * directory.
 */
public final class BashPhases implements PhaseRunner {
    private final BashPhaseRunner runner;
    private final Path buildDir;
    private final String sourceDateEpoch;

    /**
     * @param runner          runs the phases (isolation, timeout)
     * @param buildDir        outside every root the phases act on
     * @param sourceDateEpoch SOURCE_DATE_EPOCH for the phases, or null
     */
    public BashPhases(BashPhaseRunner runner, Path buildDir, String sourceDateEpoch) {
        this.runner = Objects.requireNonNull(runner);
        this.buildDir = Objects.requireNonNull(buildDir);
        this.sourceDateEpoch = sourceDateEpoch;
    }

    /** Phases isolated in namespaces ({@link BashPhaseRunner#BashPhaseRunner()}). */
    public BashPhases(Path buildDir, String sourceDateEpoch) {
        this(new BashPhaseRunner(), buildDir, sourceDateEpoch);
    }

    @Override
    public Result runPhase(PackageRef pkg, String phase, Map<String, String> env) {
        PhaseContext ctx = PhaseContext.fromEnvironment(pkg.cpv(), pkg.slot(), pkg.environmentBz2(),
                String.join(" ", pkg.definedPhases()), Path.of(env.get("ROOT")), buildDir);
        String d = env.get("D");
        if (d != null) ctx = ctx.withImage(Path.of(d));
        String replacing = env.getOrDefault("REPLACING_VERSIONS", "").strip();
        if (!replacing.isEmpty()) ctx = ctx.withReplacingVersions(Arrays.asList(replacing.split("\\s+")));
        String epoch = env.getOrDefault("SOURCE_DATE_EPOCH", sourceDateEpoch);
        if (epoch != null) ctx = ctx.withSourceDateEpoch(epoch);
        PhaseResult r = runner.run(ctx, phase.startsWith("pkg_") ? phase.substring(4) : phase);
        return new Result(r.exitStatus(), r.log() == null ? null : r.log().toString(), r.intents());
    }
}

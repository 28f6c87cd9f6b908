package org.stageforge.install;

import org.stageforge.merge.PhaseRunner;
import org.stageforge.phase.BashPhaseRunner;
import org.stageforge.phase.ImageUse;
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
    /** The context of the last package a phase ran for (before the per-phase image, versions and epoch). */
    private PhaseContext last;

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

    /** From the phase function's text (and the functions it calls) in the saved environment: {@link ImageUse}. */
    @Override
    public boolean needsImage(PackageRef pkg, String phase) {
        return ImageUse.mayUseImage(pkg.environmentBz2(), pkg.cpv(), phase);
    }

    @Override
    public synchronized Result runPhase(PackageRef pkg, String phase, Map<String, String> env) {
        Path root = Path.of(env.get("ROOT"));
        String defined = String.join(" ", pkg.definedPhases());
        // the phases of one package share its context: its environment is decompressed and read once
        PhaseContext ctx = last != null && last.cpv().equals(pkg.cpv()) && last.root().equals(root)
                && last.slot().equals(pkg.slot() == null || pkg.slot().isBlank() ? "0" : pkg.slot().strip())
                && java.util.Objects.equals(last.definedPhases(), defined)
                && Arrays.equals(last.environmentBz2(), pkg.environmentBz2())
                ? last
                : PhaseContext.fromEnvironment(pkg.cpv(), pkg.slot(), pkg.environmentBz2(), defined, root, buildDir);
        last = ctx;
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

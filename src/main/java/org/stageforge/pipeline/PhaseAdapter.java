package org.stageforge.pipeline;

import org.stageforge.merge.PhaseRunner;
import org.stageforge.phase.BashPhaseRunner;
import org.stageforge.phase.PhaseContext;
import org.stageforge.phase.PhaseResult;

import java.nio.file.Path;
import java.util.Map;

/**
 * Adapter from the merge engine's {@link PhaseRunner} to the bash phase runner ({@link BashPhaseRunner}, isolated
 * in namespaces): each package's pkg_* phases run from its saved environment with SOURCE_DATE_EPOCH set, work
 * files under {@code BUILD_DIR/phases}, output in the runner's per-package log (named in the install log).
 */
final class PhaseAdapter implements PhaseRunner {
    private final BashPhaseRunner runner = new BashPhaseRunner();
    private final Path root;
    private final Path work;
    private final long sourceDateEpoch;
    private final Reporter rep;

    PhaseAdapter(Path root, Path work, long sourceDateEpoch, Reporter rep) {
        this.root = root;
        this.work = work;
        this.sourceDateEpoch = sourceDateEpoch;
        this.rep = rep;
    }

    @Override
    public Result runPhase(PackageRef pkg, String phase, Map<String, String> env) {
        PhaseContext ctx = PhaseContext.fromEnvironment(pkg.cpv(), pkg.slot(), pkg.environmentBz2(),
                String.join(" ", pkg.definedPhases()), root, work).withSourceDateEpoch(Long.toString(sourceDateEpoch));
        PhaseResult r = runner.run(ctx, phase.startsWith("pkg_") ? phase.substring(4) : phase);
        rep.action("phase", pkg.cpv() + " " + phase + (r.log() == null ? "" : " (log " + r.log() + ")"));
        if (!r.intents().isEmpty()) {
            rep.warning(pkg.cpv() + " " + phase + ": " + r.intents().size() + " ownership change(s) made inside the phase are not in the file table");
        }
        return new Result(r.exitStatus(), r.log() == null ? null : r.log().toString());
    }
}

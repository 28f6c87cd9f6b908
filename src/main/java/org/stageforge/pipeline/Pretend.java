package org.stageforge.pipeline;

import org.stageforge.StageforgeException;
import org.stageforge.profile.PortageConfig;
import org.stageforge.resolve.PlanFormat;
import org.stageforge.resolve.ResolvePlan;
import org.stageforge.spec.StageSpec;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What {@code build --pretend} shows: the packages that would be merged (null with a lock) with the configuration
 * that gives their USE, the resolver's and the pipeline's warnings, and for each part whether the build would
 * reuse, run or skip it.
 */
public record Pretend(ResolvePlan plan, PortageConfig config, List<String> warnings, Map<Part, String> parts) {
    public Pretend {
        warnings = List.copyOf(warnings);
        parts = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(parts));
    }

    /**
     * Runs fetch (as every build does: it decides what is current), resolves without fetching packages or recording
     * anything (the config root goes to {@code BUILD_DIR/pretend/config}), and predicts each part's outcome from the
     * recorded states the way {@link Build#run} decides.
     */
    public static Pretend of(StageSpec spec, BuildOptions opts, Reporter rep) {
        Build b = Build.fetchOnly(spec, opts, rep);
        Parts parts = new Parts(spec, opts, rep);
        try {
            Parts.Inputs in = parts.inputsRecord();
            Parts.Resolution res = parts.resolution(in, opts.buildDir().resolve("pretend/config"));
            List<String> warnings = new ArrayList<>();
            if (res.plan() != null) warnings.addAll(res.plan().warnings());
            warnings.addAll(ResolveChecks.warnings(spec, res.config(), res.indexes(), res.plan()));
            return new Pretend(res.plan(), res.config(), warnings, b.predict(parts, parts.predictedResolveOutput(in, res)));
        } catch (IOException e) {
            throw new StageforgeException("cannot read the fetch record: " + e.getMessage(), e);
        }
    }

    /** As {@code emerge -pv} lists the merge, then one line per part. */
    public String text() {
        StringBuilder sb = new StringBuilder();
        if (plan != null) sb.append(PlanFormat.pretend(plan, config));
        else sb.append("\nThe packages are pinned by the lock.\n");
        for (String w : warnings) sb.append("\n * ").append(w);
        if (!warnings.isEmpty()) sb.append('\n');
        sb.append("\nParts:\n");
        parts.forEach((p, d) -> sb.append(String.format("  %-9s %s\n", p.id(), d)));
        return sb.toString();
    }
}

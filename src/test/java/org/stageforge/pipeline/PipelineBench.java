package org.stageforge.pipeline;

import org.stageforge.merge.InstallMaskSets;
import org.stageforge.install.BashPhases;
import org.stageforge.merge.MergeEngine;
import org.stageforge.merge.MergeOptions;
import org.stageforge.merge.MergeRequest;
import org.stageforge.pack.Packer;
import org.stageforge.profile.PortageConfig;
import org.stageforge.spec.SpecParser;
import org.stageforge.spec.StageSpec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Pipeline overhead (run by {@code bench/pipeline.sh}): the wall time of a full {@code build} of a synthetic stage
 * next to the sum of its two heavy steps run alone on the same inputs, install (merge engine with phases) and pack,
 * in the same JVM: the fastest of five rounds after a warm-up round. Target: overhead at most 25%.
 */
public final class PipelineBench {
    private PipelineBench() {}

    public static void main(String[] args) throws Exception {
        int packages = args.length > 0 ? Integer.parseInt(args[0]) : 60;
        int files = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        Path dir = Files.createTempDirectory("stageforge-pipeline-bench");
        try {
            TestStage t = TestStage.synthetic(dir.resolve("stage"), packages, files, 2048);
            StageSpec spec = SpecParser.parse(t.spec);
            double[] best = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
            String partTimes = "";
            for (int round = 0; round < 6; round++) {
                Path bd = dir.resolve("build-" + round);
                java.io.StringWriter parts = new java.io.StringWriter();
                long t0 = System.nanoTime();
                try (Reporter rep = new Reporter(new java.io.PrintWriter(parts), Reporter.Mode.NORMAL, bd.resolve("logs"),
                        false, true, Part.values().length)) {
                    Build.run(spec, BuildOptions.of(bd, dir.resolve("out-" + round)), rep);
                }
                double full = (System.nanoTime() - t0) / 1e9;
                if (round > 0 && full < best[0]) partTimes = parts.toString();

                Parts.Plan plan = StateStore.JSON.readValue(bd.resolve("resolve/plan.json").toFile(), Parts.Plan.class);
                Path root = dir.resolve("alone-root-" + round);
                Files.createDirectories(root);
                PortageConfig config = PortageConfig.load(bd.resolve("config"), Map.of());
                Path work = dir.resolve("alone-phases-" + round);
                MergeOptions mo = MergeOptions.fromConfig(root, config, InstallMaskSets.defaults()).withSync(false)
                        .withBuildDir(work).withPhases(false, new BashPhases(work, Long.toString(plan.sourceDateEpoch())));
                List<MergeRequest.Item> items = new ArrayList<>();
                for (Parts.Pkg p : plan.packages()) items.add(new MergeRequest.Item(Path.of(p.file()), p.worldAtom()));
                long t1 = System.nanoTime();
                MergeEngine.merge(new MergeRequest(items, mo));
                double install = (System.nanoTime() - t1) / 1e9;
                long t2 = System.nanoTime();
                Packer.pack(root, dir.resolve("alone-" + round + ".tar.zst"), plan.sourceDateEpoch());
                double pack = (System.nanoTime() - t2) / 1e9;
                if (round > 0) {
                    best[0] = Math.min(best[0], full);
                    best[1] = Math.min(best[1], install);
                    best[2] = Math.min(best[2], pack);
                }
            }
            double alone = best[1] + best[2];
            System.out.printf("stage: %d packages x %d files (2 KiB)%n", packages + 2, files);
            System.out.printf("full build (fetch..publish, fresh build dir): %.2f s%n", best[0]);
            System.out.printf("install alone %.2f s + pack alone %.2f s = %.2f s%n", best[1], best[2], alone);
            System.out.printf("pipeline overhead: %.0f%% (target <= 25%%)%n", (best[0] / alone - 1) * 100);
            System.out.print("parts of the fastest full build:\n" + partTimes.replaceAll("(?m)^warning:.*\n", ""));
        } finally {
            org.stageforge.util.Dirs.deleteTree(dir);
        }
    }
}

package org.stageforge.bench;

import org.stageforge.StageforgeException;
import org.stageforge.install.BashPhases;
import org.stageforge.merge.MergeEngine;
import org.stageforge.merge.MergeOptions;
import org.stageforge.merge.MergeRequest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Installs every installable XPAK of the fixture binhost (--nodeps, index order) into a fresh root, several passes,
 * printing one "pass N: X s" line each. A first untimed probe merges the packages one by one into a scratch root and
 * leaves out those whose file is missing or that are refused (e.g. collisions with an earlier one); they are listed.
 * The installed files are written to WORK/install-list.txt for the shell comparison in bench/install.sh.
 * The timed passes skip the pkg_* phases (the file work compared with tar); with {@code phases} as many passes
 * follow that run them (bash in namespaces, "with phases, run N: X s").
 * Usage: InstallBench FIXTURES_DIR WORK_DIR PASSES [unprivileged] [phases]
 */
public final class InstallBench {
    private InstallBench() {}

    public static void main(String[] args) throws IOException {
        Path binhost = Path.of(args[0], "binhost-xpak-amd64");
        Path work = Path.of(args[1]);
        int passes = Integer.parseInt(args[2]);
        List<String> flags = List.of(args).subList(3, args.length);
        boolean unprivileged = flags.contains("unprivileged");
        List<Path> files = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (Map<String, String> e : entries(binhost.resolve("Packages"))) {
            Path f = binhost.resolve(e.get("PATH"));
            if (!Files.isRegularFile(f)) skipped.add(e.get("CPV") + ": file missing");
            else files.add(f);
        }
        Path probe = fresh(work.resolve("probe"));
        List<Path> ok = new ArrayList<>();
        for (Path f : files) {
            try {
                MergeEngine.merge(new MergeRequest(List.of(new MergeRequest.Item(f, null)),
                        options(probe, unprivileged).withSync(false)));
                ok.add(f);
            } catch (StageforgeException ex) {
                skipped.add(binhost.relativize(f) + ": " + ex.getMessage());
            }
        }
        delete(probe);
        Files.write(work.resolve("install-list.txt"), ok.stream().map(Path::toString).toList());
        System.out.println("packages: " + ok.size() + " installed, " + skipped.size() + " skipped");
        for (String s : skipped) System.out.println("  skipped " + s);
        List<MergeRequest.Item> items = ok.stream().map(f -> new MergeRequest.Item(f, null)).toList();
        for (int i = 1; i <= passes; i++) {
            Path root = fresh(work.resolve("root"));
            long t0 = System.nanoTime();
            MergeEngine.merge(new MergeRequest(items, options(root, unprivileged)));
            long t1 = System.nanoTime();
            System.out.printf("pass %d: %.3f s%n", i, (t1 - t0) / 1e9);
        }
        if (!flags.contains("phases")) return;
        // a phase can fail on this host (e.g. one that asks the host's python for its site dir): probe again
        Path build = work.resolve("build");
        probe = fresh(work.resolve("probe"));
        List<MergeRequest.Item> withPhases = new ArrayList<>();
        for (Path f : ok) {
            try {
                MergeEngine.merge(new MergeRequest(List.of(new MergeRequest.Item(f, null)),
                        phases(options(probe, unprivileged).withSync(false), fresh(build))));
                withPhases.add(new MergeRequest.Item(f, null));
            } catch (StageforgeException ex) {
                System.out.println("  with phases, skipped " + binhost.relativize(f) + ": "
                        + ex.getMessage().lines().findFirst().orElse(""));
            }
        }
        delete(probe);
        System.out.println("with phases: " + withPhases.size() + " packages");
        for (int i = 1; i <= passes; i++) {
            Path root = fresh(work.resolve("root"));
            long t0 = System.nanoTime();
            MergeEngine.Result r = MergeEngine.merge(new MergeRequest(withPhases,
                    phases(options(root, unprivileged), fresh(build))));
            long t1 = System.nanoTime();
            long ran = r.packages().stream().flatMap(p -> p.phases().stream()).filter(p -> !p.contains("(")).count();
            System.out.printf("with phases, run %d: %.3f s (%d phases run)%n", i, (t1 - t0) / 1e9, ran);
        }
    }

    private static MergeOptions phases(MergeOptions o, Path build) {
        return o.withPhases(false, new BashPhases(build, "1700000000")).withBuildDir(build);
    }

    private static MergeOptions options(Path root, boolean unprivileged) {
        return MergeOptions.defaults(root).withUnprivileged(unprivileged).withOneshot(true);
    }

    private static List<Map<String, String>> entries(Path packages) throws IOException {
        List<Map<String, String>> out = new ArrayList<>();
        String[] blocks = Files.readString(packages).split("\n\n");
        for (int i = 1; i < blocks.length; i++) {
            Map<String, String> m = new LinkedHashMap<>();
            for (String line : blocks[i].split("\n")) {
                int c = line.indexOf(": ");
                if (c > 0) m.put(line.substring(0, c), line.substring(c + 2));
            }
            if (m.containsKey("CPV") && m.containsKey("PATH")) out.add(m);
        }
        return out;
    }

    private static Path fresh(Path dir) throws IOException {
        delete(dir);
        return Files.createDirectories(dir);
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}

package org.stageforge.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.stageforge.index.PackagesIndex;
import org.stageforge.profile.PortageConfig;
import org.stageforge.resolve.Binhost;
import org.stageforge.resolve.ResolvePlan;
import org.stageforge.resolve.ResolveRequest;
import org.stageforge.resolve.Resolver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Resolving a synthetic 20,000-entry Packages index (multi-version and multi-slot packages, a
 * random RDEPEND DAG with {@code ||} groups, USE dependencies and a few PDEPEND cycles) for
 * targets that pull in most of it. Goal: under 1 s. Each run builds a fresh resolver (index by cp,
 * parse dependency strings, visibility), as the CLI does. {@code main} prints the figures without
 * JMH; {@code bench/resolve.sh} runs it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 5)
@Fork(1)
public class ResolveBench {
    static final int ENTRIES = 20_000;

    PortageConfig config;
    PackagesIndex index;
    List<String> targets;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Path dir = Files.createTempDirectory("resolve-bench");
        config = config(dir);
        byte[] text = indexText(new Random(42));
        index = PackagesIndex.parse("synthetic Packages", text);
        targets = new ArrayList<>();
        // the last packages sit on top of the DAG: together they reach most of it
        for (int i = PACKAGES - 1; i >= PACKAGES - 1500; i--) targets.add(cp(i));
    }

    @Benchmark
    public ResolvePlan resolve() {
        return Resolver.resolve(ResolveRequest.of(config, List.of(new Binhost("synthetic", index)), targets,
                ResolveRequest.Options.DEFAULT));
    }

    static final int PACKAGES = 14_000;

    static String cp(int i) {
        return "cat-" + (i % 40) + "/pkg" + i;
    }

    /** 20,000 entries over 14,000 packages: second versions, some in a second slot. */
    static byte[] indexText(Random r) {
        StringBuilder sb = new StringBuilder(16 << 20);
        sb.append("ARCH: amd64\nPACKAGES: ").append(ENTRIES).append("\nVERSION: 0\n\n");
        int written = 0;
        for (int i = 0; i < PACKAGES; i++) {
            // 3 of 7 packages have two versions (6,000 extra entries); of those, 1 in 3 puts it in slot 2
            int versions = i % 7 < 3 ? 2 : 1;
            for (int v = 0; v < versions; v++) {
                boolean slot2 = v == 1 && i % 7 == 0;
                StringBuilder dep = new StringBuilder();
                int n = i < 50 ? 0 : r.nextInt(5);
                for (int k = 0; k < n; k++) {
                    int t = lower(r, i);
                    switch (r.nextInt(8)) {
                        case 0 -> dep.append("|| ( ").append(cp(lower(r, i))).append(' ').append(cp(t)).append(" ) ");
                        case 1 -> dep.append(">=").append(cp(t)).append("-1.0 ");
                        case 2 -> dep.append(cp(t)).append("[ssl] ");
                        case 3 -> dep.append("ssl? ( ").append(cp(t)).append(" ) ");
                        default -> dep.append(cp(t)).append(' ');
                    }
                }
                sb.append("BUILD_ID: 1\nBUILD_TIME: ").append(1_700_000_000 + written)
                        .append("\nCPV: ").append(cp(i)).append('-').append(v + 1).append(".0")
                        .append("\nEAPI: 8\nIUSE: ssl test\nKEYWORDS: amd64\nLICENSE: MIT\nPATH: ").append(cp(i)).append('-')
                        .append(v + 1).append(".0-1.gpkg.tar\n");
                if (!dep.isEmpty()) sb.append("RDEPEND: ").append(dep.toString().strip()).append('\n');
                if (r.nextInt(200) == 0 && i > 100) sb.append("PDEPEND: ").append(cp(i - 1 - r.nextInt(50))).append('\n');
                sb.append("SIZE: ").append(10_000 + r.nextInt(1_000_000)).append("\nSLOT: ").append(slot2 ? "2" : "0")
                        .append("\nUSE: amd64 ssl\nREPO: gentoo\n\n");
                written++;
            }
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static int lower(Random r, int i) {
        // mostly near neighbours, sometimes far down: a deep, wide DAG
        return r.nextInt(4) == 0 ? r.nextInt(i) : Math.max(0, i - 1 - r.nextInt(Math.min(i, 200)));
    }

    static PortageConfig config(Path dir) throws IOException {
        Path repo = dir.resolve("repo");
        Path profile = repo.resolve("profiles/bench");
        Files.createDirectories(profile);
        Files.createDirectories(repo.resolve("metadata"));
        Files.writeString(repo.resolve("profiles/repo_name"), "gentoo\n");
        Files.writeString(repo.resolve("metadata/layout.conf"), "masters =\n");
        Files.writeString(profile.resolve("make.defaults"),
                "ARCH=\"amd64\"\nACCEPT_KEYWORDS=\"amd64\"\nUSE=\"ssl\"\nUSE_EXPAND=\"\"\nIUSE_IMPLICIT=\"prefix\"\n");
        Path etc = dir.resolve("cfg/etc/portage");
        Files.createDirectories(etc.resolve("repos.conf"));
        Files.writeString(etc.resolve("repos.conf/gentoo.conf"), "[DEFAULT]\nmain-repo = gentoo\n[gentoo]\nlocation = " + repo + "\n");
        Files.writeString(etc.resolve("make.conf"), "ACCEPT_LICENSE=\"*\"\n");
        Files.createSymbolicLink(etc.resolve("make.profile"), profile);
        return PortageConfig.load(dir.resolve("cfg"), Map.of());
    }

    /**
     * Prints timings without JMH: {@code java -cp ... org.stageforge.bench.ResolveBench [runs]}.
     * Wall time and the thread's CPU time are both shown (CPU time is what to compare on a busy machine).
     */
    public static void main(String[] args) throws IOException {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        ResolveBench b = new ResolveBench();
        long t0 = System.nanoTime();
        b.setUp();
        System.out.printf("index: %d entries, generated and parsed in %.0f ms%n", b.index.entries().size(),
                (System.nanoTime() - t0) / 1e6);
        ResolvePlan plan = null;
        long bestWall = Long.MAX_VALUE;
        long bestCpu = Long.MAX_VALUE;
        for (int i = 0; i < runs; i++) {
            long c = mx.getCurrentThreadCpuTime();
            long s = System.nanoTime();
            plan = b.resolve();
            long wall = System.nanoTime() - s;
            long cpu = mx.getCurrentThreadCpuTime() - c;
            bestWall = Math.min(bestWall, wall);
            bestCpu = Math.min(bestCpu, cpu);
            System.out.printf("run %d: %.0f ms wall, %.0f ms cpu%n", i + 1, wall / 1e6, cpu / 1e6);
        }
        System.out.printf("resolved %d packages from %d targets (20,000-entry index): best %.0f ms wall, %.0f ms cpu%n",
                plan.packages().size(), b.targets.size(), bestWall / 1e6, bestCpu / 1e6);
    }
}

package org.stageforge.build;

import org.stageforge.pipeline.Build;
import org.stageforge.pipeline.BuildOptions;
import org.stageforge.pipeline.Part;
import org.stageforge.pipeline.Reporter;
import org.stageforge.spec.SpecParser;

import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * bench/build.sh: stageforge's wall time for building N packages of {@link TestRepo} from source next to the same
 * emerge run directly in the same seed ({@link Emerge#run}, the command line the binpkgs part runs), the overhead
 * ratio, and the time a build with a warm seed cache takes until its first emerge starts.
 */
public final class BuildBench {
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        Path dir = Files.createTempDirectory("stageforge-build-bench");
        Path cache = Path.of("target/source-build-cache").toAbsolutePath();
        TestSeed.Tarball seed = TestSeed.tarball();
        Path repo = TestRepo.create(dir.resolve("repo"));
        Path spec = dir.resolve("spec.toml");
        Files.writeString(spec, """
                profile = "default"
                system = false
                world = ["%s"]
                [stage]
                name = "bench"
                version = "1"
                [repo]
                name = "sfrepo"
                path = "repo"
                [seed]
                path = "%s"
                sha512 = "%s"
                [build]
                jobs = 2
                """.formatted(TestRepo.pkg(n), seed.path(), seed.sha512()));
        // warm the seed cache and the toolchain probe, as a second build finds them
        Path warm = dir.resolve("warm");
        run(spec, warm, cache, new long[1]);

        long[] firstEmerge = new long[1];
        Path bd = dir.resolve("measured");
        long t0 = System.nanoTime();
        run(spec, bd, cache, firstEmerge);
        double stageforge = (System.nanoTime() - t0) / 1e9;
        double startup = (firstEmerge[0] - t0) / 1e9;

        // the same emerge, run directly in the same seed over the same config root
        SeedRoot root = Seed.prepare(SpecParser.parse(spec).seed(), cache, s -> { });
        List<String> atoms = new ArrayList<>();
        for (String cpv : TestRepo.chain(n)) atoms.add("=" + cpv);
        Path direct = dir.resolve("direct");
        Emerge.Request r = new Emerge.Request(root, repo, TestRepo.NAME, List.of(), bd.resolve("config"), Map.of(),
                direct.resolve("pkgdir"), cache.resolve("distfiles"), Files.createDirectories(direct.resolve("logs")),
                atoms, 2, false, false, null, List.of(), 1700000000L);
        long t1 = System.nanoTime();
        Emerge.Result res = Emerge.run(r, direct.resolve("scratch"));
        double emerge = (System.nanoTime() - t1) / 1e9;
        if (!res.ok()) throw new IllegalStateException("direct emerge failed: " + res.logTail());
        System.out.printf("packages built:                 %d%n", n);
        System.out.printf("stageforge build (whole stage): %.1f s%n", stageforge);
        System.out.printf("emerge directly in the seed:    %.1f s%n", emerge);
        System.out.printf("overhead ratio:                 %.2f (target <= 1.10)%n", stageforge / emerge);
        System.out.printf("first emerge started after:     %.1f s with a warm seed cache (target < 5 s)%n", startup);
    }

    private static void run(Path spec, Path bd, Path cache, long[] firstEmerge) throws Exception {
        Writer w = new Writer() {
            @Override
            public void write(char[] c, int off, int len) {
                if (firstEmerge[0] == 0 && new String(c, off, len).contains("binpkgs emerge ")) firstEmerge[0] = System.nanoTime();
            }

            @Override
            public void flush() { }

            @Override
            public void close() { }
        };
        BuildOptions o = BuildOptions.of(bd, bd.resolveSibling(bd.getFileName() + "-out")).withCacheDir(cache)
                .withEnv(Map.of("SOURCE_DATE_EPOCH", "1700000000"));
        try (Reporter rep = new Reporter(new PrintWriter(w), Reporter.Mode.VERBOSE, bd.resolve("logs"), false, true,
                Part.values().length)) {
            Build.run(SpecParser.parse(spec), o, rep);
        }
    }
}

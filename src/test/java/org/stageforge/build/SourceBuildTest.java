package org.stageforge.build;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.StageforgeException;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.pipeline.Build;
import org.stageforge.pipeline.BuildOptions;
import org.stageforge.pipeline.Lock;
import org.stageforge.pipeline.Part;
import org.stageforge.pipeline.Reporter;
import org.stageforge.spec.SpecParser;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The issue's "Must show" with real emerge in the test seed: a stage built from the synthetic repository with
 * [seed] and no binhost, rebuilt only as its inputs change. Steps share one build directory (each build is
 * expensive), so they run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SourceBuildTest {
    @TempDir
    static Path tmp;
    static Path repo;
    static Path key;
    static TestSeed.Tarball seed;
    static Path cache;

    @BeforeAll
    static void setUp() throws IOException {
        seed = TestSeed.tarball();
        repo = TestRepo.create(tmp.resolve("repo"));
        OpenPgp.GeneratedKey g = OpenPgp.generate("Build <b@example.org>", null, new Date(0));
        key = tmp.resolve("signing.asc");
        Files.write(key, g.secretArmored());
        // the unpacked seed is kept between runs, like TestSeed's tarball
        cache = Path.of("target/source-build-cache").toAbsolutePath();
    }

    static Path spec(String name, String extra) throws IOException {
        return spec(name, extra, "world = [\"sf-test/p03\"]\npackage_use = [\"sf-test/p02 loud\"]", "");
    }

    static Path spec(String name, String extra, String targets, String tables) throws IOException {
        Path f = tmp.resolve(name + ".toml");
        Files.writeString(f, """
                profile = "default"
                system = false
                %s
                %s
                [stage]
                name = "src"
                version = "1"

                [repo]
                name = "sfrepo"
                path = "repo"

                [seed]
                path = "%s"
                sha512 = "%s"

                [build]
                jobs = 2
                network = false

                [output]
                signing_key = "signing.asc"
                %s
                """.formatted(targets, extra, seed.path(), seed.sha512(), tables));
        return f;
    }

    /** A build; returns what the reporter printed (VERBOSE: every action). */
    static String build(Path spec, Path buildDir) throws IOException {
        return build(spec, buildDir, null);
    }

    static BuildOptions options(Path buildDir) {
        return BuildOptions.of(buildDir, buildDir.resolveSibling(buildDir.getFileName() + "-out"))
                .withCacheDir(cache).withEnv(Map.of("SOURCE_DATE_EPOCH", "1700000000"));
    }

    static String build(Path spec, Path buildDir, Lock lock) throws IOException {
        StringWriter w = new StringWriter();
        BuildOptions o = options(buildDir).withLock(lock);
        try (Reporter rep = new Reporter(new PrintWriter(w), Reporter.Mode.VERBOSE, buildDir.resolve("logs"), false, true,
                Part.values().length)) {
            Build.run(SpecParser.parse(spec), o, rep);
        } catch (StageforgeException e) {
            throw new StageforgeException(e.getMessage() + "\n--- output:\n" + w, e.exitCode(), e);
        }
        return w.toString();
    }

    static String run(Path root, String prog) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("chroot", root.toString(), "/usr/bin/" + prog).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }

    static List<String> built(String output) {
        List<String> l = new ArrayList<>();
        for (String line : output.split("\n")) {
            if (line.strip().startsWith("binpkgs built ")) l.add(line.strip().split(" ")[2]);
        }
        return l;
    }

    static Map<String, Object> inodes(Path local) throws IOException {
        Map<String, Object> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(local)) {
            for (Path p : s.filter(x -> x.toString().endsWith(".gpkg.tar")).toList()) {
                m.put(local.relativize(p).toString(), Files.readAttributes(p, "unix:ino").get("ino"));
            }
        }
        return m;
    }

    @Test
    @Order(1)
    void buildsTheStageFromSource() throws Exception {
        Path bd = tmp.resolve("a");
        String out = build(spec("s1", ""), bd);
        assertThat(built(out)).containsExactly("sf-test/p01-1.0", "sf-test/p02-1.0", "sf-test/p03-1.0");
        assertThat(run(bd.resolve("root"), "p01")).isEqualTo(TestRepo.expected(1, false));
        assertThat(run(bd.resolve("root"), "p02")).isEqualTo(TestRepo.expected(2, true));
        assertThat(run(bd.resolve("root"), "p03")).isEqualTo(TestRepo.expected(3, false));
        assertThat(inodes(bd.resolve("binpkgs"))).hasSize(3);
    }

    static Map<String, byte[]> gpkgs(Path local) throws IOException {
        Map<String, byte[]> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(local)) {
            for (Path p : s.filter(x -> x.toString().endsWith(".gpkg.tar") || x.endsWith("Packages")).toList()) {
                m.put(local.relativize(p).toString(), Files.readAllBytes(p));
            }
        }
        return m;
    }

    static Map<String, byte[]> first;
    static Lock lock;
    static String firstTarball;

    static String tarballSha(Path bd) throws IOException {
        return Files.readString(bd.resolveSibling(bd.getFileName() + "-out").resolve("SHA256SUMS"));
    }

    @Test
    @Order(2)
    void anUnchangedSecondBuildBuildsNothing() throws Exception {
        Path bd = tmp.resolve("a");
        first = gpkgs(bd.resolve("binpkgs"));
        firstTarball = tarballSha(bd);
        Map<String, Object> before = inodes(bd.resolve("binpkgs"));
        String out = build(spec("s1", ""), bd);
        assertThat(built(out)).isEmpty();
        assertThat(inodes(bd.resolve("binpkgs"))).isEqualTo(before);
        assertThat(tarballSha(bd)).isEqualTo(firstTarball);
        // the lock pins the packages built from source by their SHA-512 in the build's own binhost
        lock = Build.lock(SpecParser.parse(spec("s1", "")), options(bd), Reporter.silent(bd.resolve("logs")));
        assertThat(lock.packages()).allSatisfy(p -> {
            assertThat(p.binhost()).isEqualTo(-1);
            assertThat(p.sha512()).matches("[0-9a-f]{128}");
        });
    }

    @Test
    @Order(3)
    void changingOnePackagesUseRebuildsExactlyThatPackage() throws Exception {
        Path bd = tmp.resolve("a");
        Map<String, Object> before = inodes(bd.resolve("binpkgs"));
        String out = build(spec("s2", "", "world = [\"sf-test/p03\"]\npackage_use = [\"sf-test/p02 loud\", \"sf-test/p01 loud\"]", ""), bd);
        assertThat(built(out)).containsExactly("sf-test/p01-1.0");
        Map<String, Object> after = inodes(bd.resolve("binpkgs"));
        assertThat(after.get("sf-test/p01/p01-1.0-1.gpkg.tar")).isNotEqualTo(before.get("sf-test/p01/p01-1.0-1.gpkg.tar"));
        assertThat(after.get("sf-test/p02/p02-1.0-1.gpkg.tar")).isEqualTo(before.get("sf-test/p02/p02-1.0-1.gpkg.tar"));
        assertThat(after.get("sf-test/p03/p03-1.0-1.gpkg.tar")).isEqualTo(before.get("sf-test/p03/p03-1.0-1.gpkg.tar"));
        assertThat(run(bd.resolve("root"), "p01")).isEqualTo(TestRepo.expected(1, true));
    }

    @Test
    @Order(4)
    void changingCflagsRebuildsEverything() throws Exception {
        Path bd = tmp.resolve("a");
        String out = build(spec("s3", "", "world = [\"sf-test/p03\"]\npackage_use = [\"sf-test/p02 loud\", \"sf-test/p01 loud\"]",
                "[make_conf]\nCFLAGS = \"-O2\"\n"), bd);
        assertThat(built(out)).containsExactly("sf-test/p01-1.0", "sf-test/p02-1.0", "sf-test/p03-1.0");
        assertThat(run(bd.resolve("root"), "p03")).isEqualTo(TestRepo.expected(3, false));
    }

    /**
     * A second build directory from scratch, replaying the first build's lock (as on a fresh clone): the packages are
     * built again and must give the pinned bytes; the same GPKG bytes, index and tarball as the first build.
     */
    @Test
    @Order(5)
    void twoBuildsFromScratchAreIdenticalAndALockedReplayToo() throws Exception {
        Path bd = tmp.resolve("b");
        assertThat(built(build(spec("s1", ""), bd, lock))).containsExactly("sf-test/p01-1.0", "sf-test/p02-1.0", "sf-test/p03-1.0");
        Map<String, byte[]> again = gpkgs(bd.resolve("binpkgs"));
        assertThat(again.keySet()).isEqualTo(first.keySet());
        for (String k : first.keySet()) assertThat(again.get(k)).as(k).isEqualTo(first.get(k));
        assertThat(tarballSha(bd)).isEqualTo(firstTarball);
    }

    /** A binhost made from another build's packages is used for what it has: only the rest is built. */
    @Test
    @Order(6)
    void aBinhostThatHasSomePackagesIsUsedForThem() throws Exception {
        Path bh = tmp.resolve("binhost");
        for (String p : List.of("p01", "p02")) {
            Path f = tmp.resolve("b/binpkgs/sf-test").resolve(p).resolve(p + "-1.0-1.gpkg.tar");
            Files.createDirectories(bh.resolve("sf-test").resolve(p));
            Files.copy(f, bh.resolve("sf-test").resolve(p).resolve(f.getFileName()));
        }
        org.stageforge.binhost.BinhostWriter.index(bh, Map.of(), 1700000000L);
        Path bd = tmp.resolve("c");
        String out = build(spec("s4", "", "world = [\"sf-test/p03\"]\npackage_use = [\"sf-test/p02 loud\"]",
                "[[binhost]]\nurl = \"binhost\"\n"), bd);
        assertThat(built(out)).containsExactly("sf-test/p03-1.0");
        assertThat(run(bd.resolve("root"), "p02")).isEqualTo(TestRepo.expected(2, true));
    }

    /**
     * The failing package stops the build with its log tail and path; with keep_going the others are built and
     * kept; after fixing the spec the build continues without rebuilding them.
     */
    @Test
    @Order(7)
    void aFailingPackageStopsTheBuildAndTheFixedBuildContinues() throws Exception {
        Path bd = tmp.resolve("d");
        String targets = "world = [\"sf-test/p02\", \"sf-test/broken\"]";
        assertThatThrownBy(() -> build(spec("s5", "", targets, "").resolveSibling("s5.toml"), bd))
                .isInstanceOf(StageforgeException.class)
                .hasMessageContaining("sf-test/broken-1.0 failed to build (log: " + bd.resolve("logs/portage"))
                .hasMessageContaining("sf-test/broken needs USE=fixed");
        Files.writeString(tmp.resolve("s5.toml"), Files.readString(tmp.resolve("s5.toml")).replace("jobs = 2", "jobs = 2\nkeep_going = true"));
        assertThatThrownBy(() -> build(tmp.resolve("s5.toml"), bd)).hasMessageContaining("not built: sf-test/broken-1.0");
        assertThat(LocalBinhost.of(bd).keyOf("sf-test/p02-1.0")).isPresent();
        String out = build(spec("s6", "", targets + "\npackage_use = [\"sf-test/broken fixed\"]", ""), bd);
        assertThat(built(out)).containsExactly("sf-test/broken-1.0");
        assertThat(run(bd.resolve("root"), "broken")).isEqualTo("broken: fixed");
        assertThat(run(bd.resolve("root"), "p02")).isEqualTo(TestRepo.expected(2, false));
    }

    /** {@code kill -9} of a build while it builds from source, then a resume: the uninterrupted build's bytes. */
    @Test
    @Order(8)
    void killedDuringTheBuildThenResumedGivesTheUninterruptedResult() throws Exception {
        Path bd = tmp.resolve("e");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "org.stageforge.cli.Main", "build", spec("s1", "").toString(),
                "--build-dir", bd.toString(), "--output", bd.resolveSibling("e-out").toString(), "--cache-dir", cache.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("e.log").toFile());
        pb.environment().put("SOURCE_DATE_EPOCH", "1700000000");
        Process p = pb.start();
        // killed once the first package is in the local binhost (moved in and indexed)
        Path index = bd.resolve("binpkgs/Packages");
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(5);
        while (!(Files.exists(index) && Files.readString(index).contains("CPV: sf-test/p01-1.0")) && p.isAlive()
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(p.isAlive()).as(Files.readString(tmp.resolve("e.log"))).isTrue();
        List<ProcessHandle> children = p.descendants().toList();
        p.destroyForcibly();
        for (ProcessHandle c : children) c.destroyForcibly();
        p.waitFor();
        String out = build(spec("s1", ""), bd);
        assertThat(built(out)).doesNotContain("sf-test/p01-1.0");
        Map<String, byte[]> again = gpkgs(bd.resolve("binpkgs"));
        assertThat(again.keySet()).isEqualTo(first.keySet());
        for (String k : first.keySet()) assertThat(again.get(k)).as(k).isEqualTo(first.get(k));
        assertThat(tarballSha(bd)).isEqualTo(firstTarball);
    }

    /**
     * --shell-on-failure: a shell that ends without a fix is opened at most MAX_SHELLS times, then the build stops;
     * a shell that fixes the cause (a file in the shared distfiles directory) and exits 0 makes the retry succeed.
     * The package is an overlay's.
     */
    @Test
    @Order(9)
    void theFailureShellRetriesThePackageAndGivesUp() throws Exception {
        Path approved = cache.resolve("distfiles").resolve(Path.of(TestRepo.APPROVAL).getFileName());
        Files.deleteIfExists(approved);
        TestRepo.createOverlay(tmp.resolve("overlay"));
        // the package comes from an overlay: its ebuild is resolved and built from there
        Path spec = spec("s9", "", "world = [\"sf-test/approval\"]", "[[overlay]]\npath = \"overlay\"\npriority = 5\n");
        Path bd = tmp.resolve("f");

        CliRun giveUp = cli(spec, bd, "");
        assertThat(giveUp.exit()).as(giveUp.output()).isEqualTo(1);
        assertThat(giveUp.output()).contains("(" + SourceBuild.MAX_SHELLS + " of " + SourceBuild.MAX_SHELLS + ")")
                .doesNotContain("(" + (SourceBuild.MAX_SHELLS + 1) + " of ")
                .contains("still failing after " + SourceBuild.MAX_SHELLS + " shells: sf-test/approval-1.0 failed to build")
                .contains("sf-test/approval needs " + TestRepo.APPROVAL);

        CliRun fixed = cli(spec, bd, "echo \"in $PF\"\ntouch " + TestRepo.APPROVAL + "\nexit 0\n");
        assertThat(fixed.exit()).as(fixed.output()).isZero();
        assertThat(fixed.output()).contains("in approval-1.0", "(1 of " + SourceBuild.MAX_SHELLS + ")");
        assertThat(Files.exists(approved)).isTrue();
        assertThat(run(bd.resolve("root"), "approval")).isEqualTo("approval: granted");
        try (var bp = org.stageforge.binpkg.BinaryPackage.open(bd.resolve("binpkgs/sf-test/approval/approval-1.0-1.gpkg.tar"))) {
            assertThat(bp.metadata().get("repository").strip()).isEqualTo(TestRepo.OVERLAY);
        }
        Files.delete(approved);
    }

    /** A stageforge build in its own JVM with the given standard input; output and error together. */
    static CliRun cli(Path spec, Path bd, String stdin) throws Exception {
        Path in = Files.writeString(tmp.resolve("stdin"), stdin);
        Path log = tmp.resolve("cli.log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "org.stageforge.cli.Main", "build", spec.toString(),
                "--build-dir", bd.toString(), "--output", bd.resolveSibling(bd.getFileName() + "-out").toString(),
                "--cache-dir", cache.toString(), "--shell-on-failure")
                .redirectInput(in.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("SOURCE_DATE_EPOCH", "1700000000");
        int exit = pb.start().waitFor();
        return new CliRun(exit, Files.readString(log));
    }

    record CliRun(int exit, String output) {}

    /**
     * The same spec built by a normal user (uid 65534: user namespace, its own seed cache and build directory) gives
     * the GPKGs and the tarball the build as root gave, byte for byte.
     */
    @Test
    @Order(10)
    void aNormalUserBuildsTheSameBytesAsRoot() throws Exception {
        Assumptions.assumeTrue(org.stageforge.archive.SafeExtractor.runningAsRoot(), "needs root to switch to uid 65534");
        Assumptions.assumeTrue(first != null, "needs the build as root of the first test");
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        String cp = TestSeed.readableClassPath(tmp.resolve("cp"));
        Path home = tmp.resolve("user-home");
        Path bd = home.resolve("u");
        Files.createDirectories(home);
        TestSeed.run(List.of("chown", "-R", TestSeed.USER + ":" + TestSeed.USER, home.toString()), null, 60);
        Path spec = spec("s1", "");
        Path log = tmp.resolve("user.log");
        List<String> cmd = TestSeed.asUser(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", cp, "org.stageforge.cli.Main", "build", spec.toString(), "--build-dir", bd.toString(),
                "--output", home.resolve("u-out").toString(), "--cache-dir", home.resolve("cache").toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().clear();
        pb.environment().putAll(Map.of("HOME", home.toString(), "LC_ALL", "C.UTF-8", "PATH", "/usr/sbin:/usr/bin:/sbin:/bin",
                "SOURCE_DATE_EPOCH", "1700000000"));
        assertThat(pb.start().waitFor()).as(Files.readString(log)).isZero();
        Map<String, byte[]> asUser = gpkgs(bd.resolve("binpkgs"));
        assertThat(asUser.keySet()).isEqualTo(first.keySet());
        for (String k : first.keySet()) assertThat(asUser.get(k)).as(k).isEqualTo(first.get(k));
        assertThat(tarballSha(bd)).isEqualTo(firstTarball);
    }

    /**
     * [build] network (the default): the distfiles are fetched first, with the network, from the ebuild's SRC_URI
     * (a server on loopback) into the shared distfiles directory; the build itself runs without network.
     */
    @Test
    @Order(11)
    void distfilesAreFetchedFirstAndTheBuildRunsOffline() throws Exception {
        byte[] source = "#include <stdio.h>\nint main(void) { puts(\"fetched: hello\"); return 0; }\n"
                .getBytes(StandardCharsets.UTF_8);
        Path mirror = Files.createDirectories(tmp.resolve("mirror"));
        Files.write(mirror.resolve("sf-fetched-1.0.c"), source);
        Path distfile = cache.resolve("distfiles/sf-fetched-1.0.c");
        Files.deleteIfExists(distfile);
        try (org.stageforge.server.StaticServer server = org.stageforge.server.StaticServer.start(mirror, 0)) {
            TestRepo.createFetchingOverlay(tmp.resolve("fetch-overlay"), server.uri().resolve("sf-fetched-1.0.c").toString(), source);
            Path spec = spec("s11", "", "world = [\"sf-test/fetched\"]",
                    "[[overlay]]\npath = \"fetch-overlay\"\n");
            Files.writeString(spec, Files.readString(spec).replace("network = false\n", ""));
            Path bd = tmp.resolve("g");
            String out = build(spec, bd);
            assertThat(out).contains("emerge --fetchonly =sf-test/fetched-1.0");
            assertThat(Files.readAllBytes(distfile)).isEqualTo(source);
            assertThat(run(bd.resolve("root"), "fetched")).isEqualTo("fetched: hello");
        } finally {
            Files.deleteIfExists(distfile);
        }
    }
}

package org.stageforge.build;

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
 * The "Must show" with real emerge in the test seed: a stage built from the synthetic repository with
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
        cache = tmp.resolve("cache");
    }

    static Path spec(String name, String extra) throws IOException {
        Path f = tmp.resolve(name + ".toml");
        Files.writeString(f, """
                profile = "default"
                system = false
                world = ["sf-test/p03"]
                package_use = ["sf-test/p02 loud"]
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

                [output]
                signing_key = "signing.asc"
                """.formatted(extra, seed.path(), seed.sha512()));
        return f;
    }

    /** A build; returns what the reporter printed (VERBOSE: every action). */
    static String build(Path spec, Path buildDir) throws IOException {
        StringWriter w = new StringWriter();
        BuildOptions o = BuildOptions.of(buildDir, buildDir.resolveSibling(buildDir.getFileName() + "-out"))
                .withCacheDir(cache).withEnv(Map.of("SOURCE_DATE_EPOCH", "1700000000"));
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
}

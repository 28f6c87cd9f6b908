package org.stageforge.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.spec.SpecParser;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kills {@code stageforge build} (a separate JVM) with SIGKILL at several points, then resumes the build in the same
 * build directory and checks the artifacts are byte-identical to an uninterrupted build's.
 */
class ResumeAfterKillTest {
    @TempDir
    Path tmp;

    private TestStage stage;

    private Process start(Path buildDir, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "org.stageforge.cli.Main", "build", stage.spec.toString(),
                "--build-dir", buildDir.toString(), "--output", tmp.resolve("out-" + buildDir.getFileName()).toString(), "--quiet"));
        cmd.addAll(List.of(extra));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve(buildDir.getFileName() + ".log").toFile()).start();
    }

    private static void kill9(Process p) throws Exception {
        List<ProcessHandle> children = p.descendants().toList();
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        for (ProcessHandle c : children) c.destroyForcibly();
    }

    private List<String> artifacts(Path out) throws Exception {
        List<String> l = new ArrayList<>();
        for (String n : List.of("tiny-1.0.tar.zst", "tiny-1.0.json", "SHA256SUMS", "SHA512SUMS")) {
            l.add(n + " " + TestStage.sha256(out.resolve(n)));
        }
        return l;
    }

    private void resume(Path buildDir) {
        Build.run(SpecParser.parse(stage.spec), BuildOptions.of(buildDir, tmp.resolve("out-" + buildDir.getFileName())),
                Reporter.silent(buildDir.resolve("logs")));
    }

    @Test
    void resumedBuildsMatchAnUninterruptedOne() throws Exception {
        stage = TestStage.create(tmp.resolve("s"), "");
        Path armed = tmp.resolve("armed");
        Path reached = tmp.resolve("reached");
        // hooks that, while armed, report their point and stall so the test can kill the build there
        for (String point : List.of("after-install", "before-configure", "before-pack", "after-pack", "before-publish")) {
            Path h = tmp.resolve("s/hooks/" + point + ".d/50-stall");
            Files.createDirectories(h.getParent());
            Files.writeString(h, "#!/bin/sh\nif [ -f " + armed + " ] && [ \"$(cat " + armed + ")\" = " + point + " ]; then echo "
                    + point + " > " + reached + "; sleep 60; fi\n");
            h.toFile().setExecutable(true);
        }
        Path ref = tmp.resolve("ref");
        Process p = start(ref);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(Files.readString(tmp.resolve("ref.log"))).isZero();
        List<String> expected = artifacts(tmp.resolve("out-ref"));

        int n = 0;
        for (String point : List.of("before-configure", "after-pack", "before-publish")) {
            Path bd = tmp.resolve("k" + n++);
            Files.writeString(armed, point);
            Files.deleteIfExists(reached);
            p = start(bd);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(reached) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);
            assertThat(Files.exists(reached)).as(point + ": " + Files.readString(tmp.resolve(bd.getFileName() + ".log"))).isTrue();
            kill9(p);
            Files.delete(armed);
            resume(bd);
            assertThat(artifacts(tmp.resolve("out-" + bd.getFileName()))).as("killed at " + point).isEqualTo(expected);
        }

        Random random = new Random(42);
        for (int i = 0; i < 2; i++) {
            Path bd = tmp.resolve("r" + i);
            p = start(bd);
            Thread.sleep(600 + random.nextInt(2500));
            kill9(p);
            resume(bd);
            assertThat(artifacts(tmp.resolve("out-" + bd.getFileName()))).as("killed at random point " + i).isEqualTo(expected);
        }
    }
}

package org.stageforge.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.cli.Main;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ctrl-C on {@code stageforge build} (a child JVM, sent SIGINT) says what was interrupted and the command that
 * resumes, also as a JSON error event, and exits 130; the printed command then finishes the build, with the extra
 * archive formats {@code --format} asks for.
 */
class BuildInterruptTest {
    @TempDir
    Path tmp;

    private Process start(TestStage stage, String name, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "build", stage.spec.toString(),
                "--build-dir", tmp.resolve("bd-" + name).toString(), "--output", tmp.resolve("out-" + name).toString()));
        cmd.addAll(List.of(extra));
        return new ProcessBuilder(cmd).redirectOutput(tmp.resolve(name + ".out").toFile())
                .redirectError(tmp.resolve(name + ".err").toFile()).start();
    }

    /** Starts a build, waits for the stalling hook, and sends SIGINT to the JVM as a terminal's Ctrl-C would. */
    private Process interrupt(TestStage stage, Path reached, String name, String... extra) throws Exception {
        Files.deleteIfExists(reached);
        Process p = start(stage, name, extra);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!Files.exists(reached) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);
        assertThat(Files.exists(reached)).as(Files.readString(tmp.resolve(name + ".err"))).isTrue();
        List<ProcessHandle> children = p.descendants().toList();
        Process kill = new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).inheritIO().start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        // a terminal signals the whole process group; here the stalled hook is ended by hand
        for (ProcessHandle c : children) c.destroyForcibly();
        return p;
    }

    @Test
    void ctrlCSaysWhatWasInterruptedAndHowToResume() throws Exception {
        TestStage stage = TestStage.create(tmp.resolve("s"), "");
        Path armed = tmp.resolve("armed");
        Path reached = tmp.resolve("reached");
        Path h = tmp.resolve("s/hooks/before-configure.d/50-stall");
        Files.createDirectories(h.getParent());
        Files.writeString(h, "#!/bin/sh\nif [ -f " + armed + " ]; then echo > " + reached + "; sleep 60; fi\n");
        assertThat(h.toFile().setExecutable(true)).isTrue();
        Files.writeString(armed, "");

        Process p = interrupt(stage, reached, "text");
        assertThat(p.exitValue()).isEqualTo(130);
        String resume = "stageforge build " + stage.spec + " --build-dir " + tmp.resolve("bd-text") + " --output "
                + tmp.resolve("out-text") + " --resume";
        assertThat(Files.readString(tmp.resolve("text.err")).lines().toList())
                .endsWith("stageforge: interrupted during configure; resume with: " + resume);

        p = interrupt(stage, reached, "json", "--json");
        assertThat(p.exitValue()).isEqualTo(130);
        List<String> events = Files.readString(tmp.resolve("json.out")).lines().toList();
        JsonNode last = new ObjectMapper().readTree(events.get(events.size() - 1));
        assertThat(last.get("event").asText()).isEqualTo("error");
        assertThat(last.get("message").asText()).isEqualTo("interrupted during configure");
        assertThat(last.get("interrupted").asBoolean()).isTrue();
        assertThat(last.get("resume").asText()).isEqualTo(resume.replace("-text", "-json"));

        // the printed command (here in-process, with two more formats) finishes the build
        Files.delete(armed);
        List<String> args = new ArrayList<>(List.of(resume.split(" ")).subList(1, 8));
        args.addAll(List.of("--format", "tar.xz,oci", "--quiet"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args.toArray(String[]::new));
        assertThat(code).as(err.toString()).isZero();
        assertThat(Thread.currentThread().isInterrupted()).as("interrupt flag after an in-process build").isFalse();
        try (var files = Files.list(tmp.resolve("out-text"))) {
            assertThat(files.map(f -> f.getFileName().toString()).toList())
                    .contains("tiny-1.0.tar.zst", "tiny-1.0.tar.xz", "tiny-1.0.oci.tar");
        }
    }
}

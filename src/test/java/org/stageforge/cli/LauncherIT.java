package org.stageforge.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The packaged launcher as users run it (after {@code mvn package}: the fat jar and the AppCDS archive). */
class LauncherIT {
    private static String run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    @Test
    void theRealLauncherPrintsTheVersionThroughALink(@TempDir Path tmp) throws Exception {
        Path link = Files.createSymbolicLink(tmp.resolve("stageforge"), Path.of("bin/stageforge").toAbsolutePath());
        assertThat(run(List.of(link.toString(), "--version"))).startsWith("stageforge ");
    }

    /** -Xshare:on makes the JVM refuse an archive it cannot use: the one the build made fits the jar and the JVM. */
    @Test
    void theAppCdsArchiveTheBuildMadeIsUsable() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        String out = run(List.of(java.toString(), "-XX:SharedArchiveFile=target/stageforge.jsa", "-Xshare:on",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", "target/stageforge.jar", "--version"));
        assertThat(out).startsWith("stageforge ");
    }
}

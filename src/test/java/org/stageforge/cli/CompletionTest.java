package org.stageforge.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.AutoComplete;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The bash completion generated from the command model (as the build does) completes commands and --format. */
class CompletionTest {
    private static String complete(Path script, String... words) throws Exception {
        String array = String.join(" ", java.util.Arrays.stream(words).map(w -> "'" + w + "'").toList());
        Process p = new ProcessBuilder("bash", "-c", "source " + script + "; COMP_WORDS=(" + array + "); COMP_CWORD="
                + (words.length - 1) + "; _complete_stageforge 2>/dev/null; echo \"${COMPREPLY[*]}\"").start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    @Test
    void bashCompletesCommandsAndFormats(@TempDir Path tmp) throws Exception {
        Path script = tmp.resolve("stageforge");
        Files.writeString(script, AutoComplete.bash("stageforge",
                Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()))));
        assertThat(complete(script, "stageforge", "bu")).isEqualTo("build");
        assertThat(complete(script, "stageforge", "vdb", "")).isEqualTo("list show");
        assertThat(complete(script, "stageforge", "build", "--format", "")).isEqualTo("tar.zst tar.xz squashfs erofs oci");
        assertThat(complete(script, "stageforge", "pkg", "inspect", "--h")).isEqualTo("--help");
    }
}

package org.stageforge.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** bin/stageforge finds target/stageforge.jar beside its real location when it is run through symbolic links. */
class LauncherTest {
    private static final Path SCRIPT = Path.of("bin/stageforge").toAbsolutePath();

    private record Run(int code, String out) {}

    private static Run sh(Path cwd, String java, String... cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true);
        if (java != null) pb.environment().put("JAVA", java);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out);
    }

    @Test
    void aChainOfRelativeAndAbsoluteLinksReachesTheJar(@TempDir Path tmp) throws Exception {
        // a copy of the project layout, and a "java" that prints what it was asked to run
        Path home = Files.createDirectories(tmp.resolve("proj/bin"));
        Files.copy(SCRIPT, home.resolve("stageforge"), StandardCopyOption.COPY_ATTRIBUTES);
        Path jar = Files.createDirectories(tmp.resolve("proj/target")).resolve("stageforge.jar");
        Files.writeString(jar, "");
        Path java = Files.writeString(tmp.resolve("fake-java"), "#!/bin/sh\nfor a; do echo \"$a\"; done\n");
        assertThat(java.toFile().setExecutable(true)).isTrue();
        Path pathDir = Files.createDirectories(tmp.resolve("path"));
        Files.createSymbolicLink(pathDir.resolve("sf-abs"), home.resolve("stageforge"));
        Path other = Files.createDirectories(tmp.resolve("other"));
        Files.createSymbolicLink(other.resolve("sf-rel"), Path.of("../path/sf-abs"));

        Run r = sh(tmp, java.toString(), other.resolve("sf-rel").toString(), "--version");
        assertThat(r.code()).as(r.out()).isZero();
        List<String> args = r.out().lines().toList();
        assertThat(args.subList(args.size() - 3, args.size())).containsExactly("-jar", jar.toRealPath().toString(), "--version");

        // found through PATH, run from elsewhere
        Run viaPath = sh(tmp, java.toString(), "sh", "-c", "PATH=" + other + ":$PATH exec sf-rel --version");
        assertThat(viaPath.out()).isEqualTo(r.out());

        Files.delete(jar);
        Run missing = sh(tmp, java.toString(), other.resolve("sf-rel").toString(), "--version");
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.out()).startsWith("stageforge: " + tmp.toRealPath().resolve("proj/target/stageforge.jar") + " not found");
    }

    @Test
    void aLocaleThatIsNotUtf8RunsTheJvmInCUtf8(@TempDir Path tmp) throws Exception {
        Path home = Files.createDirectories(tmp.resolve("proj/bin"));
        Files.copy(SCRIPT, home.resolve("stageforge"), StandardCopyOption.COPY_ATTRIBUTES);
        Files.writeString(Files.createDirectories(tmp.resolve("proj/target")).resolve("stageforge.jar"), "");
        Path java = Files.writeString(tmp.resolve("fake-java"), "#!/bin/sh\necho \"LC_ALL=$LC_ALL\"\n");
        assertThat(java.toFile().setExecutable(true)).isTrue();
        // C, and a UTF-8 locale that is not installed (glibc falls back to C): file names would be ASCII-only
        for (String given : List.of("C", "xx_YY.UTF-8", "C.UTF-8")) {
            ProcessBuilder pb = new ProcessBuilder(home.resolve("stageforge").toString(), "--version")
                    .redirectErrorStream(true);
            pb.environment().put("JAVA", java.toString());
            pb.environment().put("LC_ALL", given);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(out).as(given).isEqualTo("LC_ALL=C.UTF-8");
        }
    }
}

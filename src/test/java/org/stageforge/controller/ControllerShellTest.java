package org.stageforge.controller;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.cli.Main;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The controller's shell functions (controller/test/lib_test.sh under busybox sh), shellcheck, and its export. */
class ControllerShellTest {
    static final Path SOURCE = Path.of("controller");

    @Test
    void shellFunctionsUnderBusybox(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(ControllerTest.tool("busybox") != null, "busybox is not installed (Debian busybox-static)");
        Assumptions.assumeTrue(ControllerTest.tool("gpgv") != null, "gpgv is not installed");
        Path bin = ControllerHarness.busyboxBin(dir.resolve("bin"), false);
        Path work = Files.createDirectories(dir.resolve("work"));
        // a bundle entry that climbs out of its directory, which busybox tar will not make
        try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(Files.newOutputStream(work.resolve("dotdot.tar")))) {
            var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("etc/../../x", true);
            e.setSize(2);
            tar.putArchiveEntry(e);
            tar.write("x\n".getBytes(StandardCharsets.US_ASCII));
            tar.closeArchiveEntry();
        }
        ProcessBuilder pb = new ProcessBuilder(bin.resolve("sh").toString(), SOURCE.resolve("test/lib_test.sh").toString(), work.toString())
                .redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().put("PATH", bin.toString());
        pb.environment().put("STAGEFORGE_CONTROLLER_LIB", SOURCE.resolve("lib").toAbsolutePath().toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out).doesNotContain("not ok").contains("1..35");
    }

    @Test
    void scriptsPassShellcheckInPosixMode() throws Exception {
        Assumptions.assumeTrue(ControllerTest.tool("shellcheck") != null, "shellcheck is not installed (Debian shellcheck)");
        // the main script with every library it sources (-x), the hooks, the tests; dracut's module-setup is bash
        check("sh", "-x", "--source-path=SCRIPTDIR", "stageforge-controller");
        check("sh", "-x", "--source-path=SCRIPTDIR", "test/lib_test.sh");
        check("sh", "dracut/90stageforge/stageforge-mount.sh", "dracut/90stageforge/stageforge-root.sh", "openrc/stageforge-health");
        check("bash", "dracut/90stageforge/module-setup.sh");
    }

    private static void check(String shell, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("shellcheck", "-s", shell));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(SOURCE.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out).isEmpty();
    }

    @Test
    void exportWritesTheControllerFiles(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("ctl");
        assertThat(Main.execute("controller", "export", out.toString())).isZero();
        List<String> source;
        try (Stream<Path> s = Files.walk(SOURCE)) {
            source = s.filter(Files::isRegularFile).map(p -> SOURCE.relativize(p).toString())
                    .filter(n -> !n.startsWith("test/")).sorted().toList();
        }
        List<String> written;
        try (Stream<Path> s = Files.walk(out)) {
            written = s.filter(Files::isRegularFile).map(p -> out.relativize(p).toString()).sorted().toList();
        }
        assertThat(written).isEqualTo(source).contains("stageforge-controller", "lib/slot.sh",
                "dracut/90stageforge/module-setup.sh", "openrc/stageforge-health", "systemd/stageforge-healthy.service");
        for (String n : written) {
            assertThat(Files.readAllBytes(out.resolve(n))).as(n).isEqualTo(Files.readAllBytes(SOURCE.resolve(n)));
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("stageforge-controller")))).isEqualTo("rwxr-xr-x");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("lib/common.sh")))).isEqualTo("rw-r--r--");
        // a second export over the first replaces the files
        assertThat(Main.execute("controller", "export", out.toString())).isZero();
    }
}

package org.stageforge.image;

import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.spec.StageSpec;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code [kernel] initramfs_controller}: the controller, its configuration and busybox/gpgv in stageforge's initramfs. */
class ControllerInitramfsTest {
    static final StageSpec.InitramfsController CTL = new StageSpec.InitramfsController("https://releases.example.org", "stable", "/etc/stageforge/keyring.gpg");

    @TempDir
    Path tmp;

    private Path root() throws Exception {
        Path r = tmp.resolve("root");
        Files.createDirectories(r.resolve("bin"));
        Files.writeString(r.resolve("bin/busybox"), "BUSYBOX");
        Files.createDirectories(r.resolve("usr/bin"));
        Files.writeString(r.resolve("usr/bin/gpgv"), "GPGV");
        Files.createDirectories(r.resolve("etc/stageforge/config.d"));
        Files.writeString(r.resolve("etc/stageforge/keyring.gpg"), "KEYS");
        Files.writeString(r.resolve("etc/stageforge/config.d/site.conf"), "machine_id = m1\n");
        return r;
    }

    private record Member(long mode, String data) {}

    private static Map<String, Member> list(Path f) throws Exception {
        Map<String, Member> m = new TreeMap<>();
        try (CpioArchiveInputStream in = new CpioArchiveInputStream(Files.newInputStream(f))) {
            for (CpioArchiveEntry e; (e = in.getNextCPIOEntry()) != null; ) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                in.transferTo(b);
                m.put(e.getName(), new Member(e.getMode(), b.toString(StandardCharsets.UTF_8)));
            }
        }
        return m;
    }

    private Path write(Path r, String name) throws Exception {
        var p = ControllerInitramfs.parts(r, CTL, StageSpec.Disk.DEFAULT, tmp);
        Path out = tmp.resolve(name);
        Initramfs.write(r, new Initramfs.Contents(null, p.files(), List.of(), "6.1.0-test"), p.extra(), 1_700_000_000L, out);
        return out;
    }

    @Test
    void theInitramfsRunsTheControllerWithTheSpecsConfiguration() throws Exception {
        Path r = root();
        Path img = write(r, "initrd");
        assertThat(Files.mismatch(img, write(r, "again"))).isEqualTo(-1L);
        Map<String, Member> m = list(img);
        assertThat(m.get("init").mode()).isEqualTo(0100755);
        assertThat(m.get("init").data()).startsWith("#!/bin/busybox sh\n")
                .contains("stageforge-controller --config /config.d boot --initramfs\n", "/dev/disk/by-partlabel/SYSFS ]");
        Path ctl = Path.of("controller");
        assertThat(m.get("usr/bin/stageforge-controller")).isEqualTo(new Member(0100755, Files.readString(ctl.resolve("stageforge-controller"))));
        try (var s = Files.list(ctl.resolve("lib"))) {
            for (Path f : s.toList()) {
                // the udhcpc event script is run, the rest sourced
                int mode = Files.readString(f).startsWith("#!") ? 0100755 : 0100644;
                assertThat(m.get("usr/lib/stageforge-controller/" + f.getFileName())).isEqualTo(new Member(mode, Files.readString(f)));
            }
        }
        assertThat(m.get("config.d/00-stageforge.conf").data()).isEqualTo("""
                # written by stageforge from the spec ([kernel] controller_*, [output.disk] labels)
                server = https://releases.example.org
                channel = stable
                keyring = /etc/stageforge/keyring.gpg
                slot_a = /dev/disk/by-partlabel/SYSFS
                slot_b = /dev/disk/by-partlabel/BACKUPFS
                state_device = /dev/disk/by-partlabel/STATE
                state_dir = /run/stageforge/state
                network = dhcp
                """);
        assertThat(m.get("config.d/50-site.conf").data()).isEqualTo("machine_id = m1\n");
        assertThat(m.get("bin/busybox").data()).isEqualTo("BUSYBOX");
        assertThat(m.get("usr/bin/gpgv").data()).isEqualTo("GPGV");
        assertThat(m.get("etc/stageforge/keyring.gpg").data()).isEqualTo("KEYS");
        // the init is valid shell
        Path init = tmp.resolve("init.sh");
        Files.writeString(init, m.get("init").data());
        Process p = new ProcessBuilder("sh", "-n", init.toString()).redirectErrorStream(true).start();
        assertThat(p.waitFor()).as(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
        if (ImageListing.onPath("shellcheck")) {
            assertThat(ImageListing.run(List.of("shellcheck", "-s", "sh", init.toString()), tmp)).isEmpty();
        }
    }

    @Test
    void busyboxAndGpgvMustBeInTheRoot() throws Exception {
        Path r = root();
        Files.delete(r.resolve("usr/bin/gpgv"));
        assertThatThrownBy(() -> ControllerInitramfs.parts(r, CTL, StageSpec.Disk.DEFAULT, tmp))
                .isInstanceOfSatisfying(StageforgeException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCodes.BAD_INPUT))
                .hasMessageEndingWith(": initramfs_controller: /usr/bin/gpgv is not in the root (the controller checks SHA256SUMS.gpg with gpgv (merge app-crypt/gnupg))");
        // without a server no signature is checked: no gpgv needed
        assertThat(ControllerInitramfs.parts(r, new StageSpec.InitramfsController(null, null, null), StageSpec.Disk.DEFAULT, tmp).files())
                .containsExactly("/bin/busybox", "/etc/stageforge");
        Files.delete(r.resolve("bin/busybox"));
        assertThatThrownBy(() -> ControllerInitramfs.parts(r, CTL, StageSpec.Disk.DEFAULT, tmp))
                .hasMessageContaining("/bin/busybox is not in the root");
    }

    @Test
    void aDynamicGpgvBringsItsLoaderAndLibrariesThroughMergedUsrSymlinks() throws Exception {
        Path hostLibs = Path.of("/usr/lib/x86_64-linux-gnu");
        List<String> needed = List.of("ld-linux-x86-64.so.2", "libc.so.6", "libz.so.1", "libbz2.so.1.0", "libgcrypt.so.20", "libgpg-error.so.0");
        org.junit.jupiter.api.Assumptions.assumeTrue(ImageListing.onPath("readelf"), "readelf (binutils) not installed");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/gpgv"))
                && needed.stream().allMatch(n -> Files.exists(hostLibs.resolve(n))), "needs an x86_64 Debian host's gpgv and its libraries");
        Path r = root();
        Files.copy(Path.of("/usr/bin/gpgv"), r.resolve("usr/bin/gpgv"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        // a merged-/usr root: /lib is a symlink, the loader's path an absolute symlink through it
        Path libs = Files.createDirectories(r.resolve("usr/lib/x86_64-linux-gnu"));
        Files.createSymbolicLink(r.resolve("lib"), Path.of("usr/lib"));
        Files.createSymbolicLink(Files.createDirectories(r.resolve("lib64")).resolve("ld-linux-x86-64.so.2"),
                Path.of("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"));
        for (String n : List.of("ld-linux-x86-64.so.2", "libc.so.6", "libz.so.1", "libbz2.so.1.0", "libgcrypt.so.20", "libgpg-error.so.0", "libm.so.6")) {
            Path real = hostLibs.resolve(n).toRealPath();
            Files.copy(real, libs.resolve(real.getFileName().toString()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            if (!real.getFileName().toString().equals(n)) Files.createSymbolicLink(libs.resolve(n), real.getFileName());
        }
        Files.createDirectories(r.resolve("etc/ld.so.conf.d"));
        Files.writeString(r.resolve("etc/ld.so.conf.d/x86_64-linux-gnu.conf"), "# multiarch\n/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n");

        List<String> files = ControllerInitramfs.parts(r, CTL, StageSpec.Disk.DEFAULT, tmp).files();
        assertThat(files).contains("/bin/busybox", "/usr/bin/gpgv", "/lib64/ld-linux-x86-64.so.2", "/lib",
                "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "/usr/lib/x86_64-linux-gnu/libz.so.1",
                "/usr/lib/x86_64-linux-gnu/" + hostLibs.resolve("libz.so.1").toRealPath().getFileName(),
                "/usr/lib/x86_64-linux-gnu/libgcrypt.so.20", "/usr/lib/x86_64-linux-gnu/libc.so.6")
                .noneMatch(f -> f.contains("libm.so"));
        Map<String, Member> m = list(write(r, "initrd"));
        assertThat(m.get("lib").mode()).isEqualTo(0120777);
        assertThat(m.get("lib").data()).isEqualTo("usr/lib");
        assertThat(m.get("lib64/ld-linux-x86-64.so.2").data()).isEqualTo("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
        assertThat(m).containsKey("usr/lib/x86_64-linux-gnu/libgpg-error.so.0");

        // a library in none of the directories: refused, naming the program and the library
        Files.delete(libs.resolve("libbz2.so.1.0"));
        assertThatThrownBy(() -> ControllerInitramfs.parts(r, CTL, StageSpec.Disk.DEFAULT, tmp))
                .isInstanceOfSatisfying(StageforgeException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCodes.BAD_INPUT))
                .hasMessageContaining("initramfs_controller: /usr/bin/gpgv needs libbz2.so.1.0, which is in none of /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64");
    }
}

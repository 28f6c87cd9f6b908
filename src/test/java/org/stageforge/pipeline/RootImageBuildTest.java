package org.stageforge.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.archive.SafeExtractor;
import org.stageforge.build.TestSeed;
import org.stageforge.image.ImageListing;
import org.stageforge.spec.SpecParser;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code [output] formats = ["tar.zst", "squashfs", "erofs", "disk", "qcow2"]} through the whole pipeline, from a
 * package holding a device node, a fifo, a setuid file with a capability, a file of another owner and the boot files
 * a disk needs: built as root (this JVM, whose disk then shows all of that) and for real as a normal user (a separate
 * JVM as uid 65534 through setpriv, whose disk holds placeholders and its own owners), every image is byte-identical,
 * listed in SHA256SUMS and the manifest under systemd-sysupdate names; the root images hold what the tarball holds,
 * and the qcow2 holds the raw disk ({@code qemu-img compare}).
 */
class RootImageBuildTest {
    @TempDir
    Path tmp;

    @Test
    void aNormalUserBuildsTheImagesRootBuilds() throws Exception {
        Assumptions.assumeTrue(SafeExtractor.runningAsRoot(), "needs root (mknod for the test package, setpriv to uid 65534)");
        for (String t : List.of("setpriv", "mknod", "mkfifo", "mksquashfs", "unsquashfs", "mkfs.erofs", "fsck.erofs",
                "dump.erofs", "fakeroot", "setfattr", "getfattr", "mkfs.ext4", "debugfs", "mkfs.vfat", "mcopy", "sfdisk", "qemu-img")) {
            Assumptions.assumeTrue(ImageListing.onPath(t) || Files.isExecutable(Path.of("/usr/sbin", t)), "needs " + t + " (see .ci/run)");
        }
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        TestStage t = TestStage.create(tmp.resolve("s"), """

                [output]
                formats = ["tar.zst", "squashfs", "erofs", "disk", "qcow2"]

                [output.disk]
                esp_size = 33
                root_size = 8
                state_size = 8
                slot_b = "filled"
                cmdline = "console=ttyS0"
                """);
        Path image = tmp.resolve("s/images/devs-1.0");
        Files.createDirectories(image.resolve("dev"));
        Files.createDirectories(image.resolve("usr/bin"));
        ImageListing.run(List.of("mknod", "-m", "0600", "dev/console", "c", "5", "1"), image);
        ImageListing.run(List.of("mkfifo", "-m", "0600", "dev/initctl"), image);
        Files.writeString(image.resolve("usr/bin/ping"), "elf ping");
        Files.writeString(image.resolve("usr/bin/secret"), "for group 456");
        // what a disk needs from the root: one kernel in /boot, its initramfs, systemd-boot for the ESP
        Files.createDirectories(image.resolve("boot"));
        Files.writeString(image.resolve("boot/vmlinuz-6.1.0-test"), "KERNEL");
        Files.writeString(image.resolve("boot/initramfs-6.1.0-test.img"), "INITRD");
        Files.createDirectories(image.resolve("usr/lib/systemd/boot/efi"));
        Files.writeString(image.resolve("usr/lib/systemd/boot/efi/systemd-bootx64.efi"), "MZ systemd-boot");
        t.addPackage("sys-apps/devs-1.0", image, org.stageforge.binpkg.FileTable.parse("""
                usr/bin/ping mode=4711 xattr.security.capability=hex:0100000200200000000000000000000000000000
                usr/bin/secret mode=0640 uid=123 gid=456
                """, "test"));
        try (var s = Files.walk(tmp.resolve("s"))) {
            for (Path p : s.toList()) if (!Files.isSymbolicLink(p)) Files.setAttribute(p, "unix:mode", (Integer) Files.getAttribute(p, "unix:mode") | 0005);
        }

        Path rootOut = tmp.resolve("root-out");
        BuildOptions o = BuildOptions.of(tmp.resolve("root-build"), rootOut);
        Build.run(SpecParser.parse(t.spec), o, Reporter.silent(o.buildDir().resolve("logs")));

        Path home = Files.createDirectories(tmp.resolve("home"));
        Files.setAttribute(home, "unix:uid", TestSeed.USER);
        Files.setAttribute(home, "unix:gid", TestSeed.USER);
        Path userOut = home.resolve("out");
        String cp = TestSeed.readableClassPath(tmp.resolve("cp"));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>(TestSeed.asUser(List.of(java.toString(), "-cp", cp, "org.stageforge.cli.Main",
                "build", t.spec.toString(), "--output", userOut.toString(), "--build-dir", home.resolve("build").toString(),
                "--cache-dir", home.resolve("cache").toString(), "--quiet")));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().put("HOME", home.toString());
        pb.environment().put("LC_ALL", "C.UTF-8");
        // a normal user's PATH: no sbin (mkfs.ext4, sfdisk, mkfs.vfat are found there all the same)
        pb.environment().put("PATH", "/usr/local/bin:/usr/bin:/bin");
        Process p = pb.start();
        p.getOutputStream().close();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(log).isZero();
        // the normal user's disk holds placeholders: the truth is in the file table only
        Path userRoot = home.resolve("build/root");
        assertThat(Files.isRegularFile(userRoot.resolve("dev/console"))).isTrue();
        assertThat(Files.getAttribute(userRoot.resolve("usr/bin/secret"), "unix:uid")).isEqualTo(TestSeed.USER);
        assertThat(Files.getAttribute(tmp.resolve("root-build/root/usr/bin/secret"), "unix:uid")).isEqualTo(123);

        for (String n : List.of("tiny-1.0.tar.zst", "tiny_1.0.root.squashfs", "tiny_1.0.root.erofs", "tiny-1.0.disk.raw",
                "tiny-1.0.disk.qcow2")) {
            assertThat(TestStage.sha256(userOut.resolve(n))).as(n).isEqualTo(TestStage.sha256(rootOut.resolve(n)));
            assertThat(Files.readString(userOut.resolve("SHA256SUMS")))
                    .contains(TestStage.sha256(userOut.resolve(n)) + "  " + n + "\n");
            JsonNode manifest = new ObjectMapper().readTree(userOut.resolve("tiny-1.0.json").toFile());
            assertThat(manifest.path("artifacts").path(n).asText()).isEqualTo(TestStage.sha256(userOut.resolve(n)));
        }

        SortedMap<String, String> tar = ImageListing.tar(userOut.resolve("tiny-1.0.tar.zst"));
        assertThat(tar.get("dev/console")).startsWith("c 0600 0:0 0 5,1 ");
        assertThat(tar.get("dev/initctl")).startsWith("p 0600 0:0 ");
        assertThat(tar.get("usr/bin/secret")).startsWith("f 0640 123:456 13 ");
        assertThat(tar.get("usr/bin/ping")).startsWith("f 4711 0:0 8 ").endsWith(" security.capability=0100000200200000000000000000000000000000");
        assertThat(ImageListing.squashfs(userOut.resolve("tiny_1.0.root.squashfs"), tmp.resolve("sq"))).isEqualTo(tar);
        assertThat(ImageListing.erofs(userOut.resolve("tiny_1.0.root.erofs"), tmp.resolve("er"))).isEqualTo(tar);

        // the qcow2 is the raw disk converted: same virtual size, same content
        Path raw = rootOut.resolve("tiny-1.0.disk.raw");
        Path qcow2 = rootOut.resolve("tiny-1.0.disk.qcow2");
        JsonNode info = new ObjectMapper().readTree(ImageListing.run(List.of("qemu-img", "info", "--output=json", qcow2.toString()), tmp));
        assertThat(info.path("format").asText()).isEqualTo("qcow2");
        assertThat(info.path("virtual-size").asLong()).isEqualTo(Files.size(raw)).isEqualTo((1 + 33 + 8 + 8 + 8 + 1) << 20);
        assertThat(ImageListing.run(List.of("qemu-img", "compare", "-f", "raw", "-F", "qcow2", raw.toString(), qcow2.toString()), tmp))
                .contains("Images are identical.");
    }
}

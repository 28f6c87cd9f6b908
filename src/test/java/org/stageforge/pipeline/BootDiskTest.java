package org.stageforge.pipeline;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.stageforge.spec.SpecParser;
import org.stageforge.spec.StageSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.stageforge.pipeline.BootPackages.boot;
import static org.stageforge.pipeline.BootPackages.onPath;
import static org.stageforge.pipeline.BootPackages.partUuids;
import static org.stageforge.pipeline.BootPackages.run;
import static org.stageforge.pipeline.BootPackages.sha256;
import static org.stageforge.pipeline.BootPackages.tool;

/**
 * A stage that really boots ({@link BootPackages}): packages made with {@code stageforge pkg create} (the spec's {@code [[binhost]] sources})
 * from Debian's busybox-static, linux-image-amd64 (the kernel and the modules the initramfs needs, a stand-in for a
 * Gentoo kernel package) and systemd-boot-efi, built by a spec into a GPT disk image whose slots A and B hold the
 * release's erofs root image byte for byte ({@code root_fs = "erofs"}); QEMU with
 * OVMF boots it to the marker the root's init prints on the serial console, then slot B after the default is
 * switched, then A again once B's boot-counting tries are used up without a blessing. The .deb files are fetched
 * once into {@code target/boot-debs} with {@code apt-get download}; the disk is built once per run (twice for the
 * reproducibility check, the second time as a normal user).
 */
class BootDiskTest {
    static Path work;
    static Path disk;
    static Path disk2;
    static String reason;
    static String kver;

    @BeforeAll
    static void buildOnce() throws Exception {
        reason = BootPackages.stageMissing();
        if (reason != null) return;
        work = Files.createTempDirectory("stageforge-boot");
        kver = BootPackages.prepare(work);
        Files.writeString(work.resolve("spec.toml"), BootPackages.spec(""));
        StageSpec s = SpecParser.parse(work.resolve("spec.toml"));
        Build.run(s, BuildOptions.of(work.resolve("build"), work.resolve("out")), Reporter.silent(work.resolve("logs")));
        Build.run(s, BuildOptions.of(work.resolve("build2"), work.resolve("out2")).withUnprivileged(true), Reporter.silent(work.resolve("logs2")));
        disk = work.resolve("out/bootme-1.0.disk.raw");
        disk2 = work.resolve("out2/bootme-1.0.disk.raw");
    }

    @AfterAll
    static void cleanUp() throws IOException {
        if (work != null) org.stageforge.util.Dirs.deleteTree(work);
    }

    @Test
    void twoBuildsGiveTheSameDiskImageAsRootAndAsANormalUser() throws Exception {
        Assumptions.assumeTrue(reason == null, reason);
        assertThat(sha256(disk)).isEqualTo(sha256(disk2));
        // the slots hold the released erofs image byte for byte (slot A at 1 + esp_size MiB)
        Path erofs = disk.resolveSibling("bootme_1.0.root.erofs");
        assertThat(sha256(erofs)).isEqualTo(sha256(erofs.getParent().getParent().resolve("out2/bootme_1.0.root.erofs")));
        byte[] image = Files.readAllBytes(erofs);
        byte[] slotA = new byte[image.length];
        try (var f = new java.io.RandomAccessFile(disk.toFile(), "r")) {
            f.seek((1 + 64) << 20);
            f.readFully(slotA);
        }
        assertThat(slotA).isEqualTo(image);
        // the release for A/B clients: root image, kernel and initramfs, each listed and signed
        String sums = Files.readString(disk.resolveSibling("SHA256SUMS"));
        for (String f : List.of("bootme_1.0.root.erofs", "bootme_1.0.vmlinuz", "bootme_1.0.initrd", "bootme-1.0.disk.raw")) {
            assertThat(sums).contains(sha256(disk.resolveSibling(f)) + "  " + f + "\n");
            assertThat(Files.readString(disk.resolveSibling("bootme-1.0.json"))).contains("\"" + f + "\"");
        }
        assertThat(disk.resolveSibling("bootme_1.0.initrd")).hasSameBinaryContentAs(work.resolve("build/root/boot/initramfs-" + kver + ".img"));
        // the ESP holds systemd-boot, the kernel, the initramfs and one entry per slot, B with boot counting
        String esp = run(List.of("mdir", "-/", "-b", "-i", disk + "@@1048576", "::/"), 60);
        assertThat(esp).contains("::/EFI/BOOT/BOOTX64.EFI", "::/bootme/vmlinuz-", "::/bootme/initramfs-",
                "::/loader/entries/bootme-a.conf", "::/loader/entries/bootme-b+1.conf", "::/loader/loader.conf");
        String table = run(List.of(tool("sfdisk"), "--dump", disk.toString()), 60);
        assertThat(table).contains("name=\"ESP\"", "name=\"SYSFS\"", "name=\"BACKUPFS\"", "name=\"STATE\"");
    }

    @Test
    void qemuBootsSlotAThenBThenFallsBackToA() throws Exception {
        Assumptions.assumeTrue(reason == null, reason);
        Assumptions.assumeTrue(onPath("qemu-system-x86_64"), "qemu-system-x86 not installed");
        Assumptions.assumeTrue(Files.isRegularFile(Path.of("/usr/share/OVMF/OVMF_CODE_4M.fd")), "ovmf not installed");
        Path d = work.resolve("boot.raw");
        Files.copy(disk, d);
        Path vars = work.resolve("vars.fd");
        Files.copy(Path.of("/usr/share/OVMF/OVMF_VARS_4M.fd"), vars);
        Map<String, String> uuids = partUuids(d);

        String first = boot(work, d, vars, "1");
        assertThat(first).contains("root=PARTUUID=" + uuids.get("SYSFS"));

        // switch the default to the newest entry: B (with one try left) sorts before A
        Path conf = work.resolve("loader.conf");
        Files.writeString(conf, "default bootme-*\ntimeout 0\neditor no\n");
        run(List.of("mcopy", "-o", "-i", d + "@@1048576", conf.toString(), "::/loader/loader.conf"), 60);
        String second = boot(work, d, vars, "2");
        assertThat(second).contains("root=PARTUUID=" + uuids.get("BACKUPFS"));
        String entries = run(List.of("mdir", "-b", "-i", d + "@@1048576", "::/loader/entries"), 60);
        assertThat(entries).contains("bootme-b+0-1.conf");

        // B never blessed its boot: no tries left, so it sorts last and A boots
        String third = boot(work, d, vars, "3");
        assertThat(third).contains("root=PARTUUID=" + uuids.get("SYSFS"));
    }
}

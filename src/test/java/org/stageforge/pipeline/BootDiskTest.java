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
import static org.stageforge.pipeline.BootPackages.*;

/**
 * A stage that really boots: packages made with {@code stageforge pkg create} (the spec's {@code [[binhost]] sources})
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
        reason = missing(List.of("apt-get", "dpkg-deb", "mkfs.ext4", "debugfs", "mkfs.vfat", "mcopy", "sfdisk"));
        if (reason == null) reason = fetch("done", List.of("busybox-static", "linux-image-amd64", "systemd-boot-efi"));
        if (reason != null) return;
        work = Files.createTempDirectory("stageforge-boot");
        Path sources = work.resolve("packages");
        kver = debianPackages(sources);
        writeRepo(work.resolve("repo"));
        Files.writeString(work.resolve("spec.toml"), """
                profile = "test"
                world = ["sys-apps/busybox-boot", "sys-kernel/debian-kernel", "sys-boot/systemd-boot-efi"]
                system = false
                phases = false

                [stage]
                name = "bootme"
                version = "1.0"

                [repo]
                path = "repo"

                [[binhost]]
                sources = "packages"

                [kernel]
                package = "sys-kernel/debian-kernel"
                initramfs_init = "/usr/lib/bootme/initramfs-init"
                initramfs_files = ["/bin"]
                initramfs_modules = ["virtio_pci", "virtio_blk", "crc32c_generic", "erofs"]

                [output]
                formats = ["erofs", "disk"]

                [output.disk]
                root_size = 64
                state_size = 16
                esp_size = 64
                slot_b = "filled"
                root_fs = "erofs"
                tries = 1
                cmdline = "console=ttyS0 panic=-1 loglevel=4 no_timer_check"
                """);
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
        Assumptions.assumeTrue(qemuMissing() == null, qemuMissing());
        Path d = work.resolve("boot.raw");
        Files.copy(disk, d);
        Path vars = work.resolve("vars.fd");
        Files.copy(Path.of("/usr/share/OVMF/OVMF_VARS_4M.fd"), vars);
        Map<String, String> uuids = partUuids(d);

        String first = boot(d, vars, "1");
        assertThat(first).contains("root=PARTUUID=" + uuids.get("SYSFS"));

        // switch the default to the newest entry: B (with one try left) sorts before A
        Path conf = work.resolve("loader.conf");
        Files.writeString(conf, "default bootme-*\ntimeout 0\neditor no\n");
        run(List.of("mcopy", "-o", "-i", d + "@@1048576", conf.toString(), "::/loader/loader.conf"), 60);
        String second = boot(d, vars, "2");
        assertThat(second).contains("root=PARTUUID=" + uuids.get("BACKUPFS"));
        String entries = run(List.of("mdir", "-b", "-i", d + "@@1048576", "::/loader/entries"), 60);
        assertThat(entries).contains("bootme-b+0-1.conf");

        // B never blessed its boot: no tries left, so it sorts last and A boots
        String third = boot(d, vars, "3");
        assertThat(third).contains("root=PARTUUID=" + uuids.get("SYSFS"));
    }

    static BootPackages.Qemu qemu;

    /** Boots the disk once (QEMU powers off when the root's init is done); returns the serial console from the marker on. */
    private static String boot(Path d, Path vars, String n) throws Exception {
        if (qemu == null) qemu = new BootPackages.Qemu(work, false);
        String out = qemu.boot(d, vars, work.resolve("serial-" + n + ".log"), 300);
        assertThat(out).as("serial console of boot " + n).contains(MARKER);
        return out.substring(out.indexOf(MARKER));
    }

    /** Unpacks the .debs into package source trees; returns the kernel version. */
    private static String debianPackages(Path sources) throws Exception {
        busybox(sources);
        String kver = kernel(sources, work, DISK_MODULES);
        systemdBoot(sources);
        return kver;
    }
}

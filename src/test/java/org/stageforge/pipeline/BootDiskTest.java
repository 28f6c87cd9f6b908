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
    static final String MARKER = "STAGEFORGE-BOOTED";
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
        Path bb = unpack(find(DEBS, "busybox-static_"), sources.resolve("sys-apps/busybox-boot-1.0/image"));
        // the root's init and the initramfs init (the [kernel] initramfs_init), both busybox scripts
        Files.createDirectories(bb.resolve("usr/lib/bootme"));
        for (String dir : List.of("dev", "proc", "sys", "newroot")) Files.writeString(Files.createDirectories(bb.resolve(dir)).resolve(".keep"), "");
        Files.createSymbolicLink(bb.resolve("bin/sh"), Path.of("busybox"));
        script(bb.resolve("sbin/init"), """
                #!/bin/sh
                /bin/busybox mount -t proc proc /proc
                echo "%s $(/bin/busybox cat /proc/cmdline)"
                /bin/busybox poweroff -f
                """.formatted(MARKER));
        script(bb.resolve("usr/lib/bootme/initramfs-init"), """
                #!/bin/sh
                /bin/busybox --install -s /bin
                export PATH=/bin
                mkdir -p /proc /sys /dev /newroot
                mount -t proc proc /proc
                mount -t sysfs sys /sys
                mount -t devtmpfs dev /dev
                v=$(uname -r)
                for m in $(cat /lib/modules/$v/initramfs.modules); do insmod /lib/modules/$v/$m; done
                want=
                for a in $(cat /proc/cmdline); do case $a in root=PARTUUID=*) want=${a#root=PARTUUID=};; esac; done
                # the kernel's uevents carry no PARTUUID: read the GPT's entries (LBA 2, 128 bytes each, GUID at 16)
                dev=
                for disk in /sys/block/*; do
                  d=${disk##*/}
                  for p in /sys/block/$d/$d*; do
                    [ -e $p/partition ] || continue
                    n=$(cat $p/partition)
                    g=$(dd if=/dev/$d bs=16 skip=$((57 + 8 * n)) count=1 2>/dev/null | hexdump -e '1/4 "%08x" "-" 1/2 "%04x" "-" 1/2 "%04x" "-" 2/1 "%02x" "-" 6/1 "%02x"')
                    [ "$g" = "$want" ] && dev=${p##*/}
                  done
                done
                mount -t erofs -o ro /dev/$dev /newroot || { echo "cannot mount root $want"; poweroff -f; }
                umount /proc /sys
                mount --move /dev /newroot/dev
                exec switch_root /newroot /sbin/init
                """);
        meta(sources.resolve("sys-apps/busybox-boot-1.0/metadata"), "sys-apps", "busybox-boot-1.0", "");
        String kver = kernel(sources, work, DISK_MODULES);
        systemdBoot(sources);
        return kver;
    }
}

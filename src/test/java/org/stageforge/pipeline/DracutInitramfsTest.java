package org.stageforge.pipeline;

import com.github.luben.zstd.ZstdInputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.build.SeedRoot;
import org.stageforge.build.TestSeed;
import org.stageforge.image.DracutInitramfs;
import org.stageforge.spec.SpecParser;
import org.stageforge.spec.StageSpec;

import java.io.BufferedInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.stageforge.pipeline.BootPackages.sha256;

/**
 * {@code [kernel] initramfs_builder = "dracut"} with a root that has no dracut: the {@code [seed]}'s dracut (the test
 * seed, Debian's dracut 059) runs in the sandbox over the seed with the built root bound read-only, taking the
 * kernel modules of the root's kernel (Debian's linux-image, packaged as in {@link BootDiskTest}). One stage with the
 * update controller's dracut module, uncompressed; one with the default zstd and a disk image, built twice (the
 * second time with unprivileged merging) and booted in QEMU through dracut's init to the root's marker.
 */
class DracutInitramfsTest {
    static final long SDE = 1_700_000_000L;
    static Path work;
    static String reason;
    static String kver;
    static TestSeed.Tarball seed;

    @BeforeAll
    static void packages() throws Exception {
        reason = BootPackages.fetch("done", List.of("busybox-static", "linux-image-amd64", "systemd-boot-efi"));
        if (reason != null) return;
        seed = TestSeed.tarball();
        work = Files.createTempDirectory("stageforge-dracut");
        Path sources = work.resolve("packages");
        BootPackages.busybox(sources);
        kver = BootPackages.kernel(sources, work, BootPackages.DISK_MODULES);
        BootPackages.systemdBoot(sources);
        BootPackages.writeRepo(work.resolve("repo"));
    }

    @AfterAll
    static void cleanUp() throws Exception {
        if (work != null) org.stageforge.util.Dirs.deleteTree(work);
    }

    private static Path build(String name, String kernel, String output, String dir, boolean unprivileged) throws Exception {
        Path spec = work.resolve(name + ".toml");
        Files.writeString(spec, """
                profile = "test"
                world = ["sys-apps/busybox-boot", "sys-kernel/debian-kernel", "sys-boot/systemd-boot-efi"]
                system = false
                phases = false

                [stage]
                name = "%s"
                version = "1.0"

                [repo]
                path = "repo"

                [[binhost]]
                sources = "packages"

                [seed]
                path = "%s"
                sha512 = "%s"

                [kernel]
                package = "sys-kernel/debian-kernel"
                initramfs_builder = "dracut"
                %s
                %s
                """.formatted(name, seed.path(), seed.sha512(), kernel, output));
        StageSpec s = SpecParser.parse(spec);
        long t0 = System.nanoTime();
        Build.run(s, BuildOptions.of(work.resolve(dir), work.resolve(dir + "-out")).withCacheDir(work.resolve("cache"))
                        .withEnv(Map.of("SOURCE_DATE_EPOCH", Long.toString(SDE))).withUnprivileged(unprivileged),
                Reporter.silent(work.resolve(dir + "-logs")));
        System.err.printf("DracutInitramfsTest: %s built in %d s%n", dir, (System.nanoTime() - t0) / 1_000_000_000L);
        return work.resolve(dir + "/root/boot/initramfs-" + kver + ".img");
    }

    @Test
    void theSeedsDracutTakesTheRootsModulesAndTheControllerModule() throws Exception {
        Assumptions.assumeTrue(reason == null, reason);
        Path img = build("ctl", """
                initramfs_compress = "none"
                initramfs_modules = ["virtio_blk", "erofs"]
                initramfs_files = ["/usr/lib/bootme"]
                initramfs_controller = true
                """, "", "ctl", false);
        Map<String, CpioArchiveEntry> members = new TreeMap<>();
        Map<String, String> texts = new TreeMap<>();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(img)); CpioArchiveInputStream cpio = new CpioArchiveInputStream(in)) {
            for (CpioArchiveEntry e; (e = cpio.getNextEntry()) != null; ) {
                String n = e.getName().replaceFirst("^\\./", "");
                members.put(n, e);
                if (n.startsWith("etc/stageforge/") && e.isRegularFile()) texts.put(n, new String(cpio.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        // the root's kernel modules (its version), dracut's init, the controller module's hooks and files
        assertThat(members.keySet()).anyMatch(n -> n.endsWith("modules/" + kver + "/kernel/drivers/block/virtio_blk.ko"))
                .anyMatch(n -> n.endsWith("modules/" + kver + "/kernel/fs/erofs/erofs.ko"))
                .anyMatch(n -> n.endsWith("modules/" + kver + "/modules.dep"))
                .anyMatch(n -> n.endsWith("dracut/hooks/mount/90-stageforge-mount.sh"))
                .anyMatch(n -> n.endsWith("dracut/hooks/cmdline/90-stageforge-root.sh"))
                .contains("init", "usr/bin/stageforge-controller", "usr/lib/stageforge-controller/slot.sh",
                        "usr/lib/bootme/initramfs-init", "etc/stageforge/config.d/00-stageforge.conf");
        assertThat(members.keySet()).anyMatch(n -> n.endsWith("bin/gpgv"));
        assertThat(texts.get("etc/stageforge/config.d/00-stageforge.conf")).contains("slot_a = /dev/disk/by-partlabel/SYSFS\n");
        // --reproducible and SOURCE_DATE_EPOCH: owners 0:0, no mtime after it
        assertThat(members.values()).allSatisfy(e -> {
            assertThat(e.getUID()).as(e.getName()).isZero();
            assertThat(e.getTime()).as(e.getName()).isLessThanOrEqualTo(SDE * 1000);
        });
    }

    @Test
    void twoBuildsGiveTheSameInitramfsAndItBootsThroughDracutsInit() throws Exception {
        Assumptions.assumeTrue(reason == null, reason);
        String kernel = """
                initramfs_modules = ["virtio_pci", "virtio_blk", "erofs"]
                """;
        String output = """
                [output]
                formats = ["erofs", "disk"]

                [output.disk]
                root_size = 64
                state_size = 16
                esp_size = 64
                root_fs = "erofs"
                cmdline = "console=ttyS0 panic=-1 loglevel=4 no_timer_check rootfstype=erofs rd.shell=0"
                """;
        Path a = build("boot", kernel, output, "boot", false);
        Path b = build("boot", kernel, output, "boot2", true);
        assertThat(sha256(a)).isEqualTo(sha256(b));
        // zstd, as the default initramfs_compress says
        byte[] head = new byte[4];
        try (InputStream in = Files.newInputStream(a)) {
            assertThat(in.readNBytes(head, 0, 4)).isEqualTo(4);
        }
        assertThat(head).containsExactly(0x28, 0xb5, 0x2f, 0xfd);
        List<String> names = new java.util.ArrayList<>();
        try (InputStream in = new BufferedInputStream(new ZstdInputStream(Files.newInputStream(a)));
             CpioArchiveInputStream cpio = new CpioArchiveInputStream(in)) {
            for (CpioArchiveEntry e; (e = cpio.getNextEntry()) != null; ) names.add(e.getName());
        }
        assertThat(names).anyMatch(n -> n.endsWith("modules/" + kver + "/kernel/drivers/virtio/virtio_pci.ko"))
                .noneMatch(n -> n.contains("stageforge"));
        Path disk = work.resolve("boot-out/boot-1.0.disk.raw");
        assertThat(disk.resolveSibling("boot_1.0.initrd")).hasSameBinaryContentAs(a);

        Assumptions.assumeTrue(BootPackages.qemuMissing() == null, BootPackages.qemuMissing());
        Path vars = work.resolve("vars.fd");
        Files.copy(Path.of("/usr/share/OVMF/OVMF_VARS_4M.fd"), vars);
        String console = BootPackages.boot(work, disk, vars, "dracut");
        assertThat(console).contains("rootfstype=erofs");
        // dracut's init started udev (the seed's; the root has none) before it mounted the root
        assertThat(Files.readString(work.resolve("serial-dracut.log"), StandardCharsets.ISO_8859_1)).contains("Starting systemd-udevd");
    }

    @Test
    void aRootWithDracutRunsItsOwnOverItself() throws Exception {
        Assumptions.assumeTrue(reason == null, reason);
        // a root with dracut: the seed's tree (hard links; the sandbox never writes its lower layer) with the kernel's modules
        SeedRoot tree = TestSeed.root();
        Path root = work.resolve("own-root");
        BootPackages.run(List.of("cp", "-al", tree.dir().toString(), root.toString()), 600);
        // dracut-network's drop-in adds the ifcfg module, which needs a network stack this tree lacks (its own configuration counts)
        Files.delete(root.resolve("etc/dracut.conf.d/11-ifcfg.conf"));
        Path mods = root.resolve("usr/lib/modules/" + kver);
        BootPackages.copyTree(work.resolve("packages/sys-kernel/debian-kernel-1.0/image/lib/modules/" + kver), mods);
        long functions = Files.getLastModifiedTime(root.resolve("usr/lib/dracut/dracut-functions.sh")).toMillis();
        Path img = work.resolve("own.img");
        Path log = work.resolve("own-dracut.log");
        long t0 = System.nanoTime();
        DracutInitramfs.build(new DracutInitramfs.Request(root, kver, new StageSpec.GeneratedInitramfs(null, List.of("/etc/hostname"),
                List.of("erofs"), null, new StageSpec.Dracut("none")), null, null, SDE, work.resolve("own-work"), log), img);
        System.err.printf("DracutInitramfsTest: the root's own dracut ran in %d s%n", (System.nanoTime() - t0) / 1_000_000_000L);
        List<String> names = new java.util.ArrayList<>();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(img)); CpioArchiveInputStream cpio = new CpioArchiveInputStream(in)) {
            for (CpioArchiveEntry e; (e = cpio.getNextEntry()) != null; ) names.add(e.getName().replaceFirst("^\\./", ""));
        }
        assertThat(names).contains("usr/lib/modules/" + kver + "/kernel/fs/erofs/erofs.ko", "etc/hostname", "init");
        assertThat(Files.readString(log, StandardCharsets.ISO_8859_1)).contains("--kmoddir /var/tmp/stageforge-kmod/lib/modules/" + kver)
                .doesNotContain("/run/stageforge/target");
        // the run left the root as it was: depmod and the mtime went to the throwaway layer
        assertThat(mods.resolve("modules.dep")).doesNotExist();
        assertThat(Files.getLastModifiedTime(root.resolve("usr/lib/dracut/dracut-functions.sh")).toMillis()).isEqualTo(functions);
        assertThat(Files.getPosixFilePermissions(img)).isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    }

    @Test
    void withoutDracutInTheRootOrASeedTheBuildSaysSo() throws Exception {
        Assumptions.assumeTrue(reason == null, reason);
        Path spec = work.resolve("noseed.toml");
        Files.writeString(spec, """
                profile = "test"
                world = ["sys-apps/busybox-boot", "sys-kernel/debian-kernel"]
                system = false
                phases = false

                [stage]
                name = "noseed"
                version = "1.0"

                [repo]
                path = "repo"

                [[binhost]]
                sources = "packages"

                [kernel]
                package = "sys-kernel/debian-kernel"
                initramfs_builder = "dracut"
                """);
        StageSpec s = SpecParser.parse(spec);
        assertThatThrownBy(() -> Build.run(s, BuildOptions.of(work.resolve("noseed"), work.resolve("noseed-out")),
                Reporter.silent(work.resolve("noseed-logs"))))
                .isInstanceOfSatisfying(StageforgeException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCodes.BAD_INPUT))
                .hasMessageContaining("no /usr/bin/dracut").hasMessageContaining("no [seed]");
        assertThat(work.resolve("noseed/root/boot/initramfs-" + kver + ".img")).doesNotExist();
    }
}

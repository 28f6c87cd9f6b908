package org.stageforge.image;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.spec.StageSpec;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Disk images without booting them (BootDiskTest boots one): the slots hold the release's erofs/squashfs root image
 * byte for byte, or an ext4 of the root; two writes agree; an image too large for its slot is refused; the release's
 * boot files for A/B clients.
 */
class DiskImageTest {
    static final long MIB = 1 << 20;

    @TempDir
    Path tmp;

    @BeforeEach
    void tools() {
        for (String t : List.of("mksquashfs", "mkfs.erofs", "fakeroot", "setfattr", "mkfs.ext4", "debugfs", "mkfs.vfat", "mcopy", "sfdisk")) {
            Assumptions.assumeTrue(ImageListing.onPath(t), "needs " + t + " (see .ci/run)");
        }
    }

    private Path root() throws IOException {
        Path r = RootImageTest.root(tmp.resolve("root"), false);
        Files.createDirectories(r.resolve("boot"));
        Files.writeString(r.resolve("boot/vmlinuz-6.1.0-test"), "KERNEL");
        Files.writeString(r.resolve("boot/initramfs-6.1.0-test.img"), "INITRD");
        Files.createDirectories(r.resolve("usr/lib/systemd/boot/efi"));
        Files.writeString(r.resolve(DiskImage.SYSTEMD_BOOT), "MZ systemd-boot");
        return r;
    }

    private static StageSpec.Disk disk(String fs, int rootMib) {
        return new StageSpec.Disk(33, rootMib, 8, "ESP", "SYSFS", "BACKUPFS", "STATE", "filled", 3, "console=ttyS0", fs);
    }

    @ParameterizedTest
    @ValueSource(strings = {"erofs", "squashfs"})
    void slotsHoldTheReleasedRootImageByteForByte(String fs) throws Exception {
        Path r = root();
        RootImage.Format f = RootImage.Format.of(fs);
        Path released = tmp.resolve(RootImage.fileName("tiny", "1.0", f));
        RootImage.write(r, released, f, RootImageTest.EPOCH, RootImage.uuid("tiny_1.0"), RootImageTest.EXCLUDES);
        Path d1 = tmp.resolve("one.disk.raw");
        Path d2 = tmp.resolve("two.disk.raw");
        DiskImage.write(r, RootImageTest.EXCLUDES, "tiny", "1.0", disk(fs, 8), RootImageTest.EPOCH, released, false, d1);
        // without the released image the disk makes its own: the same bytes
        DiskImage.write(r, RootImageTest.EXCLUDES, "tiny", "1.0", disk(fs, 8), RootImageTest.EPOCH, null, false, d2);
        assertThat(Files.mismatch(d1, d2)).isEqualTo(-1L);
        byte[] image = Files.readAllBytes(released);
        byte[] a = slice(d1, 1 + 33, 8);
        byte[] b = slice(d1, 1 + 33 + 8, 8);
        assertThat(Arrays.copyOf(a, image.length)).isEqualTo(image);
        assertThat(b).isEqualTo(a);
        // the rest of the slot is zero
        assertThat(Arrays.copyOfRange(a, image.length, a.length)).containsOnly((byte) 0);
        String table = ImageListing.run(List.of("sfdisk", "--dump", d1.toString()), tmp);
        assertThat(table).contains("name=\"SYSFS\"", "name=\"BACKUPFS\"", DiskImage.ROOT_X86_64);
    }

    @Test
    void ext4SlotsStayTheDefault() throws Exception {
        Path r = root();
        // debugfs scripts cannot name a path with a backslash (Ext4Image refuses it)
        Files.delete(r.resolve("home/user/we ird\\name \u00e9"));
        Path d0 = tmp.resolve("big-device.disk.raw");
        assertThatThrownBy(() -> DiskImage.write(r, RootImageTest.EXCLUDES, "tiny", "1.0", disk("ext4", 16), RootImageTest.EPOCH, null, false, d0))
                .hasMessageEndingWith("dev/big: device 4095:1048575 cannot go into an ext4 image (debugfs takes major and minor up to 65535; use root_fs = \"erofs\")");
        Files.delete(r.resolve("dev/big"));
        Path d = tmp.resolve("ext4.disk.raw");
        DiskImage.write(r, RootImageTest.EXCLUDES, "tiny", "1.0", disk("ext4", 16), RootImageTest.EPOCH, null, false, d);
        byte[] a = slice(d, 1 + 33, 16);
        // the ext4 superblock's magic 0xEF53 at 1024 + 56, its label at 1024 + 120
        assertThat(a[1024 + 56] & 0xff).isEqualTo(0x53);
        assertThat(a[1024 + 57] & 0xff).isEqualTo(0xef);
        assertThat(new String(a, 1024 + 120, 6, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("SYSFS\0");
        assertThat(StageSpec.Disk.DEFAULT.rootFs()).isEqualTo("ext4");
        // device nodes and fifos in place, with the file table's owners and modes
        Path slot = tmp.resolve("a.ext4");
        Files.write(slot, a);
        String dev = ImageListing.run(List.of("debugfs", "-R", "ls -l /dev", slot.toString()), tmp);
        assertThat(dev).containsPattern("\\b20666 \\(3\\)\\s+0\\s+0\\s+0 .* null")
                .containsPattern("\\b60660 \\(4\\)\\s+0\\s+6\\s+0 .* sda")
                .containsPattern("\\b10600 \\(5\\)\\s+0\\s+0\\s+0 .* initctl");
        assertThat(ImageListing.run(List.of("debugfs", "-R", "stat /dev/sda", slot.toString()), tmp))
                .contains("Device major/minor number: 08:00");
        String top = ImageListing.run(List.of("debugfs", "-R", "ls /", slot.toString()), tmp);
        assertThat(top).doesNotContain("/dev/");
    }

    @Test
    void anImageLargerThanItsSlotIsRefused() throws Exception {
        Path r = root();
        Files.write(r.resolve("usr/share/big"), randomBytes(9 * (int) MIB));
        Path d = tmp.resolve("small.disk.raw");
        assertThatThrownBy(() -> DiskImage.write(r, RootImageTest.EXCLUDES, "tiny", "1.0", disk("squashfs", 8), RootImageTest.EPOCH, null, false, d))
                .isInstanceOfSatisfying(StageforgeException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCodes.BAD_INPUT))
                .hasMessageMatching("small\\.disk\\.raw: the squashfs root image \\(\\d+ MiB\\) does not fit \\[output\\.disk\\] root_size = 8");
        assertThat(d).doesNotExist();
        try (var s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".disk-"));
        }
    }

    @Test
    void releaseBootFilesAreNamedForSysupdate() throws Exception {
        Path r = root();
        Path out = Files.createDirectories(tmp.resolve("out"));
        List<Path> w = BootArtifacts.write(r, "tiny", "1.0", RootImageTest.EPOCH, null, out);
        assertThat(w).containsExactly(out.resolve("tiny_1.0.vmlinuz"), out.resolve("tiny_1.0.initrd"));
        assertThat(out.resolve("tiny_1.0.vmlinuz")).hasContent("KERNEL");
        assertThat(out.resolve("tiny_1.0.initrd")).hasContent("INITRD");
        assertThat(Files.getLastModifiedTime(out.resolve("tiny_1.0.initrd")).toMillis()).isEqualTo(RootImageTest.EPOCH * 1000);
    }

    @Test
    void withUkiEachSlotBootsItsOwnUnifiedImage() throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(UkiTest.HOST_STUB), "needs " + UkiTest.HOST_STUB + " (systemd-boot-efi)");
        Path r = root();
        Files.createDirectories(r.resolve(Uki.STUB).getParent());
        Files.copy(UkiTest.HOST_STUB, r.resolve(Uki.STUB));
        Path d = tmp.resolve("uki.disk.raw");
        DiskImage.write(r, RootImageTest.EXCLUDES, "tiny", "1.0", disk("erofs", 8), RootImageTest.EPOCH, null, true, d);
        ProcessBuilder pb = new ProcessBuilder("mdir", "-/", "-b", "-i", d + "@@1048576", "::/").redirectErrorStream(true);
        pb.environment().put("MTOOLS_SKIP_CHECK", "1");
        Process p = pb.start();
        String esp = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(esp).isZero();
        assertThat(esp).contains("::/EFI/Linux/tiny-a.efi", "::/EFI/Linux/tiny-b+3.efi", "::/loader/loader.conf", "::/EFI/BOOT/BOOTX64.EFI")
                .doesNotContain("loader/entries/", "::/tiny/");
        // the release's UKI carries the disk's options without root= (the initramfs or controller picks the slot)
        Path out = Files.createDirectories(tmp.resolve("out"));
        assertThat(BootArtifacts.write(r, "tiny", "1.0", RootImageTest.EPOCH, "console=ttyS0", out)).containsExactly(out.resolve("tiny_1.0.efi"));
        Path cmd = tmp.resolve("cmdline");
        ImageListing.run(List.of("objcopy", "-O", "binary", "--only-section=.cmdline", out.resolve("tiny_1.0.efi").toString(), cmd.toString()), tmp);
        assertThat(cmd).hasContent("console=ttyS0");
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new java.util.Random(42).nextBytes(b);
        return b;
    }

    private static byte[] slice(Path disk, long startMib, int sizeMib) throws IOException {
        byte[] b = new byte[(int) (sizeMib * MIB)];
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "r")) {
            f.seek(startMib * MIB);
            f.readFully(b);
        }
        return b;
    }
}

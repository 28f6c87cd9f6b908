package org.stageforge.image;

import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.StageforgeException;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** stageforge's own initramfs: files of the root, the init, modules with their dependencies; byte-reproducible. */
class InitramfsTest {
    @TempDir
    Path tmp;

    private Path root() throws Exception {
        Path r = tmp.resolve("root");
        Path m = r.resolve("lib/modules/6.1.0-test");
        Files.createDirectories(m.resolve("kernel/fs/ext4"));
        Files.createDirectories(m.resolve("kernel/fs/jbd2"));
        Files.createDirectories(m.resolve("kernel/lib"));
        Files.writeString(m.resolve("kernel/fs/ext4/ext4.ko"), "EXT4");
        Files.writeString(m.resolve("kernel/fs/jbd2/jbd2.ko"), "JBD2");
        // a compressed module is stored decompressed
        try (var o = org.stageforge.archive.Compression.XZ.compress(Files.newOutputStream(m.resolve("kernel/lib/crc16.ko.xz")))) {
            o.write("CRC16".getBytes(StandardCharsets.US_ASCII));
        }
        Files.writeString(m.resolve("modules.dep"), "kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko kernel/lib/crc16.ko.xz\n"
                + "kernel/fs/jbd2/jbd2.ko:\nkernel/lib/crc16.ko.xz:\n");
        Files.writeString(m.resolve("modules.builtin"), "kernel/fs/vfat/vfat.ko\n");
        Files.createDirectories(r.resolve("bin"));
        Files.writeString(r.resolve("bin/busybox"), "BB");
        Files.setPosixFilePermissions(r.resolve("bin/busybox"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createSymbolicLink(r.resolve("bin/sh"), Path.of("busybox"));
        Files.createDirectories(r.resolve("usr/lib/x"));
        Files.writeString(r.resolve("usr/lib/x/init"), "#!/bin/sh\n");
        return r;
    }

    private record Member(String name, long mode, long uid, long mtime, String data) {}

    private static List<Member> read(Path f) throws Exception {
        List<Member> l = new ArrayList<>();
        try (CpioArchiveInputStream in = new CpioArchiveInputStream(Files.newInputStream(f))) {
            CpioArchiveEntry e;
            while ((e = in.getNextCPIOEntry()) != null) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                in.transferTo(b);
                l.add(new Member(e.getName(), e.getMode(), e.getUID(), e.getTime(), b.toString(StandardCharsets.UTF_8)));
            }
        }
        return l;
    }

    @Test
    void holdsTheInitFilesAndModulesInLoadOrderDeterministically() throws Exception {
        Path r = root();
        var mods = KernelModules.resolve(r.resolve("lib/modules/6.1.0-test"), List.of("ext4", "vfat"));
        assertThat(mods).extracting(KernelModules.Module::name).containsExactly("jbd2", "crc16", "ext4");
        Path a = tmp.resolve("a.img");
        Initramfs.write(r, new Initramfs.Contents("/usr/lib/x/init", List.of("/bin"), mods, "6.1.0-test"), 1700000000L, a);
        List<Member> m = read(a);
        assertThat(m).extracting(Member::name).isSorted().contains("bin", "bin/busybox", "bin/sh", "init", "lib/modules/6.1.0-test/kernel/lib/crc16.ko",
                "lib/modules/6.1.0-test/initramfs.modules", "lib/modules/6.1.0-test/modules.dep");
        assertThat(m).allSatisfy(x -> {
            assertThat(x.uid()).isZero();
            assertThat(x.mtime()).isEqualTo(1700000000L);
        });
        Member init = m.stream().filter(x -> x.name().equals("init")).findFirst().orElseThrow();
        assertThat(init.mode()).isEqualTo(0100755);
        assertThat(init.data()).isEqualTo("#!/bin/sh\n");
        assertThat(m.stream().filter(x -> x.name().equals("bin/sh")).findFirst().orElseThrow())
                .satisfies(x -> assertThat(x.mode()).isEqualTo(0120777)).satisfies(x -> assertThat(x.data()).isEqualTo("busybox"));
        assertThat(m.stream().filter(x -> x.name().endsWith("crc16.ko")).findFirst().orElseThrow().data()).isEqualTo("CRC16");
        assertThat(m.stream().filter(x -> x.name().endsWith("initramfs.modules")).findFirst().orElseThrow().data())
                .isEqualTo("kernel/fs/jbd2/jbd2.ko\nkernel/lib/crc16.ko\nkernel/fs/ext4/ext4.ko\n");
        // the same inputs give the same bytes, whatever the files' own mtimes
        Files.setLastModifiedTime(r.resolve("bin/busybox"), java.nio.file.attribute.FileTime.fromMillis(5));
        Path b = tmp.resolve("b.img");
        Initramfs.write(r, new Initramfs.Contents("/usr/lib/x/init", List.of("/bin"), mods, "6.1.0-test"), 1700000000L, b);
        assertThat(Files.readAllBytes(b)).isEqualTo(Files.readAllBytes(a));
    }

    @Test
    void unknownModulesAndPathsOutsideTheRootAreErrors() throws Exception {
        Path r = root();
        assertThatThrownBy(() -> KernelModules.resolve(r.resolve("lib/modules/6.1.0-test"), List.of("nosuch")))
                .isInstanceOf(StageforgeException.class).hasMessageContaining("kernel module 'nosuch' not found");
        Files.createSymbolicLink(r.resolve("etc"), tmp);
        assertThatThrownBy(() -> Initramfs.write(r, new Initramfs.Contents("/usr/lib/x/init", List.of("/etc/passwd"), List.of(), "v"),
                0, tmp.resolve("c.img"))).isInstanceOf(StageforgeException.class).hasMessageContaining("/etc/passwd: goes through a symlink");
        assertThat(tmp.resolve("c.img")).doesNotExist();
    }

    @Test
    void bootEntriesCountTriesOnSlotB() {
        var f = BootEntries.files("os", "2.0", "6.1", true, "aaaa", "bbbb", 3, "console=ttyS0");
        assertThat(f).containsOnlyKeys("loader/loader.conf", "loader/entries/os-a.conf", "loader/entries/os-b+3.conf");
        assertThat(f.get("loader/loader.conf")).startsWith("default os-a*\n");
        assertThat(f.get("loader/entries/os-b+3.conf")).contains("linux /os/vmlinuz-6.1\n", "initrd /os/initramfs-6.1.img\n",
                "options root=PARTUUID=bbbb ro rootwait console=ttyS0\n");
        assertThat(BootEntries.files("os", "2.0", "6.1", false, "aaaa", null, 3, "")).containsOnlyKeys("loader/loader.conf", "loader/entries/os-a.conf");
        assertThat(DiskImage.uuid("x")).isEqualTo(DiskImage.uuid("x")).isNotEqualTo(DiskImage.uuid("y")).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    }
}

package org.stageforge.image;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.StageforgeException;
import org.stageforge.merge.FileTable;
import org.stageforge.pack.Packer;
import org.stageforge.pack.RootScanner;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Root images from a root made as a normal user makes it (placeholder files for devices and fifos, the user's own
 * modes and owners, no capabilities on disk) with the truth in its file table: the real mksquashfs and mkfs.erofs
 * under fakeroot, read back with the real unsquashfs, fsck.erofs and dump.erofs.
 */
class RootImageTest {
    static final long EPOCH = 1_650_000_000L;
    static final byte[] CAP = HexFormat.of().parseHex("0100000200200000000000000000000000000000");
    static final UUID ID = RootImage.uuid("tiny_1.0");

    @TempDir
    Path tmp;

    @BeforeEach
    void tools() {
        for (String t : List.of("mksquashfs", "unsquashfs", "mkfs.erofs", "fsck.erofs", "dump.erofs", "fakeroot", "setfattr", "getfattr")) {
            Assumptions.assumeTrue(ImageListing.onPath(t), "needs " + t + " (squashfs-tools, erofs-utils, fakeroot, attr)");
        }
    }

    /** A root whose names are created in the given order (so directories list differently on disk). */
    static Path root(Path r, boolean reversed) throws IOException {
        Files.createDirectories(r);
        FileTable t = FileTable.empty();
        dir(r, "bin", 0755);
        file(r, "bin/ping", 0755, "\u007fELF ping".repeat(40));
        t.put("bin/ping", new FileTable.Entry('f', 04711, 0, 0, 0, 0,
                Map.of("security.capability", CAP, "user.note", "a=b".getBytes(StandardCharsets.UTF_8))));
        Files.createLink(r.resolve("bin/ping6"), r.resolve("bin/ping"));
        file(r, "bin/su", 0755, "su");
        t.put("bin/su", new FileTable.Entry('f', 04755, 0, 0, 0, 0, null));
        Files.createSymbolicLink(r.resolve("bin/sh"), Path.of("bash"));
        dir(r, "dev", 0755);
        file(r, "dev/null", 0644, "");
        t.put("dev/null", new FileTable.Entry('c', 0666, 0, 0, 1, 3, null));
        file(r, "dev/sda", 0644, "");
        t.put("dev/sda", new FileTable.Entry('b', 0660, 0, 6, 8, 0, null));
        file(r, "dev/big", 0644, "");
        t.put("dev/big", new FileTable.Entry('c', 0600, 0, 0, 4095, 1_048_575, null));
        file(r, "dev/initctl", 0644, "");
        t.put("dev/initctl", new FileTable.Entry('p', 0600, 0, 0, 0, 0, Map.of("user.fifo", new byte[]{1})));
        dir(r, "etc", 0755);
        file(r, "etc/shadow", 0600, "root:*:19000::::::\n");
        t.put("etc/shadow", new FileTable.Entry('f', 0640, 0, 42, 0, 0, null));
        dir(r, "home/user", 0755);
        t.put("home/user", new FileTable.Entry('d', 0700, 1000, 1000, 0, 0, Map.of("trusted.dir", new byte[]{0, 1, 2})));
        file(r, "home/user/we ird\\name \u00e9", 0644, "x");
        t.put("home/user/we ird\\name \u00e9", new FileTable.Entry('f', 0644, 1000, 100, 0, 0,
                Map.of("user.shared", new byte[]{9})));
        dir(r, "usr/share/many", 0755);
        List<Integer> order = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) order.add(i);
        if (reversed) java.util.Collections.reverse(order);
        for (int i : order) {
            file(r, "usr/share/many/f" + i, 0644, ("content " + i + "\n").repeat(i * 50));
            // the same xattr on many inodes: mkfs.erofs stores it once, shared
            t.put("usr/share/many/f" + i, new FileTable.Entry('f', 0644, 0, 0, 0, 0, Map.of("user.shared", new byte[]{9})));
        }
        file(r, "usr/share/new", 0644, "made after the epoch");
        Files.setLastModifiedTime(r.resolve("usr/share/new"), FileTime.from(java.time.Instant.ofEpochSecond(EPOCH + 5000)));
        file(r, "usr/share/old", 0644, "made before the epoch");
        Files.setLastModifiedTime(r.resolve("usr/share/old"), FileTime.from(java.time.Instant.ofEpochSecond(EPOCH - 5000)));
        dir(r, "var/db/pkg/a/b-1", 0755);
        file(r, "var/db/pkg/a/b-1/CONTENTS", 0644, "");
        file(r, "var/db/pkg/a/b-1/stageforge.cache", 0644, "left out");
        t.save(r);
        return r;
    }

    static final List<String> EXCLUDES = List.of("var/lib/stageforge", "var/db/pkg/a/b-1/stageforge.cache");

    private static void dir(Path r, String rel, int mode) throws IOException {
        Files.setPosixFilePermissions(Files.createDirectories(r.resolve(rel)), PosixFilePermissions.fromString(rwx(mode)));
    }

    private static void file(Path r, String rel, int mode, String content) throws IOException {
        Files.setPosixFilePermissions(Files.writeString(r.resolve(rel), content, StandardCharsets.UTF_8),
                PosixFilePermissions.fromString(rwx(mode)));
    }

    private static String rwx(int mode) {
        StringBuilder sb = new StringBuilder();
        for (int i = 8; i >= 0; i--) sb.append((mode & (1 << i)) != 0 ? "rwx".charAt(2 - i % 3) : '-');
        return sb.toString();
    }

    private RootImage.Result image(Path root, String name, RootImage.Format f) {
        return RootImage.write(root, tmp.resolve("out/" + name), f, EPOCH, ID, EXCLUDES);
    }

    @Test
    void twoBuildsGiveTheSameBytesWhateverTheDirectoryOrder() throws Exception {
        Path a = root(tmp.resolve("a"), false);
        Path b = root(tmp.resolve("b"), true);
        for (RootImage.Format f : RootImage.Format.values()) {
            RootImage.Result one = image(a, "one." + f.id, f);
            RootImage.Result again = image(a, "again." + f.id, f);
            RootImage.Result other = image(b, "other." + f.id, f);
            assertThat(again.sha256()).as(f.id).isEqualTo(one.sha256());
            assertThat(other.sha256()).as(f.id).isEqualTo(one.sha256());
            assertThat(one.sha256()).isEqualTo(TestHex.sha256(one.image()));
            assertThat(Files.getPosixFilePermissions(one.image())).isEqualTo(PosixFilePermissions.fromString("rw-r--r--"));
        }
        // nothing but the images is left in the output directory
        try (var s = Files.list(tmp.resolve("out"))) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly(
                    "again.erofs", "again.squashfs", "one.erofs", "one.squashfs", "other.erofs", "other.squashfs");
        }
    }

    @Test
    void theImagesListWhatTheTarballLists() throws Exception {
        Path r = root(tmp.resolve("root"), false);
        Path tar = tmp.resolve("out/root.tar.zst");
        Packer.pack(r, tar, EPOCH, EXCLUDES);
        SortedMap<String, String> expected = ImageListing.tar(tar);
        assertThat(expected.get("bin/ping")).isEqualTo("f 4711 0:0 360 0,0  " + EPOCH
                + " security.capability=0100000200200000000000000000000000000000 user.note=613d62");
        assertThat(expected.get("dev/big")).startsWith("c 0600 0:0 0 4095,1048575 ");
        assertThat(expected).doesNotContainKey("var/db/pkg/a/b-1/stageforge.cache").doesNotContainKey("var/lib/stageforge");

        RootImage.Result sq = image(r, "root.squashfs", RootImage.Format.SQUASHFS);
        assertThat(sq.entries()).isEqualTo(expected.size()); // the tarball's ./ (listed as "") is the images' root
        SortedMap<String, String> squashfs = ImageListing.squashfs(sq.image(), tmp.resolve("sq"));
        // the tools clamp mtimes to the epoch exactly as the tarball does: the listings are equal, times included
        assertThat(squashfs).isEqualTo(expected);
        assertThat(expected.get("usr/share/old")).endsWith(" " + (EPOCH - 5000));

        RootImage.Result er = image(r, "root.erofs", RootImage.Format.EROFS);
        SortedMap<String, String> erofs = ImageListing.erofs(er.image(), tmp.resolve("er"));
        assertThat(erofs).isEqualTo(expected);
        assertThat(ImageListing.run(List.of("dump.erofs", "-s", er.image().toString()), tmp))
                .contains("Filesystem UUID:                              " + ID)
                .contains("Filesystem created:                           Fri Apr 15 05:20:00 2022"); // EPOCH
    }

    @Test
    void anEpochTheFilesystemsCannotHoldIsRefused() throws Exception {
        Path r = root(tmp.resolve("root"), false);
        assertThatThrownBy(() -> RootImage.write(r, tmp.resolve("out/x.erofs"), RootImage.Format.EROFS, 1L << 33, ID, EXCLUDES))
                .isInstanceOf(StageforgeException.class)
                .hasMessage("erofs image: SOURCE_DATE_EPOCH 8589934592 does not fit the filesystem's 32-bit times");
        assertThat(tmp.resolve("out")).doesNotExist();
    }

    @Test
    void aMissingToolIsNamedWithItsDebianPackage() throws Exception {
        Path r = root(tmp.resolve("root"), false);
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        for (RootImage.Format f : RootImage.Format.values()) {
            ProcessBuilder pb = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                    "org.stageforge.cli.Main", "pack", r.toString(), "-o", tmp.resolve("out/x." + f.id).toString(),
                    "--source-date-epoch", Long.toString(EPOCH)).redirectErrorStream(true);
            pb.environment().put("PATH", tmp.resolve("empty").toString());
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor()).isEqualTo(1);
            assertThat(out).isEqualTo("stageforge: " + f.id + " image needs " + f.tool + " (Debian package "
                    + f.debianPackage + "), which is not on PATH\n");
        }
        assertThat(tmp.resolve("out")).doesNotExist();
    }

    @Test
    void artifactNamesFollowSysupdatePatterns() {
        assertThat(RootImage.fileName("tiny", "1.0", RootImage.Format.EROFS)).isEqualTo("tiny_1.0.root.erofs");
        assertThat(RootImage.fileName("tiny", "1.0", RootImage.Format.SQUASHFS)).isEqualTo("tiny_1.0.root.squashfs");
        assertThat(RootImage.uuid("tiny_1.0")).isEqualTo(UUID.fromString("c7fdca34-f930-3187-9a2d-1a80bd500cf0")).isNotEqualTo(RootImage.uuid("tiny_1.1"));
        assertThat(RootScanner.DEFAULT_EXCLUDES).containsExactly("var/lib/stageforge");
    }
}

package org.stageforge.image;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.archive.SafeExtractor;
import org.stageforge.merge.FileTable;
import org.stageforge.merge.PosixOps;
import org.stageforge.pack.Packer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A root built as root, whose disk already shows what its file table says (owners, modes, devices, a fifo, xattrs):
 * the tools read it directly, without fakeroot, and write the very bytes they write under fakeroot; any path the
 * disk shows otherwise sends them back under fakeroot, with the same bytes again.
 */
class RootImageDirectTest {
    static final long EPOCH = RootImageTest.EPOCH;
    static final List<String> EXCLUDES = RootImageTest.EXCLUDES;
    final PosixOps posix = PosixOps.system();

    @TempDir
    Path tmp;

    @BeforeEach
    void tools() {
        Assumptions.assumeTrue(SafeExtractor.runningAsRoot(), "needs root (devices, owners and security xattrs on disk)");
        for (String t : List.of("mksquashfs", "unsquashfs", "mkfs.erofs", "fsck.erofs", "dump.erofs", "fakeroot", "setfattr", "getfattr")) {
            Assumptions.assumeTrue(ImageListing.onPath(t), "needs " + t + " (squashfs-tools, erofs-utils, fakeroot, attr)");
        }
    }

    /** Makes {@code rel} with its table entry, on disk exactly as the entry says. */
    private void put(Path r, FileTable t, String rel, FileTable.Entry e, String content) throws IOException {
        Path p = r.resolve(rel);
        Files.createDirectories(p.getParent());
        switch (e.type()) {
            case 'd' -> Files.createDirectories(p);
            case 'f' -> Files.writeString(p, content, StandardCharsets.UTF_8);
            case 'p' -> posix.mkfifo(p, e.mode());
            default -> posix.mknod(p, e.type(), e.mode(), e.major(), e.minor());
        }
        posix.lchown(p, e.uid(), e.gid());
        posix.chmod(p, e.mode());
        if (e.xattrs() != null) for (var x : e.xattrs().entrySet()) posix.lsetxattr(p, x.getKey(), x.getValue());
        t.put(rel, e);
    }

    private Path builtAsRoot(Path r) throws IOException {
        Files.createDirectories(r);
        FileTable t = FileTable.empty();
        put(r, t, "bin", new FileTable.Entry('d', 0755, 0, 0, 0, 0, null), null);
        put(r, t, "bin/ping", new FileTable.Entry('f', 04711, 0, 0, 0, 0, Map.of("security.capability", RootImageTest.CAP)),
                "\u007fELF ping".repeat(40));
        Files.createLink(r.resolve("bin/ping6"), r.resolve("bin/ping"));
        Files.createSymbolicLink(r.resolve("bin/sh"), Path.of("bash"));
        posix.lchown(r.resolve("bin/sh"), 0, 0);
        t.put("bin/sh", new FileTable.Entry('l', 0777, 0, 0, 0, 0, null));
        put(r, t, "dev", new FileTable.Entry('d', 0755, 0, 0, 0, 0, null), null);
        put(r, t, "dev/null", new FileTable.Entry('c', 0666, 0, 0, 1, 3, null), null);
        put(r, t, "dev/sda", new FileTable.Entry('b', 0660, 0, 6, 8, 0, null), null);
        put(r, t, "dev/big", new FileTable.Entry('c', 0600, 0, 0, 4095, 1_048_575, null), null);
        put(r, t, "dev/initctl", new FileTable.Entry('p', 0600, 0, 0, 0, 0, null), null);
        put(r, t, "etc", new FileTable.Entry('d', 0755, 0, 0, 0, 0, null), null);
        put(r, t, "etc/shadow", new FileTable.Entry('f', 0640, 0, 42, 0, 0, null), "root:*:19000::::::\n");
        put(r, t, "home", new FileTable.Entry('d', 0755, 0, 0, 0, 0, null), null);
        put(r, t, "home/user", new FileTable.Entry('d', 0700, 1000, 1000, 0, 0, Map.of("trusted.dir", new byte[]{0, 1, 2})), null);
        put(r, t, "home/user/we ird\\name \u00e9", new FileTable.Entry('f', 0644, 1000, 100, 0, 0,
                Map.of("user.shared", new byte[]{9})), "x");
        for (int i = 0; i < 40; i++) {
            // the same xattr on many inodes: mkfs.erofs stores it once, shared
            put(r, t, "usr/share/many/f" + i, new FileTable.Entry('f', 0644, 0, 0, 0, 0, Map.of("user.shared", new byte[]{9})),
                    ("content " + i + "\n").repeat(i * 50));
        }
        put(r, t, "usr/share/new", new FileTable.Entry('f', 0644, 0, 0, 0, 0, null), "made after the epoch");
        Files.setLastModifiedTime(r.resolve("usr/share/new"), FileTime.from(Instant.ofEpochSecond(EPOCH + 5000)));
        // not in the table: the disk's attributes are the truth for both ways
        Files.createDirectories(r.resolve("var/db/pkg/a/b-1"));
        Files.writeString(r.resolve("var/db/pkg/a/b-1/CONTENTS"), "");
        Files.writeString(r.resolve("var/db/pkg/a/b-1/stageforge.cache"), "left out");
        t.save(r);
        return r;
    }

    @Test
    void theToolsReadARootBuiltAsRootDirectlyWithTheBytesOfTheFakerootWay() throws Exception {
        Path r = builtAsRoot(tmp.resolve("root"));
        Path tar = tmp.resolve("tar/root.tar.zst");
        Packer.pack(r, tar, EPOCH, EXCLUDES);
        for (RootImage.Format f : RootImage.Format.values()) {
            RootImage.Result direct = RootImage.write(r, tmp.resolve("out/direct." + f.id), f, EPOCH, RootImageTest.ID, EXCLUDES, true);
            RootImage.Result faked = RootImage.write(r, tmp.resolve("out/faked." + f.id), f, EPOCH, RootImageTest.ID, EXCLUDES, false);
            assertThat(direct.direct()).as(f.id).isTrue();
            assertThat(faked.direct()).as(f.id).isFalse();
            assertThat(direct.sha256()).as(f.id).isEqualTo(faked.sha256()).isEqualTo(TestHex.sha256(direct.image()));
            assertThat(direct.entries()).isEqualTo(faked.entries());
        }
        // and both hold what the tarball holds
        var expected = ImageListing.tar(tar);
        assertThat(expected.get("dev/big")).startsWith("c 0600 0:0 0 4095,1048575 ");
        assertThat(expected.get("bin/ping")).endsWith(" security.capability=0100000200200000000000000000000000000000");
        assertThat(ImageListing.squashfs(tmp.resolve("out/direct.squashfs"), tmp.resolve("sq"))).isEqualTo(expected);
        assertThat(ImageListing.erofs(tmp.resolve("out/direct.erofs"), tmp.resolve("er"))).isEqualTo(expected);
        try (var s = Files.list(tmp.resolve("out"))) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly(
                    "direct.erofs", "direct.squashfs", "faked.erofs", "faked.squashfs");
        }
    }

    @Test
    void aPathTheDiskShowsOtherwiseSendsTheToolUnderFakerootWithTheSameBytes() throws Exception {
        Path r = builtAsRoot(tmp.resolve("root"));
        Map<RootImage.Format, String> before = new java.util.EnumMap<>(RootImage.Format.class);
        for (RootImage.Format f : RootImage.Format.values()) {
            before.put(f, RootImage.write(r, tmp.resolve("out/before." + f.id), f, EPOCH, RootImageTest.ID, EXCLUDES, true).sha256());
        }
        // each change is one the file table does not know: fakeroot hides it, so the image stays the same
        List<Change> changes = List.of(
                c -> posix.lchown(c.resolve("etc/shadow"), 5, 42),
                c -> posix.chmod(c.resolve("usr/share/many/f7"), 0600),
                c -> posix.lsetxattr(c.resolve("usr/share/new"), "user.extra", new byte[]{1}),
                // a second xattr: the tool would list them in the disk's order, not necessarily fakeroot's
                c -> posix.lsetxattr(c.resolve("bin/ping"), "user.note", "a=b".getBytes(StandardCharsets.UTF_8)),
                c -> {
                    Files.delete(c.resolve("dev/sda"));
                    put(c, FileTable.empty(), "dev/sda", new FileTable.Entry('f', 0660, 0, 6, 0, 0, null), "");
                });
        for (int n = 0; n < changes.size(); n++) {
            Path c = builtAsRoot(tmp.resolve("changed" + n));
            changes.get(n).apply(c);
            for (RootImage.Format f : RootImage.Format.values()) {
                RootImage.Result res = RootImage.write(c, tmp.resolve("out/" + n + "." + f.id), f, EPOCH, RootImageTest.ID, EXCLUDES, true);
                assertThat(res.direct()).as("change " + n + " " + f.id).isFalse();
                assertThat(res.sha256()).as("change " + n + " " + f.id).isEqualTo(before.get(f));
            }
        }
    }

    private interface Change {
        void apply(Path root) throws IOException;
    }
}

package org.stageforge.pack;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.archive.TarEntry;
import org.stageforge.archive.TarLimits;
import org.stageforge.archive.TarReader;
import org.stageforge.merge.FileTable;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pins the exact bytes of {@code stageforge pack}: a root the test makes (owners, modes, device nodes and xattrs from
 * the file table, hard links, symlinks, long and non-ASCII names, names whose byte order differs from a naive sort,
 * contents across buffer and block sizes, mtimes on both sides of the source date epoch) must pack to the same
 * archive as ever, so that a faster packer cannot silently change a release artifact.
 */
class PackBytesTest {
    private static final long EPOCH = 1_650_000_000L;
    private static final byte[] CAP = HexFormat.of().parseHex("0100000200200000000000000000000000000000");

    // SHA-512 of the archives as stageforge wrote them before the packer was made fast; a change here is a change
    // of every release artifact and must be deliberate
    private static final String TAR_SHA512 =
            "398bf43b71a3823ae7a8a432a23ec615b1a87fc4e4547357550c68c04071019ac965d3b0d9118ad94b0797d81821d7a35744160d56034f5e99ea89ddfebebccc";
    private static final String ZST_SHA512 =
            "a5c86657f997ba6c5956f1f89039ffcc2b0bc0591f7f44c50460c8756b4bd272914f5501374b4eae26a970dbaa3946b18d914d3cb1f6115717fbe8e83b1291a7";

    private static final String XZ_SHA512 =
            "7f423e3152d9a0a2f6e79ec443c5c704f4e3fcf9ac22c6a059960740307f500a40f052d0e1e13372f9dddf10ca5fcb683b443732c800ef7f6582cc740b16f724";

    @TempDir
    Path tmp;

    @Test
    void plainTarBytesArePinned() throws Exception {
        Path r = root();
        Packer.Result res = Packer.pack(r, tmp.resolve("out/root.tar"), EPOCH);
        assertThat(res.entries()).isEqualTo(ENTRIES);
        assertThat(sha512(res.archive())).isEqualTo(res.sha512());
        assertThat(listing(res.archive())).isEqualTo(LISTING);
        assertThat(res.sha512()).isEqualTo(TAR_SHA512);
    }

    @Test
    void zstdBytesArePinned() throws Exception {
        Path r = root();
        Packer.Result res = Packer.pack(r, tmp.resolve("out/root.tar.zst"), EPOCH);
        assertThat(res.entries()).isEqualTo(ENTRIES);
        assertThat(sha512(res.archive())).isEqualTo(res.sha512());
        assertThat(res.sha512()).isEqualTo(ZST_SHA512);
    }

    @Test
    void xzBytesArePinned() throws Exception {
        Packer.Result res = Packer.pack(root(), tmp.resolve("out/root.tar.xz"), EPOCH);
        assertThat(res.sha512()).isEqualTo(XZ_SHA512);
        // gzip comes from the host's zlib, whose output may differ between versions: the same root, the same bytes
        Path gz = Packer.pack(tmp.resolve("root"), tmp.resolve("out/a.tar.gz"), EPOCH).archive();
        Path gz2 = Packer.pack(tmp.resolve("root"), tmp.resolve("out/b.tar.gz"), EPOCH).archive();
        assertThat(Files.readAllBytes(gz2)).isEqualTo(Files.readAllBytes(gz));
    }

    private static final long ENTRIES = 60;
    /** What GNU tar sees in the archive, to tell what changed when a pin fails. */
    private static final String LISTING = """
            drwxr-xr-x 0/0 0 1650000000 0,0 ./
            drwxr-xr-x 0/0 0 1650000000 0,0 ./bin/
            lrwxrwxrwx 0/0 0 1650000000 0,0 ./bin/far -> ../long-target/long-target/long-target/long-target/long-target/long-target/long-target/long-target/long-target/long-target/end
            -rws--x--x 0/0 360 1600000000 0,0 ./bin/ping security.capability=0100000200200000000000000000000000000000 user.note=613d623b630a
            hrws--x--x 0/0 0 1600000000 0,0 ./bin/ping6 -> ./bin/ping security.capability=0100000200200000000000000000000000000000 user.note=613d623b630a
            lrwxrwxrwx 0/0 0 1000000000 0,0 ./bin/sh -> bash
            -rwsr-xr-x 0/0 2 1650000000 0,0 ./bin/su
            hrws--x--x 0/0 0 1600000000 0,0 ./bin/zping -> ./bin/ping security.capability=0100000200200000000000000000000000000000 user.note=613d623b630a
            drwxr-xr-x 0/0 0 1650000000 0,0 ./data/
            -rwxr-x--- 0/0 197385 1234567890 0,0 ./data/big
            -rw-r--r-- 0/0 512 1650000000 0,0 ./data/block
            -rw-r--r-- 0/0 513 1650000000 0,0 ./data/block1
            -rw-r--r-- 0/0 0 1650000000 0,0 ./data/empty
            -rw-r--r-- 0/0 1 1650000000 0,0 ./data/one
            -rw-r--r-- 0/0 795592 1650000000 0,0 ./data/text
            drwxr-xr-x 0/0 0 1650000000 0,0 ./dev/
            prw------- 0/0 0 1650000000 0,0 ./dev/initctl
            crw------- 0/0 0 1650000000 4095,1048575 ./dev/minor
            crw-rw-rw- 0/0 0 1650000000 1,3 ./dev/null
            brw-rw---- 0/6 0 1650000000 8,0 ./dev/sda
            drwxr-xr-x 0/0 0 1650000000 0,0 ./etc/
            -rw-r--r-- 0/0 26 1600000000 0,0 ./etc/passwd
            -rw-r----- 0/42 19 1650000000 0,0 ./etc/shadow
            drwxr-xr-x 0/0 0 1650000000 0,0 ./etc/ssl/
            drwxr-xr-x 0/0 0 1650000000 0,0 ./home/
            -rw-r--r-- 3000000000/2097152 3 1650000000 0,0 ./home/big-ids
            lrwxrwxrwx 1000/100 0 1650000000 0,0 ./home/link -> user trusted.x=000102
            drwx------ 1000/1000 0 1500000000 0,0 ./home/user/
            -rw-r--r-- 1000/1000 11 1650000000 0,0 ./home/user/.profile
            drwxr-xr-x 0/0 0 1650000000 0,0 ./sort/
            -rw-r--r-- 0/0 1 1650000000 0,0 ./sort/B
            drwxr-xr-x 0/0 0 1650000000 0,0 ./sort/a/
            -rw-r--r-- 0/0 3 1650000000 0,0 ./sort/a-b
            -rw-r--r-- 0/0 3 1650000000 0,0 ./sort/a.b
            drwxr-xr-x 0/0 0 1650000000 0,0 ./sort/a.d/
            -rw-r--r-- 0/0 1 1650000000 0,0 ./sort/a.d/x
            -rw-r--r-- 0/0 5 1650000000 0,0 ./sort/a/inner
            -rw-r--r-- 0/0 2 1650000000 0,0 ./sort/a0
            -rw-r--r-- 0/0 2 1650000000 0,0 ./sort/aB
            -rw-r--r-- 0/0 2 1650000000 0,0 ./sort/ab
            -rw-r--r-- 0/0 1 1650000000 0,0 ./sort/b
            -rw-r--r-- 0/0 1 1650000000 0,0 ./sort/z
            -rw-r--r-- 0/0 2 1650000000 0,0 ./sort/é
            -rw-r--r-- 0/0 5 1650000000 0,0 ./sort/été
            -rw-r--r-- 0/0 3 1650000000 0,0 ./sort/中
            drwxr-xr-x 0/0 0 1650000000 0,0 ./usr/
            drwxr-xr-x 0/0 0 1650000000 0,0 ./usr/lib/
            drwxr-xr-x 0/0 0 1650000000 0,0 ./usr/lib/long-directory-name/
            drwxr-xr-x 0/0 0 1650000000 0,0 ./usr/lib/long-directory-name/long-directory-name/
            drwxr-xr-x 0/0 0 1650000000 0,0 ./usr/lib/long-directory-name/long-directory-name/long-directory-name/
            drwxr-xr-x 0/0 0 1650000000 0,0 ./usr/lib/long-directory-name/long-directory-name/long-directory-name/long-directory-name/
            drwxr-xr-x 0/0 0 1650000000 0,0 ./usr/lib/long-directory-name/long-directory-name/long-directory-name/long-directory-name/long-directory-name/
            -rw-r--r-- 0/0 4 1650000000 0,0 ./usr/lib/long-directory-name/long-directory-name/long-directory-name/long-directory-name/long-directory-name/a-file-name-that-pushes-past-one-hundred-bytes.txt
            hrw-r--r-- 0/0 0 1650000000 0,0 ./usr/lib/z-hardlink-to-deep -> ./usr/lib/long-directory-name/long-directory-name/long-directory-name/long-directory-name/long-directory-name/a-file-name-that-pushes-past-one-hundred-bytes.txt
            drwxr-xr-x 0/0 0 1650000000 0,0 ./usr/share/
            drwxr-xr-x 0/0 0 1650000000 0,0 ./usr/share/ünïcödé/
            -rw-r--r-- 0/0 8 1650000000 0,0 ./usr/share/ünïcödé/README
            drwxr-xr-x 0/0 0 1650000000 0,0 ./var/
            drwxr-xr-x 0/0 0 1650000000 0,0 ./var/lib/
            drwxr-xr-x 0/0 0 1650000000 0,0 ./var/log/
            """;

    private Path root() throws IOException {
        Path r = Files.createDirectories(tmp.resolve("root"));
        FileTable t = FileTable.empty();
        dir(r, "bin", 0755);
        file(r, "bin/ping", 0755, "\u007fELF ping".repeat(40));
        t.put("bin/ping", new FileTable.Entry('f', 04711, 0, 0, 0, 0,
                Map.of("security.capability", CAP, "user.note", "a=b;c\n".getBytes(StandardCharsets.UTF_8))));
        Files.createLink(r.resolve("bin/ping6"), r.resolve("bin/ping"));
        Files.createLink(r.resolve("bin/zping"), r.resolve("bin/ping"));
        file(r, "bin/su", 0755, "su");
        t.put("bin/su", new FileTable.Entry('f', 04755, 0, 0, 0, 0, null));
        Files.createSymbolicLink(r.resolve("bin/sh"), Path.of("bash"));
        Files.createSymbolicLink(r.resolve("bin/far"), Path.of("../" + "long-target/".repeat(10) + "end")); // linkpath record
        dir(r, "dev", 0755);
        file(r, "dev/null", 0644, ""); // placeholders a normal user makes; the table has the truth
        t.put("dev/null", new FileTable.Entry('c', 0666, 0, 0, 1, 3, null));
        file(r, "dev/sda", 0644, "");
        t.put("dev/sda", new FileTable.Entry('b', 0660, 0, 6, 8, 0, null));
        file(r, "dev/minor", 0644, "");
        t.put("dev/minor", new FileTable.Entry('c', 0600, 0, 0, 4095, 1_048_575, null));
        file(r, "dev/initctl", 0644, "");
        t.put("dev/initctl", new FileTable.Entry('p', 0600, 0, 0, 0, 0, null));
        dir(r, "etc", 0755);
        file(r, "etc/passwd", 0644, "root:x:0:0::/root:/bin/sh\n");
        file(r, "etc/shadow", 0600, "root:*:19000::::::\n");
        t.put("etc/shadow", new FileTable.Entry('f', 0640, 0, 42, 0, 0, null));
        dir(r, "etc/ssl", 0755);
        t.put("etc/ssl", new FileTable.Entry('f', 0600, 9, 9, 0, 0, null)); // table disagrees with disk: disk wins
        dir(r, "home", 0755);
        dir(r, "home/user", 0755);
        t.put("home/user", new FileTable.Entry('d', 0700, 1000, 1000, 0, 0, null));
        file(r, "home/user/.profile", 0644, "export A=1\n");
        t.put("home/user/.profile", new FileTable.Entry('f', 0644, 1000, 1000, 0, 0, null));
        file(r, "home/big-ids", 0644, "ids");
        t.put("home/big-ids", new FileTable.Entry('f', 0644, 3_000_000_000L, 2_097_152, 0, 0, null));
        Files.createSymbolicLink(r.resolve("home/link"), Path.of("user"));
        t.put("home/link", new FileTable.Entry('l', 0777, 1000, 100, 0, 0, Map.of("trusted.x", new byte[]{0, 1, 2})));
        // by bytes "a-b" < "a.b" < "a/inner" < "a0" and "B" < "a" < "z" < "\u00e9" < "\u4e2d"
        dir(r, "sort/a", 0755);
        file(r, "sort/a/inner", 0644, "inner");
        for (String n : List.of("a-b", "a.b", "a0", "aB", "ab", "B", "b", "\u00e9", "\u00e9t\u00e9", "z", "\u4e2d")) {
            file(r, "sort/" + n, 0644, n);
        }
        dir(r, "sort/a.d", 0755);
        file(r, "sort/a.d/x", 0644, "x");
        dir(r, "usr/share/\u00fcn\u00efc\u00f6d\u00e9", 0755);
        file(r, "usr/share/\u00fcn\u00efc\u00f6d\u00e9/README", 0644, "unicode\n");
        String deep = "usr/lib/" + "long-directory-name/".repeat(5) + "a-file-name-that-pushes-past-one-hundred-bytes.txt";
        dir(r, deep.substring(0, deep.lastIndexOf('/')), 0755);
        file(r, deep, 0644, "deep");
        Files.createLink(r.resolve("usr/lib/z-hardlink-to-deep"), r.resolve(deep)); // PAX linkpath on a hard link
        dir(r, "data", 0755);
        file(r, "data/empty", 0644, "");
        file(r, "data/one", 0644, "1");
        file(r, "data/block", 0644, "b".repeat(512));
        file(r, "data/block1", 0644, "c".repeat(513));
        byte[] big = new byte[(1 << 16) * 3 + 777];
        long x = 42;
        for (int i = 0; i < big.length; i++) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            big[i] = (byte) (i % 3 == 0 ? 'a' + (i / 4096) % 26 : x >>> 59); // half compressible
        }
        Files.write(r.resolve("data/big"), big);
        Files.setPosixFilePermissions(r.resolve("data/big"), PosixFilePermissions.fromString("rwxr-x---"));
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 40_000; i++) text.append("line ").append(i * 7919 % 10007).append(" of a text\n");
        file(r, "data/text", 0644, text.toString());
        dir(r, "var/lib/stageforge/state", 0755);
        file(r, "var/lib/stageforge/state/left-out", 0644, "not packed");
        dir(r, "var/log", 0755);
        t.save(r);

        // mtimes: older than the epoch are kept, newer are clamped; everything else is "now" (clamped as well)
        try (Stream<Path> s = Files.walk(r)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                String rel = r.relativize(p).toString();
                long m = switch (rel) {
                    case "bin/ping", "etc/passwd" -> 1_600_000_000L;
                    case "data/big" -> 1_234_567_890L;
                    case "bin/sh" -> 1_000_000_000L;
                    case "home/user" -> 1_500_000_000L;
                    case "data/text" -> 4_000_000_000L;
                    default -> 1_700_000_000L;
                };
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x")); // not the umask's
                }
                Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                        .setTimes(FileTime.from(m, java.util.concurrent.TimeUnit.SECONDS), null, null);
            }
        }
        return r;
    }

    private static void dir(Path r, String rel, int mode) throws IOException {
        Path d = Files.createDirectories(r.resolve(rel));
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString(rwx(mode)));
    }

    private static void file(Path r, String rel, int mode, String content) throws IOException {
        Path f = Files.writeString(r.resolve(rel), content, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(rwx(mode)));
    }

    private static String rwx(int mode) {
        StringBuilder sb = new StringBuilder();
        for (int i = 8; i >= 0; i--) sb.append((mode & (1 << i)) != 0 ? "rwx".charAt(2 - i % 3) : '-');
        return sb.toString();
    }

    /** One line per member: type, mode, owner, size, mtime, device, name, link target, xattrs. */
    private static String listing(Path archive) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (TarReader tar = new TarReader(Files.newInputStream(archive), archive.toString(), TarLimits.DEFAULT)) {
            TarEntry e;
            while ((e = tar.next()) != null) {
                sb.append(e.modeString()).append(' ').append(e.uid()).append('/').append(e.gid()).append(' ')
                        .append(e.size()).append(' ').append(e.mtime()).append(' ')
                        .append(e.devMajor()).append(',').append(e.devMinor()).append(' ').append(e.path());
                if (!e.linkTarget().isEmpty()) sb.append(" -> ").append(e.linkTarget());
                e.xattrs().forEach((k, v) -> sb.append(' ').append(k).append('=').append(HexFormat.of().formatHex(v)));
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    private static String sha512(Path p) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-512").digest(Files.readAllBytes(p)));
    }
}

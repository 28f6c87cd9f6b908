package org.stageforge.image;

import org.stageforge.archive.Compression;
import org.stageforge.archive.TarEntry;
import org.stageforge.archive.TarLimits;
import org.stageforge.archive.TarReader;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What a tarball or a filesystem image holds, one line per path ({@code path type mode uid:gid size major,minor
 * link mtime xattrs}), read back with the real tools: tar through stageforge's reader, squashfs by {@code unsquashfs}
 * and erofs by {@code fsck.erofs --extract}, each extracting under {@code fakeroot} whose saved state then gives the
 * owners, modes and device numbers the tool set; squashfs xattrs by {@code getfattr} in that session. fsck.erofs 1.5
 * does not extract xattrs and no bookworm tool prints them, so erofs xattrs are read from the image by
 * {@link #erofsXattrs} at the inode {@code dump.erofs} names.
 */
public final class ImageListing {
    private ImageListing() {}

    public static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) return true;
        }
        return false;
    }

    private static String line(char type, int mode, long uid, long gid, long size, int major, int minor, String link,
                               long mtime, Map<String, byte[]> xattrs) {
        StringBuilder x = new StringBuilder();
        if (xattrs != null) new TreeMap<>(xattrs).forEach((k, v) -> x.append(' ').append(k).append('=').append(HexFormat.of().formatHex(v)));
        return type + " " + String.format("%04o", mode) + " " + uid + ":" + gid + " " + size + " " + major + "," + minor
                + " " + link + " " + mtime + x;
    }

    /** The tarball's listing; a hard link is listed as the file it names (images hold no link entries). */
    public static SortedMap<String, String> tar(Path tarball) throws IOException {
        SortedMap<String, String> out = new TreeMap<>();
        Map<String, TarEntry> files = new HashMap<>();
        try (InputStream in = Compression.fromFileName(tarball.getFileName().toString()).decompress(Files.newInputStream(tarball));
             TarReader r = new TarReader(in, tarball.toString(), TarLimits.DEFAULT)) {
            for (TarEntry e; (e = r.next()) != null; ) {
                String p = e.path().replaceFirst("^\\./?", "").replaceFirst("/$", "");
                if (e.type() == TarEntry.Type.HARDLINK) e = files.get(e.linkTarget().replaceFirst("^\\./", ""));
                else if (e.type() == TarEntry.Type.FILE) files.put(p, e);
                char t = switch (e.type()) {
                    case DIR -> 'd';
                    case SYMLINK -> 'l';
                    case FIFO -> 'p';
                    case CHAR -> 'c';
                    case BLOCK -> 'b';
                    default -> 'f';
                };
                out.put(p, line(t, e.mode(), e.uid(), e.gid(), t == 'f' ? e.size() : 0, e.devMajor(), e.devMinor(),
                        t == 'l' ? e.linkTarget() : "", e.mtime(), e.xattrs()));
            }
        }
        return out;
    }

    public static SortedMap<String, String> squashfs(Path image, Path work) throws Exception {
        return extracted(work, "unsquashfs -d \"$1\" \"$2\" >/dev/null", image, false);
    }

    public static SortedMap<String, String> erofs(Path image, Path work) throws Exception {
        return extracted(work, "fsck.erofs --extract=\"$1\" \"$2\" >/dev/null", image, true);
    }

    private static SortedMap<String, String> extracted(Path work, String extract, Path image, boolean erofs) throws Exception {
        Files.createDirectories(work);
        Path dir = work.resolve("x");
        Path state = work.resolve("state");
        Path xattrs = work.resolve("xattrs");
        run(List.of("fakeroot", "-s", state.toString(), "--", "sh", "-c",
                extract + " && cd \"$1\" && getfattr -R -h -d -m - -e hex . > \"$3\"", "sh", dir.toString(),
                image.toString(), xattrs.toString()), work);
        Map<String, long[]> faked = new HashMap<>(); // dev:ino -> mode, uid, gid, rdev
        for (String l : Files.readAllLines(state)) {
            Map<String, String> f = new HashMap<>();
            for (String kv : l.split(",")) f.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
            faked.put(Long.parseLong(f.get("dev"), 16) + ":" + f.get("ino"), new long[]{Long.parseLong(f.get("mode"), 8),
                    Long.parseLong(f.get("uid")), Long.parseLong(f.get("gid")), Long.parseLong(f.get("rdev"))});
        }
        Map<String, Map<String, byte[]>> xa = erofs ? null : getfattr(Files.readString(xattrs, StandardCharsets.ISO_8859_1));
        SortedMap<String, String> out = new TreeMap<>();
        List<Path> all;
        try (Stream<Path> s = Files.walk(dir)) {
            all = s.toList();
        }
        for (Path p : all) {
            String rel = dir.relativize(p).toString();
            Map<String, Object> a = Files.readAttributes(p, "unix:dev,ino,mode,uid,gid,size,lastModifiedTime,rdev", LinkOption.NOFOLLOW_LINKS);
            long[] f = faked.get(a.get("dev") + ":" + a.get("ino"));
            long mode = f != null ? f[0] : (Integer) a.get("mode");
            long rdev = f != null ? f[3] : 0;
            char t = switch ((int) (mode & 0170000)) {
                case 0040000 -> 'd';
                case 0120000 -> 'l';
                case 0010000 -> 'p';
                case 0020000 -> 'c';
                case 0060000 -> 'b';
                default -> 'f';
            };
            int major = (int) (((rdev >>> 32) & 0xfffff000L) | ((rdev >>> 8) & 0xfffL));
            int minor = (int) (((rdev >>> 12) & 0xffffff00L) | (rdev & 0xffL));
            Map<String, byte[]> x = erofs ? erofsXattrs(image, rel)
                    : xa.get(rel.isEmpty() ? "." : rel);
            out.put(rel, line(t, (int) (mode & 07777), f != null ? f[1] : 0, f != null ? f[2] : 0,
                    t == 'f' ? (Long) a.get("size") : 0, major, minor,
                    t == 'l' ? Files.readSymbolicLink(p).toString() : "",
                    ((java.nio.file.attribute.FileTime) a.get("lastModifiedTime")).toMillis() / 1000, x));
        }
        return out;
    }

    /** getfattr's dump: "# file: NAME" with octal escapes, then name=0xHEX lines. */
    private static Map<String, Map<String, byte[]>> getfattr(String dump) {
        Map<String, Map<String, byte[]>> out = new HashMap<>();
        Map<String, byte[]> cur = null;
        for (String l : dump.split("\n")) {
            if (l.startsWith("# file: ")) {
                String name = unquote(l.substring(8));
                name = name.equals(".") ? "." : name.replaceFirst("^\\./", "");
                cur = out.computeIfAbsent(name, k -> new TreeMap<>());
            } else if (!l.isEmpty() && cur != null) {
                int eq = l.indexOf('=');
                cur.put(unquote(l.substring(0, eq)), HexFormat.of().parseHex(l.substring(eq + 3)));
            }
        }
        return out;
    }

    private static String unquote(String s) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && Character.isDigit(s.charAt(i + 1))) {
                b.write(Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    /**
     * The xattrs of {@code rel} in an erofs image, by the on-disk format (erofs_fs.h): the inode at
     * {@code meta_blkaddr * 4096 + nid * 32}, its xattr body after the 32- or 64-byte core: a 12-byte header with the
     * count of shared xattrs, their 4-byte ids (entries at {@code xattr_blkaddr * 4096 + id * 4}), then inline entries
     * (name length, prefix index, value size, name, value; 4-byte aligned).
     */
    static Map<String, byte[]> erofsXattrs(Path image, String rel) throws Exception {
        String dump = run(List.of("dump.erofs", "--path=/" + rel, image.toString()), image.getParent());
        long nid = -1;
        for (String l : dump.split("\n")) if (l.startsWith("NID: ")) nid = Long.parseLong(l.substring(5).trim().split("\\s+")[0]);
        if (nid < 0) throw new IllegalStateException("dump.erofs names no inode for " + rel + ": " + dump);
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "r")) {
            ByteBuffer sb = read(f, 1024, 128);
            long meta = Integer.toUnsignedLong(sb.getInt(40));
            long xattrBlk = Integer.toUnsignedLong(sb.getInt(44));
            long at = meta * 4096 + nid * 32;
            ByteBuffer in = read(f, at, 64);
            int format = in.getShort(0) & 0xffff;
            int icount = in.getShort(2) & 0xffff;
            Map<String, byte[]> out = new TreeMap<>();
            if (icount == 0) return out;
            int size = 12 + (icount - 1) * 4;
            ByteBuffer x = read(f, at + ((format & 1) == 0 ? 32 : 64), size);
            int shared = x.get(4) & 0xff;
            for (int i = 0; i < shared; i++) entry(read(f, xattrBlk * 4096 + Integer.toUnsignedLong(x.getInt(12 + 4 * i)) * 4, 4096), 0, out);
            for (int pos = 12 + 4 * shared; pos < size; ) pos = entry(x, pos, out);
            return out;
        }
    }

    private static final Map<Integer, String> PREFIXES = Map.of(1, "user.", 2, "system.posix_acl_access", 3,
            "system.posix_acl_default", 4, "trusted.", 6, "security.");

    private static int entry(ByteBuffer b, int pos, Map<String, byte[]> out) {
        int nameLen = b.get(pos) & 0xff;
        int index = b.get(pos + 1) & 0xff;
        int valueSize = b.getShort(pos + 2) & 0xffff;
        byte[] name = new byte[nameLen];
        b.get(pos + 4, name);
        byte[] value = new byte[valueSize];
        b.get(pos + 4 + nameLen, value);
        out.put(PREFIXES.get(index) + new String(name, StandardCharsets.UTF_8), value);
        return pos + ((4 + nameLen + valueSize + 3) & ~3);
    }

    private static ByteBuffer read(RandomAccessFile f, long at, int n) throws IOException {
        byte[] b = new byte[(int) Math.min(n, Math.max(0, f.length() - at))];
        f.seek(at);
        f.readFully(b);
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Runs {@code cmd} in {@code dir} (TZ and locale fixed); its output, or an assertion error with it. */
    public static String run(List<String> cmd, Path dir) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(cmd)).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("TZ", "UTC");
        pb.environment().put("LC_ALL", "C");
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) throw new AssertionError(cmd + " failed: " + out);
        return out;
    }
}

package org.stageforge.pack;

import org.stageforge.StageforgeException;
import org.stageforge.archive.TarEntry;
import org.stageforge.merge.FileTable;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The logical view of a root: every path with the attributes the archive gets, sorted by path bytes (so a directory
 * always comes right before its contents). Attributes come from the root's file table
 * ({@link FileTable#PATH}) where it has the path, else from the disk; disk owners equal to the current non-root
 * user are taken as root (0:0), since such a root was made without privileges. Regular files sharing an inode become
 * hard links to the first of their names. Symlinks are never followed.
 */
public final class RootScanner {
    /** Paths left out by default: stageforge's own state. */
    public static final List<String> DEFAULT_EXCLUDES = List.of("var/lib/stageforge");

    /**
     * One path of the root.
     *
     * @param rel   relative path without leading slash ("" for the root itself)
     * @param entry the archive member (path {@code ./rel}, owners numeric, size of regular files)
     * @param file  the disk path holding a regular file's content, else null
     */
    public record Item(String rel, TarEntry entry, Path file) {}

    private RootScanner() {}

    /** Scans {@code root}, leaving out {@code excludes} (relative paths, with everything below them). */
    public static List<Item> scan(Path root, List<String> excludes) {
        Path base = root.toAbsolutePath().normalize();
        FileTable table = FileTable.load(base);
        long euid = currentUid();
        List<Object[]> found = new ArrayList<>();
        try {
            Files.walkFileTree(base, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) {
                    String rel = base.relativize(d).toString();
                    if (excluded(rel, excludes)) return FileVisitResult.SKIP_SUBTREE;
                    found.add(new Object[]{rel, d});
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes a) {
                    String rel = base.relativize(f).toString();
                    if (!excluded(rel, excludes)) found.add(new Object[]{rel, f});
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
                    throw e;
                }
            });
        } catch (IOException e) {
            throw new StageforgeException("cannot scan " + base + ": " + e.getMessage(), e);
        }
        found.sort((x, y) -> compareBytes((String) x[0], (String) y[0]));
        List<Item> out = new ArrayList<>(found.size());
        Map<String, TarEntry> inodes = new HashMap<>();
        try {
            for (Object[] o : found) out.add(item((String) o[0], (Path) o[1], table, euid, inodes));
        } catch (IOException e) {
            throw new StageforgeException("cannot read " + base + ": " + e.getMessage(), e);
        }
        return out;
    }

    private static boolean excluded(String rel, List<String> excludes) {
        for (String x : excludes) if (rel.equals(x) || rel.startsWith(x + "/")) return true;
        return false;
    }

    static int compareBytes(String a, String b) {
        return Arrays.compareUnsigned(a.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                b.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static long currentUid() {
        return new com.sun.security.auth.module.UnixSystem().getUid();
    }

    private static Item item(String rel, Path p, FileTable table, long euid, Map<String, TarEntry> inodes)
            throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,size,lastModifiedTime,ino,dev,nlink,rdev",
                LinkOption.NOFOLLOW_LINKS);
        int rawMode = (Integer) a.get("mode");
        long uid = ((Number) a.get("uid")).longValue();
        long gid = ((Number) a.get("gid")).longValue();
        if (euid != 0 && uid == euid) {
            uid = 0;
            gid = 0;
        }
        int mode = rawMode & 07777;
        long mtime = ((java.nio.file.attribute.FileTime) a.get("lastModifiedTime")).toMillis() / 1000;
        TarEntry.Type type = switch (rawMode & 0170000) {
            case 0040000 -> TarEntry.Type.DIR;
            case 0120000 -> TarEntry.Type.SYMLINK;
            case 0010000 -> TarEntry.Type.FIFO;
            case 0020000 -> TarEntry.Type.CHAR;
            case 0060000 -> TarEntry.Type.BLOCK;
            case 0100000 -> TarEntry.Type.FILE;
            default -> throw new IOException(p + ": sockets and unknown file types cannot be packed");
        };
        long rdev = ((Number) a.get("rdev")).longValue();
        int major = (int) (((rdev >>> 32) & 0xfffff000L) | ((rdev >>> 8) & 0xfffL));
        int minor = (int) (((rdev >>> 12) & 0xffffff00L) | (rdev & 0xffL));
        Map<String, byte[]> xattrs = null;
        FileTable.Entry t = rel.isEmpty() ? null : table.get(rel);
        if (t != null) {
            TarEntry.Type tt = switch (t.type()) {
                case 'd' -> TarEntry.Type.DIR;
                case 'l' -> TarEntry.Type.SYMLINK;
                case 'p' -> TarEntry.Type.FIFO;
                case 'c' -> TarEntry.Type.CHAR;
                case 'b' -> TarEntry.Type.BLOCK;
                default -> TarEntry.Type.FILE;
            };
            // the table describes what the merge made; a path changed since to another kind keeps the disk's truth
            boolean placeholder = type == TarEntry.Type.FILE
                    && (tt == TarEntry.Type.FIFO || tt == TarEntry.Type.CHAR || tt == TarEntry.Type.BLOCK);
            if (tt == type || placeholder) {
                type = tt;
                mode = t.mode();
                uid = t.uid();
                gid = t.gid();
                major = t.major();
                minor = t.minor();
                xattrs = t.xattrs();
            }
        }
        String name = rel.isEmpty() ? "./" : "./" + rel;
        String link = "";
        long size = 0;
        Path content = null;
        if (type == TarEntry.Type.SYMLINK) {
            link = Files.readSymbolicLink(p).toString();
            mode = 0777;
        } else if (type == TarEntry.Type.FILE) {
            TarEntry first = inodes.get(a.get("dev") + ":" + a.get("ino"));
            if (first != null) {
                // a further name: tar stores a link to the first name, with that file's attributes
                return new Item(rel, new TarEntry(name, TarEntry.Type.HARDLINK, first.mode(), first.uid(), first.gid(),
                        "", "", 0, first.mtime(), 0, first.path(), 0, 0, first.xattrs()), null);
            }
            size = ((Number) a.get("size")).longValue();
            content = p;
        }
        if (type != TarEntry.Type.CHAR && type != TarEntry.Type.BLOCK) {
            major = 0;
            minor = 0;
        }
        TarEntry e = new TarEntry(name, type, mode, uid, gid, "", "", size, mtime, 0, link, major, minor,
                xattrs == null ? null : new java.util.TreeMap<>(xattrs));
        if (type == TarEntry.Type.FILE && ((Number) a.get("nlink")).longValue() > 1) {
            inodes.put(a.get("dev") + ":" + a.get("ino"), e);
        }
        return new Item(rel, e, content);
    }
}

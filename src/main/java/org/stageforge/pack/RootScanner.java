package org.stageforge.pack;

import org.stageforge.StageforgeException;
import org.stageforge.archive.TarEntry;
import org.stageforge.merge.FileTable;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The logical view of a root: every path with the attributes the archive gets, sorted by path bytes (so a directory
 * always comes right before its contents). Attributes come from the root's file table
 * ({@link FileTable#PATH}) where it has the path, else from the disk; disk owners equal to the current non-root
 * user are taken as root (0:0), since such a root was made without privileges. Regular files sharing an inode become
 * hard links to the first of their names. Symlinks are never followed.
 *
 * <p>The root is read one directory at a time and each path is stat'ed once: sorting each directory's names, with a
 * subdirectory's contents placed as if its name ended in {@code /}, gives the order of the whole paths, so a packer
 * can write paths while the rest of the root is still unread.
 */
public final class RootScanner {
    /** Paths left out by default: stageforge's own state. */
    public static final List<String> DEFAULT_EXCLUDES = List.of("var/lib/stageforge");

    private static final String ATTRIBUTES = "unix:mode,uid,gid,size,lastModifiedTime,ino,dev,nlink,rdev";

    /**
     * One path of the root.
     *
     * @param rel   relative path without leading slash ("" for the root itself)
     * @param entry the archive member (path {@code ./rel}, owners numeric, size of regular files)
     * @param file  the disk path holding a regular file's content, else null
     * @param disk  the path's own lstat, whatever the file table says
     */
    public record Item(String rel, TarEntry entry, Path file, Stat disk) {}

    /** What the disk shows of a path (not following a symlink): {@code st_mode} with the file type, owners, inode. */
    public record Stat(int mode, long uid, long gid, long rdev, long dev, long ino, long nlink) {
        static Stat of(Map<String, Object> a) {
            return new Stat((Integer) a.get("mode"), ((Number) a.get("uid")).longValue(), ((Number) a.get("gid")).longValue(),
                    ((Number) a.get("rdev")).longValue(), ((Number) a.get("dev")).longValue(), ((Number) a.get("ino")).longValue(),
                    ((Number) a.get("nlink")).longValue());
        }
    }

    /** Takes the items in archive order; its exceptions pass through {@link #scan(Path, List, FileTable, Sink)}. */
    @FunctionalInterface
    public interface Sink {
        void accept(Item item) throws IOException;
    }

    private RootScanner() {}

    /** Scans {@code root}, leaving out {@code excludes} (relative paths, with everything below them). */
    public static List<Item> scan(Path root, List<String> excludes) {
        List<Item> out = new ArrayList<>();
        try {
            scan(root, excludes, FileTable.load(root.toAbsolutePath().normalize()), out::add);
        } catch (IOException e) {
            throw new IllegalStateException(e); // a list takes every item
        }
        return out;
    }

    /**
     * Passes the items of {@code root} to {@code sink} in archive order, as {@link #scan(Path, List)} lists them;
     * returns how many. Failures to read the root are {@link StageforgeException}s; the sink's pass unchanged.
     */
    public static long scan(Path root, List<String> excludes, FileTable table, Sink sink) throws IOException {
        Path base = root.toAbsolutePath().normalize();
        Walk w = new Walk(base, new HashSet<>(excludes), table, sink);
        if (w.excludes.contains("")) return 0;
        Map<String, Object> a = w.stat(base);
        w.emit("", base, a);
        w.directory(base, "");
        return w.count;
    }

    private static long currentUid() {
        return new com.sun.security.auth.module.UnixSystem().getUid();
    }

    /** A directory's child; {@code key} is its name's bytes, with a '/' appended for the place of its contents. */
    private record Child(byte[] key, String rel, Path path, Map<String, Object> attributes, boolean contents) {}

    private record Inode(long dev, long ino) {}

    private static final class Walk {
        final Path base;
        final Set<String> excludes;
        final FileTable table;
        final Sink sink;
        final long euid = currentUid();
        final Map<Inode, TarEntry> inodes = new HashMap<>();
        long count;

        Walk(Path base, Set<String> excludes, FileTable table, Sink sink) {
            this.base = base;
            this.excludes = excludes;
            this.table = table;
            this.sink = sink;
        }

        void directory(Path dir, String rel) throws IOException {
            List<Child> children = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                for (Path p : ds) {
                    String name = p.getFileName().toString();
                    String r = rel.isEmpty() ? name : rel + "/" + name;
                    if (excludes.contains(r)) continue;
                    byte[] key = name.getBytes(StandardCharsets.UTF_8);
                    Map<String, Object> a = stat(p);
                    children.add(new Child(key, r, p, a, false));
                    if ((((Integer) a.get("mode")) & 0170000) == 0040000) {
                        byte[] sub = Arrays.copyOf(key, key.length + 1);
                        sub[key.length] = '/';
                        children.add(new Child(sub, r, p, a, true));
                    }
                }
            } catch (IOException e) {
                throw cannotScan(e);
            } catch (DirectoryIteratorException e) {
                throw cannotScan(e.getCause());
            }
            children.sort((x, y) -> Arrays.compareUnsigned(x.key, y.key));
            for (Child c : children) {
                if (c.contents) directory(c.path, c.rel);
                else emit(c.rel, c.path, c.attributes);
            }
        }

        Map<String, Object> stat(Path p) {
            try {
                return Files.readAttributes(p, ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
            } catch (IOException e) {
                throw cannotScan(e);
            }
        }

        StageforgeException cannotScan(IOException e) {
            return new StageforgeException("cannot scan " + base + ": " + e.getMessage(), e);
        }

        void emit(String rel, Path p, Map<String, Object> a) throws IOException {
            Item it;
            try {
                it = item(rel, p, a);
            } catch (IOException e) {
                throw new StageforgeException("cannot read " + base + ": " + e.getMessage(), e);
            }
            count++;
            sink.accept(it);
        }

        private Item item(String rel, Path p, Map<String, Object> a) throws IOException {
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
            Inode inode = null;
            if (type == TarEntry.Type.SYMLINK) {
                link = Files.readSymbolicLink(p).toString();
                mode = 0777;
            } else if (type == TarEntry.Type.FILE) {
                inode = new Inode(((Number) a.get("dev")).longValue(), ((Number) a.get("ino")).longValue());
                TarEntry first = inodes.get(inode);
                if (first != null) {
                    // a further name: tar stores a link to the first name, with that file's attributes
                    return new Item(rel, new TarEntry(name, TarEntry.Type.HARDLINK, first.mode(), first.uid(),
                            first.gid(), "", "", 0, first.mtime(), 0, first.path(), 0, 0, first.xattrs()), null, Stat.of(a));
                }
                size = ((Number) a.get("size")).longValue();
                content = p;
            }
            if (type != TarEntry.Type.CHAR && type != TarEntry.Type.BLOCK) {
                major = 0;
                minor = 0;
            }
            TarEntry e = new TarEntry(name, type, mode, uid, gid, "", "", size, mtime, 0, link, major, minor,
                    xattrs == null || xattrs.isEmpty() ? null : new java.util.TreeMap<>(xattrs));
            if (type == TarEntry.Type.FILE && ((Number) a.get("nlink")).longValue() > 1) inodes.put(inode, e);
            return new Item(rel, e, content, Stat.of(a));
        }
    }
}

package org.stageforge.merge;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.archive.PathSanitizer;
import org.stageforge.archive.TarEntry;
import org.stageforge.binpkg.BinaryPackage;
import org.stageforge.binpkg.ImageVisitor;
import org.stageforge.phase.FileIntent;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A package image extracted to disk (D) for its {@code pkg_preinst}, then read back, as the phase left it, as the
 * image the merge uses. Members still on disk with their kind keep the package's metadata (owners and names, modes,
 * xattrs, device numbers, mtime unless the phase rewrote the file); members the phase created come from the disk
 * (owners only when the process really is root: otherwise a phase's files belong to root, as they would in Portage's
 * image); the phase's ownership/mode/device changes to the image ({@link FileIntent.Scope#IMAGE}) apply on top.
 * Device nodes and fifos are empty placeholder files on disk: only their metadata matters.
 */
final class PhaseImage {
    private static final InputStream EMPTY = InputStream.nullInputStream();

    private final Path dir;
    private final String cpv;
    private final boolean diskOwners;
    private final LinkedHashMap<String, TarEntry> original = new LinkedHashMap<>();
    private final Map<String, List<FileIntent>> intents = new HashMap<>();
    /** Directories of the image known to be real directories while extracting (none is ever removed then). */
    private final Set<Path> dirs = new HashSet<>();

    private PhaseImage(Path dir, String cpv, boolean diskOwners) {
        this.dir = dir;
        this.cpv = cpv;
        this.diskOwners = diskOwners;
    }

    /**
     * Extracts {@code pkg}'s image into {@code dir} (made empty first). No member is written through a symlink or
     * outside {@code dir}; permissions on disk leave the owner read/write access, the metadata keeps the real ones.
     *
     * @param diskOwners whether owners found on disk afterwards are real (the process is root)
     */
    static PhaseImage extract(BinaryPackage pkg, Path dir, String cpv, boolean diskOwners, PosixOps posix)
            throws IOException {
        org.stageforge.util.Dirs.deleteTreeOrFail(dir);
        Files.createDirectories(dir);
        PhaseImage img = new PhaseImage(dir.toRealPath(), cpv, diskOwners);
        pkg.streamImage((e, in) -> {
            List<String> comps = PathSanitizer.components(e.path(), cpv);
            if (comps.isEmpty()) return;
            Path dest = img.prepare(comps);
            boolean exists = Files.exists(dest, LinkOption.NOFOLLOW_LINKS);
            if (exists && Files.isDirectory(dest, LinkOption.NOFOLLOW_LINKS)) {
                if (e.type() != TarEntry.Type.DIR) throw img.refuse("/" + String.join("/", comps)
                        + " is both a directory and a non-directory in the image");
            } else if (exists) {
                Files.delete(dest);
            }
            switch (e.type()) {
                case DIR -> {
                    if (!exists) Files.createDirectory(dest);
                    posix.chmod(dest, (e.mode() & 0777) | 0700);
                }
                case FILE -> {
                    Files.copy(in, dest, StandardCopyOption.REPLACE_EXISTING);
                    posix.chmod(dest, (e.mode() & 0777) | 0600);
                    posix.lutimes(dest, e.mtime());
                }
                case SYMLINK -> {
                    Files.createSymbolicLink(dest, Path.of(e.linkTarget()));
                    posix.lutimes(dest, e.mtime());
                }
                case HARDLINK -> {
                    Path target = img.dir.resolve(String.join("/", PathSanitizer.components(e.linkTarget(), cpv)));
                    if (!Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS) || !target.startsWith(img.dir)) {
                        throw img.refuse("hard link /" + String.join("/", comps) + " to a missing or non-regular file");
                    }
                    Files.createLink(dest, target);
                }
                case FIFO, CHAR, BLOCK -> {
                    Files.createFile(dest);
                    posix.lutimes(dest, e.mtime());
                }
            }
            img.original.put(String.join("/", comps), e);
        });
        return img;
    }

    /** Creates the parents of a member (refusing any that is not a real directory); returns its path. */
    private Path prepare(List<String> comps) throws IOException {
        Path p = dir;
        for (int i = 0; i < comps.size() - 1; i++) {
            p = p.resolve(comps.get(i));
            if (dirs.contains(p)) continue;
            if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                    throw refuse("/" + String.join("/", comps) + " lies under /"
                            + String.join("/", comps.subList(0, i + 1)) + ", which is not a directory in the image");
                }
                Files.createDirectory(p);
            }
            dirs.add(p);
        }
        return p.resolve(comps.get(comps.size() - 1));
    }

    private StageforgeException refuse(String why) {
        return new StageforgeException(cpv + ": refused: " + why, ExitCodes.VERIFY, null);
    }

    Path dir() {
        return dir;
    }

    /** Records the phase's changes to the image; changes to ROOT are ignored here. */
    void applyIntents(List<FileIntent> list) {
        for (FileIntent i : list) {
            if (i.scope() != FileIntent.Scope.IMAGE) continue;
            String rel = String.join("/", PathSanitizer.components(i.path(), cpv));
            intents.computeIfAbsent(rel, k -> new ArrayList<>()).add(i);
        }
    }

    /** The image as it is now on disk, in a stable order: the package's members first, then the phase's additions. */
    void stream(ImageVisitor v) {
        try {
            List<String> onDisk;
            try (Stream<Path> s = Files.walk(dir)) {
                onDisk = s.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString())
                        .sorted(Comparator.naturalOrder()).toList();
            }
            Set<String> emitted = new HashSet<>();
            for (var o : original.entrySet()) {
                Path p = dir.resolve(o.getKey());
                BasicFileAttributes a;
                try {
                    a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                } catch (IOException gone) { // removed, or a directory on its way is no longer one
                    continue;
                }
                TarEntry e = kept(o.getValue(), p, a, emitted);
                if (e == null) continue;
                emit(v, withIntents(e.withPath(o.getKey()), o.getKey()), p);
                emitted.add(o.getKey());
            }
            for (String rel : onDisk) {
                if (emitted.contains(rel)) continue;
                Path p = dir.resolve(rel);
                emit(v, withIntents(fromDisk(rel, p), rel), p);
            }
        } catch (IOException e) {
            throw new StageforgeException(cpv + ": cannot read the image edited by pkg_preinst: " + e.getMessage(), e);
        }
    }

    private static void emit(ImageVisitor v, TarEntry e, Path p) throws IOException {
        if (e.type() == TarEntry.Type.FILE) {
            try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
                v.visit(e, in);
            }
        } else {
            v.visit(e, EMPTY);
        }
    }

    /**
     * The package's member if the path (whose attributes, not following a link, are {@code a}) still holds that
     * kind of file (updated for content/link changes), or null.
     */
    private TarEntry kept(TarEntry e, Path p, BasicFileAttributes a, Set<String> emitted) throws IOException {
        switch (e.type()) {
            case DIR:
                return a.isDirectory() ? e : null;
            case SYMLINK:
                if (!a.isSymbolicLink()) return null;
                String target = Files.readSymbolicLink(p).toString();
                return target.equals(e.linkTarget()) ? e : e.withLinkTarget(target);
            case FIFO, CHAR, BLOCK:
                return a.isRegularFile() ? e : null;
            case HARDLINK:
                if (!a.isRegularFile()) return null;
                String t = String.join("/", PathSanitizer.components(e.linkTarget(), cpv));
                if (emitted.contains(t) && Files.isSameFile(p, dir.resolve(t))) return e;
                return asFile(new TarEntry(e.path(), TarEntry.Type.FILE, e.mode(), e.uid(), e.gid(), e.uname(),
                        e.gname(), 0, e.mtime(), e.mtimeNanos(), "", 0, 0, e.xattrs()), a);
            default:
                return a.isRegularFile() ? asFile(e, a) : null;
        }
    }

    /** A file member with the disk's size, and the disk's mtime when the phase rewrote the file. */
    private static TarEntry asFile(TarEntry e, BasicFileAttributes a) {
        long mtime = a.lastModifiedTime().toMillis() / 1000;
        boolean same = mtime == e.mtime();
        return new TarEntry(e.path(), e.type(), e.mode(), e.uid(), e.gid(), e.uname(), e.gname(), a.size(),
                same ? e.mtime() : mtime, same ? e.mtimeNanos() : 0, e.linkTarget(), e.devMajor(), e.devMinor(),
                e.xattrs());
    }

    private TarEntry fromDisk(String rel, Path p) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,size,lastModifiedTime",
                LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        long uid = diskOwners ? ((Number) a.get("uid")).longValue() : 0;
        long gid = diskOwners ? ((Number) a.get("gid")).longValue() : 0;
        long mtime = ((java.nio.file.attribute.FileTime) a.get("lastModifiedTime")).toMillis() / 1000;
        TarEntry.Type type;
        String link = "";
        long size = 0;
        switch (mode & 0170000) {
            case 0040000 -> type = TarEntry.Type.DIR;
            case 0120000 -> {
                type = TarEntry.Type.SYMLINK;
                link = Files.readSymbolicLink(p).toString();
            }
            case 0100000 -> {
                type = TarEntry.Type.FILE;
                size = ((Number) a.get("size")).longValue();
            }
            case 0010000 -> type = TarEntry.Type.FIFO;
            default -> throw refuse("pkg_preinst left /" + rel + ", a kind of file an image cannot hold");
        }
        return TarEntry.of(rel, type, type == TarEntry.Type.SYMLINK ? 0777 : mode & 07777, uid, gid, size, mtime, link);
    }

    private TarEntry withIntents(TarEntry e, String rel) {
        List<FileIntent> list = intents.get(rel);
        if (list == null) return e;
        TarEntry out = e;
        for (FileIntent i : list) out = apply(out, i);
        return out;
    }

    /** One ownership/mode/device change; unparsable values are a phase runner bug and fail loudly. */
    static TarEntry apply(TarEntry e, FileIntent i) {
        TarEntry.Type type = e.type();
        int mode = e.mode(), major = e.devMajor(), minor = e.devMinor();
        long uid = e.uid(), gid = e.gid();
        String uname = e.uname(), gname = e.gname();
        java.util.SortedMap<String, byte[]> xattrs = e.xattrs();
        switch (i.op()) {
            case CHOWN -> {
                String[] f = i.value().split(":");
                long u = Long.parseLong(f[0]), g = f.length > 1 ? Long.parseLong(f[1]) : -1;
                if (u >= 0) {
                    uid = u;
                    uname = "";
                }
                if (g >= 0) {
                    gid = g;
                    gname = "";
                }
            }
            case CHMOD -> mode = Integer.parseInt(i.value(), 8) & 07777;
            case MKNOD -> {
                String[] f = i.value().split(" ");
                type = switch (f[0]) {
                    case "c", "u" -> TarEntry.Type.CHAR;
                    case "b" -> TarEntry.Type.BLOCK;
                    default -> TarEntry.Type.FIFO;
                };
                if (type != TarEntry.Type.FIFO) {
                    major = Integer.parseInt(f[1]);
                    minor = Integer.parseInt(f[2]);
                }
                if (f.length > 3 && !f[3].equals("-")) mode = Integer.parseInt(f[3], 8) & 07777;
            }
            case SETCAP -> xattrs = FileCaps.with(xattrs, i.value());
        }
        return new TarEntry(e.path(), type, mode, uid, gid, uname, gname, type == TarEntry.Type.FILE ? e.size() : 0,
                e.mtime(), e.mtimeNanos(), e.linkTarget(), major, minor, xattrs);
    }

}

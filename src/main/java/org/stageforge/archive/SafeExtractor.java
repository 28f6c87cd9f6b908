package org.stageforge.archive;

import com.sun.jna.Library;
import com.sun.jna.Native;
import org.stageforge.StageforgeException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Extracts members into a target directory without ever writing outside it: member paths are
 * sanitized, no parent on the way may be a symbolic link (links created by the archive itself
 * included; nothing is followed, {@link LinkOption#NOFOLLOW_LINKS} throughout), hard links must
 * point at regular files inside the target, special files are only created as root and when the
 * {@link ExtractPolicy} asks for them. Extended attributes (capabilities) are never written, only listed.
 */
public final class SafeExtractor {
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
    private static final boolean IS_ROOT = LibC.geteuid() == 0;

    private final Path root;
    private final ExtractPolicy policy;
    private final String source;
    private final List<ExtractedFile> table = new ArrayList<>();
    private final List<TarEntry> dirs = new ArrayList<>();
    private final MemberRules rules;

    public SafeExtractor(Path target, ExtractPolicy policy, String source) throws IOException {
        this.root = target.toRealPath();
        if (!Files.isDirectory(root, NOFOLLOW)) throw new StageforgeException(target + ": not a directory");
        this.policy = policy;
        this.source = source;
        this.rules = new MemberRules(source);
    }

    /** Extracts one member; {@code content} is read for regular files only. */
    public void accept(TarEntry raw, InputStream content) throws IOException {
        List<String> comps = PathSanitizer.components(raw.path(), source);
        String rel = String.join("/", comps);
        TarEntry e = raw.withPath(rel);
        if (e.type() == TarEntry.Type.HARDLINK) e = e.withLinkTarget(PathSanitizer.normalize(raw.linkTarget(), source));
        rules.check(e);
        if (comps.isEmpty()) {
            if (e.type() != TarEntry.Type.DIR) throw PathSanitizer.hostile(source, "non-directory member for the root");
            dirs.add(e);
            table.add(new ExtractedFile(e, true));
            return;
        }
        Path p = parentsInside(comps, raw.path(), true);
        BasicFileAttributes existing = attrs(p);
        if (existing != null) {
            if (existing.isDirectory() && e.type() == TarEntry.Type.DIR) {
                dirs.add(e);
                table.add(new ExtractedFile(e, true));
                return;
            }
            try {
                Files.delete(p); // removes a link itself, never its target
            } catch (IOException ex) {
                throw new StageforgeException(source + ": cannot replace " + rel + ": " + ex.getMessage(), ex);
            }
        }
        boolean created = true;
        switch (e.type()) {
            case DIR -> {
                Files.createDirectory(p);
                dirs.add(e);
            }
            case FILE -> {
                try (OutputStream out = Files.newOutputStream(p, StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE, NOFOLLOW)) {
                    content.transferTo(out);
                }
                finish(p, e);
            }
            case SYMLINK -> {
                Files.createSymbolicLink(p, p.getFileSystem().getPath(e.linkTarget()));
                setTime(p, e);
            }
            case HARDLINK -> {
                Path target = parentsInside(PathSanitizer.components(e.linkTarget(), source), e.linkTarget(), false);
                BasicFileAttributes ta = target == null ? null : attrs(target);
                if (ta == null || !ta.isRegularFile()) {
                    throw PathSanitizer.hostile(source, "hard link " + rel + " to " + e.linkTarget()
                            + " which is not a regular file extracted before");
                }
                Files.createLink(p, target);
            }
            case FIFO, CHAR, BLOCK -> {
                created = IS_ROOT && policy.createSpecialFiles() && LibC.mknod(p, e);
                // never open a fifo or device (setting times would): owner and mode only
                if (created && policy.applyOwnership()) LibC.lchown(p, e.uid(), e.gid());
                if (created) LibC.chmod(p, policy.specialModes() ? e.mode() : e.mode() & 0777);
            }
        }
        table.add(new ExtractedFile(e, created));
    }

    /** Whether special files and owners can be applied (effective uid 0). */
    public static boolean runningAsRoot() {
        return IS_ROOT;
    }

    /** Applies directory modes and times (deepest first, so read-only dirs do not block) and returns the table. */
    public List<ExtractedFile> finish() throws IOException {
        for (int i = dirs.size() - 1; i >= 0; i--) {
            TarEntry d = dirs.get(i);
            Path p = d.path().isEmpty() ? root : existingInside(PathSanitizer.components(d.path(), source));
            BasicFileAttributes a = p == null ? null : attrs(p);
            if (a != null && a.isDirectory()) finish(p, d);
        }
        dirs.clear();
        return List.copyOf(table);
    }

    /**
     * Walks to the parent of {@code comps}, creating missing directories when {@code create} (else
     * returning null when one is missing); refuses symlinks and non-directories on the way.
     */
    private Path parentsInside(List<String> comps, String raw, boolean create) throws IOException {
        Path p = root;
        for (int i = 0; i < comps.size() - 1; i++) {
            p = p.resolve(comps.get(i));
            BasicFileAttributes a = attrs(p);
            if (a == null && !create) return null;
            if (a == null) {
                try {
                    Files.createDirectory(p);
                } catch (FileAlreadyExistsException ex) {
                    throw PathSanitizer.hostile(source, "'" + raw + "': parent changed during extraction");
                }
            } else if (a.isSymbolicLink()) {
                throw PathSanitizer.hostile(source, "'" + raw + "': would write through symbolic link "
                        + String.join("/", comps.subList(0, i + 1)));
            } else if (!a.isDirectory()) {
                throw PathSanitizer.hostile(source, "'" + raw + "': parent " + String.join("/", comps.subList(0, i + 1))
                        + " is not a directory");
            }
        }
        return p.resolve(comps.get(comps.size() - 1));
    }

    /** The path of {@code comps} if every parent is still a real directory (no symlink), else null. */
    private Path existingInside(List<String> comps) throws IOException {
        Path p = root;
        for (int i = 0; i < comps.size(); i++) {
            p = p.resolve(comps.get(i));
            BasicFileAttributes a = attrs(p);
            if (a == null || (i < comps.size() - 1 && !a.isDirectory()) || a.isSymbolicLink()) return null;
        }
        return p;
    }

    private static BasicFileAttributes attrs(Path p) throws IOException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private void finish(Path p, TarEntry e) throws IOException {
        if (IS_ROOT && policy.applyOwnership()) LibC.lchown(p, e.uid(), e.gid());
        int mode = policy.specialModes() ? e.mode() : e.mode() & 0777;
        if (!LibC.chmod(p, mode)) Files.setPosixFilePermissions(p, org.stageforge.util.Modes.permissions(mode));
        setTime(p, e);
    }

    private static void setTime(Path p, TarEntry e) {
        try {
            Files.getFileAttributeView(p, BasicFileAttributeView.class, NOFOLLOW)
                    .setTimes(FileTime.from(e.mtime() * 1_000_000_000L + e.mtimeNanos(), TimeUnit.NANOSECONDS), null, null);
        } catch (IOException | UnsupportedOperationException ignored) {
            // times on links are best effort; contents and modes are what matter
        }
    }

    /** The few libc calls Java lacks (full modes with setuid bits, owners, mknod), through JNA. */
    private static final class LibC {
        interface C extends Library {
            int chmod(String path, int mode);

            int lchown(String path, int uid, int gid);

            int mknod(String path, int mode, long dev);

            int geteuid();
        }

        private static final C C_LIB = load();

        private static C load() {
            try {
                return Native.load("c", C.class);
            } catch (Throwable t) {
                return null;
            }
        }

        static int geteuid() {
            return C_LIB == null ? -1 : C_LIB.geteuid();
        }

        static boolean chmod(Path p, int mode) {
            return C_LIB != null && C_LIB.chmod(p.toString(), mode & 07777) == 0;
        }

        static void lchown(Path p, long uid, long gid) {
            if (C_LIB != null) C_LIB.lchown(p.toString(), (int) uid, (int) gid);
        }

        static boolean mknod(Path p, TarEntry e) {
            if (C_LIB == null) return false;
            int type = switch (e.type()) {
                case FIFO -> 0010000;
                case CHAR -> 0020000;
                default -> 0060000;
            };
            long major = e.devMajor() & 0xFFFFFFFFL;
            long minor = e.devMinor() & 0xFFFFFFFFL;
            long dev = ((major & 0xFFFFF000L) << 32) | ((major & 0xFFFL) << 8)
                    | ((minor & 0xFFFFFF00L) << 12) | (minor & 0xFFL);
            return C_LIB.mknod(p.toString(), type | (e.mode() & 07777), dev) == 0;
        }
    }
}

package org.stageforge.merge;

import org.stageforge.StageforgeException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;

/**
 * File access inside a target root that never leaves it: symlinks met on the way are resolved as if the root
 * were {@code /} (chroot semantics: absolute targets restart at the root, {@code ..} stops at the root), and
 * files are replaced atomically (temporary file in the same directory, then rename).
 */
public final class RootFiles {
    private static final int MAX_LINKS = 40;

    private RootFiles() {}

    /**
     * The real location of {@code relative} (a path inside the root, leading {@code /} optional), following
     * symlinks inside the root, including a symlink at the last component. The result need not exist.
     */
    public static Path resolve(Path root, String relative) {
        Path rootAbs = root.toAbsolutePath().normalize();
        Deque<String> todo = new ArrayDeque<>();
        pushComponents(todo, relative);
        Path cur = rootAbs;
        int links = 0;
        while (!todo.isEmpty()) {
            String comp = todo.pollFirst();
            if (comp.equals(".")) continue;
            if (comp.equals("..")) {
                if (!cur.equals(rootAbs)) cur = cur.getParent();
                continue;
            }
            Path next = cur.resolve(comp);
            if (Files.isSymbolicLink(next)) {
                if (++links > MAX_LINKS)
                    throw new StageforgeException("too many levels of symbolic links in " + rootAbs + "/" + relative);
                String target;
                try {
                    target = Files.readSymbolicLink(next).toString();
                } catch (IOException e) {
                    throw new StageforgeException("cannot read symlink " + next + ": " + e.getMessage(), e);
                }
                if (target.startsWith("/")) cur = rootAbs;
                Deque<String> t = new ArrayDeque<>();
                pushComponents(t, target);
                while (!t.isEmpty()) todo.addFirst(t.pollLast());
            } else {
                cur = next;
            }
        }
        return cur;
    }

    private static void pushComponents(Deque<String> out, String path) {
        for (String c : path.split("/")) if (!c.isEmpty()) out.addLast(c);
    }

    /** Reads a root file as text (UTF-8, malformed bytes replaced), or null when it is not a regular file. */
    static String readText(Path file) throws IOException {
        if (!Files.isRegularFile(file)) return null;
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    }

    /** Creates {@code dir} and missing parents with mode 0755 (the parents must already be resolved in the root). */
    public static void ensureDir(Path dir) throws IOException {
        if (Files.isDirectory(dir)) return;
        ensureDir(dir.getParent());
        Files.createDirectory(dir);
        setMode(dir, 0755);
    }

    /** Atomically replaces {@code file} with {@code data}, giving it {@code mode} (and {@code mtime}, when not null). */
    public static void writeAtomic(Path file, byte[] data, int mode, FileTime mtime) throws IOException {
        Path dir = file.getParent();
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".stageforge-tmp");
        try {
            Files.write(tmp, data);
            setMode(tmp, mode);
            if (mtime != null) Files.setLastModifiedTime(tmp, mtime);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    public static void setMode(Path p, int mode) throws IOException {
        StringBuilder sb = new StringBuilder(9);
        String rwx = "rwxrwxrwx";
        for (int i = 0; i < 9; i++) sb.append((mode & (1 << (8 - i))) != 0 ? rwx.charAt(i) : '-');
        Set<PosixFilePermission> perms = PosixFilePermissions.fromString(sb.toString());
        Files.setPosixFilePermissions(p, perms);
    }

    /** The permission bits of an existing file (without following a final symlink), or -1. */
    public static int mode(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return -1;
        int m = 0;
        for (PosixFilePermission perm : Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS))
            m |= 1 << (8 - perm.ordinal());
        return m;
    }
}

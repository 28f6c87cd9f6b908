package org.stageforge.configure;

import org.stageforge.StageforgeException;
import org.stageforge.configure.ConfigureResult.FileAction;
import org.stageforge.configure.ConfigureResult.Kind;
import org.stageforge.merge.RootFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Writes inside a target root, recording each action. Paths are root-relative ({@code etc/hostname}); symlinks on
 * the way are resolved with the root as {@code /} ({@link RootFiles#resolve}), so nothing outside the root is ever
 * read or written. Files are replaced atomically, and only when their bytes or mode differ.
 */
final class TargetRoot {
    private final Path root;
    private final List<FileAction> actions = new ArrayList<>();

    TargetRoot(Path root) {
        this.root = root.toAbsolutePath().normalize();
        if (!Files.isDirectory(this.root)) throw new StageforgeException("root " + root + " is not a directory");
    }

    Path root() {
        return root;
    }

    List<FileAction> actions() {
        return actions;
    }

    /** Rejects a path that is absolute, empty or has {@code .}/{@code ..}/empty components. */
    static String checkRelative(String what, String rel) {
        if (rel.isEmpty() || rel.startsWith("/") || rel.endsWith("/")
                || Arrays.stream(rel.split("/", -1)).anyMatch(c -> c.isEmpty() || c.equals(".") || c.equals("..")))
            throw new StageforgeException(what + ": path '" + rel + "' is not a plain path inside the root");
        return rel;
    }

    /** The real location of {@code rel}, following symlinks inside the root (the last component too). */
    Path real(String rel) {
        return RootFiles.resolve(root, checkRelative("root", rel));
    }

    /** The location of {@code rel} itself: its parent resolved inside the root, its last component not followed. */
    Path entry(String rel) {
        checkRelative("root", rel);
        int slash = rel.lastIndexOf('/');
        Path dir = slash < 0 ? root : RootFiles.resolve(root, rel.substring(0, slash));
        return dir.resolve(rel.substring(slash + 1));
    }

    /** The text of a regular file (following symlinks inside the root), or null. */
    String read(String rel) {
        Path p = real(rel);
        try {
            return Files.isRegularFile(p) ? Files.readString(p, StandardCharsets.UTF_8) : null;
        } catch (IOException e) {
            throw new StageforgeException("cannot read " + rel + " in " + root + ": " + e.getMessage(), e);
        }
    }

    boolean isFile(String rel) {
        return Files.isRegularFile(real(rel));
    }

    boolean isDirectory(String rel) {
        return Files.isDirectory(real(rel));
    }

    /** Writes a configuration file: an existing file keeps its mode, a new one gets 0644. */
    void write(String rel, String text) {
        write(rel, text.getBytes(StandardCharsets.UTF_8), -1);
    }

    void write(String rel, String text, int mode) {
        write(rel, text.getBytes(StandardCharsets.UTF_8), mode);
    }

    /** Writes {@code data} with {@code mode} (-1: the existing file's mode, else 0644). */
    void write(String rel, byte[] data, int wantMode) {
        Path p = real(rel);
        try {
            boolean exists = Files.exists(p, LinkOption.NOFOLLOW_LINKS);
            if (exists && !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                throw new StageforgeException("cannot write " + rel + " in " + root + ": not a regular file");
            int mode = wantMode >= 0 ? wantMode : exists ? RootFiles.mode(p) : 0644;
            if (exists && Arrays.equals(Files.readAllBytes(p), data) && RootFiles.mode(p) == mode) {
                actions.add(new FileAction(Kind.UNCHANGED, rel, ""));
                return;
            }
            RootFiles.ensureDir(p.getParent());
            RootFiles.writeAtomic(p, data, mode, null);
            actions.add(new FileAction(exists ? Kind.REPLACED : Kind.CREATED, rel, ""));
        } catch (IOException e) {
            throw new StageforgeException("cannot write " + rel + " in " + root + ": " + e.getMessage(), e);
        }
    }

    /** Makes {@code rel} a symlink to {@code target}, replacing a file or another symlink atomically. */
    void symlink(String rel, String target) {
        Path p = entry(rel);
        try {
            if (Files.isSymbolicLink(p) && Files.readSymbolicLink(p).toString().equals(target)) {
                actions.add(new FileAction(Kind.UNCHANGED, rel, target));
                return;
            }
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
                throw new StageforgeException("cannot create symlink " + rel + " in " + root + ": a directory is there");
            RootFiles.ensureDir(p.getParent());
            Path tmp = p.resolveSibling("." + p.getFileName() + ".stageforge-tmp");
            Files.deleteIfExists(tmp);
            Files.createSymbolicLink(tmp, Path.of(target));
            try {
                Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, p, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
            actions.add(new FileAction(Kind.SYMLINKED, rel, target));
        } catch (IOException e) {
            throw new StageforgeException("cannot create symlink " + rel + " in " + root + ": " + e.getMessage(), e);
        }
    }

    /** The target of symlink {@code rel}, or null when it is not a symlink. */
    String linkTarget(String rel) {
        Path p = entry(rel);
        try {
            return Files.isSymbolicLink(p) ? Files.readSymbolicLink(p).toString() : null;
        } catch (IOException e) {
            throw new StageforgeException("cannot read symlink " + rel + " in " + root + ": " + e.getMessage(), e);
        }
    }

    /** Removes symlink {@code rel} (never a file or directory). */
    void removeSymlink(String rel) {
        Path p = entry(rel);
        try {
            if (Files.isSymbolicLink(p)) {
                Files.delete(p);
                actions.add(new FileAction(Kind.REMOVED, rel, ""));
            }
        } catch (IOException e) {
            throw new StageforgeException("cannot remove " + rel + " in " + root + ": " + e.getMessage(), e);
        }
    }

    /** Creates directory {@code rel} (and missing parents, 0755) with {@code mode}; returns whether it was new. */
    boolean mkdir(String rel, int mode) {
        Path p = real(rel);
        try {
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                actions.add(new FileAction(Kind.UNCHANGED, rel, ""));
                return false;
            }
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS))
                throw new StageforgeException("cannot create directory " + rel + " in " + root + ": a file is there");
            RootFiles.ensureDir(p.getParent());
            Files.createDirectory(p);
            RootFiles.setMode(p, mode);
            actions.add(new FileAction(Kind.DIRECTORY, rel, ""));
            return true;
        } catch (IOException e) {
            throw new StageforgeException("cannot create directory " + rel + " in " + root + ": " + e.getMessage(), e);
        }
    }

    static String text(List<String> lines) {
        StringBuilder sb = new StringBuilder();
        for (String l : lines) sb.append(l).append('\n');
        return sb.toString();
    }

    static List<String> lines(String text) {
        if (text == null || text.isEmpty()) return new ArrayList<>();
        String t = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
        return new ArrayList<>(Arrays.asList(t.split("\n", -1)));
    }
}

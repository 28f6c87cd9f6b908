package org.stageforge.util;

import org.stageforge.StageforgeException;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

/**
 * Directory listings in a stable order, so everything built from them is deterministic, and the one way the code
 * base deletes a tree.
 */
public final class Dirs {
    private Dirs() {}

    /** The entries of {@code dir} sorted by name; empty when it is not a directory. */
    public static List<Path> sortedChildren(Path dir) {
        List<Path> l = new ArrayList<>();
        if (!Files.isDirectory(dir)) return l;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            s.forEach(l::add);
        } catch (IOException e) {
            throw new StageforgeException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        l.sort(null);
        return l;
    }

    /**
     * Deletes {@code dir} and everything below it, never following a symbolic link (a link is removed, not its
     * target: trees here hold links into repositories and the host). Directories are made owner-writable first, as
     * packages and seeds ship read-only ones; entries already gone are fine; a missing {@code dir} is nothing to do.
     */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return;
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) throws IOException {
                Files.setPosixFilePermissions(d, EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                        PosixFilePermission.OWNER_EXECUTE));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                Files.deleteIfExists(f);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) return FileVisitResult.CONTINUE;
                throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null && !(e instanceof NoSuchFileException)) throw e;
                Files.deleteIfExists(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** {@link #deleteTree}, a failure reported as a {@link StageforgeException} naming the path; null is nothing. */
    public static void deleteTreeOrFail(Path dir) {
        if (dir == null) return;
        try {
            deleteTree(dir);
        } catch (IOException e) {
            throw new StageforgeException("cannot remove " + dir + ": " + e.getMessage(), e);
        }
    }
}

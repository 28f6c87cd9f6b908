package org.stageforge.merge;

import org.stageforge.StageforgeException;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Undo log of one package's merge: paths created, and previous versions of replaced or removed paths moved into a
 * journal directory inside the root (same filesystem, so a rename). {@link #rollback()} restores the root exactly;
 * {@link #commit()} drops the saved versions.
 */
final class Journal {
    interface Undo {
        void run() throws IOException;
    }

    private final Path root;
    private final Deque<Undo> undo = new ArrayDeque<>();
    private final List<Path> createdForJournal = new ArrayList<>();
    private Path dir;
    private int seq;

    Journal(Path root) {
        this.root = root;
    }

    private Path dir() throws IOException {
        if (dir == null) {
            Path d = root;
            for (String c : new String[]{"var", "lib", "stageforge", ".journal"}) {
                d = d.resolve(c);
                if (Files.isSymbolicLink(d)) throw new IOException(d + ": refusing a symlink on the journal's path");
                if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectory(d);
                    RootFiles.setMode(d, c.startsWith(".") ? 0700 : 0755);
                    createdForJournal.add(d);
                }
            }
            dir = d;
        }
        return dir;
    }

    /** {@code p} did not exist and was just created (file, link, node or empty directory). */
    void created(Path p) {
        undo.push(() -> {
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    Files.delete(p);
                } catch (DirectoryNotEmptyException e) {
                    // something not ours is inside: leave it
                }
            } else {
                Files.deleteIfExists(p);
            }
        });
    }

    /** Moves the existing {@code p} (not a directory) out of the way; rollback moves it back. */
    void moveAway(Path p) throws IOException {
        Path saved = dir().resolve(Integer.toString(seq++));
        Files.move(p, saved, StandardCopyOption.ATOMIC_MOVE);
        undo.push(() -> {
            Files.deleteIfExists(p);
            Files.move(saved, p, StandardCopyOption.ATOMIC_MOVE);
        });
    }

    /** Keeps a copy of {@code p} (or notes that it is absent) before it is changed in place. */
    void saveCopy(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            created(p);
            return;
        }
        Path saved = dir().resolve(Integer.toString(seq++));
        Files.copy(p, saved, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
        undo.push(() -> Files.move(saved, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING));
    }

    /** Runs {@code action} on rollback (for state kept outside files, e.g. VDB entries). */
    void onRollback(Undo action) {
        undo.push(action);
    }

    void rollback() {
        List<String> failures = new ArrayList<>();
        while (!undo.isEmpty()) {
            try {
                undo.pop().run();
            } catch (IOException | RuntimeException e) {
                failures.add(e.getMessage());
            }
        }
        cleanup();
        if (!failures.isEmpty())
            throw new StageforgeException("rollback in " + root + " incomplete: " + String.join("; ", failures));
    }

    void commit() {
        undo.clear();
        cleanup();
    }

    private void cleanup() {
        try {
            if (dir != null) deleteTree(dir);
            for (int i = createdForJournal.size() - 1; i >= 0; i--) {
                Path d = createdForJournal.get(i);
                if (d.equals(dir)) continue;
                try {
                    Files.deleteIfExists(d);
                } catch (DirectoryNotEmptyException e) {
                    // now holds the file table or other files: keep
                }
            }
        } catch (IOException e) {
            throw new StageforgeException("cannot clean up merge journal " + dir + ": " + e.getMessage(), e);
        }
        dir = null;
        createdForJournal.clear();
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        Files.walkFileTree(p, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                Files.delete(f);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                try {
                    Files.delete(d);
                } catch (NoSuchFileException ignored) {
                    // already gone
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }
}

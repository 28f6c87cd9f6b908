package org.stageforge.merge;

import org.stageforge.StageforgeException;
import org.stageforge.index.AtomicFiles;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Undo log of one step of a merge (one package, or the root's preparation), kept on disk so that a process killed
 * at any point (SIGKILL, power aside) leaves a root that {@link #recover} puts back exactly as it was before the
 * step. Each change is logged in {@value #DIR}/{@value #LOG} before it is made (one {@code write} per record, so a
 * record is whole or missing); previous versions of replaced or removed paths are moved (or copied, for files
 * changed in place) into the journal directory, which is in the root and so on the same filesystem.
 *
 * <p>Records, tab-separated, paths relative to the root and escaped as in the file table:
 * {@code C path} created (file, link, node or empty directory); {@code T path} created directory tree (a VDB entry);
 * {@code M path n} moved away to entry n; {@code S path n} copy kept as entry n; {@code D path mode} empty directory
 * removed; {@code A path length mtime} file about to be appended to (rollback cuts it back to that length and
 * mtime, in nanoseconds). {@link #commit()} deletes the log first (the commit point), then the saved versions.
 */
final class Journal {
    static final String DIR = "var/lib/stageforge/.journal";
    static final String LOG = "log";

    private final Path root;
    private final List<String[]> records = new ArrayList<>();
    private Path dir;
    private OutputStream log;
    private int seq;

    Journal(Path root) {
        this.root = root;
    }

    /**
     * Undoes what an interrupted step left in {@code root}: a leftover log is rolled back, a leftover journal without
     * a log (a commit interrupted while cleaning up) is deleted. Call with the root's lock held, before reading it.
     */
    static void recover(Path root) {
        try { // the file table is also saved outside any step (after pkg_postinst): a kill then leaves its temporary
            deleteTemporariesBeside(root.resolve(FileTable.PATH), ".files.tsv.", "tmp");
            FileTable.repairDelta(root); // and, appended to outside a step, the delta may end in half a line
        } catch (IOException e) {
            throw new StageforgeException("cannot clean up beside " + FileTable.PATH + ": " + e.getMessage(), e);
        }
        Path d = root.resolve(DIR);
        if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) return;
        Journal j = new Journal(root);
        j.dir = d;
        try {
            Path logFile = d.resolve(LOG);
            if (Files.isRegularFile(logFile, LinkOption.NOFOLLOW_LINKS)) {
                String text = Files.readString(logFile, StandardCharsets.UTF_8);
                int end = text.lastIndexOf('\n'); // a record cut short by the kill was never acted on
                for (String line : text.substring(0, end + 1).split("\n")) {
                    if (!line.isEmpty()) j.records.add(line.split("\t", -1));
                }
            }
        } catch (IOException e) {
            throw new StageforgeException("cannot read the merge journal " + d + ": " + e.getMessage(), e);
        }
        j.rollback();
    }

    private Path dir() throws IOException {
        if (dir == null) {
            Path parent = AtomicFiles.directoryUnder(root, "var/lib/stageforge");
            Path d = parent.resolve(".journal");
            if (Files.exists(d, LinkOption.NOFOLLOW_LINKS)) throw new IOException(d + " exists: an unrecovered journal");
            Files.createDirectory(d);
            RootFiles.setMode(d, 0700);
            dir = d;
            log = new FileOutputStream(d.resolve(LOG).toFile());
        }
        return dir;
    }

    private void log(String... rec) throws IOException {
        dir();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < rec.length; i++) sb.append(i == 0 ? "" : "\t").append(FileTable.escape(rec[i]));
        log.write((sb + "\n").getBytes(StandardCharsets.UTF_8));
        records.add(rec);
    }

    private String rel(Path p) {
        return root.relativize(p).toString();
    }

    /** A fresh path in the journal directory for content to be moved into the root later (it goes with the journal). */
    Path spool() throws IOException {
        return dir().resolve("s" + seq++);
    }

    /** {@code p} does not exist and is about to be created (file, link, node or empty directory). */
    void creating(Path p) throws IOException {
        log("C", rel(p));
    }

    /** The directory tree {@code p} does not exist and is about to be created. */
    void creatingTree(Path p) throws IOException {
        log("T", rel(p));
    }

    /** Moves the existing {@code p} out of the way; rollback moves it back. */
    void moveAway(Path p) throws IOException {
        String n = Integer.toString(seq++);
        log("M", rel(p), n);
        Files.move(p, dir.resolve(n), StandardCopyOption.ATOMIC_MOVE);
    }

    /** Keeps a copy of {@code p} (or notes that it is absent) before it is changed in place. */
    void saveCopy(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            creating(p);
            return;
        }
        String n = Integer.toString(seq++);
        log("S", rel(p), n);
        Path part = dir.resolve(n + ".part");
        Files.copy(p, part, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
        // the copy keeps only microseconds: give it the exact mtime, so a rollback restores the file to the bit
        if (!Files.isSymbolicLink(p)) Files.setLastModifiedTime(part, Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS));
        Files.move(part, dir.resolve(n), StandardCopyOption.ATOMIC_MOVE);
    }

    /** {@code p} is about to be appended to (or created, when absent); rollback cuts it back. */
    void appending(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            creating(p);
            return;
        }
        long mtime = Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).to(java.util.concurrent.TimeUnit.NANOSECONDS);
        log("A", rel(p), Long.toString(Files.size(p)), Long.toString(mtime));
    }

    /** The empty directory {@code p} (mode {@code mode}) is about to be removed. */
    void removingDir(Path p, int mode) throws IOException {
        log("D", rel(p), Integer.toOctalString(mode));
    }

    /** Restores the root as it was before the step (newest change first) and drops the journal. */
    void rollback() {
        List<String> failures = new ArrayList<>();
        for (int i = records.size() - 1; i >= 0; i--) {
            try {
                undo(records.get(i));
            } catch (IOException | RuntimeException e) {
                failures.add(e.getMessage());
            }
        }
        cleanup();
        if (!failures.isEmpty())
            throw new StageforgeException("rollback in " + root + " incomplete: " + String.join("; ", failures));
    }

    private void undo(String[] r) throws IOException {
        Path p = root.resolve(FileTable.unescape(r[1]));
        switch (r[0]) {
            case "C" -> {
                deleteTemporariesBeside(p, "." + p.getFileName(), "tmp");
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    try {
                        Files.delete(p);
                    } catch (DirectoryNotEmptyException e) {
                        // something not ours is inside: leave it
                    }
                } else {
                    Files.deleteIfExists(p);
                }
            }
            case "T" -> {
                org.stageforge.util.Dirs.deleteTree(p);
                for (String prefix : List.of(".new-", ".old-", ".del-")) { // Vdb.write's and Vdb.remove's temporaries
                    deleteTemporariesBeside(p, prefix + p.getFileName() + "-", "");
                }
            }
            case "M" -> {
                Path saved = dir.resolve(FileTable.unescape(r[2]));
                if (!Files.exists(saved, LinkOption.NOFOLLOW_LINKS)) return; // the move never happened
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) org.stageforge.util.Dirs.deleteTree(p);
                else Files.deleteIfExists(p);
                Files.move(saved, p, StandardCopyOption.ATOMIC_MOVE);
            }
            case "S" -> {
                deleteTemporariesBeside(p, "." + p.getFileName(), "tmp");
                Path saved = dir.resolve(FileTable.unescape(r[2]));
                if (!Files.exists(saved, LinkOption.NOFOLLOW_LINKS)) return; // the copy was not finished: p is intact
                Files.move(saved, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            case "A" -> {
                if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) return;
                try (var ch = java.nio.channels.FileChannel.open(p, java.nio.file.StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS)) {
                    ch.truncate(Long.parseLong(r[2]));
                }
                Files.setLastModifiedTime(p, java.nio.file.attribute.FileTime.from(Long.parseLong(r[3]),
                        java.util.concurrent.TimeUnit.NANOSECONDS));
            }
            case "D" -> {
                if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
                Files.createDirectory(p);
                RootFiles.setMode(p, Integer.parseInt(r[2], 8));
            }
            default -> throw new IOException("unknown journal record '" + r[0] + "'");
        }
    }

    /** Deletes the hidden temporaries an atomic write of {@code p} leaves beside it when killed. */
    private static void deleteTemporariesBeside(Path p, String prefix, String suffix) throws IOException {
        Path parent = p.getParent();
        if (parent == null || !Files.isDirectory(parent, LinkOption.NOFOLLOW_LINKS)) return;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent, f -> {
            String n = f.getFileName().toString();
            return n.startsWith(prefix) && n.endsWith(suffix) && !n.equals(p.getFileName().toString());
        })) {
            for (Path t : ds) org.stageforge.util.Dirs.deleteTree(t);
        }
    }

    /** Ends the step: deleting the log is the commit point, then the saved versions go. */
    void commit() {
        try {
            if (log != null) {
                log.close();
                Files.delete(dir.resolve(LOG));
            }
        } catch (IOException e) {
            throw new StageforgeException("cannot commit merge journal " + dir + ": " + e.getMessage(), e);
        }
        records.clear();
        cleanup();
    }

    private void cleanup() {
        try {
            if (log != null) log.close();
            if (dir != null) org.stageforge.util.Dirs.deleteTree(dir);
        } catch (IOException e) {
            throw new StageforgeException("cannot clean up merge journal " + dir + ": " + e.getMessage(), e);
        }
        log = null;
        dir = null;
        records.clear();
    }

}

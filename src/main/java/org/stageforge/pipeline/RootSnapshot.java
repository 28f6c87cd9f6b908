package org.stageforge.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * The root as install left it, kept as a hard-link copy ({@code BUILD_DIR/snapshot/tree}) so that a change to a later
 * root part ({@code [system]}, {@code [cleanup]}, ...) runs again from configure instead of merging every package
 * again. No file data is copied: files are shared with the root, and the parts after install replace files by
 * renaming new ones over them, which leaves the snapshot's copy alone. Whatever changes a shared file in place (a hook
 * appending to a file, a chmod) changes the snapshot too; a stamp over every entry's type, mode, owner, size, mtime
 * and inode taken with the snapshot detects that, and such a snapshot is not used (the root is rebuilt by install).
 * Linking is done by GNU {@code cp -a -l} (which also keeps directory xattrs), the stamp from GNU {@code find}.
 */
final class RootSnapshot {
    private static final ObjectMapper JSON = StateStore.JSON;
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

    private RootSnapshot() {}

    /** What {@code snapshot/stamp.json} records: the install fingerprint the tree belongs to and its stamp. */
    record Stamp(String fingerprint, String stamp) {}

    /** Replaces the snapshot in {@code dir} with a hard-link copy of {@code root}, for install fingerprint {@code fp}. */
    static void take(Path root, Path dir, String fp) throws IOException {
        org.stageforge.util.Dirs.deleteTree(dir);
        Files.createDirectories(dir);
        linkTree(root, dir.resolve("tree"));
        String stamp = stamp(dir.resolve("tree"));
        // written last: a snapshot without its stamp is never used
        StateStore.writeAtomically(dir.resolve("stamp.json"), JSON.writeValueAsBytes(new Stamp(fp, stamp)));
    }

    /** Whether {@code dir} holds an intact snapshot of the root install with fingerprint {@code fp} made. */
    static boolean usable(Path dir, String fp) throws IOException {
        Path f = dir.resolve("stamp.json");
        Path tree = dir.resolve("tree");
        if (!Files.isRegularFile(f) || !Files.isDirectory(tree, NOFOLLOW)) return false;
        Stamp s = JSON.readValue(f.toFile(), Stamp.class);
        return s.fingerprint().equals(fp) && s.stamp().equals(stamp(tree));
    }

    /** Replaces {@code root} with a hard-link copy of the snapshot in {@code dir}. */
    static void restore(Path dir, Path root) throws IOException {
        org.stageforge.util.Dirs.deleteTree(root);
        linkTree(dir.resolve("tree"), root);
    }

    /**
     * Hard-links {@code from} to {@code to} with GNU {@code cp -a -l}: directories recreated with their mode, owner
     * (as root), times and xattrs, everything else linked (several times faster than doing it file by file here).
     */
    private static void linkTree(Path from, Path to) throws IOException {
        Process p = new ProcessBuilder("cp", "-a", "-l", "-T", "--", from.toString(), to.toString())
                .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String msg = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        try {
            if (p.waitFor() != 0) throw new IOException("cp -a -l " + from + " " + to + " failed: " + msg);
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while linking " + from, e);
        }
    }

    /**
     * The stamp of a tree: sha256 of GNU {@code find}'s listing of every entry's path, type, mode, owner, size, mtime
     * and inode. The snapshot's directories never change, so their listing order is stable.
     */
    private static String stamp(Path tree) throws IOException {
        Process p = new ProcessBuilder("find", tree.toString(), "-printf", "%P\\0%y %m %U %G %s %T@ %i\\n")
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        MessageDigest md = Build.sha256();
        try (var in = new java.security.DigestInputStream(p.getInputStream(), md)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        try {
            if (p.waitFor() != 0) throw new IOException("find " + tree + " failed with exit " + p.exitValue());
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while listing " + tree, e);
        }
        return java.util.HexFormat.of().formatHex(md.digest());
    }
}

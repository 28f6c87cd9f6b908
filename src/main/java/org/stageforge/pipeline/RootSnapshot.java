package org.stageforge.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.stageforge.merge.PosixOps;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;

/**
 * The root as install left it, kept as a hard-link copy ({@code BUILD_DIR/snapshot/tree}) so that a change to a later
 * root part ({@code [system]}, {@code [cleanup]}, ...) runs again from configure instead of merging every package
 * again. No file data is copied: files are shared with the root, and the parts after install replace files by
 * renaming new ones over them, which leaves the snapshot's copy alone. Whatever changes a shared file in place (a hook
 * appending to a file, a chmod) changes the snapshot too; a stamp over every entry's type, mode, owner, size, mtime
 * and inode taken with the snapshot detects that, and such a snapshot is not used (the root is rebuilt by install).
 */
final class RootSnapshot {
    private static final ObjectMapper JSON = StateStore.JSON;
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

    private RootSnapshot() {}

    /** What {@code snapshot/stamp.json} records: the install fingerprint the tree belongs to and its stamp. */
    record Stamp(String fingerprint, String stamp) {}

    /** Replaces the snapshot in {@code dir} with a hard-link copy of {@code root}, for install fingerprint {@code fp}. */
    static void take(Path root, Path dir, String fp) throws IOException {
        FileOps.deleteTree(dir);
        Path tree = dir.resolve("tree");
        Files.createDirectories(dir);
        linkTree(root, tree);
        // written last: a snapshot without its stamp is never used
        StateStore.writeAtomically(dir.resolve("stamp.json"), JSON.writeValueAsBytes(new Stamp(fp, stamp(tree))));
    }

    /** Whether {@code dir} holds an intact snapshot of the root install with fingerprint {@code fp} made. */
    static boolean usable(Path dir, String fp) throws IOException {
        Path f = dir.resolve("stamp.json");
        if (!Files.isRegularFile(f)) return false;
        Stamp s = JSON.readValue(f.toFile(), Stamp.class);
        return s.fingerprint().equals(fp) && Files.isDirectory(dir.resolve("tree"), NOFOLLOW) && s.stamp().equals(stamp(dir.resolve("tree")));
    }

    /** Replaces {@code root} with a hard-link copy of the snapshot in {@code dir}. */
    static void restore(Path dir, Path root) throws IOException {
        FileOps.deleteTree(root);
        linkTree(dir.resolve("tree"), root);
    }

    /** Recreates {@code from}'s directories under {@code to} (mode, owner, mtime) and hard-links everything else. */
    private static void linkTree(Path from, Path to) throws IOException {
        PosixOps posix = PosixOps.system();
        boolean privileged = posix.privileged();
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) throws IOException {
                Files.createDirectory(to.resolve(from.relativize(d).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                Files.createLink(to.resolve(from.relativize(f).toString()), f);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) throw e;
                Path t = to.resolve(from.relativize(d).toString());
                Map<String, Object> u = Files.readAttributes(d, "unix:mode,uid,gid,lastModifiedTime", NOFOLLOW);
                if (privileged) posix.lchown(t, (Integer) u.get("uid"), (Integer) u.get("gid"));
                posix.chmod(t, (Integer) u.get("mode"));
                Files.setLastModifiedTime(t, (FileTime) u.get("lastModifiedTime"));
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** sha256 over every entry's path, mode (with type), owner, size, mtime and inode, in walk order by name. */
    private static String stamp(Path tree) throws IOException {
        MessageDigest md = Build.sha256();
        stamp(tree, tree, md);
        return HexFormat.of().formatHex(md.digest());
    }

    private static void stamp(Path tree, Path p, MessageDigest md) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,size,lastModifiedTime,ino", NOFOLLOW);
        md.update((tree.relativize(p) + "\0" + a.get("mode") + " " + a.get("uid") + " " + a.get("gid") + " " + a.get("size")
                + " " + a.get("lastModifiedTime") + " " + a.get("ino") + "\n").getBytes(StandardCharsets.UTF_8));
        if (Files.isDirectory(p, NOFOLLOW)) {
            for (Path c : org.stageforge.util.Dirs.sortedChildren(p)) stamp(tree, c, md);
        }
    }
}

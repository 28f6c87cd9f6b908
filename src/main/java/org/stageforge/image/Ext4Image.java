package org.stageforge.image;

import org.stageforge.StageforgeException;
import org.stageforge.ExitCodes;
import org.stageforge.archive.TarEntry;
import org.stageforge.pack.RootScanner;
import org.stageforge.util.Dirs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An ext4 file system image of a root, rootless and byte-reproducible: {@code mkfs.ext4 -d} copies a staging tree
 * (hard links to the root's files, special files as empty placeholders, excluded paths left out), then {@code debugfs}
 * sets every inode's owners, mode, times, device nodes and xattrs as the root's logical view says
 * ({@link RootScanner}: the file table, never the build user's disk). mke2fs 1.47.0 reads directories sorted;
 * UUID and hash seed come from the caller, times from SOURCE_DATE_EPOCH ({@code E2FSPROGS_FAKE_TIME}).
 */
public final class Ext4Image {
    private Ext4Image() {}

    /** Writes an ext4 image of {@code sizeMib} MiB; {@code root} null makes an empty file system. */
    public static void write(Path root, List<String> excludes, Path image, int sizeMib, String label, String uuid, long sde)
            throws IOException {
        Path work = Files.createTempDirectory(image.toAbsolutePath().getParent(), ".ext4-");
        try {
            Path staging = work.resolve("tree");
            Files.createDirectory(staging);
            StringBuilder script = new StringBuilder();
            if (root != null) stage(root, excludes, staging, work, script, sde);
            Files.deleteIfExists(image);
            Map<String, String> env = Map.of("E2FSPROGS_FAKE_TIME", Long.toString(sde), "SOURCE_DATE_EPOCH", Long.toString(sde));
            Tools.run(List.of("mkfs.ext4", "-q", "-F", "-t", "ext4", "-L", label, "-U", uuid, "-I", "256",
                    "-E", "root_owner=0:0,hash_seed=" + uuid + ",lazy_itable_init=0,lazy_journal_init=0",
                    "-d", staging.toString(), image.toString(), sizeMib + "M"), env, null);
            // lost+found is made by mke2fs at "now" (the fake time); set it like the rest
            script.append(times("/lost+found", sde));
            Path s = work.resolve("debugfs.txt");
            Files.writeString(s, script);
            String out = Tools.run(List.of("debugfs", "-w", "-f", s.toString(), image.toString()), env, null);
            for (String line : out.split("\n")) {
                // debugfs echoes each command as "debugfs: CMD" (mknod adds "Allocated inode: N"); anything else is an error
                if (!line.isBlank() && !line.startsWith("debugfs ") && !line.startsWith("debugfs:") && !line.startsWith("Allocated inode: ")) {
                    throw new StageforgeException(image.getFileName() + ": debugfs: " + line.strip(), ExitCodes.FAILURE, null);
                }
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(image);
            throw e;
        } finally {
            Dirs.deleteTree(work);
        }
    }

    private static void stage(Path root, List<String> excludes, Path staging, Path work, StringBuilder script, long sde)
            throws IOException {
        Map<String, Path> links = new HashMap<>();
        int xattrFiles = 0;
        for (RootScanner.Item it : RootScanner.scan(root, excludes)) {
            TarEntry e = it.entry();
            String rel = it.rel();
            String abs = "/" + rel;
            if (abs.indexOf('"') >= 0 || abs.indexOf('\n') >= 0 || abs.indexOf('\\') >= 0) {
                throw new StageforgeException(root.resolve(rel) + ": a path with a quote, backslash or newline cannot go into an ext4 image",
                        ExitCodes.BAD_INPUT, null);
            }
            Path dst = rel.isEmpty() ? staging : staging.resolve(rel);
            String q = "\"" + abs + "\"";
            int type;
            switch (e.type()) {
                case DIR -> {
                    if (!rel.isEmpty()) Files.createDirectory(dst);
                    type = 0040000;
                }
                case FILE -> {
                    link(it.file(), dst);
                    links.put(e.path(), dst);
                    type = 0100000;
                }
                case HARDLINK -> {
                    Path first = links.get(e.linkTarget());
                    if (first == null) throw new IllegalStateException("hard link before its target: " + e.path());
                    Files.createLink(dst, first);
                    continue; // the inode is set through its first name
                }
                case SYMLINK -> {
                    Files.createSymbolicLink(dst, Path.of(e.linkTarget()));
                    type = 0120000;
                }
                default -> {
                    if (e.devMajor() > 65535 || e.devMinor() > 65535) {
                        // debugfs's mknod takes numbers up to 65535 only
                        throw new StageforgeException(root.resolve(rel) + ": device " + e.devMajor() + ":" + e.devMinor()
                                + " cannot go into an ext4 image (debugfs takes major and minor up to 65535; use root_fs = \"erofs\")",
                                ExitCodes.BAD_INPUT, null);
                    }
                    // placeholder for mke2fs; debugfs puts the real node in its place
                    Files.createFile(dst);
                    script.append("rm ").append(q).append('\n');
                    String t = e.type() == TarEntry.Type.FIFO ? "p" : (e.type() == TarEntry.Type.CHAR ? "c " : "b ")
                            + e.devMajor() + " " + e.devMinor();
                    // debugfs 1.47's mknod names the new entry in the working directory as given, slashes and all
                    int slash = abs.lastIndexOf('/');
                    script.append("cd \"").append(slash == 0 ? "/" : abs.substring(0, slash)).append("\"\n");
                    script.append("mknod \"").append(abs.substring(slash + 1)).append("\" ").append(t).append("\ncd /\n");
                    type = e.type() == TarEntry.Type.FIFO ? 0010000 : e.type() == TarEntry.Type.CHAR ? 0020000 : 0060000;
                }
            }
            script.append("sif ").append(q).append(" mode 0").append(Integer.toOctalString(type | (e.mode() & 07777))).append('\n');
            script.append("sif ").append(q).append(" uid ").append(e.uid()).append('\n');
            script.append("sif ").append(q).append(" gid ").append(e.gid()).append('\n');
            script.append(times(abs, Math.min(e.mtime(), sde)));
            for (var x : e.xattrs().entrySet()) {
                Path v = work.resolve("xattr-" + xattrFiles++);
                Files.write(v, x.getValue());
                script.append("ea_set -f ").append(v).append(' ').append(q).append(' ').append(x.getKey()).append('\n');
            }
        }
    }

    private static String times(String abs, long t) {
        StringBuilder sb = new StringBuilder();
        for (String f : List.of("atime", "mtime", "ctime", "crtime")) {
            sb.append("sif \"").append(abs).append("\" ").append(f).append(" @").append(t).append('\n');
        }
        return sb.toString();
    }

    /** A hard link to the root's file where the file systems allow it, else a copy (content only matters). */
    private static void link(Path src, Path dst) throws IOException {
        try {
            Files.createLink(dst, src);
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(src, dst, LinkOption.NOFOLLOW_LINKS);
        }
    }
}

package org.stageforge.pipeline;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** File operations inside a root that never follow a link out of it. */
final class FileOps {
    private FileOps() {}

    /**
     * Refuses (exit 1) a directory that cannot be created or written: it, or its nearest existing ancestor, must be a
     * directory in which a file can be made. Probing with a real file works for root too, whom permission bits do
     * not stop (a read-only mount or a regular file in the way still do).
     */
    static void requireWritableDir(Path dir, String what) {
        Path d = dir.toAbsolutePath().normalize();
        Path existing = d;
        while (existing != null && !Files.exists(existing)) existing = existing.getParent();
        if (existing == null || !Files.isDirectory(existing)) {
            throw new StageforgeException(what + " " + dir + " cannot be created: " + existing + " is not a directory",
                    ExitCodes.FAILURE, null);
        }
        try {
            Files.delete(Files.createTempFile(existing, ".stageforge-probe-", ""));
        } catch (IOException e) {
            throw new StageforgeException(what + " " + dir + " is not writable" + (existing.equals(d) ? "" : " (" + existing
                    + " is not)") + ": " + e.getMessage(), ExitCodes.FAILURE, e);
        }
    }

    /** {@code root/rel} as a real directory, created if missing; refuses any symbolic link on the way. */
    static Path dirInRoot(Path root, String rel) throws IOException {
        Path p = root;
        for (String c : rel.split("/")) {
            if (c.isEmpty() || c.equals(".") || c.equals("..")) throw new StageforgeException("bad path " + rel, ExitCodes.BAD_INPUT, null);
            p = p.resolve(c);
            if (Files.isSymbolicLink(p)) {
                throw new StageforgeException("refusing to write through symbolic link " + root.relativize(p), ExitCodes.VERIFY, null);
            }
            if (!Files.exists(p)) Files.createDirectory(p);
        }
        return p;
    }

    /** Copies a file to {@code target} (temporary name, then rename) with the given permission bits. */
    static void copyInto(Path src, Path target, int mode) throws IOException {
        if (Files.isSymbolicLink(target)) Files.delete(target);
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        Files.copy(src, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(tmp, org.stageforge.util.Modes.permissions(mode));
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

}

package org.stageforge.index;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/** Whole-file replacement the way Portage's write_atomic does it: a temporary file beside, then rename. */
public final class AtomicFiles {

    private AtomicFiles() {}

    /**
     * The directory {@code root/relative}, created as needed (mode 0755). A root being built may
     * hold symbolic links put there by packages, so no component below {@code root} may be one:
     * following it could write outside the root.
     */
    public static Path directoryUnder(Path root, String relative) {
        Path dir = root;
        try {
            Files.createDirectories(root);
            for (Path part : Path.of(relative)) {
                String name = part.toString();
                if (name.equals("..") || name.equals(".")) throw new IllegalArgumentException("not a plain relative path: " + relative);
                dir = dir.resolve(name);
                if (Files.isSymbolicLink(dir)) {
                    throw new StageforgeException("refusing to write through symbolic link " + dir, ExitCodes.VERIFY, null);
                }
                if (!Files.isDirectory(dir)) {
                    Files.createDirectory(dir);
                    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
                }
            }
        } catch (IOException e) {
            throw new StageforgeException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        return dir;
    }

    /** Writes {@code data} to {@code file} (mode 0644), creating parent directories (0755) as needed. */
    public static void write(Path file, byte[] data) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            createDirs(dir);
            Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
            try {
                Files.write(tmp, data);
                // temporary files are created 0600; Portage's files are 0644
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new StageforgeException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Like {@link Files#createDirectories} but with mode 0755 whatever the umask (as emerge's umask 022 gives). */
    private static void createDirs(Path dir) throws IOException {
        if (Files.isDirectory(dir)) return;
        createDirs(dir.getParent());
        Files.createDirectory(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}

package org.stageforge.index;

import org.stageforge.StageforgeException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/** Whole-file replacement the way Portage's write_atomic does it: a temporary file beside, then rename. */
public final class AtomicFiles {

    private AtomicFiles() {}

    /** Writes {@code data} to {@code file} (mode 0644), creating parent directories as needed. */
    public static void write(Path file, byte[] data) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
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
}

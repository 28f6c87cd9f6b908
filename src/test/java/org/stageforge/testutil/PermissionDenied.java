package org.stageforge.testutil;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A directory in which the current user may not create files. Mode 000 denies a normal user; root ignores
 * modes, so for root the test falls back to sysfs, where creating a file is refused with EACCES to root too.
 */
public final class PermissionDenied {
    private PermissionDenied() {}

    public static Path unwritableDir(Path tmp) throws IOException {
        Path locked = Files.createDirectories(tmp.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
        for (Path dir : new Path[] {locked, Path.of("/sys")}) {
            if (denies(dir)) return dir;
        }
        // (JUnit's @TempDir cleanup resets modes itself when the directory is used)
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwx------"));
        Assumptions.abort("no directory denies file creation to this user (root without a writable-refusing sysfs)");
        return null;
    }

    private static boolean denies(Path dir) {
        Path probe = dir.resolve(".stageforge-probe");
        try {
            Files.createFile(probe);
            Files.delete(probe);
            return false;
        } catch (AccessDeniedException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}

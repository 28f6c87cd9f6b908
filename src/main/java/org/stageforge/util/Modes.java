package org.stageforge.util;

import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/** Unix mode bits as Java's file API names them. */
public final class Modes {
    private static final PosixFilePermission[] BITS = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE = bits 8..0

    private Modes() {}

    /** The permission bits (0777) of {@code mode}; setuid, setgid and sticky need chmod(2). */
    public static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        for (int i = 0; i < 9; i++) if ((mode & (1 << (8 - i))) != 0) s.add(BITS[i]);
        return s;
    }
}

package org.stageforge.pipeline;

import java.util.Locale;

/**
 * The parts of a build, in order. Parts from {@link #INSTALL} to {@link #CLEANUP} change the one root directory in
 * place ("root parts"); the others read their inputs and write their own files.
 */
public enum Part {
    FETCH, RESOLVE, BINPKGS, INSTALL, CONFIGURE, KERNEL, DEPCLEAN, CLEANUP, PACK, CHECKSUM, SIGN, PUBLISH;

    /** The lower-case name used on the command line, in hook directories and state files. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean changesRoot() {
        return ordinal() >= INSTALL.ordinal() && ordinal() <= CLEANUP.ordinal();
    }

    /** The part named {@code id}, or an error listing the names. */
    public static Part of(String id) {
        for (Part p : values()) if (p.id().equals(id)) return p;
        throw new org.stageforge.StageforgeException("unknown part '" + id + "' (parts: fetch resolve binpkgs install configure "
                + "kernel depclean cleanup pack checksum sign publish)", org.stageforge.ExitCodes.USAGE, null);
    }
}

package org.stageforge.phase;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

/** A package phase died or its shell ended with an error. */
public final class PhaseException extends StageforgeException {
    private final String cpv;
    private final String phase;
    private final String logTail;

    public PhaseException(String cpv, String phase, String reason, String logTail) {
        super(cpv + ": pkg_" + phase + " failed: " + reason, ExitCodes.FAILURE, null);
        this.cpv = cpv;
        this.phase = phase;
        this.logTail = logTail;
    }

    public String cpv() { return cpv; }

    public String phase() { return phase; }

    /** The last lines of the package's phase log. */
    public String logTail() { return logTail; }
}

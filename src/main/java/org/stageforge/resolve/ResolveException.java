package org.stageforge.resolve;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.util.List;

/**
 * Dependency resolution failed. The message has one line per unresolvable atom (or per refused
 * blocker / conflict), each naming the atom, who needs it and why no candidate fits.
 */
public class ResolveException extends StageforgeException {
    private final List<String> problems;

    public ResolveException(List<String> problems) {
        super(String.join("\n", problems), ExitCodes.RESOLVE, null);
        this.problems = List.copyOf(problems);
    }

    /** The problems, one line each. */
    public List<String> problems() {
        return problems;
    }
}

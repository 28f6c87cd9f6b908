package org.stageforge.binhost;

import org.stageforge.ExitCodes;

import java.util.List;

/** Outcome of fetching many packages: what arrived and what failed (missing files included). */
public record FetchResult(List<FetchedPackage> fetched, List<FetchFailure> failures) {
    public FetchResult {
        fetched = List.copyOf(fetched);
        failures = List.copyOf(failures);
    }

    public boolean ok() { return failures.isEmpty(); }

    /** Failures whose file does not exist on the binhost. */
    public List<FetchFailure> missing() {
        return failures.stream().filter(f -> f.error().exitCode() == ExitCodes.NOT_FOUND).toList();
    }

    /** OK; else VERIFY if any integrity failure, else NOT_FOUND when every failure is a missing file, else FAILURE. */
    public int exitCode() {
        if (failures.isEmpty()) return ExitCodes.OK;
        if (failures.stream().anyMatch(f -> f.error().exitCode() == ExitCodes.VERIFY)) return ExitCodes.VERIFY;
        if (failures.stream().allMatch(f -> f.error().exitCode() == ExitCodes.NOT_FOUND)) return ExitCodes.NOT_FOUND;
        return ExitCodes.FAILURE;
    }
}

package org.stageforge.util;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.util.Map;
import java.util.OptionalLong;

/**
 * SOURCE_DATE_EPOCH (reproducible-builds.org): whole seconds since 1970. Read strictly: an empty or non-integer value
 * is refused instead of silently meaning 1970.
 */
public final class SourceDateEpoch {
    private SourceDateEpoch() {}

    /** The value of {@code SOURCE_DATE_EPOCH} in {@code env}; empty when unset; a usage error when malformed. */
    public static OptionalLong fromEnv(Map<String, String> env) {
        return parse(env.get("SOURCE_DATE_EPOCH"));
    }

    /** {@code value} as an epoch; empty when null; a usage error when empty or not a non-negative integer. */
    public static OptionalLong parse(String value) {
        if (value == null) return OptionalLong.empty();
        if (!value.matches("[0-9]{1,18}")) {
            throw new StageforgeException("SOURCE_DATE_EPOCH is not a whole number of seconds: '" + value + "'",
                    ExitCodes.USAGE, null);
        }
        return OptionalLong.of(Long.parseLong(value));
    }

    /**
     * "Now" as shadow's {@code gettime()} takes it for the last-change field of {@code etc/shadow}: the epoch when
     * given and not in the future, else the clock.
     */
    public static long shadowNow(OptionalLong epoch, long clockSeconds) {
        return epoch.isPresent() && epoch.getAsLong() <= clockSeconds ? epoch.getAsLong() : clockSeconds;
    }
}

package org.stageforge.pipeline;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.spec.SystemSpec;

import java.nio.file.Path;

/**
 * Adapter from the spec's {@code [system]} section to the configuration library ({@code org.stageforge.configure}).
 * That library is built on another branch; until it is merged, a spec with a non-empty {@code [system]} section is
 * refused rather than built without its configuration.
 */
final class SystemConfigurer {
    private SystemConfigurer() {}

    static String apply(SystemSpec system, Path root, Reporter rep) {
        if (system.equals(SystemSpec.EMPTY)) {
            rep.log("no [system] section: nothing to configure");
            return "empty";
        }
        throw new StageforgeException("configure: the [system] section needs the configuration library "
                + "(org.stageforge.configure), which this build does not include yet", ExitCodes.FAILURE, null);
    }
}

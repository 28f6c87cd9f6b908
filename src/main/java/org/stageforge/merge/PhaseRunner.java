package org.stageforge.merge;

import org.stageforge.phase.FileIntent;

import java.util.List;
import java.util.Map;

/**
 * Runs an ebuild phase function ({@code pkg_preinst}, {@code pkg_postinst}, ...) of a package being merged, from its
 * saved environment. The merge engine calls {@code pkg_preinst} after validating a package and before writing any of
 * its files, and {@code pkg_postinst} after the package is recorded in the VDB. For {@code pkg_preinst} the
 * environment names the package's extracted image in {@code D}; the phase may edit it and the merge uses the edited
 * image.
 */
@FunctionalInterface
public interface PhaseRunner {

    /** The package the phase belongs to; {@code environmentBz2} is its saved environment as stored in the binpkg. */
    record PackageRef(String cpv, String slot, byte[] environmentBz2, List<String> definedPhases) {}

    /**
     * Outcome of one phase: exit status 0 is success; {@code log} names the per-package log written, or null;
     * {@code intents} are the ownership, mode, device and capability changes the phase made or asked for, which the
     * engine applies to its file table.
     */
    record Result(int exitStatus, String log, List<FileIntent> intents) {
        public Result {
            intents = intents == null ? List.of() : List.copyOf(intents);
        }

        public Result(int exitStatus, String log) {
            this(exitStatus, log, List.of());
        }
    }

    /**
     * Runs {@code phase} (e.g. {@code "pkg_preinst"}) with {@code env} (ROOT, EROOT, D, REPLACING_VERSIONS, ...).
     */
    Result runPhase(PackageRef pkg, String phase, Map<String, String> env);

    /**
     * Whether {@code phase} may read or change the package image (D). When it cannot, the engine merges straight from
     * the package instead of extracting the image for the phase first (and passes an empty directory as D).
     */
    default boolean needsImage(PackageRef pkg, String phase) {
        return true;
    }
}

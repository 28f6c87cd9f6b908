package org.stageforge.merge;

import java.util.List;
import java.util.Map;

/**
 * Runs an ebuild phase function ({@code pkg_preinst}, {@code pkg_postinst}, ...) of a package being merged, from its
 * saved environment. The merge engine calls {@code pkg_preinst} after validating a package and before writing any of
 * its files, and {@code pkg_postinst} after the package is recorded in the VDB.
 */
@FunctionalInterface
public interface PhaseRunner {

    /** The package the phase belongs to; {@code environmentBz2} is its saved environment as stored in the binpkg. */
    record PackageRef(String cpv, String slot, byte[] environmentBz2, List<String> definedPhases) {}

    /** Outcome of one phase: exit status 0 is success; {@code log} names the per-package log written, or null. */
    record Result(int exitStatus, String log) {}

    /** Runs {@code phase} (e.g. {@code "pkg_preinst"}) with {@code env} (ROOT, EROOT, D, ...). */
    Result runPhase(PackageRef pkg, String phase, Map<String, String> env);
}

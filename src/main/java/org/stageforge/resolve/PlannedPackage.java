package org.stageforge.resolve;

import org.stageforge.atom.Cpv;
import org.stageforge.index.PackagesEntry;

import java.util.Set;

/**
 * One package to merge, in merge order: a binary package of a binhost, or (with {@code fromSource})
 * an ebuild to build into a binary package first.
 *
 * @param cpv      the package
 * @param slot     its SLOT name
 * @param subslot  its sub-slot (the slot when it has none)
 * @param repo     the repository it was built from (REPO), or null when the index has none
 * @param buildId  BUILD_ID, 0 when the index has none
 * @param binhost  name of the binhost holding it (as in {@link Binhost#name()}); null for a source package
 * @param path     the file's path relative to the binhost; null for a source package
 * @param size     SIZE in bytes, -1 when unknown (always for a source package)
 * @param use      the USE flags the package was built with (what it will have installed); for a
 *                 source package the configured USE it is to be built with
 * @param iuse     its IUSE without +/- defaults
 * @param action   what merging it does to the root
 * @param replaces the installed CPV it replaces in its slot, or null
 * @param reason   why it is in the plan: the target argument, or the package (and dependency kind) that needs it
 * @param world    true when merging it adds its atom to the world file
 * @param entry    its index entry (digests, metadata) for fetching and merging; for a source package
 *                 an entry made from its md5-cache metadata (CPV, EAPI, SLOT, KEYWORDS, IUSE, LICENSE,
 *                 RESTRICT, PROPERTIES, REQUIRED_USE, the *DEPEND strings, DEFINED_PHASES), REPO, and
 *                 USE as above, with no PATH, digests or BUILD_ID
 * @param fromSource true when the package is to be built from its ebuild in repository {@code repo}
 *                 (its DEPEND/BDEPEND are not in the plan: emerge pulls them into its build root)
 */
public record PlannedPackage(Cpv cpv, String slot, String subslot, String repo, long buildId, String binhost,
                             String path, long size, Set<String> use, Set<String> iuse, Action action,
                             String replaces, String reason, boolean world, PackagesEntry entry, boolean fromSource) {

    /** What a merge does, as emerge's letters show it. */
    public enum Action {
        /** Nothing of this package is installed ({@code N}); {@code NS} when another slot is. */
        NEW,
        /** The same version and the same binary instance is installed ({@code R}). */
        REINSTALL,
        /** The same version from another binary instance (other BUILD_ID/BUILD_TIME) is installed ({@code R}). */
        REPLACE,
        /** A lower version is installed in the slot ({@code U}). */
        UPGRADE,
        /** A higher version is installed in the slot ({@code UD}). */
        DOWNGRADE
    }

    public PlannedPackage {
        use = Set.copyOf(use);
        iuse = Set.copyOf(iuse);
    }

    /** A binary package. */
    public PlannedPackage(Cpv cpv, String slot, String subslot, String repo, long buildId, String binhost,
                          String path, long size, Set<String> use, Set<String> iuse, Action action,
                          String replaces, String reason, boolean world, PackagesEntry entry) {
        this(cpv, slot, subslot, repo, buildId, binhost, path, size, use, iuse, action, replaces, reason, world, entry, false);
    }

    /** {@code =cat/pkg-ver::repo}, the atom emerge builds a source package by. */
    public String buildAtom() {
        return "=" + display();
    }

    /** {@code cat/pkg-ver::repo} as emerge prints it. */
    public String display() {
        return cpv + (repo == null ? "" : "::" + repo);
    }
}

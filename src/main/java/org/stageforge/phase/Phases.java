package org.stageforge.phase;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which pkg_* phases run, from DEFINED_PHASES. For a binary install Portage runs pkg_pretend,
 * pkg_setup, pkg_preinst and pkg_postinst (in that order; pretend before anything is merged); the
 * src_* phases never run. pkg_prerm/pkg_postrm run from the installed copy of a package that is
 * replaced or removed.
 */
public final class Phases {
    private Phases() {}

    /** The phases of a binary install, in order. */
    public static final List<String> BINARY_INSTALL = List.of("pretend", "setup", "preinst", "postinst");

    /** The phases of removing (or replacing) an installed package, in order. */
    public static final List<String> REMOVAL = List.of("prerm", "postrm");

    /** Every phase {@link BashPhaseRunner} runs. */
    public static final Set<String> RUNNABLE = Set.of("pretend", "setup", "preinst", "postinst", "prerm", "postrm");

    /** The phase names of a DEFINED_PHASES value ("-" and "" mean none). */
    public static Set<String> defined(String definedPhases) {
        Set<String> out = new LinkedHashSet<>();
        if (definedPhases == null) return out;
        for (String w : definedPhases.strip().split("\\s+")) {
            if (!w.isEmpty() && !w.equals("-")) out.add(w);
        }
        return out;
    }

    /** The binary-install phases the package defines, in run order. */
    public static List<String> binaryInstallPhases(String definedPhases) {
        Set<String> d = defined(definedPhases);
        return BINARY_INSTALL.stream().filter(d::contains).toList();
    }

    /** The binary-install phases of a binary package (for listing what --no-phases skipped). */
    public static List<String> binaryInstallPhases(org.stageforge.binpkg.PackageMetadata md) {
        return binaryInstallPhases(md.get("DEFINED_PHASES"));
    }
}

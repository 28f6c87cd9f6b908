package org.stageforge.build;

import org.stageforge.index.PackagesEntry;
import org.stageforge.resolve.PlannedPackage;
import org.stageforge.resolve.ResolveRequest;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The build keys of one build: its make.conf values and seed toolchain, applied per package. Only a package's own
 * flags (USE ∩ IUSE) count, so the implicit ARCH/ELIBC/KERNEL flags Portage records in a binpkg's USE and the
 * resolver's configured USE of an ebuild give the same key for the same build.
 */
public record BuildKeys(Map<String, String> vars, Map<String, String> toolchain) {
    public BuildKeys {
        vars = Map.copyOf(vars);
        toolchain = Map.copyOf(toolchain);
    }

    /** The key a package of the plan is (to be) built with. */
    public String of(PlannedPackage p) {
        return key(p.use(), p.iuse());
    }

    /** The key a binhost's package must carry to stand in for a build here. */
    public String of(PackagesEntry e) {
        Set<String> iuse = new TreeSet<>();
        for (String f : e.get("IUSE").trim().split("\\s+")) if (!f.isEmpty()) iuse.add(f.replaceFirst("^[+-]", ""));
        return key(e.use(), iuse);
    }

    /**
     * The resolver's filter: a binhost package carrying a {@link LocalBinhost#KEY} is usable only when that key is
     * this build's key for it; one without a key (built elsewhere, e.g. a distribution binhost) is judged by its USE
     * alone, as Portage's {@code --usepkg} does.
     */
    public ResolveRequest.BinaryFilter filter() {
        return (binhost, entry) -> entry.raw(LocalBinhost.KEY).map(k -> k.strip().equals(of(entry))).orElse(true);
    }

    private String key(Set<String> use, Set<String> iuse) {
        Set<String> own = new TreeSet<>(use);
        own.retainAll(iuse);
        return BuildKey.of(vars, own, toolchain);
    }
}

package org.stageforge.pipeline;

import org.stageforge.atom.Atom;
import org.stageforge.config.ConfigFiles;
import org.stageforge.index.PackagesIndex;
import org.stageforge.profile.PortageConfig;
import org.stageforge.resolve.PlannedPackage;
import org.stageforge.resolve.ResolvePlan;
import org.stageforge.spec.StageSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What the resolve part warns about besides the resolver's own warnings: the profile's (a deprecated profile, entries
 * Portage skips), a binhost built for another profile, and {@code package_use} settings the chosen binary packages
 * were not built with (Portage's {@code --binpkg-respect-use=n} warning; {@code binpkg_respect_use = true} makes the
 * resolver refuse such packages instead).
 */
final class ResolveChecks {
    private ResolveChecks() {}

    static List<String> warnings(StageSpec spec, PortageConfig config, List<PackagesIndex> indexes, ResolvePlan plan) {
        List<String> out = new ArrayList<>(config.warnings());
        for (int i = 0; i < indexes.size(); i++) {
            String built = indexes.get(i).header("PROFILE").orElse(null);
            if (built != null && !built.equals(spec.profile())) {
                out.add("binhost " + spec.binhosts().get(i).given() + " was built for profile '" + built
                        + "', the spec uses '" + spec.profile() + "' (its packages' USE and settings may not fit)");
            }
        }
        if (plan != null) out.addAll(useMismatches(spec, config, plan));
        return out;
    }

    /** For each planned package a {@code package_use} line matches: the flags it set that the binpkg lacks. */
    static List<String> useMismatches(StageSpec spec, PortageConfig config, ResolvePlan plan) {
        List<String> out = new ArrayList<>();
        for (PlannedPackage p : plan.packages()) {
            Set<String> wanted = null;
            for (String line : spec.packageUse()) {
                String[] w = line.trim().split("\\s+");
                if (!w[0].equals("*/*") && !Atom.parse(w[0]).matches(p.cpv(), p.slot(), p.subslot(), p.repo(), null, null)) {
                    continue;
                }
                if (wanted == null) {
                    wanted = config.effectiveUse(p.cpv(), p.slot(), p.repo(),
                            ConfigFiles.words(p.entry().value("IUSE").orElse("")),
                            ConfigFiles.words(p.entry().value("KEYWORDS").orElse("")));
                }
                String prefix = "";
                for (int k = 1; k < w.length; k++) {
                    String tok = w[k];
                    if (tok.endsWith(":")) {
                        // USE_EXPAND form: "PYTHON_TARGETS: python3_12" means python_targets_python3_12
                        prefix = tok.substring(0, tok.length() - 1).toLowerCase(Locale.ROOT) + "_";
                        continue;
                    }
                    String flag = prefix + (tok.startsWith("-") ? tok.substring(1) : tok);
                    if (flag.endsWith("*") || !p.iuse().contains(flag)) continue;
                    boolean want = wanted.contains(flag);
                    if (want != p.use().contains(flag)) {
                        out.add(p.cpv() + ": package_use '" + line + "' wants " + (want ? "" : "-") + flag
                                + ", but the binary package was built with " + (want ? "-" : "") + flag
                                + " (binpkg_respect_use = true refuses it)");
                    }
                }
            }
        }
        return out;
    }
}

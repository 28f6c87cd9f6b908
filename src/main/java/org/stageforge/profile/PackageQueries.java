package org.stageforge.profile;

import org.stageforge.atom.Cpv;
import org.stageforge.config.ConfigFiles;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Per-package evaluation over a {@link PortageConfig}: USE (Portage's setcpv), use.mask/force with
 * stable variants, keyword visibility, and package.mask with its reason.
 */
final class PackageQueries {
    private record NodeRules(List<String> useMask, List<String> useForce, List<String> useStableMask,
                             List<String> useStableForce, PackageRules use, PackageRules useMaskP,
                             PackageRules useForceP, PackageRules useStableMaskP, PackageRules useStableForceP,
                             PackageRules acceptKeywords, PackageRules keywords) {}

    private final PortageConfig config;
    private final List<NodeRules> nodes = new ArrayList<>();
    private final Map<String, NodeRules> repoRules = new java.util.HashMap<>();
    private final Map<String, Map<String, String>> repoDefaults = new java.util.HashMap<>();
    private final Map<String, PackageRules> repoPackageUse = new java.util.HashMap<>();
    private final PackageRules userUse;
    private final PackageRules userKeywords;
    private final PackageRules mask;
    private final PackageRules unmask;
    private final Set<String> iuseImplicit;
    private final List<String> warnings = new ArrayList<>();

    PackageQueries(PortageConfig config) {
        this.config = config;
        for (Profile.NodeData n : config.profile().nodes()) {
            nodes.add(new NodeRules(values(n.useMask()), values(n.useForce()), values(n.useStableMask()),
                    values(n.useStableForce()), rules(n.packageUse()), rules(n.packageUseMask()),
                    rules(n.packageUseForce()), rules(n.packageUseStableMask()), rules(n.packageUseStableForce()),
                    rules(n.packageAcceptKeywords()), rules(n.packageKeywords())));
        }
        for (RepoMap.Repo r : config.profile().repos().withProfiles()) {
            repoRules.put(r.name(), repoNode(r));
            repoDefaults.put(r.name(), repoMakeDefaults(r));
            repoPackageUse.put(r.name(), rules(dict(r.profilesDir().resolve("package.use"), r.portage1Profiles())));
        }
        UserConfig u = config.user();
        this.userUse = new PackageRules(u.packageUse(), warnings, true);
        this.userKeywords = new PackageRules(u.packageAcceptKeywords(), warnings, true);
        this.mask = new PackageRules(config.packageMask(), warnings, true);
        this.unmask = new PackageRules(config.packageUnmask(), warnings, true);
        this.iuseImplicit = implicitIuse();
    }

    private PackageRules rules(List<Entry> entries) {
        return new PackageRules(entries, warnings);
    }

    /** Repository-level profiles/use.mask and friends (applied before the profile nodes). */
    private NodeRules repoNode(RepoMap.Repo r) {
        boolean rec = r.portage1Profiles();
        java.nio.file.Path d = r.profilesDir();
        return new NodeRules(flat(d.resolve("use.mask"), rec), flat(d.resolve("use.force"), rec),
                flat(d.resolve("use.stable.mask"), rec), flat(d.resolve("use.stable.force"), rec), rules(List.of()),
                rules(dict(d.resolve("package.use.mask"), rec)), rules(dict(d.resolve("package.use.force"), rec)),
                rules(dict(d.resolve("package.use.stable.mask"), rec)),
                rules(dict(d.resolve("package.use.stable.force"), rec)), rules(List.of()), rules(List.of()));
    }

    /** A repository's own profiles/make.defaults (expanded over make.globals), minus profile-only variables. */
    private Map<String, String> repoMakeDefaults(RepoMap.Repo r) {
        Map<String, String> d = org.stageforge.config.ShellConfig.parse(r.profilesDir().resolve("make.defaults"),
                new java.util.HashMap<>(config.profile().globals()), false, r.portage1Profiles());
        if (d == null) return Map.of();
        Map<String, String> out = new java.util.LinkedHashMap<>(d);
        out.keySet().removeAll(Incrementals.stack(UseCalculator.words(config.get("PROFILE_ONLY_VARIABLES"))));
        return out;
    }

    /** Portage's "repo" USE layer for a package: repo (and masters') make.defaults plus repo package.use. */
    private Map<String, String> repoLayer(Cpv cpv, String slot, String repo) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        if (repo == null || config.profile().repos().get(repo) == null) return out;
        for (RepoMap.Repo r : config.profile().repos().withMasters(config.profile().repos().get(repo))) {
            Map<String, String> d = new java.util.LinkedHashMap<>(repoDefaults.getOrDefault(r.name(), Map.of()));
            PackageRules pu = repoPackageUse.get(r.name());
            if (pu != null) {
                for (PackageRules.Rule rule : pu.ordered(cpv, slot, null, repo)) {
                    d.put("USE", d.getOrDefault("USE", "") + " " + String.join(" ", rule.entry().values()));
                }
            }
            for (var e : d.entrySet()) {
                String old = out.get(e.getKey());
                out.put(e.getKey(), old != null && Incrementals.VARIABLES.contains(e.getKey())
                        ? old + " " + e.getValue() : e.getValue());
            }
        }
        return out;
    }

    private static List<String> flat(java.nio.file.Path p, boolean rec) {
        List<String> out = new ArrayList<>();
        for (ConfigFiles.Line l : ConfigFiles.lines(p, rec)) out.add(l.text());
        return out;
    }

    private static List<Entry> dict(java.nio.file.Path p, boolean rec) {
        List<Entry> out = new ArrayList<>();
        for (ConfigFiles.Line l : ConfigFiles.lines(p, rec)) {
            String[] w = l.text().split(" ");
            out.add(new Entry(w[0], List.of(w).subList(1, w.length), l.file(), l.number()));
        }
        return out;
    }

    private static List<String> values(List<Entry> entries) {
        List<String> out = new ArrayList<>();
        for (Entry e : entries) out.add(e.value());
        return out;
    }

    /** IUSE_EFFECTIVE's implicit part (EAPI 5+): IUSE_IMPLICIT plus USE_EXPAND_IMPLICIT values. */
    private Set<String> implicitIuse() {
        Set<String> out = new HashSet<>(UseCalculator.words(config.get("IUSE_IMPLICIT")));
        Set<String> implicit = new HashSet<>(UseCalculator.words(config.get("USE_EXPAND_IMPLICIT")));
        for (String v : UseCalculator.words(config.get("USE_EXPAND_UNPREFIXED"))) {
            if (implicit.contains(v)) out.addAll(UseCalculator.words(config.get("USE_EXPAND_VALUES_" + v)));
        }
        Set<String> expand = new HashSet<>(UseCalculator.words(config.get("USE_EXPAND")));
        for (String v : implicit) {
            if (!expand.contains(v)) continue;
            String p = v.toLowerCase(Locale.ROOT) + "_";
            for (String x : UseCalculator.words(config.get("USE_EXPAND_VALUES_" + v))) out.add(p + x);
        }
        return out;
    }

    Set<String> implicitIuseSet() {
        return iuseImplicit;
    }

    private List<NodeRules> repoChain(String repo) {
        List<NodeRules> out = new ArrayList<>();
        if (repo == null) return out;
        RepoMap.Repo r = config.profile().repos().get(repo);
        if (r == null) return out;
        for (RepoMap.Repo m : config.profile().repos().withMasters(r)) {
            NodeRules nr = repoRules.get(m.name());
            if (nr != null) out.add(nr);
        }
        return out;
    }

    /** Portage's getUseMask / getUseForce for one package. */
    Set<String> useMaskOrForce(Cpv cpv, String slot, String repo, boolean stable, boolean wantMask) {
        List<String> tokens = new ArrayList<>();
        List<NodeRules> all = new ArrayList<>(repoChain(repo));
        all.addAll(nodes);
        for (int i = 0; i < all.size(); i++) {
            NodeRules n = all.get(i);
            tokens.addAll(wantMask ? n.useMask() : n.useForce());
            if (stable) tokens.addAll(wantMask ? n.useStableMask() : n.useStableForce());
            for (PackageRules.Rule r : (wantMask ? n.useMaskP() : n.useForceP()).ordered(cpv, slot, null, repo)) {
                tokens.addAll(r.entry().values());
            }
            if (stable) {
                for (PackageRules.Rule r : (wantMask ? n.useStableMaskP() : n.useStableForceP())
                        .ordered(cpv, slot, null, repo)) {
                    tokens.addAll(r.entry().values());
                }
            }
        }
        return Incrementals.stack(tokens);
    }

    /** Keywords of the package after profile package.keywords (Portage's getKeywords). */
    private List<String> packageKeywords(Cpv cpv, String slot, String repo, Collection<String> keywords) {
        List<String> tokens = new ArrayList<>();
        for (String k : keywords) if (!k.equals("-*")) tokens.add(k);
        for (NodeRules n : nodes) {
            for (PackageRules.Rule r : n.keywords().ordered(cpv, slot, null, repo)) tokens.addAll(r.entry().values());
        }
        return new ArrayList<>(Incrementals.stack(tokens));
    }

    /** Accepted keyword groups for the package: ACCEPT_KEYWORDS plus package.accept_keywords. */
    private Set<String> acceptedGroups(Cpv cpv, String slot, String repo) {
        List<String> global = UseCalculator.words(config.get("ACCEPT_KEYWORDS"));
        List<String> unmask = new ArrayList<>();
        // an atom without keywords accepts ~arch: from the final ACCEPT_KEYWORDS for profile
        // entries, from the profile's own (unstacked) ACCEPT_KEYWORDS for user entries, as Portage does
        List<String> defaults = testing(global);
        for (NodeRules n : nodes) {
            for (PackageRules.Rule r : n.acceptKeywords().ordered(cpv, slot, null, repo)) {
                unmask.addAll(r.entry().values().isEmpty() ? defaults : r.entry().values());
            }
        }
        List<String> userDefaults = testing(UseCalculator.words(config.profileDefaults().get("ACCEPT_KEYWORDS")));
        for (PackageRules.Rule r : userKeywords.ordered(cpv, slot, null, repo)) {
            unmask.addAll(r.entry().values().isEmpty() ? userDefaults : r.entry().values());
        }
        List<String> groups = new ArrayList<>(global);
        groups.addAll(unmask);
        List<String> env = UseCalculator.words(config.envLayer().get("ACCEPT_KEYWORDS"));
        if (!unmask.isEmpty() || !env.isEmpty()) {
            groups.addAll(env);
            return Incrementals.stack(groups);
        }
        return new LinkedHashSet<>(groups);
    }

    private static List<String> testing(List<String> keywords) {
        List<String> out = new ArrayList<>();
        for (String k : keywords) if (!k.startsWith("~") && !k.startsWith("-")) out.add("~" + k);
        return out;
    }

    /** Portage's _getMissingKeywords: the package keywords not accepted (empty when visible). */
    private static List<String> missing(Set<String> accepted, List<String> pkgKeywords) {
        boolean match = false;
        boolean hasStable = false;
        boolean hasTesting = false;
        for (String gp : pkgKeywords) {
            if (gp.equals("*")) {
                match = true;
                break;
            } else if (gp.equals("~*")) {
                hasTesting = true;
                for (String x : accepted) {
                    if (x.startsWith("~")) {
                        match = true;
                        break;
                    }
                }
                if (match) break;
            } else if (accepted.contains(gp)) {
                match = true;
                break;
            } else if (gp.startsWith("~")) {
                hasTesting = true;
            } else if (!gp.startsWith("-")) {
                hasStable = true;
            }
        }
        if (!match && ((hasTesting && accepted.contains("~*")) || (hasStable && accepted.contains("*"))
                || accepted.contains("**"))) {
            match = true;
        }
        if (match) return List.of();
        return pkgKeywords.isEmpty() ? List.of("**") : pkgKeywords;
    }

    List<String> missingKeywords(Cpv cpv, String slot, String repo, Collection<String> keywords) {
        return missing(acceptedGroups(cpv, slot, repo), packageKeywords(cpv, slot, repo, keywords));
    }

    /**
     * Stable for use.stable.*: visible, and would not be if every keyword were its ~ variant
     * (so a package does not change its forced/masked flags when it gets stabilised).
     */
    boolean isStable(Cpv cpv, String slot, String repo, Collection<String> keywords) {
        Set<String> accepted = acceptedGroups(cpv, slot, repo);
        List<String> kw = packageKeywords(cpv, slot, repo, keywords);
        if (!missing(accepted, kw).isEmpty()) return false;
        List<String> unstable = new ArrayList<>();
        for (String k : kw) unstable.add(k.startsWith("~") ? k : "~" + k);
        return !missing(accepted, new ArrayList<>(new LinkedHashSet<>(unstable))).isEmpty();
    }

    /** Effective USE of a package: Portage's layered USE, then forced/masked flags, limited to IUSE. */
    Set<String> effectiveUse(Cpv cpv, String slot, String repo, Collection<String> iuse, Collection<String> keywords) {
        List<String> plainIuse = new ArrayList<>();
        List<String> plus = new ArrayList<>();
        for (String f : iuse) {
            if (f.startsWith("+")) plus.add(f.substring(1));
            plainIuse.add(f.startsWith("+") || f.startsWith("-") ? f.substring(1) : f);
        }
        List<String> defaults = new ArrayList<>();
        List<String> mdu = config.makeDefaultsUse();
        for (int i = 0; i < nodes.size(); i++) {
            if (i < mdu.size() && !mdu.get(i).isEmpty()) defaults.add(mdu.get(i));
            for (PackageRules.Rule r : nodes.get(i).use().ordered(cpv, slot, null, repo)) {
                defaults.add(String.join(" ", r.entry().values()));
            }
        }
        List<String> puse = new ArrayList<>();
        for (PackageRules.Rule r : userUse.ordered(cpv, slot, null, repo)) puse.addAll(r.entry().values());

        boolean stable = isStable(cpv, slot, repo, keywords);
        Set<String> force = useMaskOrForce(cpv, slot, repo, stable, false);
        Set<String> maskSet = useMaskOrForce(cpv, slot, repo, stable, true);
        List<String> expandDefined = new ArrayList<>();
        for (String k : config.useExpand()) if (config.get(k) != null) expandDefined.add(k);
        Set<String> all = UseCalculator.compute(
                config.layers(String.join(" ", defaults),
                        new PortageConfig.PackageLayers(String.join(" ", puse), String.join(" ", plus),
                                repoLayer(cpv, slot, repo))),
                expandDefined, config.useExpandUnprefixed(), plainIuse, force, maskSet,
                config.profileDefaults().get("ARCH"));
        Set<String> allowed = new HashSet<>(plainIuse);
        Set<String> out = new TreeSet<>();
        for (String f : all) if (allowed.contains(f) || iuseImplicit.contains(f)) out.add(f);
        return out;
    }

    /** The package.mask entry masking the package (unless package.unmask matches), or null. */
    MaskReason maskReason(Cpv cpv, String slot, String repo) {
        PackageRules.Rule m = mask.firstMatch(cpv, slot, null, repo);
        if (m == null) return null;
        if (unmask.firstMatch(cpv, slot, null, repo) != null) return null;
        return new MaskReason(m.entry(), ConfigFiles.commentAbove(m.entry().file(), m.entry().line()));
    }

    List<String> warnings() {
        return warnings;
    }
}

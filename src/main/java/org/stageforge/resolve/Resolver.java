package org.stageforge.resolve;

import org.stageforge.atom.Atom;
import org.stageforge.atom.Cpv;
import org.stageforge.atom.DepNode;
import org.stageforge.index.PackagesEntry;
import org.stageforge.profile.Entry;
import org.stageforge.profile.MaskReason;
import org.stageforge.profile.PortageConfig;
import org.stageforge.vdb.VdbEntry;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Dependency resolution as {@code emerge --usepkgonly} does it, or with ebuild repositories as
 * {@code emerge --usepkg}: the runtime closure (RDEPEND, PDEPEND, IDEPEND; never DEPEND/BDEPEND) of
 * the targets, taken from binhost indexes, ebuild repositories (packages to build from source) and
 * the installed packages, in merge order.
 *
 * <p>Rules, in Portage's terms:
 * <ul>
 * <li>A candidate is visible when no package.mask entry (without package.unmask) matches it, its
 *     KEYWORDS are accepted (ACCEPT_KEYWORDS, package.accept_keywords) and its LICENSE is
 *     (ACCEPT_LICENSE, package.license). Installed packages are always usable. With
 *     FEATURES=-pkgdir-index-trusted, entries of a local binhost whose file is missing are not
 *     usable either (Portage re-scans such a PKGDIR).</li>
 * <li>An atom takes the highest visible version matching it (version, slot, sub-slot, USE
 *     dependencies against the candidate's built USE and IUSE). Among binary instances of one
 *     version, Portage's order applies: the newest BUILD_TIME, then the highest BUILD_ID, then
 *     the earlier binhost. With {@code binpkgRespectUse} instances whose USE (within IUSE)
 *     differs from the configured USE are not used.</li>
 * <li>With ebuild repositories (see {@link #bestCandidate}): binhost packages must have the
 *     configured USE (binpkg-respect-use is forced on), pass the request's build-key filter and not
 *     be excluded by {@code from_source}; the highest visible ebuild sets the version, and a usable
 *     binary of that version is preferred to building it. An ebuild's USE is the configured USE;
 *     the chosen ebuild's REQUIRED_USE must hold for it. Its RDEPEND/PDEPEND/IDEPEND are followed
 *     like a binary's; its DEPEND/BDEPEND are left to emerge, which builds in its own root.</li>
 * <li>A dependency already satisfied by a package in the graph, or else by an installed package,
 *     pulls nothing new; installed packages' own dependencies are not traversed (no --deep).
 *     Targets are merged again unless {@code noreplace} and installed.</li>
 * <li>{@code || ( )} groups are decided after all plain dependencies queued so far, preferring
 *     the first alternative satisfied by the graph, then the first satisfied by installed
 *     packages, then the first that can be resolved at all (dep_zapdeps' preference order).</li>
 * <li>Two atoms needing different packages in one slot restart the resolution with both as
 *     constraints on that slot (a small form of Portage's backtracking).</li>
 * <li>Blockers: a blocked package in the plan is an error; a blocked installed package is
 *     resolved when the plan replaces it in its slot (the replacement merges first), otherwise a
 *     soft {@code !} blocker unmerges it and a hard {@code !!} blocker is refused.</li>
 * <li>IDEPEND is resolved in the running root by Portage (the host of a {@code --root} install),
 *     so unless {@link ResolveRequest.Options#idependInRoot()} it pulls nothing into the plan: an
 *     IDEPEND satisfied by a planned package orders it first, any other is listed as a warning.</li>
 * <li>package.provided versions (profiles of EAPI 0-6, etc/portage/profile) satisfy every atom
 *     whose version they match, as installed packages would, and are never merged; a target they
 *     satisfy is skipped with a warning.</li>
 * <li>Merge order: Portage's (see {@link MergeOrder}) on the graph in the order Portage's depgraph
 *     builds it. One deliberate difference: sys-apps/baselayout moves up to just after its own
 *     prerequisites, so the accounts later packages create are added to baselayout's passwd/group
 *     rather than lost (Portage may merge acct-group packages first).</li>
 * </ul>
 */
public final class Resolver {
    private static final int MAX_RESTARTS = 64;
    /** EAPIs the Portage of the seeds builds (portage.const.EAPI = 9, plus its testing EAPI). */
    private static final Set<String> SUPPORTED_EAPIS = Set.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "9-pre1");
    static final String BASELAYOUT = "sys-apps/baselayout";
    /** Sets emerge never records in world_sets. */
    private static final Set<String> BUILTIN_SETS = Set.of("system", "world", "selected", "selected-packages",
            "selected-sets");

    /** Dependency kinds; TARGET for command-line arguments. */
    enum Kind { TARGET, IDEPEND, RDEPEND, PDEPEND }

    private static final Comparator<Candidate> BEST_FIRST = Comparator
            .comparing((Candidate c) -> c.cpv.version()).reversed()
            .thenComparing(Comparator.comparingLong((Candidate c) -> c.buildTime).reversed())
            .thenComparing(Comparator.comparingLong((Candidate c) -> c.buildId).reversed())
            .thenComparingInt(c -> c.binhost)
            .thenComparing(c -> c.entry == null ? "" : c.entry.path())
            .thenComparingInt(c -> c.position);

    private final ResolveRequest req;
    private final PortageConfig config;
    private final ResolveRequest.Options opts;
    private final Map<String, List<Candidate>> binaries = new HashMap<>();
    private final Map<String, List<Candidate>> installed = new HashMap<>();
    private final Map<String, Candidate> installedBySlot = new HashMap<>();
    private final Map<String, List<Atom>> constraints = new HashMap<>();
    /** package.provided by cp: taken as installed, never merged. */
    private final Map<String, List<Cpv>> provided = new HashMap<>();
    /** FEATURES=pkgdir-index-trusted (Portage's default): a local index is believed without looking at the files. */
    private final boolean trustLocalIndex;
    /** The ebuilds of the request's repositories (empty without repositories). */
    private final Ebuilds ebuilds;
    /** --binpkg-respect-use, forced on when ebuilds can give the configured USE. */
    private final boolean respectUse;
    /** from_source atoms (Mode.LISTED): binaries matching one are not used. */
    private final List<Atom> fromSourceAtoms = new ArrayList<>();

    private Resolver(ResolveRequest req) {
        this.req = req;
        this.config = req.config();
        this.opts = req.options();
        Set<String> implicit = config.implicitIuse();
        trustLocalIndex = List.of(config.getOrDefault("FEATURES", "").split("\\s+")).contains("pkgdir-index-trusted");
        for (int b = 0; b < req.binhosts().size(); b++) {
            Binhost bh = req.binhosts().get(b);
            List<PackagesEntry> entries = bh.index().entries();
            for (int i = 0; i < entries.size(); i++) {
                Candidate c = Candidate.binary(entries.get(i), b, i, implicit, bh.name());
                binaries.computeIfAbsent(c.cp, k -> new ArrayList<>()).add(c);
            }
        }
        for (List<Candidate> l : binaries.values()) l.sort(BEST_FIRST);
        for (VdbEntry v : req.installed()) {
            Candidate c = Candidate.installed(v, implicit);
            installed.computeIfAbsent(c.cp, k -> new ArrayList<>()).add(c);
            installedBySlot.putIfAbsent(c.slotKey, c);
        }
        for (List<Candidate> l : installed.values()) l.sort(BEST_FIRST);
        for (Cpv c : config.packageProvided()) provided.computeIfAbsent(c.cp(), k -> new ArrayList<>()).add(c);
        ebuilds = new Ebuilds(req.repositories(), config, implicit);
        respectUse = opts.binpkgRespectUse() || !ebuilds.isEmpty();
        List<String> bad = new ArrayList<>();
        for (String s : opts.fromSource().atoms()) {
            try {
                Atom a = Atom.parse(s);
                if (a.isBlocker()) bad.add("from_source: " + s + ": a blocker cannot name packages to build");
                else fromSourceAtoms.add(a);
            } catch (org.stageforge.ParseException e) {
                bad.add("from_source: " + e.getMessage());
            }
        }
        if (!bad.isEmpty()) throw new ResolveException(bad);
    }

    /**
     * The package.provided version satisfying the atom, or null. As Portage's dep_check, only the
     * version is matched: a provided entry carries no SLOT or USE.
     */
    private Cpv providedFor(Atom a) {
        for (Cpv c : provided.getOrDefault(a.cp(), List.of())) if (a.matchesCpv(c)) return c;
        return null;
    }

    /** Resolves the request; throws {@link ResolveException} naming every atom that cannot be satisfied. */
    public static ResolvePlan resolve(ResolveRequest request) {
        return new Resolver(request).run();
    }

    private ResolvePlan run() {
        List<Target> targets = targets();
        for (int attempt = 0; ; attempt++) {
            Attempt a = new Attempt();
            a.start(targets);
            if (a.restart && attempt < MAX_RESTARTS) continue;
            if (a.restart) a.problems.add("giving up after " + MAX_RESTARTS + " slot-conflict retries");
            if (!a.problems.isEmpty()) throw new ResolveException(dedupe(a.problems));
            return a.plan(targets);
        }
    }

    private static List<String> dedupe(List<String> l) {
        return new ArrayList<>(new LinkedHashSet<>(l));
    }

    // ---- targets ---------------------------------------------------------------------------

    /** A target atom with the argument it came from and whether it goes to the world file. */
    private record Target(Atom atom, String arg, boolean world) {}

    private List<Target> targets() {
        List<Target> out = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (String arg : req.targets()) {
            if (arg.startsWith("@")) {
                for (String s : expandSet(arg.substring(1), new HashSet<>(), problems)) {
                    Atom a = parseTarget(s, arg, problems);
                    if (a != null) out.add(new Target(a, arg, false));
                }
            } else {
                Atom a = parseTarget(arg, arg, problems);
                if (a != null) out.add(new Target(a, arg, !opts.oneshot()));
            }
        }
        if (!problems.isEmpty()) throw new ResolveException(dedupe(problems));
        return out;
    }

    private Atom parseTarget(String s, String arg, List<String> problems) {
        String text = s;
        if (!s.contains("/")) {
            // a bare package name, as emerge accepts it
            Set<String> cps = new TreeSet<>();
            for (String cp : binaries.keySet()) if (cp.substring(cp.indexOf('/') + 1).equals(s)) cps.add(cp);
            for (String cp : installed.keySet()) if (cp.substring(cp.indexOf('/') + 1).equals(s)) cps.add(cp);
            if (!ebuilds.isEmpty()) {
                for (String cp : ebuilds.cps()) if (cp.substring(cp.indexOf('/') + 1).equals(s)) cps.add(cp);
            }
            if (cps.size() != 1) {
                problems.add(s + ": " + (cps.isEmpty() ? "no package of that name in any binhost index" + orRepository() + suggestName(s)
                        : "ambiguous package name, matches " + String.join(", ", cps)));
                return null;
            }
            text = cps.iterator().next();
        }
        Atom a = Atom.parse(text);
        if (a.isBlocker()) {
            problems.add(arg + ": a blocker cannot be a target");
            return null;
        }
        return a;
    }

    private String orRepository() {
        return ebuilds.isEmpty() ? "" : " or ebuild repository";
    }

    /** Every cp a binhost or ebuild repository has, sorted. */
    private Set<String> knownCps() {
        Set<String> cps = new TreeSet<>(binaries.keySet());
        if (!ebuilds.isEmpty()) cps.addAll(ebuilds.cps());
        return cps;
    }

    /** " (did you mean 'cat/pkg'?)" for a misspelled category/package, or "". */
    private String suggestCp(String cp) {
        return org.stageforge.util.Suggest.didYouMeanPath(cp, knownCps());
    }

    /** " (did you mean 'cat/pkg'?)" for a misspelled bare package name, or "". */
    private String suggestName(String name) {
        Map<String, String> byName = new java.util.TreeMap<>();
        for (String cp : knownCps()) byName.putIfAbsent(cp.substring(cp.indexOf('/') + 1), cp);
        return org.stageforge.util.Suggest.closest(name, byName.keySet()).map(n -> " (did you mean '" + byName.get(n) + "'?)").orElse("");
    }

    private List<String> expandSet(String name, Set<String> seen, List<String> problems) {
        List<String> out = new ArrayList<>();
        if (!seen.add(name)) return out;
        switch (name) {
            case "system" -> {
                for (Entry e : config.systemSet()) out.add(e.value());
            }
            case "selected-packages" -> out.addAll(req.world().atoms());
            case "selected-sets" -> {
                for (String s : req.world().sets()) out.addAll(expandSet(strip(s), seen, problems));
            }
            case "selected" -> {
                out.addAll(expandSet("selected-packages", seen, problems));
                out.addAll(expandSet("selected-sets", seen, problems));
            }
            case "world" -> {
                out.addAll(expandSet("selected", seen, problems));
                out.addAll(expandSet("system", seen, problems));
            }
            default -> {
                List<Entry> user = config.user().sets().get(name);
                if (user == null) {
                    Set<String> known = new TreeSet<>(BUILTIN_SETS);
                    known.addAll(config.user().sets().keySet());
                    problems.add("@" + name + ": no such package set" + org.stageforge.util.Suggest.didYouMean(name, known));
                } else {
                    for (Entry e : user) {
                        if (e.value().startsWith("@")) out.addAll(expandSet(e.value().substring(1), seen, problems));
                        else out.add(e.value());
                    }
                }
            }
        }
        return out;
    }

    private static String strip(String set) {
        return set.startsWith("@") ? set.substring(1) : set;
    }

    // ---- candidate tests -------------------------------------------------------------------

    /** Why the candidate cannot satisfy the atom, or null when it can. */
    private String reject(Candidate c, Atom a) {
        return reject(c, a, true);
    }

    /**
     * Why the candidate cannot satisfy the atom, or null; without {@code useDeps} the atom's USE
     * dependencies and an ebuild's REQUIRED_USE are not checked (how emerge first matches ebuilds).
     */
    private String reject(Candidate c, Atom a, boolean useDeps) {
        if (!a.matchesCpv(c.cpv)) return "version does not match";
        if (!a.matchesSlot(c.slot, c.subslot)) {
            return "SLOT " + c.slot + (c.subslot.equals(c.slot) ? "" : "/" + c.subslot) + " does not match";
        }
        if (a.repo() != null && c.repo != null && !a.repo().equals(c.repo)) return "repository " + c.repo + " does not match";
        if (useDeps && !a.matchesUse(c.use, c.iuseAll)) {
            return "USE dependency " + a.use() + " not met (" + (c.isEbuild() ? "configured" : "built with")
                    + " USE=\"" + c.useText(c.use) + "\")";
        }
        String v = visibility(c);
        if (!v.isEmpty()) return v;
        String x = excluded(c);
        if (x != null) return x;
        String u = useMismatch(c);
        if (u != null) return u;
        for (Atom k : constraints.getOrDefault(c.slotKey, List.of())) {
            if (!c.matches(k)) return "conflicts with " + k + " in slot " + c.slot;
        }
        return useDeps ? requiredUse(c) : null;
    }

    /** For a binary: why from_source or the build-key filter rules it out, or null. */
    private String excluded(Candidate c) {
        if (c.isInstalled() || c.isEbuild()) return null;
        // the caller's filter may be costly: asked once per package
        if (c.excluded == null) {
            String x = computeExcluded(c);
            c.excluded = x == null ? "" : x;
        }
        return c.excluded.isEmpty() ? null : c.excluded;
    }

    private String computeExcluded(Candidate c) {
        ResolveRequest.FromSource fs = opts.fromSource();
        if (fs.mode() == ResolveRequest.FromSource.Mode.ALL) return "not used: from_source = all";
        for (Atom k : fromSourceAtoms) if (c.matches(k)) return "not used: " + k + " is listed in from_source";
        if (!req.binaryFilter().accepts(req.binhosts().get(c.binhost), c.entry)) {
            return "not used: its build key is not the current one (rejected by the build-key filter)";
        }
        return null;
    }

    /** For an ebuild (EAPI 4 and later): why its configured USE breaks its REQUIRED_USE, or null. */
    private String requiredUse(Candidate c) {
        if (!c.isEbuild()) return null;
        String text = c.meta.requiredUse();
        if (text.isBlank() || List.of("0", "1", "2", "3").contains(c.meta.eapi())) return null;
        boolean ok;
        try {
            ok = org.stageforge.atom.DepString.satisfied(
                    org.stageforge.atom.DepString.parse(text, org.stageforge.atom.DepString.Kind.REQUIRED_USE), c.use);
        } catch (org.stageforge.ParseException ex) {
            throw ex.in(c.source + " (" + c.cpv + " REQUIRED_USE)", 0);
        }
        return ok ? null : "REQUIRED_USE \"" + text.strip() + "\" is not met by the configured USE=\"" + c.useText(c.use)
                + "\" (change USE in package.use)";
    }

    /** "" when visible, else the masking reason. */
    private String visibility(Candidate c) {
        if (c.visibility != null) return c.visibility;
        String v = "";
        if (!c.isInstalled()) {
            MaskReason m;
            List<String> kw;
            List<String> lic;
            if (c.isEbuild() && !SUPPORTED_EAPIS.contains(c.meta.eapi())) {
                v = "masked by EAPI: EAPI " + c.meta.eapi() + " is not supported by Portage";
            } else if (!c.isEbuild() && !trustLocalIndex && !req.binhosts().get(c.binhost).hasFile(c.entry)) {
                // Portage re-scans an untrusted PKGDIR and drops entries without their file
                v = "file " + c.entry.path() + " is not in the binhost directory (FEATURES=-pkgdir-index-trusted)";
            } else if ((m = config.maskReason(c.cpv, c.slot, c.repo)) != null) {
                v = "masked by package.mask: " + m.entry().value() + " (" + m.entry().origin() + ")";
            } else if (!(kw = config.missingKeywords(c.cpv, c.slot, c.repo, c.meta.keywords())).isEmpty()) {
                v = "masked by keyword: needs " + String.join(" ", kw) + " accepted";
            } else if (!(lic = config.missingLicenses(c.cpv, c.slot, c.repo, c.meta.license(), c.use)).isEmpty()) {
                v = "masked by license: " + String.join(" ", lic) + " not accepted";
            }
        }
        c.visibility = v;
        return v;
    }

    /** With binpkg-respect-use: why the instance's USE is not the configured one, or null. */
    private String useMismatch(Candidate c) {
        if (!respectUse || c.isInstalled() || c.isEbuild()) return null;
        if (c.useMismatch == null) {
            String m = computeUseMismatch(c);
            c.useMismatch = m == null ? "" : m;
        }
        return c.useMismatch.isEmpty() ? null : c.useMismatch;
    }

    private String computeUseMismatch(Candidate c) {
        Candidate eb = ebuildOf(c);
        if (eb != null) {
            // depgraph._reinstall_for_flags against the ebuild of the same version (its "myeb"): a flag
            // added to or dropped from IUSE counts unless forced or masked, and so does any enabled one
            Set<String> changed = new TreeSet<>(c.iuse);
            for (String f : eb.iuse) if (!changed.remove(f)) changed.add(f);
            changed.removeAll(config.useForce(eb.cpv, eb.slot, eb.repo, eb.meta.keywords()));
            changed.removeAll(config.useMask(eb.cpv, eb.slot, eb.repo, eb.meta.keywords()));
            Set<String> had = new HashSet<>(c.use);
            had.retainAll(c.iuse);
            Set<String> wants = new HashSet<>(eb.use);
            wants.retainAll(eb.iuse);
            if (changed.isEmpty() && had.equals(wants)) return null;
            return "USE mismatch: built with USE=\"" + c.useText(c.use) + "\", the ebuild " + eb.label() + " wants USE=\""
                    + eb.useText(eb.use) + "\"";
        }
        Set<String> wanted = wantedUse(c);
        Set<String> have = new HashSet<>(c.use);
        have.retainAll(c.iuse);
        if (have.equals(wanted)) return null;
        return "USE mismatch: built with USE=\"" + c.useText(c.use) + "\", configuration wants USE=\""
                + c.useText(wanted) + "\"";
    }

    private Set<String> wantedUse(Candidate c) {
        if (c.wantedUse == null) {
            Set<String> w = new HashSet<>(config.effectiveUse(c.cpv, c.slot, c.repo, c.iuseRaw, c.meta.keywords()));
            w.retainAll(c.iuse);
            c.wantedUse = w;
        }
        return c.wantedUse;
    }

    /** The visible ebuild of the binary's version (of the highest repository priority), or null. */
    private Candidate ebuildOf(Candidate c) {
        if (ebuilds.isEmpty()) return null;
        for (Candidate e : ebuilds.of(c.cp)) {
            if (e.cpv.version().compareTo(c.cpv.version()) == 0 && visibility(e).isEmpty()) return e;
        }
        return null;
    }

    /** The best binary candidate for the atom, or null. */
    private Candidate bestBinary(Atom a) {
        for (Candidate c : binaries.getOrDefault(a.cp(), List.of())) if (reject(c, a) == null) return c;
        return null;
    }

    /**
     * The package for the atom, or null. Without ebuild repositories, the best binary. With them, as
     * Portage's {@code depgraph._wrapped_select_pkg_highest_available_imp} with {@code --usepkg}: its
     * dbs are searched ebuilds first, then binaries. The highest visible ebuild matching the atom
     * without its USE dependencies sets the version: a usable binary of exactly that version is taken
     * (its result is "ordered by type preference, ebuild is the last resort"), a binary of another
     * version is not ({@code portage.best} keeps the highest version, and a binary newer than every
     * ebuild fails {@code _equiv_ebuild_visible}); else that ebuild, unless the configured USE misses
     * the atom's USE dependency (then no lower version is tried either, as its
     * {@code packages_with_invalid_use_config}) or the ebuild's REQUIRED_USE (checked by
     * {@code _add_pkg} on the chosen package). Without a visible ebuild, the best binary.
     */
    private Candidate bestCandidate(Atom a) {
        if (ebuilds.isEmpty()) return bestBinary(a);
        Candidate eb = bestEbuild(a);
        if (eb == null) return bestBinary(a);
        for (Candidate c : binaries.getOrDefault(a.cp(), List.of())) {
            if (c.cpv.version().compareTo(eb.cpv.version()) == 0 && reject(c, a) == null) return c;
        }
        return reject(eb, a) == null ? eb : null;
    }

    /** The highest visible ebuild matching the atom without its USE dependencies, or null. */
    private Candidate bestEbuild(Atom a) {
        for (Candidate c : ebuilds.of(a.cp())) if (reject(c, a, false) == null) return c;
        return null;
    }

    /** Why nothing satisfies the atom: each candidate's rejection, one line. */
    private String explain(Atom a, String requiredBy) {
        String head = a + " (" + requiredBy + "): ";
        List<Candidate> all = new ArrayList<>(binaries.getOrDefault(a.cp(), List.of()));
        if (!ebuilds.isEmpty()) all.addAll(ebuilds.of(a.cp()));
        if (all.isEmpty()) {
            return head + "no package " + a.cp() + " in any binhost index" + orRepository()
                    + (installed.containsKey(a.cp()) ? " (installed versions do not match)" : suggestCp(a.cp()));
        }
        List<String> reasons = new ArrayList<>();
        List<String> versions = new ArrayList<>();
        boolean useMismatchOnly = respectUse;
        Candidate eb = ebuilds.isEmpty() ? null : bestEbuild(a);
        for (Candidate c : all) {
            if (!versions.contains(c.cpv.version().toString())) versions.add(c.cpv.version().toString());
            if (!a.matchesCpv(c.cpv)) continue;
            String r = reject(c, a);
            if (r == null && eb != null && !c.isEbuild() && c.cpv.version().compareTo(eb.cpv.version()) != 0) {
                r = "not used: " + eb.label() + " is the best visible ebuild";
            } else if (r == null && c.isEbuild() && c != eb) {
                r = "not used: " + (eb == null ? "a higher version is not usable" : eb.label() + " is the best visible ebuild");
            } else if (r == null) {
                r = "conflicts with another package chosen for slot " + c.slot;
            }
            if (!r.startsWith("USE mismatch")) useMismatchOnly = false;
            reasons.add(c.label() + (c.isEbuild() ? "" : " from " + req.binhosts().get(c.binhost).name()) + ": " + r);
        }
        if (reasons.isEmpty()) {
            return head + "no version matches (available: " + String.join(", ", versions) + ")";
        }
        return head + (useMismatchOnly ? "no binary instance's USE matches the configuration: " : "")
                + String.join("; ", reasons);
    }

    // ---- one resolution attempt ------------------------------------------------------------

    private static final class Node {
        final Candidate cand;
        final boolean merge;
        final String reason;
        boolean world;
        final List<Atom> pulledBy = new ArrayList<>();
        final List<Link> children = new ArrayList<>();

        Node(Candidate cand, boolean merge, String reason) {
            this.cand = cand;
            this.merge = merge;
            this.reason = reason;
        }
    }

    /**
     * A dependency edge from a package to the one satisfying it; {@code satisfied} when an installed
     * package matches the atom, {@code deferred} when Portage resolves it only after the plain
     * dependencies ({@code || ( )} groups and virtual/* atoms).
     */
    private record Link(Node node, Kind kind, boolean satisfied, boolean deferred) {}

    /** A dependency to satisfy: an atom or a group, with who needs it; {@code deferred} as in {@link Link}. */
    private record Task(Node parent, DepNode dep, Kind kind, String label, boolean world, boolean deferred) {
        Task(Node parent, DepNode dep, Kind kind, String label, boolean world) {
            this(parent, dep, kind, label, world, false);
        }

        String requiredBy() {
            return parent == null ? "argument " + label : "required by " + parent.cand.cpv + " " + kind;
        }
    }

    private record Block(Node parent, Atom atom, Kind kind) {}

    private final class Attempt {
        final Map<String, Node> bySlot = new LinkedHashMap<>();
        final Map<String, List<Node>> byCp = new HashMap<>();
        final ArrayDeque<Task> plain = new ArrayDeque<>();
        /**
         * Portage's disjunctive stack: per package and dependency kind, its || groups and virtual/*
         * atoms, taken last in first out once the plain dependencies are all in the graph.
         */
        final ArrayDeque<List<Task>> choices = new ArrayDeque<>();
        /** Portage's dep_stack: packages whose dependencies are still to be queued, last in first out. */
        final ArrayDeque<Node> expand = new ArrayDeque<>();
        final List<Block> blocks = new ArrayList<>();
        /** The packages the arguments resolved to, in argument order. */
        final Set<Node> roots = new LinkedHashSet<>();
        final List<String> problems = new ArrayList<>();
        final List<String> warnings = new ArrayList<>();
        /** IDEPEND left to the host: only ordering against packages of the plan. */
        final List<Task> hostDeps = new ArrayList<>();
        boolean restart;

        void start(List<Target> targets) {
            for (Target t : targets) plain.add(new Task(null, new DepNode.AtomLeaf(t.atom()), Kind.TARGET, t.arg(), t.world()));
            while (!restart && (!plain.isEmpty() || !expand.isEmpty() || !choices.isEmpty())) {
                if (!plain.isEmpty()) {
                    atom(plain.poll());
                } else if (!expand.isEmpty()) {
                    Node n = expand.pop();
                    Candidate c = n.cand;
                    queue(n, c.rdepend(), Kind.RDEPEND);
                    if (opts.idependInRoot()) queue(n, c.idepend(), Kind.IDEPEND);
                    else for (DepNode d : c.idepend()) hostDeps.add(new Task(n, d, Kind.IDEPEND, null, false));
                    queue(n, c.pdepend(), Kind.PDEPEND);
                } else {
                    for (Task t : choices.pollLast()) {
                        if (t.dep() instanceof DepNode.AnyOf) choice(t);
                        else plain.add(t);
                    }
                }
            }
            for (Task t : hostDeps) {
                if (!link(t.parent(), t.dep())) {
                    warnings.add("IDEPEND " + t.dep() + " of " + t.parent().cand.cpv
                            + " is for the host running the install phases (Portage resolves it in the running root); not merged");
                }
            }
        }

        /** Links the parent to the planned packages satisfying a host dependency; false when the graph does not. */
        private boolean link(Node parent, DepNode d) {
            if (d instanceof DepNode.AtomLeaf l) {
                if (l.atom().isBlocker() || providedFor(l.atom()) != null) return true;
                Node n = selected(l.atom());
                if (n != null) parent.children.add(new Link(n, Kind.IDEPEND, isSatisfied(l.atom()), false));
                return n != null;
            }
            if (d instanceof DepNode.AnyOf g) {
                for (DepNode c : g.children()) if (satisfied(c, 0)) return link(parent, c);
                return false;
            }
            if (d instanceof DepNode.AllOf g) {
                boolean all = true;
                for (DepNode c : g.children()) all &= link(parent, c);
                return all;
            }
            return false;
        }

        /** Portage's "satisfied" priority: some installed package matches the atom. */
        private boolean isSatisfied(Atom a) {
            for (Candidate c : installed.getOrDefault(a.cp(), List.of())) if (c.matches(a)) return true;
            return false;
        }

        private Node selected(Atom a) {
            for (Node n : byCp.getOrDefault(a.cp(), List.of())) if (n.cand.matches(a)) return n;
            return null;
        }

        /** An installed package satisfying the atom whose slot is free or already holds it. */
        private Candidate installedFor(Atom a) {
            for (Candidate c : installed.getOrDefault(a.cp(), List.of())) {
                if (reject(c, a) != null) continue;
                Node n = bySlot.get(c.slotKey);
                if (n == null || n.cand == c) return c;
            }
            return null;
        }

        private void atom(Task t) {
            Atom a = ((DepNode.AtomLeaf) t.dep()).atom();
            if (a.isBlocker()) {
                blocks.add(new Block(t.parent(), a, t.kind()));
                return;
            }
            Cpv prov = providedFor(a);
            if (prov != null) {
                if (t.parent() == null) warnings.add(a + " (" + t.requiredBy() + "): " + prov + " is in package.provided; not merged");
                return;
            }
            Node n = selected(a);
            if (n == null && (t.kind() != Kind.TARGET || opts.noreplace())) {
                Candidate c = installedFor(a);
                if (c != null) n = add(c, false, t, a);
            }
            if (n == null && !restart) {
                Candidate c = bestCandidate(a);
                if (c == null && t.kind() == Kind.TARGET) {
                    // no binary: an installed target stays as it is
                    Candidate i = installedFor(a);
                    if (i != null) n = add(i, false, t, a);
                }
                if (n == null && c == null) {
                    problems.add(explain(a, t.requiredBy()));
                    return;
                }
                if (n == null) n = add(c, true, t, a);
            }
            if (n == null) return;
            if (t.world()) n.world = true;
            if (t.parent() == null) roots.add(n);
            if (t.parent() != null) {
                t.parent().children.add(new Link(n, t.kind(), isSatisfied(a), t.deferred() || a.category().equals("virtual")));
            }
        }

        /** Adds a package to the graph, or asks for a restart when its slot is taken. */
        private Node add(Candidate c, boolean merge, Task t, Atom a) {
            Node old = bySlot.get(c.slotKey);
            if (old != null) {
                List<Atom> k = constraints.computeIfAbsent(c.slotKey, x -> new ArrayList<>());
                int before = k.size();
                for (Atom x : old.pulledBy) if (!k.contains(x)) k.add(x);
                if (!k.contains(a)) k.add(a);
                if (k.size() == before) {
                    problems.add("slot conflict in " + c.slotKey + ": " + a + " (" + t.requiredBy() + ") and "
                            + old.pulledBy + " (" + old.reason + ") cannot be satisfied by one package");
                } else {
                    restart = true;
                }
                return null;
            }
            Node n = new Node(c, merge, t.parent() == null ? "argument " + t.label() : t.requiredBy());
            n.pulledBy.add(a);
            bySlot.put(c.slotKey, n);
            byCp.computeIfAbsent(c.cp, x -> new ArrayList<>()).add(n);
            if (merge && !opts.nodeps()) expand.push(n);
            return n;
        }

        private void queue(Node parent, List<DepNode> deps, Kind kind) {
            List<Task> later = new ArrayList<>();
            for (DepNode d : deps) queue(new Task(parent, d, kind, null, false), later);
            if (!later.isEmpty()) choices.addLast(later);
        }

        /** Plain atoms now; || groups and (with {@code later}) virtual/* atoms deferred. */
        private void queue(Task t, List<Task> later) {
            if (t.dep() instanceof DepNode.AtomLeaf l) {
                Atom a = l.atom();
                if (later != null && !a.isBlocker() && a.category().equals("virtual")) later.add(t);
                else plain.add(t);
            } else if (t.dep() instanceof DepNode.AnyOf) {
                if (later != null) later.add(t);
                else choices.addLast(List.of(t));
            } else if (t.dep() instanceof DepNode.AllOf g) {
                for (DepNode d : g.children()) queue(new Task(t.parent(), d, t.kind(), t.label(), t.world(), t.deferred()), later);
            } else {
                problems.add(t.dep() + " (" + t.requiredBy() + "): not a dependency");
            }
        }

        private void choice(Task t) {
            List<DepNode> alts = ((DepNode.AnyOf) t.dep()).children();
            for (int level = 0; level < 3; level++) {
                for (DepNode alt : alts) {
                    if (satisfied(alt, level)) {
                        queue(new Task(t.parent(), alt, t.kind(), t.label(), t.world(), true), null);
                        return;
                    }
                }
            }
            List<String> why = new ArrayList<>();
            for (DepNode alt : alts) why.add(unsatisfied(alt, t));
            problems.add(t.dep() + " (" + t.requiredBy() + "): no alternative can be satisfied"
                    + (why.isEmpty() ? " (empty group)" : ": " + String.join(" | ", why)));
        }

        /** Level 0: by the graph; 1: by the graph or installed packages; 2: resolvable at all. */
        private boolean satisfied(DepNode d, int level) {
            if (d instanceof DepNode.AtomLeaf l) {
                Atom a = l.atom();
                if (a.isBlocker()) return selected(a.withoutBlocker()) == null;
                if (providedFor(a) != null || selected(a) != null) return true;
                if (level >= 1 && installedFor(a) != null) return true;
                if (level < 2) return false;
                Candidate c = bestCandidate(a);
                if (c == null) return false;
                Node n = bySlot.get(c.slotKey);
                return n == null;
            }
            if (d instanceof DepNode.AnyOf g) {
                for (DepNode c : g.children()) if (satisfied(c, level)) return true;
                return false;
            }
            if (d instanceof DepNode.AllOf g) {
                for (DepNode c : g.children()) if (!satisfied(c, level)) return false;
                return true;
            }
            return false;
        }

        private String unsatisfied(DepNode d, Task t) {
            if (d instanceof DepNode.AtomLeaf l && !l.atom().isBlocker()) {
                if (bestCandidate(l.atom()) != null) return l.atom() + ": its slot is taken by another package";
                return explain(l.atom(), t.requiredBy());
            }
            if (d instanceof DepNode.Group g) {
                for (DepNode c : g.children()) if (!satisfied(c, 2)) return unsatisfied(c, t);
            }
            return d + ": blocked";
        }

        // ---- plan ------------------------------------------------------------------------

        ResolvePlan plan(List<Target> targets) {
            List<Node> nodes = discoveryOrder();
            Map<Node, Integer> index = new HashMap<>();
            for (int i = 0; i < nodes.size(); i++) index.put(nodes.get(i), i);
            List<Node> sorted = new ArrayList<>(nodes);
            sorted.sort(Comparator.comparing((Node n) -> n.cand.cpv).thenComparing(n -> n.cand.slot));
            int[] sortRank = new int[nodes.size()];
            for (int i = 0; i < sorted.size(); i++) sortRank[index.get(sorted.get(i))] = i;
            boolean[] merge = new boolean[nodes.size()];
            boolean[] system = new boolean[nodes.size()];
            List<Atom> systemAtoms = config.systemSet().stream().map(e -> Atom.parse(e.value())).toList();
            for (int i = 0; i < nodes.size(); i++) {
                Node n = nodes.get(i);
                merge[i] = n.merge;
                for (Atom a : systemAtoms) if (n.cand.matches(a)) system[i] = true;
            }
            MergeOrder order = new MergeOrder(merge, system, sortRank);
            for (Node p : nodes) {
                for (Link link : p.children) {
                    Integer c = index.get(link.node());
                    int flags = (link.kind() == Kind.PDEPEND ? MergeOrder.RUNTIME_POST : MergeOrder.RUNTIME)
                            | (link.kind() == Kind.IDEPEND ? MergeOrder.INSTALLTIME : 0)
                            | (link.satisfied() ? MergeOrder.SATISFIED : 0);
                    if (c != null) order.edge(c, index.get(p), flags);
                }
            }
            List<String> removals = new ArrayList<>();
            List<String> warnings = new ArrayList<>(this.warnings);
            blockers(index, order, removals);
            if (!problems.isEmpty()) throw new ResolveException(dedupe(problems));
            int[] seq = opts.nodeps() ? order.insertionOrder() : order.order(warnings, (dependent, dependency, flags) -> {
                String a = nodes.get(dependent).cand.cpv.toString();
                String b = nodes.get(dependency).cand.cpv.toString();
                return "dependency cycle: " + a + " is merged before " + ((flags & MergeOrder.BLOCKER) != 0
                        ? b + ", which replaces a package " + a + " blocks"
                        : "its " + ((flags & MergeOrder.INSTALLTIME) != 0 ? "IDEPEND" : "RDEPEND") + " dependency " + b);
            });
            seq = baselayoutFirst(seq, nodes, order);
            List<Node> merges = new ArrayList<>();
            for (int i : seq) merges.add(nodes.get(i));
            List<PlannedPackage> out = new ArrayList<>();
            for (Node n : merges) out.add(planned(n));
            Set<String> world = new TreeSet<>();
            if (!opts.oneshot()) {
                for (String arg : req.targets()) {
                    if (arg.startsWith("@") && !BUILTIN_SETS.contains(arg.substring(1))
                            && !req.world().sets().contains(arg)) {
                        world.add(arg);
                    }
                }
            }
            for (Target t : targets) {
                if (!t.world()) continue;
                String w = t.atom().cp() + (t.atom().slot() != null && t.atom().slotOperator() == null
                        ? ":" + t.atom().slot() : "");
                if (!req.world().atoms().contains(w)) world.add(w);
            }
            return new ResolvePlan(out, removals, new ArrayList<>(world), warnings);
        }

        /**
         * The nodes in the order Portage's depgraph adds them: the arguments' packages, then depth
         * first from the last one pushed (its dep_stack), each package's RDEPEND, IDEPEND and PDEPEND
         * atoms in order; || groups and virtual/* atoms wait until the stack is empty (its
         * disjunctive stack, last in first out).
         */
        private List<Node> discoveryOrder() {
            Set<Node> seen = new LinkedHashSet<>();
            ArrayDeque<Node> stack = new ArrayDeque<>();
            ArrayDeque<List<Link>> disjunctions = new ArrayDeque<>();
            for (Node r : roots) if (seen.add(r)) stack.push(r);
            while (!stack.isEmpty() || !disjunctions.isEmpty()) {
                while (!stack.isEmpty()) {
                    Node p = stack.pop();
                    if (!p.merge) continue;
                    for (Kind kind : List.of(Kind.RDEPEND, Kind.IDEPEND, Kind.PDEPEND)) {
                        List<Link> later = new ArrayList<>();
                        for (Link l : p.children) {
                            if (l.kind() != kind) continue;
                            if (l.deferred()) later.add(l);
                            else if (seen.add(l.node())) stack.push(l.node());
                        }
                        if (!later.isEmpty()) disjunctions.push(later);
                    }
                }
                if (!disjunctions.isEmpty()) {
                    for (Link l : disjunctions.pop()) {
                        if (seen.add(l.node())) stack.push(l.node());
                        // dep_check expands a new virtual in place: its own RDEPEND comes with it
                        if (l.node().merge && l.node().cand.cpv.category().equals("virtual")) {
                            for (Link v : l.node().children) {
                                if (v.kind() == Kind.RDEPEND && seen.add(v.node())) stack.push(v.node());
                            }
                        }
                    }
                }
            }
            // nodes only reached through the host's IDEPEND links
            for (Node n : bySlot.values()) seen.add(n);
            return new ArrayList<>(seen);
        }

        /**
         * sys-apps/baselayout right after its own prerequisites: Portage would merge acct-group and
         * acct-user packages before it, and baselayout's passwd/group would then drop their accounts.
         */
        private int[] baselayoutFirst(int[] seq, List<Node> nodes, MergeOrder order) {
            for (int k = 0; k < seq.length; k++) {
                if (!nodes.get(seq[k]).cand.cp.equals(BASELAYOUT)) continue;
                boolean[] pre = order.prerequisites(seq[k]);
                int at = 0;
                for (int j = 0; j < k; j++) if (pre[seq[j]]) at = j + 1;
                int b = seq[k];
                System.arraycopy(seq, at, seq, at + 1, k - at);
                seq[at] = b;
            }
            return seq;
        }

        private void blockers(Map<Node, Integer> rank, MergeOrder order, List<String> removals) {
            Set<String> removed = new TreeSet<>();
            for (Block b : blocks) {
                Atom a = b.atom().withoutBlocker();
                String who = b.parent().cand.cpv.toString();
                String kind = b.atom().blocker() == Atom.Blocker.STRONG ? "hard blocker " : "blocker ";
                for (Node n : byCp.getOrDefault(a.cp(), List.of())) {
                    if (n == b.parent() || !n.cand.matches(a)) continue;
                    problems.add(b.atom() + " (" + kind + "in " + who + " " + b.kind() + "): blocks " + n.cand.label()
                            + ", which " + (n.merge ? "is in the plan (" + n.reason + ")"
                            : "is installed and needed (" + n.reason + ")"));
                }
                for (Candidate i : installed.getOrDefault(a.cp(), List.of())) {
                    if (!i.matches(a)) continue;
                    Node n = bySlot.get(i.slotKey);
                    if (n != null && n.cand == i) continue;  // reported above
                    if (n != null) {
                        // replaced in its slot: merge the replacement before the blocking package
                        Integer r = rank.get(n);
                        Integer p = rank.get(b.parent());
                        if (r != null && p != null) order.edge(r, p, MergeOrder.BLOCKER);
                    } else if (b.atom().blocker() == Atom.Blocker.STRONG) {
                        problems.add(b.atom() + " (hard blocker in " + who + " " + b.kind() + "): blocks installed "
                                + i.cpv + "; unmerge it first");
                    } else {
                        removed.add(i.cpv.toString());
                    }
                }
            }
            removals.addAll(removed);
        }

        private PlannedPackage planned(Node n) {
            Candidate c = n.cand;
            Candidate old = installedBySlot.get(c.slotKey);
            PlannedPackage.Action action;
            if (old == null) {
                action = PlannedPackage.Action.NEW;
            } else {
                int cmp = c.cpv.version().compareTo(old.cpv.version());
                if (cmp > 0) action = PlannedPackage.Action.UPGRADE;
                else if (cmp < 0) action = PlannedPackage.Action.DOWNGRADE;
                else if (c.buildId == old.buildId && c.buildTime == old.buildTime) action = PlannedPackage.Action.REINSTALL;
                else action = PlannedPackage.Action.REPLACE;
            }
            PackagesEntry e = c.entry;
            if (c.isEbuild()) {
                return new PlannedPackage(c.cpv, c.slot, c.subslot, c.repo, 0, null, null, -1, c.use, c.iuse, action,
                        old == null ? null : old.cpv.toString(), n.reason, n.world, e, true);
            }
            return new PlannedPackage(c.cpv, c.slot, c.subslot, c.repo, c.buildId, req.binhosts().get(c.binhost).name(),
                    e.path(), e.size().orElse(-1), c.use, c.iuse, action, old == null ? null : old.cpv.toString(),
                    n.reason, n.world, e);
        }
    }
}

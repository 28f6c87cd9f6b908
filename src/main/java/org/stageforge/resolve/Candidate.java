package org.stageforge.resolve;

import org.stageforge.config.ConfigFiles;

import org.stageforge.ParseException;
import org.stageforge.atom.Atom;
import org.stageforge.atom.Cpv;
import org.stageforge.atom.DepNode;
import org.stageforge.atom.DepString;
import org.stageforge.index.Md5CacheEntry;
import org.stageforge.index.PackageMetadata;
import org.stageforge.index.PackagesEntry;
import org.stageforge.profile.PortageConfig;
import org.stageforge.vdb.VdbEntry;

import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One package the resolver may pick: a binary instance of some binhost, an ebuild of some
 * repository (built from source), or an installed package. Parsed dependency trees, visibility
 * and the configured USE are computed once, when first needed; an ebuild's USE is the configured
 * USE, computed when it is read.
 */
final class Candidate {
    final Cpv cpv;
    final String cp;
    /** Packages of one cp and slot replace each other. */
    final String slotKey;
    final String slot;
    final String subslot;
    final String repo;
    final long buildId;
    final long buildTime;
    /** Binhost number (0 = first), -1 for installed packages and ebuilds. */
    final int binhost;
    /** Position in its index (0-based), or the repository's number for an ebuild: a deterministic last tie-break. */
    final int position;
    /** The repository of an ebuild, else null. */
    final EbuildRepository ebuildRepo;
    final PackagesEntry entry;
    final VdbEntry installed;
    final PackageMetadata meta;
    final Set<String> use;
    final List<String> iuseRaw;
    final Set<String> iuse;
    /** IUSE plus the profile's implicit IUSE: what USE dependencies are checked against. */
    final Set<String> iuseAll;
    final String source;
    final int line;

    private List<DepNode> rdepend;
    private List<DepNode> pdepend;
    private List<DepNode> idepend;
    String visibility;          // rejection reason, "" when visible, null before computed
    Set<String> wantedUse;      // configured USE limited to IUSE, null before computed
    String excluded;            // why from_source or the build-key filter rules a binary out, "" when not, null before computed
    String useMismatch;         // why binpkg-respect-use rules a binary out, "" when not, null before computed

    Candidate(PackageMetadata meta, Cpv cpv, PackagesEntry entry, VdbEntry installed, int binhost, int position,
              Set<String> implicitIuse, String source, int line) {
        this(meta, cpv, entry, installed, null, binhost, position, implicitIuse, source, line);
    }

    private Candidate(PackageMetadata meta, Cpv cpv, PackagesEntry entry, VdbEntry installed, EbuildRepository ebuildRepo,
                      int binhost, int position, Set<String> implicitIuse, String source, int line) {
        this.meta = meta;
        this.ebuildRepo = ebuildRepo;
        this.cpv = cpv;
        this.cp = cpv.cp();
        this.entry = entry;
        this.installed = installed;
        this.binhost = binhost;
        this.position = position;
        this.source = source;
        this.line = line;
        this.slot = meta.slotName();
        this.subslot = meta.subSlot();
        this.slotKey = cp + ":" + slot;
        String r = meta.value("repository").orElse("").strip();
        this.repo = r.isEmpty() ? null : r;
        this.buildId = number(meta.get("BUILD_ID"));
        this.buildTime = number(meta.get("BUILD_TIME"));
        this.use = Set.copyOf(ConfigFiles.words(meta.get("USE")));
        this.iuseRaw = ConfigFiles.words(meta.get("IUSE"));
        Set<String> plain = new HashSet<>();
        for (String f : iuseRaw) plain.add(f.startsWith("+") || f.startsWith("-") ? f.substring(1) : f);
        this.iuse = Set.copyOf(plain);
        this.iuseAll = new Union(iuse, implicitIuse);
    }

    static Candidate binary(PackagesEntry e, int binhost, int position, Set<String> implicitIuse, String source) {
        Cpv cpv;
        try {
            cpv = Cpv.parse(e.cpv());
        } catch (ParseException ex) {
            throw ex.in(source, e.line());
        }
        return new Candidate(e, cpv, e, null, binhost, position, implicitIuse, source, e.line());
    }

    /** md5-cache keys an ebuild's plan entry carries (the rest is for building it, which emerge reads itself). */
    private static final List<String> EBUILD_KEYS = List.of("EAPI", "SLOT", "KEYWORDS", "IUSE", "LICENSE", "RESTRICT",
            "PROPERTIES", "REQUIRED_USE", "DEPEND", "RDEPEND", "PDEPEND", "BDEPEND", "IDEPEND", "DEFINED_PHASES");

    /**
     * An ebuild, as an index entry of what building it would give: its md5-cache metadata, REPO, and
     * as USE the configured USE (Portage's PORTAGE_USE: IUSE defaults, profile, make.conf and
     * package.use, use.force/mask, limited to IUSE and the profile's implicit IUSE).
     */
    static Candidate ebuild(Md5CacheEntry md5, Cpv cpv, EbuildRepository repo, int repoIndex, PortageConfig config,
                            Set<String> implicitIuse, String source) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("CPV", cpv.toString());
        for (String k : EBUILD_KEYS) md5.value(k).ifPresent(v -> f.put(k, v));
        f.put("REPO", repo.name());
        Set<String> use = config.effectiveUse(cpv, md5.slotName(), repo.name(), md5.iuse(), md5.keywords());
        f.put("USE", String.join(" ", new TreeSet<>(use)));
        PackagesEntry e = new PackagesEntry(f, Map.of(), 0);
        return new Candidate(e, cpv, e, null, repo, -1, repoIndex, implicitIuse, source, 0);
    }

    boolean isEbuild() {
        return ebuildRepo != null;
    }

    static Candidate installed(VdbEntry v, Set<String> implicitIuse) {
        String source = "installed package " + v.cpv();
        Cpv cpv;
        try {
            cpv = Cpv.parse(v.cpv());
        } catch (ParseException ex) {
            throw ex.in(source, 0);
        }
        return new Candidate(v, cpv, null, v, -1, 0, implicitIuse, source, 0);
    }

    /** Whitespace-separated words (the metadata values are read once per candidate: no regex). */

    /** A read-only union of two sets without copying (IUSE plus the profile's implicit IUSE). */
    private static final class Union extends AbstractSet<String> {
        private final Set<String> a;
        private final Set<String> b;

        Union(Set<String> a, Set<String> b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public boolean contains(Object o) {
            return a.contains(o) || b.contains(o);
        }

        @Override
        public Iterator<String> iterator() {
            Set<String> all = new HashSet<>(b);
            all.addAll(a);
            return Collections.unmodifiableSet(all).iterator();
        }

        @Override
        public int size() {
            int n = a.size();
            for (String x : b) if (!a.contains(x)) n++;
            return n;
        }
    }

    private static long number(String s) {
        String t = s.strip();
        if (t.isEmpty() || t.length() > 18 || !t.chars().allMatch(Character::isDigit)) return 0;
        return Long.parseLong(t);
    }

    boolean isInstalled() {
        return installed != null;
    }

    boolean matches(Atom a) {
        return a.matches(cpv, slot, subslot, repo, use, iuseAll);
    }

    List<DepNode> rdepend() {
        if (rdepend == null) rdepend = deps("RDEPEND");
        return rdepend;
    }

    List<DepNode> pdepend() {
        if (pdepend == null) pdepend = deps("PDEPEND");
        return pdepend;
    }

    List<DepNode> idepend() {
        if (idepend == null) idepend = deps("IDEPEND");
        return idepend;
    }

    /** The dependency string with USE conditionals resolved by the package's own (built) USE. */
    private List<DepNode> deps(String key) {
        String text = meta.get(key);
        if (text.isBlank()) return List.of();
        try {
            return DepString.reduce(DepString.parse(text, DepString.Kind.DEPEND), use).children();
        } catch (ParseException ex) {
            throw ex.in(source + " (" + cpv + " " + key + ")", line);
        }
    }

    /** How messages name this candidate. */
    String label() {
        String s = cpv.toString();
        if (installed != null) return s + " (installed)";
        if (ebuildRepo != null) return s + "::" + ebuildRepo.name() + " (ebuild)";
        return buildId > 0 ? s + " (build " + buildId + ")" : s;
    }

    /** Every IUSE flag, sorted, as {@code a -b}: enabled when in {@code flags}. */
    String useText(Set<String> flags) {
        List<String> out = new ArrayList<>();
        for (String f : new TreeSet<>(iuse)) out.add(flags.contains(f) ? f : "-" + f);
        return String.join(" ", out);
    }

    @Override
    public String toString() {
        return label();
    }
}

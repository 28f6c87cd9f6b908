package org.stageforge.profile;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.atom.Cpv;
import org.stageforge.atom.DepString;
import org.stageforge.atom.LicenseGroups;
import org.stageforge.config.ConfigFiles;
import org.stageforge.config.ReposConf;
import org.stageforge.config.ShellConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A profile evaluated as Portage's {@code config} evaluates it: make.globals, the make.defaults of
 * every node, make.conf and the environment stacked into variables, the global USE, use.mask /
 * use.force, the @system set and package.mask, plus the user configuration layer.
 */
public final class PortageConfig {
    private final Profile profile;
    private final UserConfig user;
    private final Map<String, String> globals;
    private final Map<String, String> defaults;
    private final Map<String, String> conf;
    private final Map<String, String> env;
    private final Map<String, String> finals = new HashMap<>();
    private final List<String> makeDefaultsUse = new ArrayList<>();
    private final List<String> useExpand;
    private final List<String> useExpandUnprefixed;
    private final Set<String> useMask;
    private final Set<String> useForce;
    private final Set<String> use;
    private final List<Entry> systemSet;
    private final List<org.stageforge.atom.Cpv> packageProvided;
    private final List<Entry> packageMask;
    private final List<Entry> profilePackageMask;
    private final List<Entry> packageUnmask;
    private PackageQueries queries;
    private LicenseGroups licenseGroups;

    private PortageConfig(Profile profile, UserConfig user, Map<String, String> environment) {
        this.profile = profile;
        this.user = user;
        this.globals = profile.globals();

        // make.defaults: non-incremental variables replace, incremental ones accumulate
        Map<String, String> stacked = new LinkedHashMap<>();
        for (Profile.NodeData n : profile.nodes()) {
            for (var e : n.makeDefaults().entrySet()) {
                String old = stacked.get(e.getKey());
                stacked.put(e.getKey(), old != null && Incrementals.VARIABLES.contains(e.getKey())
                        ? old + " " + e.getValue() : e.getValue());
            }
        }
        this.defaults = stacked;

        Set<String> profileOnly = Incrementals.stack(UseCalculator.words(defaults.get("PROFILE_ONLY_VARIABLES")));
        Map<String, String> c = new LinkedHashMap<>(user.makeConf());
        c.keySet().removeIf(k -> k.startsWith("__") || profileOnly.contains(k));
        String globalUse = user.globalPackageUse();
        if (globalUse != null) c.merge("USE", globalUse, (a, b) -> a + " " + b);
        String globalLicense = user.globalPackageLicense();
        if (globalLicense != null) c.merge("ACCEPT_LICENSE", globalLicense, (a, b) -> a + " " + b);
        this.conf = c;
        Map<String, String> en = new LinkedHashMap<>(environment);
        en.keySet().removeAll(profileOnly);
        this.env = en;

        List<Map<String, String>> dbs = List.of(globals, defaults, conf, env);
        for (String key : Incrementals.VARIABLES) {
            if (key.equals("USE")) continue;
            List<String> tokens = new ArrayList<>();
            boolean defined = false;
            for (Map<String, String> db : dbs) {
                String v = db.get(key);
                if (v != null) {
                    defined = true;
                    tokens.addAll(UseCalculator.words(v));
                }
            }
            Set<String> s = Incrementals.stack(tokens);
            if (!s.isEmpty() || defined) finals.put(key, String.join(" ", new TreeSet<>(s)));
        }
        for (String key : List.of("ACCEPT_LICENSE", "ACCEPT_PROPERTIES", "ACCEPT_RESTRICT")) {
            List<String> tokens = new ArrayList<>();
            for (Map<String, String> db : dbs) tokens.addAll(UseCalculator.words(db.get(key)));
            String v = String.join(" ", Incrementals.prune(tokens));
            finals.put(key, v.isEmpty() && key.equals("ACCEPT_LICENSE") ? "* -@EULA" : v);
        }

        this.useExpand = UseCalculator.words(get("USE_EXPAND"));
        this.useExpandUnprefixed = UseCalculator.words(get("USE_EXPAND_UNPREFIXED"));
        List<String> expandDefined = new ArrayList<>();
        for (String k : useExpand) if (get(k) != null) expandDefined.add(k);
        for (Profile.NodeData n : profile.nodes()) {
            makeDefaultsUse.add(UseCalculator.makeDefaultsUse(n.makeDefaults(), expandDefined, useExpandUnprefixed));
        }

        List<Entry> mask = new ArrayList<>();
        List<Entry> force = new ArrayList<>();
        for (Profile.NodeData n : profile.nodes()) {
            mask.addAll(n.useMask());
            force.addAll(n.useForce());
        }
        this.useMask = Collections.unmodifiableSet(new TreeSet<>(Incrementals.stack(values(mask))));
        this.useForce = Collections.unmodifiableSet(new TreeSet<>(Incrementals.stack(values(force))));

        Set<String> u = UseCalculator.compute(layers(null, null), expandDefined, useExpandUnprefixed, null,
                useForce, useMask, defaults.get("ARCH"));
        this.use = Collections.unmodifiableSet(u);
        finals.put("USE", String.join(" ", u));
        // USE_EXPAND variables as emerge --info shows them: consistent with the final USE
        for (String k : useExpand) {
            String prefix = k.toLowerCase(Locale.ROOT) + "_";
            Set<String> vals = new TreeSet<>();
            for (String f : u) if (f.startsWith(prefix)) vals.add(f.substring(prefix.length()));
            // the variable's own order first (duplicates kept, as Portage does), then the rest sorted
            List<String> ordered = new ArrayList<>();
            for (String x : UseCalculator.words(get(k))) if (vals.contains(x)) ordered.add(x);
            Set<String> listed = new java.util.HashSet<>(ordered);
            for (String x : vals) if (!listed.contains(x)) ordered.add(x);
            if (!ordered.isEmpty()) finals.put(k, String.join(" ", ordered));
            else if (get(k) != null) finals.put(k, "");
        }
        for (String k : useExpandUnprefixed) {
            List<String> kept = new ArrayList<>();
            for (String x : UseCalculator.words(get(k))) if (u.contains(x)) kept.add(x);
            if (!kept.isEmpty()) finals.put(k, String.join(" ", kept));
            else if (get(k) != null) finals.put(k, "");
        }

        List<Entry> pk = new ArrayList<>();
        for (Profile.NodeData n : profile.nodes()) pk.addAll(n.packages());
        List<Entry> sys = new ArrayList<>();
        for (Entry e : Incrementals.stackEntries(pk, Entry::value, false)) {
            if (e.value().startsWith("*")) sys.add(new Entry(e.value().substring(1), List.of(), e.file(), e.line()));
        }
        this.systemSet = List.copyOf(sys);
        List<Entry> prov = new ArrayList<>();
        for (Profile.NodeData n : profile.nodes()) prov.addAll(n.packageProvided());
        List<org.stageforge.atom.Cpv> provided = new ArrayList<>();
        for (Entry e : Incrementals.stackEntries(prov, Entry::value, false)) provided.add(org.stageforge.atom.Cpv.parse(e.value()));
        this.packageProvided = List.copyOf(provided);

        List<Entry> repoMask = repoPackageMask(profile.repos());
        List<Entry> profMask = new ArrayList<>();
        List<Entry> profUnmask = new ArrayList<>();
        for (Profile.NodeData n : profile.nodes()) {
            profMask.addAll(n.packageMask());
            profUnmask.addAll(n.packageUnmask());
        }
        List<Entry> profStacked = Incrementals.stackEntries(profMask, Entry::value, false);
        List<Entry> raw = new ArrayList<>(repoMask);
        raw.addAll(profStacked);
        this.profilePackageMask = List.copyOf(Incrementals.stackEntries(raw, Entry::value, true));
        List<Entry> all = new ArrayList<>(raw);
        all.addAll(user.packageMask());
        this.packageMask = List.copyOf(Incrementals.stackEntries(all, Entry::value, true));
        List<Entry> unmask = new ArrayList<>(repoPackageUnmask(profile.repos()));
        unmask.addAll(Incrementals.stackEntries(profUnmask, Entry::value, false));
        unmask.addAll(user.packageUnmask());
        this.packageUnmask = List.copyOf(Incrementals.stackEntries(unmask, Entry::value, true));
    }

    /** Repository-level profiles/package.mask, stacked over each master's, with ::repo appended. */
    private static List<Entry> repoPackageMask(RepoMap repos) {
        List<Entry> out = new ArrayList<>();
        for (RepoMap.Repo repo : repos.withProfiles()) {
            List<Entry> own = repoFile(repo, "package.mask");
            List<Entry> lines = new ArrayList<>();
            if (repo.masters().isEmpty()) {
                lines.addAll(Incrementals.stackEntries(own, Entry::value, false));
            } else {
                for (String m : repo.masters()) {
                    RepoMap.Repo master = repos.get(m);
                    List<Entry> both = new ArrayList<>(master == null ? List.of() : repoFile(master, "package.mask"));
                    both.addAll(own);
                    lines.addAll(Incrementals.stackEntries(both, Entry::value, false));
                }
            }
            for (Entry e : Incrementals.stackEntries(lines, Entry::value, false)) out.add(appendRepo(e, repo.name()));
        }
        return out;
    }

    private static List<Entry> repoPackageUnmask(RepoMap repos) {
        List<Entry> out = new ArrayList<>();
        for (RepoMap.Repo repo : repos.withProfiles()) {
            if (!repo.portage1Profiles()) continue;
            for (Entry e : Incrementals.stackEntries(repoFile(repo, "package.unmask"), Entry::value, false)) {
                out.add(appendRepo(e, repo.name()));
            }
        }
        return out;
    }

    private static Entry appendRepo(Entry e, String repo) {
        return e.value().contains("::") ? e : new Entry(e.value() + "::" + repo, e.values(), e.file(), e.line());
    }

    private static List<Entry> repoFile(RepoMap.Repo repo, String name) {
        List<Entry> out = new ArrayList<>();
        for (ConfigFiles.Line l : ConfigFiles.lines(repo.profilesDir().resolve(name), repo.portage1Profiles())) {
            if (l.text().indexOf(' ') < 0) out.add(new Entry(l.text(), List.of(), l.file(), l.number()));
        }
        return out;
    }

    private static List<String> values(List<Entry> entries) {
        List<String> out = new ArrayList<>(entries.size());
        for (Entry e : entries) out.add(e.value());
        return out;
    }

    /**
     * The USE layers in USE_ORDER for a package (or globally when {@code pkgDefaults} is null):
     * env, user package.use, make.conf, make.defaults (+ profile package.use), IUSE defaults.
     */
    List<UseCalculator.Layer> layers(String pkgDefaultsUse, PackageLayers pkg) {
        Map<String, UseCalculator.Layer> byName = new HashMap<>();
        byName.put("env", new UseCalculator.Layer(env.getOrDefault("USE", ""), env, false));
        byName.put("conf", new UseCalculator.Layer(conf.getOrDefault("USE", ""), conf, false));
        String dflt = pkgDefaultsUse != null ? pkgDefaultsUse : String.join(" ", nonEmpty(makeDefaultsUse));
        byName.put("defaults", new UseCalculator.Layer(dflt, defaults, true));
        // FEATURES=test turns the test flag on below the profile (Portage's "features" layer)
        boolean test = UseCalculator.words(finals.get("FEATURES")).contains("test");
        byName.put("features", new UseCalculator.Layer(test ? "test" : "", Map.of(), false));
        if (pkg != null) {
            byName.put("pkg", new UseCalculator.Layer(pkg.userUse(), Map.of(), false));
            byName.put("pkginternal", new UseCalculator.Layer(pkg.iuseDefaults(), Map.of(), false));
            byName.put("repo", new UseCalculator.Layer(pkg.repoVars().getOrDefault("USE", ""), pkg.repoVars(), false));
        }
        List<String> order = new ArrayList<>(List.of(getOrDefault("USE_ORDER",
                "env:pkg:conf:defaults:pkginternal:features:repo:env.d").split(":")));
        Collections.reverse(order);
        List<UseCalculator.Layer> out = new ArrayList<>();
        for (String o : order) {
            UseCalculator.Layer l = byName.get(o);
            if (l != null) out.add(l);
        }
        return out;
    }

    private static List<String> nonEmpty(List<String> l) {
        List<String> out = new ArrayList<>();
        for (String s : l) if (!s.isEmpty()) out.add(s);
        return out;
    }

    /** Per-package USE inputs: user package.use, IUSE defaults, repository-level make.defaults + package.use. */
    record PackageLayers(String userUse, String iuseDefaults, Map<String, String> repoVars) {}

    private synchronized PackageQueries queries() {
        if (queries == null) queries = new PackageQueries(this);
        return queries;
    }

    /** license_groups of the repositories, then the user's (etc/portage/license_groups). */
    private synchronized LicenseGroups licenseGroups() {
        if (licenseGroups == null) {
            LicenseGroups g = LicenseGroups.empty();
            for (RepoMap.Repo r : profile.repos().withProfiles()) {
                Path f = r.profilesDir().resolve("license_groups");
                // only regular files: a fifo or device in a hostile repository must not block us
                if (Files.isRegularFile(f)) g = g.stack(LicenseGroups.read(f));
            }
            if (user.licenseGroups() != null) g = g.stack(LicenseGroups.read(user.licenseGroups()));
            licenseGroups = g;
        }
        return licenseGroups;
    }

    // ---- construction -------------------------------------------------------------------------

    /** A profile of a repository with an empty user configuration (as Portage with no /etc/portage). */
    public static PortageConfig forProfile(Path repoDir, String profileName, Map<String, String> env) {
        RepoMap repos = RepoMap.of(repoDir);
        Path dir = repos.get(repos.mainRepo()).profilesDir().resolve(profileName).normalize();
        if (!dir.startsWith(repos.get(repos.mainRepo()).profilesDir()) || !Files.isDirectory(dir)) {
            throw new StageforgeException("no profile '" + profileName + "' in " + repoDir, ExitCodes.NOT_FOUND, null);
        }
        return forProfile(ProfileLoader.load(dir, repos), env);
    }

    /** An already loaded profile with an empty user configuration. */
    public static PortageConfig forProfile(Profile profile, Map<String, String> env) {
        return new PortageConfig(profile, UserConfig.empty(), env);
    }

    /**
     * The configuration under {@code configRoot}: etc/portage/make.profile, repos.conf, make.conf and
     * the package.* files, with {@code env} overriding make.conf as the calling environment does.
     */
    public static PortageConfig load(Path configRoot, Map<String, String> env) {
        return load(configRoot, env, false);
    }

    /**
     * The configuration of a system root as {@code emerge} sees it after {@code chroot root}: as
     * {@link #load(Path, Map)} with {@code root} as config root, but absolute paths (repos.conf locations, an
     * absolute make.profile link) are taken inside {@code root}, never on the host.
     */
    public static PortageConfig loadRoot(Path root, Map<String, String> env) {
        return load(root, env, true);
    }

    private static PortageConfig load(Path configRoot, Map<String, String> env, boolean chroot) {
        Path etc = configRoot.resolve("etc/portage");
        Path makeProfile = chroot ? org.stageforge.merge.RootFiles.resolve(configRoot, "etc/portage/make.profile")
                : etc.resolve("make.profile");
        if (!Files.exists(makeProfile)) makeProfile = configRoot.resolve("etc/make.profile");
        if (!Files.isDirectory(makeProfile)) {
            throw new StageforgeException("no profile: " + etc.resolve("make.profile") + " does not exist",
                    ExitCodes.NOT_FOUND, null);
        }
        Path realProfile;
        try {
            realProfile = makeProfile.toRealPath();
        } catch (IOException e) {
            throw new StageforgeException("cannot resolve " + makeProfile + ": " + e.getMessage(), e);
        }
        RepoMap repos;
        Path reposConf = etc.resolve("repos.conf");
        if (Files.exists(reposConf) && chroot) {
            ReposConf rc = ReposConf.load(reposConf);
            Map<String, Path> inside = new LinkedHashMap<>();
            rc.locations().forEach((name, loc) -> inside.put(name,
                    org.stageforge.merge.RootFiles.resolve(configRoot, loc.toString().replaceFirst("^/+", ""))));
            repos = RepoMap.of(inside, rc.mainRepo());
        } else if (Files.exists(reposConf)) {
            repos = RepoMap.fromReposConf(reposConf);
        } else {
            repos = RepoMap.of(guessRepo(realProfile));
        }
        Map<String, String> seed = new HashMap<>();
        seed.put("PORTAGE_CONFIGROOT", configRoot.toAbsolutePath().toString());
        Profile profile = ProfileLoader.load(realProfile, repos, seed, etc.resolve("profile"));
        Map<String, String> expand = new HashMap<>(profile.expandAfterDefaults());
        Map<String, String> makeConf = new LinkedHashMap<>();
        for (Path p : List.of(configRoot.resolve("etc/make.conf"), etc.resolve("make.conf"))) {
            Map<String, String> m = ShellConfig.parse(p, expand, true, true);
            if (m != null) makeConf.putAll(m);
        }
        return new PortageConfig(profile, UserConfig.read(etc, makeConf), env);
    }

    /** Without repos.conf: the repository is the closest ancestor of the profile holding profiles/repo_name. */
    private static Path guessRepo(Path profile) {
        for (Path p = profile; p != null; p = p.getParent()) {
            if (p.getFileName() != null && p.getFileName().toString().equals("profiles")
                    && Files.isRegularFile(p.resolve("repo_name"))) {
                return p.getParent();
            }
        }
        throw new StageforgeException("no repos.conf and " + profile + " is not inside a repository",
                ExitCodes.NOT_FOUND, null);
    }

    // ---- queries ------------------------------------------------------------------------------

    /** A variable as Portage's config returns it (regenerated incrementals first), or null. */
    public String get(String key) {
        String v = finals.get(key);
        if (v != null) return v;
        for (Map<String, String> db : List.of(env, conf, defaults, globals)) {
            v = db.get(key);
            if (v != null) return v;
        }
        return null;
    }

    public String getOrDefault(String key, String dflt) {
        String v = get(key);
        return v == null ? dflt : v;
    }

    /** Every defined variable with its final value, sorted by name. */
    public Map<String, String> vars() {
        Map<String, String> out = new TreeMap<>();
        for (Map<String, String> db : List.of(globals, defaults, conf, env, finals)) out.putAll(db);
        return Collections.unmodifiableMap(out);
    }

    public Profile profile() {
        return profile;
    }

    public List<String> chain() {
        return profile.chainNames();
    }

    /** The global USE (sorted). */
    public Set<String> use() {
        return use;
    }

    public Set<String> useMask() {
        return useMask;
    }

    public Set<String> useForce() {
        return useForce;
    }

    /** Atoms of the @system set with the packages line that put them there. */
    public List<Entry> systemSet() {
        return systemSet;
    }

    /**
     * package.provided of the profiles (EAPI 0-6) and of etc/portage/profile: versions taken as
     * installed for dependencies and never merged.
     */
    public List<org.stageforge.atom.Cpv> packageProvided() {
        return packageProvided;
    }

    /** Every effective package.mask atom (repository, profiles, user) with its origin. */
    public List<Entry> packageMask() {
        return packageMask;
    }

    /** package.mask of the repositories and the profile only (no user layer). */
    public List<Entry> profilePackageMask() {
        return profilePackageMask;
    }

    public List<Entry> packageUnmask() {
        return packageUnmask;
    }

    /**
     * The package's enabled USE as Portage computes it in setcpv: IUSE defaults, make.defaults and
     * profile package.use, make.conf, user package.use and the environment's USE in that order,
     * then use.force / use.mask (with package.use.force/mask, and their stable variants when the
     * package is stable for this configuration), limited to IUSE plus the profile's implicit IUSE.
     *
     * @param iuse     the package's IUSE as written ({@code +flag} / {@code -flag} defaults)
     * @param keywords the package's KEYWORDS
     */
    public Set<String> effectiveUse(Cpv cpv, String slot, String repo, Collection<String> iuse,
                                    Collection<String> keywords) {
        return Collections.unmodifiableSet(queries().effectiveUse(cpv, slot, repo, iuse, keywords));
    }

    /** The package's masked flags (use.mask, package.use.mask and stable variants when stable). */
    public Set<String> useMask(Cpv cpv, String slot, String repo, Collection<String> keywords) {
        PackageQueries q = queries();
        return Collections.unmodifiableSet(new TreeSet<>(q.useMaskOrForce(cpv, slot, repo,
                q.isStable(cpv, slot, repo, keywords), true)));
    }

    /** The package's forced flags (use.force, package.use.force and stable variants when stable). */
    public Set<String> useForce(Cpv cpv, String slot, String repo, Collection<String> keywords) {
        PackageQueries q = queries();
        return Collections.unmodifiableSet(new TreeSet<>(q.useMaskOrForce(cpv, slot, repo,
                q.isStable(cpv, slot, repo, keywords), false)));
    }

    /** True when ACCEPT_KEYWORDS and package.accept_keywords accept one of the package's KEYWORDS. */
    public boolean isKeywordVisible(Cpv cpv, String slot, String repo, Collection<String> keywords) {
        return queries().missingKeywords(cpv, slot, repo, keywords).isEmpty();
    }

    /** The keywords to accept for the package to become visible ({@code **} for empty KEYWORDS); empty if visible. */
    public List<String> missingKeywords(Cpv cpv, String slot, String repo, Collection<String> keywords) {
        return queries().missingKeywords(cpv, slot, repo, keywords);
    }

    /** True when the package counts as stable (its stable keyword is what makes it visible). */
    public boolean isStable(Cpv cpv, String slot, String repo, Collection<String> keywords) {
        return queries().isStable(cpv, slot, repo, keywords);
    }

    /** True when ACCEPT_LICENSE (with @GROUPs) and package.license accept {@code license} under {@code use}. */
    public boolean acceptsLicense(Cpv cpv, String slot, String repo, String license, Set<String> use) {
        return missingLicenses(cpv, slot, repo, license, use).isEmpty();
    }

    /** The licenses of a LICENSE string that are not accepted for the package; empty when acceptable. */
    public List<String> missingLicenses(Cpv cpv, String slot, String repo, String license, Set<String> use) {
        List<String> tokens = new ArrayList<>(UseCalculator.words(get("ACCEPT_LICENSE")));
        for (PackageRules.Rule r : new PackageRules(user.packageLicense(), null, true).ordered(cpv, slot, null, repo)) {
            tokens.addAll(r.entry().values());
        }
        return licenseGroups().acceptLicense(tokens)
                .missing(DepString.parse(license, DepString.Kind.LICENSE), use);
    }

    /** The package.mask entry masking the package (with its comment), or null when not masked. */
    public MaskReason maskReason(Cpv cpv, String slot, String repo) {
        return queries().maskReason(cpv, slot, repo);
    }

    /**
     * What Portage would only warn about: invalid or unsupported entries that were skipped,
     * deprecated profile nodes. Per-package files are checked on the first per-package query.
     */
    public List<String> warnings() {
        List<String> out = new ArrayList<>(profile.warnings());
        PackageQueries q;
        synchronized (this) {
            q = queries;
        }
        if (q != null) out.addAll(q.warnings());
        return out;
    }

    /** Implicit IUSE of this profile (IUSE_IMPLICIT and USE_EXPAND_IMPLICIT values, EAPI 5+). */
    public Set<String> implicitIuse() {
        return Collections.unmodifiableSet(queries().implicitIuseSet());
    }

    Map<String, String> profileDefaults() {
        return defaults;
    }

    public UserConfig user() {
        return user;
    }

    List<String> makeDefaultsUse() {
        return makeDefaultsUse;
    }

    List<String> useExpand() {
        return useExpand;
    }

    List<String> useExpandUnprefixed() {
        return useExpandUnprefixed;
    }

    Map<String, String> envLayer() {
        return env;
    }
}

package org.stageforge.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.bouncycastle.bcpg.ArmoredInputStream;
import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.archive.Compression;
import org.stageforge.binhost.BinhostClient;
import org.stageforge.binhost.BinhostWriter;
import org.stageforge.binpkg.GpkgWriter;
import org.stageforge.binhost.IndexRef;
import org.stageforge.binhost.PackageVerifier;
import org.stageforge.binhost.FetchResult;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.index.PackagesIndex;
import org.stageforge.merge.InstallMaskSets;
import org.stageforge.install.BashPhases;
import org.stageforge.merge.MergeEngine;
import org.stageforge.merge.Unmerge;
import org.stageforge.merge.MergeOptions;
import org.stageforge.merge.MergeRequest;
import org.stageforge.pack.Packer;
import org.stageforge.profile.PortageConfig;
import org.stageforge.resolve.Binhost;
import org.stageforge.resolve.PlannedPackage;
import org.stageforge.resolve.ResolvePlan;
import org.stageforge.resolve.ResolveRequest;
import org.stageforge.resolve.Resolver;
import org.stageforge.spec.StageSpec;
import org.stageforge.build.BuildKey;
import org.stageforge.build.BuildKeys;
import org.stageforge.build.Emerge;
import org.stageforge.build.LocalBinhost;
import org.stageforge.build.Seed;
import org.stageforge.build.SeedRoot;
import org.stageforge.build.SourceBuild;
import org.stageforge.profile.RepoMap;
import org.stageforge.resolve.EbuildRepository;
import org.stageforge.vdb.Vdb;
import org.stageforge.vdb.VdbEntry;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/** The parts' work, each behind one method; data passes between parts as files in the build directory. */
final class Parts {
    private static final ObjectMapper JSON = StateStore.JSON;
    private final StageSpec spec;
    private final BuildOptions opts;
    private final Reporter rep;
    private final Path build;
    private final Path root;
    private final Path out;
    private final List<Path> published = new ArrayList<>();
    /** Files the running part wrote outside its state (absolute path -> sha256), checked before it is reused. */
    private final Map<String, String> written = new TreeMap<>();

    Parts(StageSpec spec, BuildOptions opts, Reporter rep) {
        this.spec = spec;
        this.opts = opts;
        this.rep = rep;
        this.build = opts.buildDir().toAbsolutePath();
        this.root = build.resolve("root");
        this.out = build.resolve("out");
    }

    /** Fetch's record: where the repository is, its digest, each binhost's index copy and digest, the overlays. */
    record Inputs(String repoDir, String repoDigest, List<IndexCopy> binhosts, List<Overlays.Entry> overlays) {
        Inputs {
            overlays = overlays == null ? List.of() : List.copyOf(overlays);
        }
    }

    record IndexCopy(String url, String file, String sha512) {}

    /** Resolve's record: the epoch, the config root and the packages in merge order with their local files. */
    record Plan(long sourceDateEpoch, List<Pkg> packages) {}

    /**
     * {@code binhost}: position in the spec's binhosts, or {@link #LOCAL} for the build's own binhost ({@code
     * buildKey} set: built from source here; {@code path} null until the binpkgs part built it).
     */
    record Pkg(String cpv, int binhost, String path, String sha512, String file, String worldAtom, List<String> use,
               long size, long buildId, String buildKey) {}

    /** {@link Pkg#binhost()} of the build's own binhost ({@link LocalBinhost}). */
    static final int LOCAL = -1;
    /** The name the local binhost has for the resolver. */
    private static final String LOCAL_NAME = "local:binpkgs";

    List<Path> published() {
        return published;
    }

    /** What the last part run wrote outside the state store (see {@link PartState#files()}). */
    Map<String, String> written() {
        return Map.copyOf(written);
    }

    /** The spec sections (and other declared inputs) each part reads, for its fingerprint. */
    String inputs(Part p) {
        return switch (p) {
            case FETCH -> spec.section("repo", "binhost", "overlay");
            case RESOLVE -> spec.section("profile", "make_conf", "package_use", "accept_keywords", "package_mask",
                    "package_unmask", "package_license", "package_provided", "world", "mixins", "kernel")
                    + "system_set=" + spec.systemSet() + "\n"
                    + "SOURCE_DATE_EPOCH=" + opts.env().getOrDefault("SOURCE_DATE_EPOCH", "");
            // resolve's output (an earlier output) pins the packages, their USE and build keys
            case BINPKGS -> spec.seed() == null ? "no seed"
                    : spec.section("seed", "build", "make_conf", "package_use", "profile") + fileDigest(spec.output().signingKey());
            case INSTALL -> spec.section("install_mask_sets", "phases");
            // the root's etc/portage is written from these too (RootPortage)
            case CONFIGURE -> spec.section("system", "repo", "overlay", "binhost", "profile", "make_conf", "package_use",
                    "accept_keywords", "package_mask", "package_unmask", "package_license", "mixins",
                    "install_mask_sets", "phases", "controller") + "repository=" + spec.output().repository()
                    + (spec.controller() == null ? "" : fileDigest(spec.controller().keyring()));
            case KERNEL -> spec.section("kernel") + fileDigest(spec.kernel().image()) + fileDigest(spec.kernel().initramfs())
                    // the seed's dracut may make the initramfs
                    + (spec.kernel().generate() != null && spec.kernel().generate().dracut() != null ? spec.section("seed") : "");
            case DEPCLEAN -> "";
            case CLEANUP -> spec.section("cleanup");
            case PACK -> spec.section("stage", "output") + "oci=" + opts.oci();
            case CHECKSUM -> "";
            case SIGN -> spec.section("output") + fileDigest(spec.output().signingKey());
            case PUBLISH -> "output=" + opts.outputDir().toAbsolutePath();
        };
    }

    private static String fileDigest(Path f) {
        return f == null || !Files.isRegularFile(f) ? "-" : Build.sha256(f);
    }

    String run(Part p) {
        written.clear();
        try {
            return switch (p) {
                case FETCH -> fetch();
                case RESOLVE -> resolve();
                case BINPKGS -> binpkgs();
                case INSTALL -> install();
                case CONFIGURE -> configure();
                case KERNEL -> kernel();
                case DEPCLEAN -> depclean();
                case CLEANUP -> cleanup();
                case PACK -> pack();
                case CHECKSUM -> checksum();
                case SIGN -> sign();
                case PUBLISH -> publish();
            };
        } catch (IOException e) {
            throw new StageforgeException(p.id() + ": " + e.getMessage(), e);
        }
    }

    // ---- fetch --------------------------------------------------------------------------------------------

    private String fetch() throws IOException {
        RepoSource.Fetched repo = RepoSource.fetch(spec.repo(), build.resolve("repo"), rep);
        Lock lock = opts.lock();
        if (lock != null && !lock.repo().equals(repo.digest())) {
            throw new StageforgeException("locked repository digest " + lock.repo() + " differs from " + repo.digest(),
                    ExitCodes.VERIFY, null);
        }
        List<Overlays.Entry> overlays = Overlays.fetch(spec, build, lock, rep);
        List<IndexCopy> copies = new ArrayList<>();
        if (lock != null && lock.binhosts().size() != spec.binhosts().size()) {
            throw new StageforgeException("the lock has " + lock.binhosts().size() + " binhosts, the spec "
                    + spec.binhosts().size(), ExitCodes.VERIFY, null);
        }
        for (int i = 0; i < spec.binhosts().size(); i++) {
            StageSpec.BinhostSpec b = spec.binhosts().get(i);
            String url = b.sources() != null ? buildBinhost(b.sources(), build.resolve("binhost-sources-" + i)) : b.url();
            Path copy = build.resolve("fetch/binhost-" + i + "/Packages");
            Files.createDirectories(copy.getParent());
            Path tmp = copy.resolveSibling(".Packages.tmp");
            try (BinhostClient c = BinhostClient.open(url, BinhostClient.Options.of(opts.cache()))) {
                BinhostClient.IndexFetch f = c.fetchIndex();
                Files.copy(f.file(), tmp, StandardCopyOption.REPLACE_EXISTING);
            } catch (StageforgeException e) {
                // a replay takes the pinned packages, not the index: it goes on from the cache (offline)
                if (lock == null || (e.exitCode() != ExitCodes.FAILURE && e.exitCode() != ExitCodes.NOT_FOUND)) throw e;
                rep.warning("binhost " + b.given() + ": no index (" + e.getMessage() + "); replaying the lock's pinned packages");
                PackagesIndex.of(Map.of("PACKAGES", "0"), List.of()).write(tmp);
            }
            Files.move(tmp, copy, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            String sha = Build.digestFile(copy, "SHA-512");
            rep.action("index", b.given() + " sha512=" + sha);
            copies.add(new IndexCopy(url, copy.toString(), sha));
        }
        Inputs in = new Inputs(repo.dir().toString(), repo.digest(), copies, overlays);
        StateStore.writeAtomically(build.resolve("fetch/inputs.json"), JSON.writeValueAsBytes(in));
        StringBuilder sb = new StringBuilder(repo.digest());
        for (Overlays.Entry o : overlays) sb.append('\n').append(o).append('\n');
        // a replay does not depend on the indexes (the lock pins every package), so their changes rebuild nothing
        if (lock == null) for (IndexCopy c : copies) sb.append('\n').append(c.sha512());
        return Build.sha256(sb.toString());
    }

    /**
     * Builds a binhost from package source trees ({@link BinhostWriter}) into {@code out}; archive times are the
     * newest BUILD_TIME of the sources, so the same sources give the same bytes.
     */
    private String buildBinhost(Path sources, Path out) throws IOException {
        long sde = 0;
        try (var cats = Files.list(sources)) {
            for (Path cat : cats.sorted().toList()) {
                if (!Files.isDirectory(cat)) continue;
                try (var pkgs = Files.list(cat)) {
                    for (Path p : pkgs.toList()) {
                        Path bt = p.resolve("metadata/BUILD_TIME");
                        if (Files.isRegularFile(bt)) sde = Math.max(sde, Long.parseLong(Files.readString(bt).strip()));
                    }
                }
            }
        } catch (NumberFormatException e) {
            throw new StageforgeException(sources + ": a BUILD_TIME is not a number", ExitCodes.BAD_INPUT, e);
        }
        org.stageforge.util.Dirs.deleteTree(out);
        Files.createDirectories(out);
        PackagesIndex idx = BinhostWriter.build(sources, out, new GpkgWriter.Options(Compression.ZSTD, sde, null, null), Map.of());
        rep.action("binhost", sources + " -> " + out + " (" + idx.entries().size() + " packages)");
        return out.toString();
    }

    Inputs inputsRecord() throws IOException {
        return JSON.readValue(build.resolve("fetch/inputs.json").toFile(), Inputs.class);
    }

    // ---- resolve ------------------------------------------------------------------------------------------

    /** The config root, the binhosts and (without a lock) the resolution of the spec's targets. */
    record Resolution(PortageConfig config, List<Binhost> hosts, List<PackagesIndex> indexes, ResolvePlan plan,
                      BuildKeys keys) {}

    /** Writes the config root to {@code cfgRoot}, verifies the mix-ins and, without a lock, resolves. */
    Resolution resolution(Inputs in, Path cfgRoot) throws IOException {
        return resolution(in, cfgRoot, opts.lock() != null);
    }

    /** As above; {@code locked}: the lock pins the packages, so nothing is resolved. */
    private Resolution resolution(Inputs in, Path cfgRoot, boolean locked) throws IOException {
        Map<String, Path> mixinNodes = ConfigRoot.write(spec, Path.of(in.repoDir()), in.overlays(), cfgRoot);
        PortageConfig config = PortageConfig.load(cfgRoot, Map.of());
        List<PackagesIndex> indexes = new ArrayList<>();
        List<Binhost> hosts = new ArrayList<>();
        for (IndexCopy c : in.binhosts()) {
            PackagesIndex idx = PackagesIndex.read(Path.of(c.file()));
            indexes.add(idx);
            hosts.add(new Binhost(c.url(), idx));
        }
        org.stageforge.spec.Mixins.verify(config, mixinNodes, indexes);
        if (locked) return new Resolution(config, hosts, indexes, null, null);
        List<String> targets = new ArrayList<>();
        if (spec.systemSet()) targets.add("@system");
        targets.addAll(spec.world());
        if (spec.kernel().packageAtom() != null) targets.add(spec.kernel().packageAtom());
        ResolveRequest.Options ro = ResolveRequest.Options.DEFAULT.withBinpkgRespectUse(spec.binpkgRespectUse());
        if (spec.seed() == null) return new Resolution(config, hosts, indexes, Resolver.resolve(ResolveRequest.of(config, hosts, targets, ro)), null);
        // from source: the build's own binhost is the first, binpkgs are filtered by build key, ebuilds fill the rest
        SeedRoot seed = Seed.prepare(spec.seed(), opts.cache(), rep::log);
        BuildKeys keys = new BuildKeys(BuildKey.vars(config), SourceBuild.toolchain(seed, build.resolve("source/probe")));
        LocalBinhost local = LocalBinhost.of(build);
        List<Binhost> all = new ArrayList<>();
        all.add(new Binhost(LOCAL_NAME, local.index(), local.dir()));
        all.addAll(hosts);
        StageSpec.BuildSettings b = spec.build();
        ResolveRequest.FromSource fs = switch (b.fromSource()) {
            case MISSING -> ResolveRequest.FromSource.MISSING;
            case ALL -> ResolveRequest.FromSource.ALL;
            case LIST -> ResolveRequest.FromSource.listed(b.atoms());
        };
        ResolvePlan plan = Resolver.resolve(ResolveRequest.of(config, all, targets, ro.withFromSource(fs))
                .withRepositories(repositories(in))
                .withBinaryFilter(keys.filter()));
        return new Resolution(config, all, indexes, plan, keys);
    }

    /** The ebuild repositories resolution reads, with repos.conf's priorities (a main repository without one: -1000). */
    private static List<EbuildRepository> repositories(Inputs in) {
        List<EbuildRepository> out = new ArrayList<>();
        out.add(EbuildRepository.at(Path.of(in.repoDir()), -1000));
        for (Overlays.Entry o : in.overlays()) out.add(new EbuildRepository(o.name(), Path.of(o.dir()), o.priority()));
        return out;
    }

    private String resolve() throws IOException {
        Inputs in = inputsRecord();
        // binpkgs' plan belongs to the previous resolution
        Files.deleteIfExists(build.resolve("source/plan.json"));
        Resolution res = resolution(in, build.resolve("config"));
        PortageConfig config = res.config();
        List<PackagesIndex> indexes = res.indexes();
        List<Binhost> hosts = res.hosts();
        List<Pkg> pkgs = new ArrayList<>();
        Lock lock = opts.lock();
        long maxBuildTime = 0;
        if (lock != null) {
            Map<String, String> keys = null;
            for (Lock.Pkg lp : lock.packages()) {
                if (lp.binhost() == LOCAL && !localIntact(lp.path(), lp.sha512())) {
                    // built from source and not here (a fresh clone): built again, and must give the pinned bytes
                    if (keys == null) keys = sourceKeys(in);
                    String key = keys.get(lp.cpv());
                    if (key == null) {
                        throw new StageforgeException(lp.cpv() + ": pinned as built from source, but the spec no longer"
                                + " builds it from source", ExitCodes.BAD_INPUT, null);
                    }
                    pkgs.add(new Pkg(lp.cpv(), LOCAL, null, lp.sha512(), null, lp.world(), List.of(), lp.size(),
                            lp.buildId(), key));
                    continue;
                }
                pkgs.add(new Pkg(lp.cpv(), lp.binhost(), lp.path(), lp.sha512(), null, lp.world(), List.of(), lp.size(),
                        lp.buildId(), null));
            }
        } else {
            ResolvePlan plan = res.plan();
            for (String w : plan.warnings()) rep.warning(w);
            for (String w : ResolveChecks.warnings(spec, config, indexes, plan)) rep.warning(w);
            for (PlannedPackage pp : plan.packages()) {
                String worldAtom = pp.world() ? org.stageforge.install.Installer.worldAtom(plan, pp) : null;
                pkgs.add(new Pkg(pp.cpv().toString(), hostIndex(hosts, pp), pp.path(), null, null, worldAtom,
                        new ArrayList<>(new java.util.TreeSet<>(pp.use())), pp.size(), pp.entry().buildId().orElse(0),
                        pp.fromSource() ? res.keys().of(pp) : null));
                maxBuildTime = Math.max(maxBuildTime, pp.entry().buildTime().orElse(0));
            }
        }
        List<Pkg> fetched = fetchPackages(in, pkgs, lock != null);
        long sde = lock != null ? lock.sourceDateEpoch() : sourceDateEpoch(in, maxBuildTime, pkgs);
        Plan plan = new Plan(sde, fetched);
        StateStore.writeAtomically(build.resolve("resolve/plan.json"), JSON.writeValueAsBytes(plan));
        // a replay's result is the lock's, however the index changed around the pinned packages
        return Build.sha256((lock != null ? lock : lockOf(in, plan)).resolution().replace(build.toString(), ""));
    }

    /**
     * What resolve would record for this resolution without fetching a package: its output digest, or null when an
     * index entry has no SHA512 (then only the fetched file tells).
     */
    String predictedResolveOutput(Inputs in, Resolution res) {
        // a replay's result is the lock's (see resolve())
        if (opts.lock() != null) return Build.sha256(opts.lock().resolution().replace(build.toString(), ""));
        List<Pkg> pkgs = new ArrayList<>();
        long maxBuildTime = 0;
        for (PlannedPackage pp : res.plan().packages()) {
            String sha = pp.entry().sha512().orElse(null);
            if (sha == null) return null;
            String worldAtom = pp.world() ? org.stageforge.install.Installer.worldAtom(res.plan(), pp) : null;
            pkgs.add(new Pkg(pp.cpv().toString(), hostIndex(res.hosts(), pp), pp.path(), sha, null, worldAtom,
                    new ArrayList<>(new java.util.TreeSet<>(pp.use())), pp.size(), pp.entry().buildId().orElse(0),
                    pp.fromSource() ? res.keys().of(pp) : null));
            maxBuildTime = Math.max(maxBuildTime, pp.entry().buildTime().orElse(0));
        }
        return Build.sha256(lockOf(in, new Plan(sourceDateEpoch(in, maxBuildTime, pkgs), pkgs)).resolution()
                .replace(build.toString(), ""));
    }

    /**
     * SOURCE_DATE_EPOCH of a new resolution: the environment's; else the newest BUILD_TIME of the binary packages and,
     * when packages are built from source, the main repository's own timestamp (its snapshot time), so a stage built
     * all from source without the variable still gets a date fixed by its inputs.
     */
    private long sourceDateEpoch(Inputs in, long maxBuildTime, List<Pkg> pkgs) {
        if (opts.env().get("SOURCE_DATE_EPOCH") != null) return Packer.sourceDateEpoch(root, OptionalLong.empty(), opts.env());
        if (pkgs.stream().noneMatch(p -> p.buildKey() != null)) return maxBuildTime;
        return Math.max(maxBuildTime, org.stageforge.snapshot.RepoTree.timestamp(Path.of(in.repoDir())).orElse(0));
    }

    /**
     * Fetches (or finds in the cache) every package, verified and, with a keyring, its GPKG signatures checked; pins
     * its SHA-512. {@code pinned}: by each package's own SIZE and SHA-512 (a lock's, or a finished resolve's), whatever
     * the index says now; else by its index entry's digests.
     */
    private List<Pkg> fetchPackages(Inputs in, List<Pkg> pkgs, boolean pinned) {
        Map<String, Path> files = new java.util.HashMap<>();
        for (int hi = 0; hi < in.binhosts().size(); hi++) {
            IndexCopy ic = in.binhosts().get(hi);
            StageSpec.BinhostSpec bs = spec.binhosts().get(hi);
            Map<String, IndexRef> byPath = new LinkedHashMap<>();
            if (!pinned) for (IndexRef r : IndexRef.all(PackagesIndex.read(Path.of(ic.file())))) byPath.put(r.path(), r);
            BinhostClient.Options o = BinhostClient.Options.of(opts.cache())
                    .withRequireSignatures(bs.requireSignatures())
                    .withVerifier(bs.keyring() == null ? PackageVerifier.MANIFEST
                            : new PackageVerifier(OpenPgp.Keyring.load(bs.keyring()), bs.requireSignatures()));
            List<org.stageforge.binhost.BinpkgRef> refs = new ArrayList<>();
            for (Pkg p : pkgs) {
                if (p.binhost() != hi) continue;
                if (pinned) {
                    refs.add(new PinnedRef(p.cpv(), p.buildId(), p.path(), p.size(), p.sha512()));
                    continue;
                }
                IndexRef e = byPath.get(p.path());
                if (e == null) {
                    throw new StageforgeException("binhost " + ic.url() + " has no " + p.path() + " (" + p.cpv() + ")",
                            ExitCodes.NOT_FOUND, null);
                }
                refs.add(e);
            }
            if (refs.isEmpty()) continue;
            long total = refs.stream().mapToLong(org.stageforge.binhost.BinpkgRef::size).filter(x -> x > 0).sum();
            try (BinhostClient c = BinhostClient.open(ic.url(), o); Reporter.Bytes bar = rep.bytes("fetch", total)) {
                c.usePackageBase(PackagesIndex.read(Path.of(ic.file())));
                FetchResult r = c.fetchAll(refs, new org.stageforge.binhost.FetchListener() {
                    @Override
                    public void bytes(org.stageforge.binhost.BinpkgRef ref, long delta) {
                        bar.bytes(ref, delta);
                    }

                    @Override
                    public void discarded(org.stageforge.binhost.BinpkgRef ref, String problem) {
                        rep.warning(ref.label() + ": the cached copy is damaged (" + problem + "); fetching it again");
                    }
                });
                if (!r.ok()) throw r.failures().get(0).error();
                for (org.stageforge.binhost.FetchedPackage f : r.fetched()) files.put(hi + "/" + f.ref().path(), f.file());
            }
        }
        List<Pkg> done = new ArrayList<>();
        for (Pkg p : pkgs) {
            if (p.binhost() == LOCAL) {
                done.add(localFile(p));
                continue;
            }
            Path file = files.get(p.binhost() + "/" + p.path());
            // a pinned file was verified against its SHA-512 by the client
            String sha = pinned ? p.sha512() : Build.digestFile(file, "SHA-512");
            rep.action("binpkg", p.path() + " sha512=" + sha);
            done.add(new Pkg(p.cpv(), p.binhost(), p.path(), sha, file.toString(), p.worldAtom(), p.use(), p.size(),
                    p.buildId(), p.buildKey()));
        }
        return done;
    }

    /** The plan install merges: binpkgs' (its source packages built) once it ran, else resolve's. */
    Plan plan() throws IOException {
        Path built = build.resolve("source/plan.json");
        return JSON.readValue((Files.isRegularFile(built) ? built : build.resolve("resolve/plan.json")).toFile(), Plan.class);
    }

    /**
     * A package of the local binhost: its file there, verified by SHA-512 when one is pinned; a source package not
     * built yet stays as it is (binpkgs builds it).
     */
    private Pkg localFile(Pkg p) {
        if (p.path() == null) return p;
        Path file = LocalBinhost.of(build).dir().resolve(p.path()).normalize();
        if (!file.startsWith(LocalBinhost.of(build).dir()) || !Files.isRegularFile(file)) {
            throw new StageforgeException(p.cpv() + ": " + file + " is missing from the build's own binhost"
                    + " (build without --locked to build it again)", ExitCodes.NOT_FOUND, null);
        }
        String sha = Build.digestFile(file, "SHA-512");
        if (p.sha512() != null && !p.sha512().equals(sha)) {
            throw new StageforgeException(p.cpv() + ": " + file + " differs from its pinned SHA-512", ExitCodes.VERIFY, null);
        }
        return new Pkg(p.cpv(), LOCAL, p.path(), sha, file.toString(), p.worldAtom(), p.use(), p.size(), p.buildId(), p.buildKey());
    }

    private boolean localIntact(String path, String sha512) {
        Path f = LocalBinhost.of(build).dir().resolve(path).normalize();
        return f.startsWith(LocalBinhost.of(build).dir()) && Files.isRegularFile(f) && Build.digestFile(f, "SHA-512").equals(sha512);
    }

    /** The build keys of the packages a fresh resolution builds from source (for a replay that must rebuild them). */
    private Map<String, String> sourceKeys(Inputs in) throws IOException {
        Resolution res = resolution(in, build.resolve("source/config"), false);
        Map<String, String> m = new TreeMap<>();
        for (PlannedPackage pp : res.plan().packages()) if (pp.fromSource()) m.put(pp.cpv().toString(), res.keys().of(pp));
        // a package the local binhost already holds with its key is not from source there, yet may be pinned so
        for (PlannedPackage pp : res.plan().packages()) {
            if (LOCAL_NAME.equals(pp.binhost())) m.put(pp.cpv().toString(), res.keys().of(pp.entry()));
        }
        return m;
    }

    /** The spec position of the binhost a planned package comes from; {@link #LOCAL} for the build's own. */
    private static int hostIndex(List<Binhost> hosts, PlannedPackage pp) {
        if (pp.fromSource() || LOCAL_NAME.equals(pp.binhost())) return LOCAL;
        int hi = 0;
        for (Binhost h : hosts) {
            if (h.name().equals(LOCAL_NAME)) continue;
            if (h.name().equals(pp.binhost())) return hi;
            hi++;
        }
        throw new IllegalStateException("no binhost " + pp.binhost());
    }

    /** The lock of this build's fetch and resolve records. */
    Lock lockOf(Inputs in, Plan plan) {
        List<Lock.Index> idx = new ArrayList<>();
        for (int i = 0; i < in.binhosts().size(); i++) {
            idx.add(new Lock.Index(spec.binhosts().get(i).given(), in.binhosts().get(i).sha512()));
        }
        List<Lock.Pkg> pk = new ArrayList<>();
        for (Pkg p : plan.packages()) {
            // the size was checked against the file by the fetch
            pk.add(new Lock.Pkg(p.cpv(), p.binhost(), p.path(), p.size(), p.sha512(), p.buildId(), p.worldAtom()));
        }
        return Lock.of(org.stageforge.StageforgeVersion.get(), spec, plan.sourceDateEpoch(), in.repoDigest(), idx, pk, Overlays.locked(in.overlays()));
    }

    /**
     * The lock after fetch and resolve have run (what {@code stageforge lock} writes); a replay's is the lock it
     * replays, so it gives the same manifest however the binhost's index changed around the pinned packages.
     */
    Lock lock() throws IOException {
        return opts.lock() != null ? opts.lock() : lockOf(inputsRecord(), plan());
    }

    static Long sourceDateEpochIfKnown(Path buildDir) {
        Path f = buildDir.resolve("resolve/plan.json");
        if (!Files.isRegularFile(f)) return null;
        try {
            return JSON.readValue(f.toFile(), Plan.class).sourceDateEpoch();
        } catch (IOException e) {
            return null;
        }
    }

    // ---- binpkgs -------------------------------------------------------------------------------------------

    /**
     * Without [seed]: nothing. With it: builds the plan's source packages with real emerge in the seed (those not
     * already in the local binhost with their build key), takes them into the local binhost, and writes the plan
     * install merges ({@code source/plan.json}) with them pointed at the local binhost's files.
     */
    private String binpkgs() throws IOException {
        Plan plan = JSON.readValue(build.resolve("resolve/plan.json").toFile(), Plan.class);
        Path planFile = build.resolve("source/plan.json");
        if (spec.seed() == null) {
            rep.action("binpkgs", "no seed: nothing to build");
            Files.deleteIfExists(planFile);
            return Build.sha256("no seed");
        }
        Map<String, String> targets = new LinkedHashMap<>();
        List<Path> offered = new ArrayList<>();
        for (Pkg p : plan.packages()) {
            if (p.binhost() == LOCAL && p.path() == null) targets.put(p.cpv(), p.buildKey());
            else if (p.file() != null) offered.add(Path.of(p.file()));
        }
        LocalBinhost local = LocalBinhost.of(build);
        if (!targets.isEmpty()) {
            SeedRoot seed = Seed.prepare(spec.seed(), opts.cache(), rep::log);
            StageSpec.BuildSettings b = spec.build();
            Path logs = build.resolve("logs/portage");
            Inputs in = inputsRecord();
            Emerge.Request e = new Emerge.Request(seed, Path.of(in.repoDir()), RepoMap.of(Path.of(in.repoDir())).mainRepo(),
                    in.overlays().stream().map(Overlays.Entry::sandboxRepo).toList(),
                    build.resolve("config"), spec.makeConf(), null,
                    b.distfiles() != null ? b.distfiles() : opts.cache().resolve("distfiles"), logs, List.of(),
                    b.jobs(), b.keepGoing() || opts.keepGoing(), b.network(), b.ccache(), b.distccHosts(),
                    plan.sourceDateEpoch());
            SourceBuild.Outcome o = SourceBuild.run(new SourceBuild.Request(e, targets, offered, local,
                    signingKey().key(), plan.sourceDateEpoch(), opts.shellOnFailure(), build.resolve("source/work")),
                    m -> rep.action("binpkgs", m), rep::warning);
            rep.action("binpkgs", o.built().size() + " built, " + o.reused().size() + " already in " + local.dir());
        }
        List<Pkg> pkgs = new ArrayList<>();
        StringBuilder sb = new StringBuilder();
        for (Pkg p : plan.packages()) {
            Pkg q = p;
            if (targets.containsKey(p.cpv())) {
                var entry = local.index().entries(p.cpv()).get(0);
                // a replay's pinned SHA-512 must be what the build gave
                q = localFile(new Pkg(p.cpv(), LOCAL, entry.path(), p.sha512(), null, p.worldAtom(), p.use(),
                        entry.size().orElse(-1), entry.buildId().orElse(0), p.buildKey()));
            }
            pkgs.add(q);
            sb.append(q.cpv()).append(' ').append(q.sha512()).append('\n');
        }
        StateStore.writeAtomically(planFile, JSON.writeValueAsBytes(new Plan(plan.sourceDateEpoch(), pkgs)));
        return Build.sha256(sb.toString());
    }

    // ---- root parts ---------------------------------------------------------------------------------------

    private String install() throws IOException {
        Files.createDirectories(build);
        if (Files.exists(root)) org.stageforge.util.Dirs.deleteTree(root);
        Files.createDirectories(root);
        Plan plan = plan();
        PortageConfig config = PortageConfig.load(build.resolve("config"), Map.of());
        InstallMaskSets sets = InstallMaskSets.defaults().withAll(spec.installMaskSets());
        Path work = build.resolve("phases");
        MergeOptions mo = MergeOptions.fromConfig(root, config, sets).withSync(false).withUnprivileged(opts.unprivileged())
                .withBuildDir(work).withSourceDateEpoch(OptionalLong.of(plan.sourceDateEpoch()))
                .withPhases(!spec.phases(), spec.phases() ? new BashPhases(work, Long.toString(plan.sourceDateEpoch())) : null);
        List<MergeRequest.Item> items = new ArrayList<>();
        for (Pkg p : intactFiles(plan)) items.add(new MergeRequest.Item(Path.of(p.file()), p.worldAtom()));
        MergeEngine.Result r;
        try (Reporter.Packages bar = rep.packages("install", items.size())) {
            r = MergeEngine.merge(new MergeRequest(items, mo, pr -> bar.step(pr.cpv())));
        }
        StringBuilder sb = new StringBuilder();
        for (MergeEngine.PackageResult pr : r.packages()) {
            rep.action("merged", pr.cpv() + " (" + pr.contents() + " entries)");
            sb.append(pr.cpv()).append('\n');
        }
        for (String s : r.skippedPhases()) rep.log("phase skipped: " + s);
        return Build.sha256(sb.toString());
    }

    /**
     * The plan's packages with files that still hold their pinned bytes: the cache is shared and may have been
     * cleaned or damaged since resolve ran, so a missing or damaged file is fetched again (once; still wrong is an
     * integrity failure naming the package).
     */
    private List<Pkg> intactFiles(Plan plan) throws IOException {
        List<Pkg> bad = new ArrayList<>();
        for (Pkg p : plan.packages()) {
            Path f = Path.of(p.file());
            if (!Files.isRegularFile(f) || !Build.digestFile(f, "SHA-512").equals(p.sha512())) bad.add(p);
        }
        if (bad.isEmpty()) return plan.packages();
        for (Pkg p : bad) rep.log(p.cpv() + ": " + p.file() + " is missing or damaged; fetching it again");
        Map<String, Pkg> again = new java.util.HashMap<>();
        for (Pkg p : fetchPackages(inputsRecord(), bad, true)) again.put(p.binhost() + "/" + p.path(), p);
        List<Pkg> l = new ArrayList<>();
        for (Pkg p : plan.packages()) l.add(again.getOrDefault(p.binhost() + "/" + p.path(), p));
        return l;
    }

    private String configure() throws IOException {
        Inputs in = inputsRecord();
        String portage = RootPortage.write(spec, root, Path.of(in.repoDir()), in.repoDigest(), in.overlays(), build.resolve("mixins"), rep);
        return Build.sha256(portage + SystemConfigurer.apply(spec.system(), root, plan().sourceDateEpoch(),
                spec.phases() ? build.resolve("locale-gen") : null, rep)
                + (spec.controller() == null ? "" : String.join("\n", ControllerPart.install(spec, root))));
    }

    private String kernel() throws IOException {
        StageSpec.Kernel k = spec.kernel();
        Path boot = FileOps.dirInRoot(root, "boot");
        String version = k.version();
        if (k.image() != null) {
            FileOps.copyInto(k.image(), boot.resolve("vmlinuz-" + version), 0644);
        } else {
            version = org.stageforge.image.KernelInstall.install(root, boot);
        }
        rep.action("install", "/boot/vmlinuz-" + version);
        if (k.initramfs() != null) {
            FileOps.copyInto(k.initramfs(), boot.resolve("initramfs-" + version + ".img"), 0644);
            rep.action("install", "/boot/initramfs-" + version + ".img");
        } else if (k.generate() != null && k.generate().dracut() != null) {
            Path img = boot.resolve("initramfs-" + version + ".img");
            SeedRoot seed = org.stageforge.image.DracutInitramfs.hasDracut(root) || spec.seed() == null ? null
                    : Seed.prepare(spec.seed(), opts.cache(), rep::log);
            org.stageforge.image.DracutInitramfs.build(new org.stageforge.image.DracutInitramfs.Request(root, version, k.generate(),
                    spec.output().disk(), seed, plan().sourceDateEpoch(), build.resolve("dracut"), build.resolve("logs/dracut.log")), img);
            rep.action("install", "/boot/initramfs-" + version + ".img (dracut" + (seed == null ? "" : " of the seed") + ")");
        } else if (k.generate() != null) {
            var g = k.generate();
            var modules = org.stageforge.image.KernelModules.resolve(org.stageforge.image.KernelInstall.modulesDir(root, version), g.modules());
            Path img = boot.resolve("initramfs-" + version + ".img");
            List<String> files = g.files();
            Map<String, org.stageforge.image.Initramfs.Extra> extra = Map.of();
            if (g.controller() != null) {
                var cp = org.stageforge.image.ControllerInitramfs.parts(root, g.controller(), spec.output().disk(), build);
                files = new ArrayList<>(files);
                files.addAll(cp.files());
                extra = cp.extra();
            }
            org.stageforge.image.Initramfs.write(root, new org.stageforge.image.Initramfs.Contents(g.init(), files, modules, version),
                    extra, plan().sourceDateEpoch(), img);
            rep.action("install", "/boot/initramfs-" + version + ".img (" + modules.size() + " module(s))");
        }
        return Build.sha256(version + (Files.exists(boot.resolve("initramfs-" + version + ".img"))
                ? Build.sha256(boot.resolve("initramfs-" + version + ".img")) : ""));
    }

    private String depclean() throws IOException {
        java.util.Set<String> wanted = new java.util.HashSet<>();
        for (Pkg p : plan().packages()) wanted.add(p.cpv());
        List<String> removed = new ArrayList<>();
        List<VdbEntry> installed = Vdb.open(root).installed();
        for (VdbEntry e : installed) {
            if (!wanted.contains(e.cpv())) {
                Unmerge.run(root, e, installed, path -> rep.action("unmerge", path));
                removed.add(e.cpv());
            }
        }
        rep.log("depclean removed " + removed.size() + " package(s): " + String.join(" ", removed));
        return Build.sha256(String.join("\n", removed));
    }

    private String cleanup() throws IOException {
        return Cleanup.run(root, spec.cleanup(), rep);
    }

    // ---- artifacts ----------------------------------------------------------------------------------------

    private String pack() throws IOException {
        if (Files.exists(out)) org.stageforge.util.Dirs.deleteTree(out);
        Files.createDirectories(out);
        Plan plan = plan();
        long sde = plan.sourceDateEpoch();
        Map<String, Object> artifacts = new TreeMap<>();
        String first = null;
        // the VDB's per-package metadata cache carries directory mtimes of this run; Portage has no such file
        List<String> excludes = new ArrayList<>(org.stageforge.pack.RootScanner.DEFAULT_EXCLUDES);
        for (String cpv : Vdb.open(root).cpvs()) excludes.add(Vdb.VDB_PATH + "/" + cpv + "/" + VdbEntry.METADATA);
        boolean withOci = spec.output().oci() || opts.oci();
        if (withOci && spec.output().formats().stream().noneMatch(StageSpec.Output.ARCHIVE_FORMATS::contains)) {
            throw new StageforgeException(spec.file() + ": [output] oci needs a tar format (tar.zst or tar.xz) in formats for its layer",
                    ExitCodes.BAD_INPUT, null);
        }
        for (String f : spec.output().formats()) {
            if (StageSpec.Output.DISK_FORMATS.contains(f)) continue;
            org.stageforge.image.RootImage.Format image = org.stageforge.image.RootImage.Format.of(f);
            if (image != null) {
                Path img = out.resolve(org.stageforge.image.RootImage.fileName(spec.name(), spec.version(), image));
                var r = org.stageforge.image.RootImage.write(root, img, image, sde,
                        org.stageforge.image.RootImage.uuid(spec.name() + "_" + spec.version()), excludes);
                rep.action("pack", img.getFileName() + " (" + r.entries() + " entries)");
                artifacts.put(img.getFileName().toString(), wrote(img, r.sha256()));
                continue;
            }
            Path tar = out.resolve(spec.baseName() + "." + f);
            Packer.Result r = Packer.pack(root, tar, sde, excludes);
            rep.action("pack", tar.getFileName() + " (" + r.entries() + " entries)");
            artifacts.put(tar.getFileName().toString(), wrote(tar, Build.sha256(tar)));
            if (first == null) first = tar.toString();
        }
        if (spec.kernel().configured() && spec.output().formats().stream().anyMatch(StageSpec.Output.IMAGE_FORMATS::contains)) {
            // an A/B client's release: the kernel and initramfs beside the root image, named like it
            String uki = spec.kernel().uki() ? spec.output().disk().cmdline().strip() : null;
            for (Path f : org.stageforge.image.BootArtifacts.write(root, spec.name(), spec.version(), sde, uki, out)) {
                rep.action("pack", f.getFileName().toString());
                artifacts.put(f.getFileName().toString(), wrote(f, Build.sha256(f)));
            }
        }
        Files.deleteIfExists(out.resolve("SHA512SUMS"));
        if (withOci) {
            Path oci = Oci.write(Path.of(first), out.resolve(spec.baseName() + ".oci.tar"), spec, sde,
                    spec.output().ociCompression(), root);
            rep.action("pack", oci.getFileName().toString());
            artifacts.put(oci.getFileName().toString(), wrote(oci, Build.sha256(oci)));
        }
        List<String> formats = spec.output().formats();
        if (formats.contains("disk") || formats.contains("qcow2")) {
            Path raw = out.resolve(spec.baseName() + ".disk.raw");
            var fs = org.stageforge.image.RootImage.Format.of(spec.output().disk().rootFs());
            Path released = fs == null ? null : out.resolve(org.stageforge.image.RootImage.fileName(spec.name(), spec.version(), fs));
            org.stageforge.image.DiskImage.write(root, excludes, spec.name(), spec.version(), spec.output().disk(), sde,
                    released != null && Files.isRegularFile(released) ? released : null, spec.kernel().uki(), raw);
            if (formats.contains("qcow2")) {
                Path q = out.resolve(spec.baseName() + ".disk.qcow2");
                org.stageforge.image.DiskImage.qcow2(raw, q);
                rep.action("pack", q.getFileName().toString());
                artifacts.put(q.getFileName().toString(), wrote(q, Build.sha256(q)));
            }
            if (formats.contains("disk")) {
                rep.action("pack", raw.getFileName().toString());
                artifacts.put(raw.getFileName().toString(), wrote(raw, Build.sha256(raw)));
            } else {
                Files.delete(raw);
            }
        }
        Path json = out.resolve(spec.baseName() + ".json");
        Manifest.write(json, spec, lock(), root, plan, artifacts);
        return Build.sha256(artifacts.toString() + wrote(json, Build.sha256(json)));
    }

    /** Records {@code f} (with its sha256) as written by the running part; returns the digest. */
    private String wrote(Path f, String sha256) {
        written.put(f.toAbsolutePath().toString(), sha256);
        return sha256;
    }

    private List<Path> artifacts() throws IOException {
        List<Path> l = new ArrayList<>();
        try (var s = Files.list(out)) {
            for (Path p : s.sorted().toList()) {
                String n = p.getFileName().toString();
                // root images and boot files are named NAME_VERSION.* (systemd-sysupdate's pattern), the rest NAME-VERSION.*
                boolean ours = n.startsWith(spec.baseName() + ".") || n.startsWith(spec.name() + "_" + spec.version() + ".");
                if (ours && !n.endsWith(".pub.asc") && Files.isRegularFile(p)) l.add(p);
            }
        }
        return l;
    }

    private String checksum() throws IOException {
        StringBuilder s256 = new StringBuilder();
        StringBuilder s512 = new StringBuilder();
        for (Path p : artifacts()) {
            String n = p.getFileName().toString();
            s256.append(Build.digestFile(p, "SHA-256")).append("  ").append(n).append('\n');
            s512.append(Build.digestFile(p, "SHA-512")).append("  ").append(n).append('\n');
        }
        StateStore.writeAtomically(out.resolve("SHA256SUMS"), s256.toString().getBytes(StandardCharsets.UTF_8));
        StateStore.writeAtomically(out.resolve("SHA512SUMS"), s512.toString().getBytes(StandardCharsets.UTF_8));
        for (String n : List.of("SHA256SUMS", "SHA512SUMS")) wrote(out.resolve(n), Build.sha256(out.resolve(n)));
        return Build.sha256(s256 + "\n" + s512);
    }

    private String sign() throws IOException {
        Key k = signingKey();
        OpenPgp.SigningKey key = k.key();
        byte[] pubArmored = k.publicArmored();
        var gen = OpenPgp.detachedSigner(key, new Date(plan().sourceDateEpoch() * 1000));
        gen.update(Files.readAllBytes(out.resolve("SHA256SUMS")));
        byte[] armored = OpenPgp.armored(gen);
        byte[] binary;
        try (ArmoredInputStream ai = ArmoredInputStream.builder().build(new ByteArrayInputStream(armored))) {
            binary = ai.readAllBytes();
        }
        StateStore.writeAtomically(out.resolve("SHA256SUMS.gpg"), binary);
        StateStore.writeAtomically(out.resolve(spec.baseName() + ".pub.asc"), pubArmored);
        for (Path f : List.of(out.resolve("SHA256SUMS.gpg"), out.resolve(spec.baseName() + ".pub.asc"))) wrote(f, Build.sha256(f));
        return Build.sha256(java.util.HexFormat.of().formatHex(binary) + new String(pubArmored, StandardCharsets.US_ASCII));
    }

    /** The build's signing key: {@code [output] signing_key}, else one generated once per build directory. */
    record Key(OpenPgp.SigningKey key, byte[] publicArmored) {}

    private Key signingKey() throws IOException {
        OpenPgp.SigningKey key;
        byte[] pubArmored;
        if (spec.output().signingKey() != null) {
            char[] pass = spec.output().passphraseFile() == null ? null
                    : Files.readString(spec.output().passphraseFile()).strip().toCharArray();
            key = OpenPgp.SigningKey.load(spec.output().signingKey(), pass);
            ByteArrayOutputStream bo = new ByteArrayOutputStream();
            try (ArmoredOutputStream ao = ArmoredOutputStream.builder().build(bo)) {
                key.publicKey().encode(ao);
            }
            pubArmored = bo.toByteArray();
        } else {
            Path keys = build.resolve("keys");
            Path secret = keys.resolve("build-key.sec.asc");
            Path pub = keys.resolve("build-key.pub.asc");
            if (!Files.isRegularFile(secret) || !Files.isRegularFile(pub)) {
                OpenPgp.GeneratedKey g = OpenPgp.generate("stageforge build key for " + spec.name(), null,
                        new Date(plan().sourceDateEpoch() * 1000));
                Files.createDirectories(keys);
                StateStore.writeAtomically(pub, g.publicArmored());
                StateStore.writeAtomically(secret, g.secretArmored());
                Files.setPosixFilePermissions(secret, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
                rep.warning("no [output] signing_key: signed with a key generated for this build directory (" + pub + ")");
            }
            key = OpenPgp.SigningKey.load(secret, null);
            pubArmored = Files.readAllBytes(pub);
        }
        return new Key(key, pubArmored);
    }

    private String publish() throws IOException {
        Path dest = opts.outputDir().toAbsolutePath();
        Files.createDirectories(dest);
        StringBuilder sb = new StringBuilder();
        try (var s = Files.list(out)) {
            for (Path p : s.sorted().toList()) {
                if (!Files.isRegularFile(p) || p.getFileName().toString().startsWith(".")) continue;
                Path target = dest.resolve(p.getFileName().toString());
                Path tmp = dest.resolve("." + p.getFileName() + ".part");
                Files.copy(p, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                rep.action("publish", target.toString());
                published.add(target);
                sb.append(p.getFileName()).append(' ').append(wrote(target, Build.sha256(target))).append('\n');
            }
        }
        return Build.sha256(sb.toString());
    }

}

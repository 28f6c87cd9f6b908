package org.stageforge.install;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.atom.Atom;
import org.stageforge.binhost.BinhostClient;
import org.stageforge.binhost.FetchListener;
import org.stageforge.binhost.FetchResult;
import org.stageforge.binhost.FetchedPackage;
import org.stageforge.binhost.IndexRef;
import org.stageforge.merge.InstallMaskSets;
import org.stageforge.merge.MergeEngine;
import org.stageforge.merge.MergeOptions;
import org.stageforge.merge.MergeRequest;
import org.stageforge.merge.PhaseRunner;
import org.stageforge.merge.RootLock;
import org.stageforge.merge.Unmerge;
import org.stageforge.vdb.Vdb;
import org.stageforge.vdb.VdbEntry;
import org.stageforge.profile.PortageConfig;
import org.stageforge.resolve.Binhost;
import org.stageforge.resolve.PlannedPackage;
import org.stageforge.resolve.ResolvePlan;
import org.stageforge.resolve.ResolveRequest;
import org.stageforge.resolve.Resolver;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The porcelain behind {@code stageforge install}: what {@code emerge --usepkgonly --root=ROOT}
 * does — resolve against binhosts, fetch and verify the chosen binpkgs, merge them in order.
 */
public final class Installer {
    private Installer() {}

    /**
     * @param root          the target root (created when missing)
     * @param configRoot    a Portage config root (etc/portage/make.conf, make.profile, repos.conf, package.*)
     * @param binhosts      directories or http(s) URLs, in priority order
     * @param targets       atoms and sets
     * @param options       emerge-like resolution options
     * @param pretend       resolve only
     * @param noPhases      skip the packages' pkg_* phases (listed in the result)
     * @param phaseRunner   runs phases when not skipped; null: {@link BashPhases} (isolated in namespaces) with
     *                      SOURCE_DATE_EPOCH from {@code env}
     * @param unprivileged  keep owners, special modes, devices and xattrs in the file table only, even as root
     * @param env           the environment: make.conf variables in it override the config root's, as in Portage
     * @param cacheDir      binhost index and package cache
     * @param listener      fetch progress, or null
     * @param buildDir      phase work files, logs and images extracted for pkg_preinst (outside the root); null: a
     *                      temporary directory removed afterwards
     */
    public record Request(Path root, Path configRoot, List<String> binhosts, List<String> targets,
                          ResolveRequest.Options options, boolean pretend, boolean noPhases, PhaseRunner phaseRunner,
                          boolean unprivileged, Map<String, String> env, Path cacheDir, FetchListener listener,
                          Path buildDir) {
        public Request(Path root, Path configRoot, List<String> binhosts, List<String> targets,
                       ResolveRequest.Options options, boolean pretend, boolean noPhases, PhaseRunner phaseRunner,
                       boolean unprivileged, Map<String, String> env, Path cacheDir, FetchListener listener) {
            this(root, configRoot, binhosts, targets, options, pretend, noPhases, phaseRunner, unprivileged, env,
                    cacheDir, listener, null);
        }

        public Request {
            Objects.requireNonNull(root, "root");
            Objects.requireNonNull(configRoot, "configRoot");
            binhosts = List.copyOf(binhosts);
            targets = List.copyOf(targets);
            options = options == null ? ResolveRequest.Options.DEFAULT : options;
            env = env == null ? Map.of() : Map.copyOf(env);
            Objects.requireNonNull(cacheDir, "cacheDir");
            listener = listener == null ? FetchListener.NONE : listener;
        }
    }

    /** What was planned and, unless pretending, what the merge did. */
    public record Result(PortageConfig config, ResolvePlan plan, MergeEngine.Result merge) {}

    public static Result install(Request req) {
        if (req.binhosts().isEmpty()) {
            throw new StageforgeException("no binhost given", ExitCodes.USAGE, null);
        }
        PortageConfig config = PortageConfig.load(req.configRoot(), req.env());
        List<Binhost> hosts = new ArrayList<>();
        for (String b : req.binhosts()) hosts.add(Binhost.load(b, req.cacheDir()));
        if (Files.isDirectory(req.root()) && !req.pretend()) MergeEngine.recover(req.root());
        ResolveRequest rr = Files.isDirectory(req.root())
                ? ResolveRequest.forRoot(config, hosts, req.root(), req.targets(), req.options())
                : ResolveRequest.of(config, hosts, req.targets(), req.options());
        ResolvePlan plan = Resolver.resolve(rr);
        // an interrupted merge still owes env-update: a rerun with nothing left to merge finishes it
        if (req.pretend() || plan.packages().isEmpty() && !MergeEngine.unfinished(req.root())) {
            return new Result(config, plan, null);
        }

        Map<PlannedPackage, Path> files = fetch(req, hosts, plan);
        try {
            Files.createDirectories(req.root());
        } catch (IOException e) {
            throw new StageforgeException("cannot create root " + req.root() + ": " + e.getMessage(), e);
        }
        List<MergeRequest.Item> items = new ArrayList<>();
        for (PlannedPackage p : plan.packages()) {
            // the fetch verified every digest of the entry: its MD5 is the file's, no need to hash it again
            items.add(new MergeRequest.Item(files.get(p), p.world() ? worldAtom(plan, p) : null,
                    new IndexRef(p.entry()).md5()));
        }
        InstallMaskSets sets = InstallMaskSets.defaults().withDirectory(req.configRoot());
        Path build = null;
        try {
            build = req.buildDir() != null ? Files.createDirectories(req.buildDir())
                    : Files.createTempDirectory("stageforge-install-");
            PhaseRunner runner = req.phaseRunner() != null || req.noPhases() ? req.phaseRunner()
                    : new BashPhases(build, req.env().get("SOURCE_DATE_EPOCH"));
            MergeOptions mo = MergeOptions.fromConfig(req.root(), config, sets)
                    .withOneshot(req.options().oneshot())
                    .withUnprivileged(req.unprivileged())
                    .withPhases(req.noPhases(), runner)
                    .withBuildDir(build)
                    .withSourceDateEpoch(org.stageforge.util.SourceDateEpoch.fromEnv(req.env()));
            MergeEngine.Result merged = MergeEngine.merge(new MergeRequest(items, mo));
        unmergeBlocked(req.root(), plan);
        return new Result(config, plan, merged);
        } catch (IOException e) {
            throw new StageforgeException("cannot create the build directory: " + e.getMessage(), e);
        } finally {
            if (req.buildDir() == null && build != null) org.stageforge.util.Dirs.deleteTreeOrFail(build);
        }
    }

    /** Removes the installed packages a soft blocker of the plan displaces (after the merge, as Portage does). */
    private static void unmergeBlocked(Path root, ResolvePlan plan) {
        if (plan.removals().isEmpty()) return;
        try (RootLock lock = RootLock.acquire(root)) {
            for (String cpv : plan.removals()) {
                List<VdbEntry> installed = Vdb.open(root).installed();
                for (VdbEntry e : installed) {
                    if (e.cpv().equals(cpv)) Unmerge.run(root, e, installed, path -> { });
                }
            }
        } catch (IOException e) {
            throw new StageforgeException("cannot unmerge blocked packages from " + root + ": " + e.getMessage(), e);
        }
    }

    /** The world-file atom the resolver chose for a requested package (its cp, or a slot atom). */
    public static String worldAtom(ResolvePlan plan, PlannedPackage p) {
        String cp = p.cpv().cp();
        for (String a : plan.worldAdditions()) {
            if (!a.startsWith("@") && Atom.parse(a).cp().equals(cp)) return a;
        }
        return cp;
    }

    /** Fetches (or, for directories, verifies in place) every planned package; any failure stops the install. */
    private static Map<PlannedPackage, Path> fetch(Request req, List<Binhost> hosts, ResolvePlan plan) {
        Map<PlannedPackage, Path> out = new LinkedHashMap<>();
        List<StageforgeException> errors = new ArrayList<>();
        for (int i = 0; i < hosts.size(); i++) {
            Binhost host = hosts.get(i);
            List<IndexRef> refs = new ArrayList<>();
            Map<IndexRef, PlannedPackage> byRef = new LinkedHashMap<>();
            for (PlannedPackage p : plan.packages()) {
                if (!p.binhost().equals(host.name())) continue;
                IndexRef ref = new IndexRef(p.entry());
                refs.add(ref);
                byRef.put(ref, p);
            }
            if (refs.isEmpty()) continue;
            try (BinhostClient client = BinhostClient.open(req.binhosts().get(i), BinhostClient.Options.of(req.cacheDir()))) {
                FetchResult r = client.fetchAll(refs, req.listener());
                for (FetchedPackage f : r.fetched()) out.put(byRef.get((IndexRef) f.ref()), f.file());
                r.failures().forEach(f -> errors.add(f.error()));
            }
        }
        if (!errors.isEmpty()) {
            StringBuilder sb = new StringBuilder("cannot fetch " + errors.size() + " package(s); nothing was merged");
            for (StageforgeException e : errors) sb.append("\n  ").append(e.getMessage());
            throw new StageforgeException(sb.toString(), errors.get(0).exitCode(), errors.get(0));
        }
        return out;
    }
}

package org.stageforge.pipeline;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.spec.StageSpec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Runs a stage build: the {@link Part}s in order, each reused when its recorded fingerprint matches, else run with its
 * hooks and recorded. A part's fingerprint is the sha256 of the stageforge version, the part's name, the spec
 * sections it reads, its hooks, the lock (if any) and the output digests of every earlier part, so any change
 * upstream re-runs it.
 *
 * <p>The root parts (install .. cleanup) change one directory in place. A root part is reused only when the root is
 * cleanly at or after it; when one must run and the root is not exactly after the previous root part (it is further
 * along, or a part was interrupted), the root is put back to install's result from its {@link RootSnapshot}, or,
 * without an intact one, rebuilt from {@code install}.
 */
public final class Build {
    private final StageSpec spec;
    private final BuildOptions opts;
    private final Reporter rep;
    private final StateStore store;
    private final Map<Part, String> outputs = new LinkedHashMap<>();
    /** The published files when publish is reused (they were checked to be there). */
    private final List<Path> reusedArtifacts = new java.util.ArrayList<>();

    private Build(StageSpec spec, BuildOptions opts, Reporter rep) {
        this.spec = spec;
        this.opts = opts;
        this.rep = rep;
        this.store = new StateStore(opts.buildDir());
    }

    /** The result: each part's outcome (done, reused, skipped) and the published artifacts. */
    public record Result(Map<Part, String> outcomes, List<Path> artifacts) {}

    /** A published file: its path in the output directory, sha256 and size. */
    public record Artifact(Path path, String sha256, long size) {}

    public static Result run(StageSpec spec, BuildOptions opts, Reporter rep) {
        Result r;
        try {
            // both refusals come before anything is written
            if (opts.lock() != null) opts.lock().requireMatches(spec);
            Build b = new Build(spec, opts, rep);
            if (!b.skipped(Part.PUBLISH)) FileOps.requireWritableDir(opts.outputDir(), "output directory");
            r = b.run(Part.PUBLISH);
        } catch (RuntimeException e) {
            rep.buildEnd("failed", List.of());
            throw e;
        }
        rep.buildEnd("done", published(opts));
        return r;
    }

    /** What publish copied to the output directory (also when it was reused), sorted by name. */
    private static List<Artifact> published(BuildOptions opts) {
        List<Artifact> l = new java.util.ArrayList<>();
        if (opts.skip().contains(Part.PUBLISH)) return l;
        for (Path p : org.stageforge.util.Dirs.sortedChildren(opts.buildDir().resolve("out"))) {
            Path a = opts.outputDir().toAbsolutePath().resolve(p.getFileName().toString());
            if (p.getFileName().toString().startsWith(".") || !Files.isRegularFile(p) || !Files.isRegularFile(a)) continue;
            try {
                l.add(new Artifact(a, sha256(a), Files.size(a)));
            } catch (IOException e) {
                throw new StageforgeException("cannot read " + a + ": " + e.getMessage(), e);
            }
        }
        return l;
    }

    /** Runs fetch alone (as every build does); for {@link Pretend}. */
    static Build fetchOnly(StageSpec spec, BuildOptions opts, Reporter rep) {
        Build b = new Build(spec, opts, rep);
        b.run(Part.FETCH);
        return b;
    }

    /** Each part's outcome (reuse, run, skip) for a build now, given resolve's output (null: unknown). */
    Map<Part, String> predict(Parts parts, String resolveOutput) throws IOException {
        Map<Part, String> out = new LinkedHashMap<>();
        outputs.clear();
        store.get(Part.FETCH).ifPresent(s -> outputs.put(Part.FETCH, s.output()));
        out.put(Part.FETCH, "run");
        StateStore.RootStamp stamp = store.root();
        Part rootAt = stamp.clean() && stamp.at() != null ? Part.of(stamp.at()) : null;
        boolean known = true;
        for (Part p : Part.values()) {
            if (p == Part.FETCH) continue;
            if (skipped(p)) {
                out.put(p, "skip");
                outputs.put(p, "skipped");
                continue;
            }
            PartState prev = store.get(p).orElse(null);
            boolean forced = opts.force().contains(p) || (opts.from() != null && p.ordinal() >= opts.from().ordinal());
            boolean matches = known && prev != null && prev.done() && !forced
                    && prev.fingerprint().equals(fingerprint(p, parts, Hooks.of(spec.dir(), spec.hooks(), "before", p),
                    Hooks.of(spec.dir(), spec.hooks(), "after", p)));
            boolean reuse = matches && (!p.changesRoot() || (rootAt != null && rootAt.ordinal() >= p.ordinal()));
            if (reuse) {
                out.put(p, "reuse");
                outputs.put(p, prev.output());
                continue;
            }
            out.put(p, "run");
            if (p.changesRoot() && p != Part.INSTALL && "reuse".equals(out.get(Part.INSTALL))) {
                Part needed = previousRootPart(p);
                boolean ready = needed == null || needed == rootAt;
                if (!ready && !RootSnapshot.usable(snapshotDir(), store.get(Part.INSTALL).get().fingerprint())) {
                    out.put(Part.INSTALL, "run (the root is rebuilt)");
                }
            }
            if (p.changesRoot()) rootAt = p;
            if (p == Part.RESOLVE && resolveOutput != null) {
                outputs.put(p, resolveOutput);
            } else {
                // what a part that runs produces is known only once it ran
                known = false;
            }
        }
        return out;
    }

    /**
     * Runs (or reuses) fetch and resolve and returns the lock pinning their results; with [seed] binpkgs too, so the
     * packages built from source are pinned by their SHA-512 in the build's own binhost.
     */
    public static Lock lock(StageSpec spec, BuildOptions opts, Reporter rep) {
        new Build(spec, opts, rep).run(spec.seed() != null ? Part.BINPKGS : Part.RESOLVE);
        try {
            return new Parts(spec, opts, rep).lock();
        } catch (IOException e) {
            throw new StageforgeException("cannot read the resolve record: " + e.getMessage(), e);
        }
    }

    private Result run(Part last) {
        Path lockFile = opts.buildDir().resolve("build.lock");
        try {
            Files.createDirectories(opts.buildDir());
            try (var ch = java.nio.channels.FileChannel.open(lockFile, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.WRITE);
                 var lock = ch.tryLock()) {
                if (lock == null) {
                    throw new StageforgeException("another build is running in " + opts.buildDir(), ExitCodes.FAILURE, null);
                }
                return runLocked(last);
            }
        } catch (java.nio.channels.OverlappingFileLockException e) {
            throw new StageforgeException("another build is running in " + opts.buildDir(), ExitCodes.FAILURE, e);
        } catch (IOException e) {
            throw new StageforgeException("cannot lock " + lockFile + ": " + e.getMessage(), e);
        }
    }

    private Result runLocked(Part last) {
        Map<Part, String> outcomes = new LinkedHashMap<>();
        Parts parts = new Parts(spec, opts, rep);
        boolean rootRebuild = false;
        Part[] all = Part.values();
        for (String w : Hooks.problems(spec.dir())) rep.warning(w);
        for (int i = 0; i <= last.ordinal(); i++) {
            Part p = all[i];
            List<Hooks.Hook> before = Hooks.of(spec.dir(), spec.hooks(), "before", p);
            List<Hooks.Hook> after = Hooks.of(spec.dir(), spec.hooks(), "after", p);
            String fp = fingerprint(p, parts, before, after);
            if (skipped(p)) {
                outputs.put(p, "skipped");
                store.put(new PartState(p.id(), "skipped", fp, "skipped", org.stageforge.StageforgeVersion.get(), null));
                rep.partStart(p);
                rep.partEnd(p, "skipped", 0);
                outcomes.put(p, "skipped");
                continue;
            }
            PartState prev = store.get(p).orElse(null);
            // fetch always runs: a directory repository or a binhost can change under the same spec, and its
            // output digests decide what the later parts reuse
            boolean forced = p == Part.FETCH || opts.force().contains(p) || (opts.from() != null && p.ordinal() >= opts.from().ordinal())
                    || (rootRebuild && p.changesRoot());
            boolean matches = prev != null && prev.done() && prev.fingerprint().equals(fp) && !forced;
            String gone = matches ? StateStore.missingOutput(prev) : null;
            if (gone != null) {
                rep.log(p.id() + ": not reused: " + gone);
                matches = false;
            }
            StateStore.RootStamp stamp = store.root();
            // a root that was removed holds no part's work, whatever the stamp says
            if (stamp.at() != null && !Files.isDirectory(opts.buildDir().resolve("root"))) stamp = new StateStore.RootStamp(null, null, true);
            if (p.changesRoot()) {
                boolean rootHasIt = stamp.clean() && stamp.at() != null && Part.of(stamp.at()).ordinal() >= p.ordinal();
                if (matches && rootHasIt) {
                    reuse(p, prev, outcomes);
                    continue;
                }
                Part needed = previousRootPart(p);
                // with every earlier root part skipped, the root is taken as it is
                boolean rootReady = p == Part.INSTALL || needed == null
                        || (stamp.clean() && needed.id().equals(stamp.at()));
                if (!rootReady && (rootRebuild || skipped(Part.INSTALL))) {
                    throw new StageforgeException(p.id() + ": the root is not at the state after " + needed.id()
                            + " and cannot be rebuilt while install is skipped", ExitCodes.USAGE, null);
                }
                if (!rootReady && !rootRebuild && restoreInstall()) {
                    // the root is past or short of what this part needs: start again from install's snapshot
                    i = Part.INSTALL.ordinal();
                    for (Part q : Part.values()) if (q.changesRoot() && q != Part.INSTALL) outputs.remove(q);
                    continue;
                }
                if (!rootReady) {
                    // the root is past or short of what this part needs, and there is no snapshot: rebuild it from install
                    rootRebuild = true;
                    i = Part.INSTALL.ordinal() - 1;
                    for (Part q : Part.values()) if (q.changesRoot()) outputs.remove(q);
                    continue;
                }
                store.root(new StateStore.RootStamp(p.id(), fp, false));
            } else if (matches) {
                reuse(p, prev, outcomes);
                continue;
            }
            rep.partStart(p);
            long t0 = System.nanoTime();
            store.remove(p);
            String out;
            try {
                Map<String, String> env = hookEnv(p);
                Hooks.run(before, spec.dir(), env, rep, p);
                out = parts.run(p);
                Hooks.run(after, spec.dir(), env, rep, p);
            } catch (RuntimeException e) {
                rep.error(e.getMessage());
                rep.partEnd(p, "failed", (System.nanoTime() - t0) / 1_000_000);
                throw e;
            }
            if (p == Part.INSTALL) snapshot(fp);
            if (p.changesRoot()) {
                // hooks may change the root: the part's identity is its fingerprint, root contents follow from it
                out = sha256(fp + "\n" + out);
            }
            store.put(new PartState(p.id(), "done", fp, out, org.stageforge.StageforgeVersion.get(), parts.written()));
            if (p.changesRoot()) store.root(new StateStore.RootStamp(p.id(), fp, true));
            outputs.put(p, out);
            outcomes.put(p, "done");
            rep.partEnd(p, "done", (System.nanoTime() - t0) / 1_000_000);
        }
        return new Result(outcomes, parts.published().isEmpty() ? reusedArtifacts : parts.published());
    }

    private Path snapshotDir() {
        return opts.buildDir().resolve("snapshot");
    }

    private void snapshot(String installFingerprint) {
        try {
            RootSnapshot.take(opts.buildDir().resolve("root"), snapshotDir(), installFingerprint);
        } catch (IOException e) {
            throw new StageforgeException("install: cannot snapshot the root: " + e.getMessage(), e);
        }
    }

    /**
     * Puts the root back to install's result from the snapshot, when install was reused or ran in this build (so its
     * recorded fingerprint is current) and the snapshot is intact; false otherwise.
     */
    private boolean restoreInstall() {
        PartState st = store.get(Part.INSTALL).orElse(null);
        if (!outputs.containsKey(Part.INSTALL) || skipped(Part.INSTALL) || st == null || !st.done()) return false;
        try {
            if (!RootSnapshot.usable(snapshotDir(), st.fingerprint())) return false;
            store.root(new StateStore.RootStamp(Part.INSTALL.id(), st.fingerprint(), false));
            RootSnapshot.restore(snapshotDir(), opts.buildDir().resolve("root"));
        } catch (IOException e) {
            throw new StageforgeException("cannot restore the root from " + snapshotDir() + ": " + e.getMessage(), e);
        }
        store.root(new StateStore.RootStamp(Part.INSTALL.id(), st.fingerprint(), true));
        return true;
    }

    private void reuse(Part p, PartState prev, Map<Part, String> outcomes) {
        if (p == Part.PUBLISH) for (String f : new TreeMap<>(prev.files()).keySet()) reusedArtifacts.add(Path.of(f));
        outputs.put(p, prev.output());
        outcomes.put(p, "reused");
        rep.partStart(p);
        rep.partEnd(p, "reused", 0);
    }

    private boolean skipped(Part p) {
        return opts.skip().contains(p) || (p == Part.KERNEL && !spec.kernel().configured());
    }

    /** The last root part before {@code p} that is not skipped (null for install). */
    private Part previousRootPart(Part p) {
        for (int o = p.ordinal() - 1; o >= Part.INSTALL.ordinal(); o--) {
            Part q = Part.values()[o];
            if (!skipped(q)) return q;
        }
        return null;
    }

    private String fingerprint(Part p, Parts parts, List<Hooks.Hook> before, List<Hooks.Hook> after) {
        MessageDigest md = sha256();
        md.update(("stageforge " + org.stageforge.StageforgeVersion.get() + "\npart " + p.id() + "\n").getBytes(StandardCharsets.UTF_8));
        md.update(parts.inputs(p).getBytes(StandardCharsets.UTF_8));
        Hooks.digest(md, before);
        md.update((byte) 0);
        Hooks.digest(md, after);
        if (opts.lock() != null) md.update(opts.lock().toBytes());
        for (Map.Entry<Part, String> e : new TreeMap<>(outputs).entrySet()) {
            if (e.getKey().ordinal() < p.ordinal()) md.update((e.getKey().id() + "=" + e.getValue() + "\n").getBytes(StandardCharsets.UTF_8));
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** The documented hook environment. */
    private Map<String, String> hookEnv(Part p) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("ROOT", opts.buildDir().resolve("root").toAbsolutePath().toString());
        env.put("STAGE_NAME", spec.name());
        env.put("STAGE_VERSION", spec.version());
        env.put("PART", p.id());
        env.put("BUILD_DIR", opts.buildDir().toAbsolutePath().toString());
        env.put("OUTPUT_DIR", opts.outputDir().toAbsolutePath().toString());
        env.put("SPEC", spec.file().toAbsolutePath().toString());
        Long sde = Parts.sourceDateEpochIfKnown(opts.buildDir());
        if (sde != null) env.put("SOURCE_DATE_EPOCH", Long.toString(sde));
        return env;
    }

    static MessageDigest sha256() {
        return org.stageforge.util.Hashes.of("SHA-256");
    }

    static String sha256(String s) {
        return HexFormat.of().formatHex(sha256().digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    static String sha256(Path f) {
        return digestFile(f, "SHA-256");
    }

    static String digestFile(Path f, String alg) {
        try {
            return org.stageforge.util.Hashes.ofFile(f, alg);
        } catch (IOException e) {
            throw new StageforgeException("cannot read " + f + ": " + e.getMessage(), ExitCodes.NOT_FOUND, e);
        }
    }
}

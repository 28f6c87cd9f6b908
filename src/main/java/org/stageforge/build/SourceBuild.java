package org.stageforge.build;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.binhost.BinhostWriter;
import org.stageforge.binpkg.OpenPgp;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * The {@code binpkgs} part's work: build the packages of a plan that are to come from source with real emerge in the
 * seed, and take the results into the {@link LocalBinhost}.
 *
 * <p>A package already in the local binhost with its build key is not built again, so a build that stopped (a
 * failure, {@code kill -9}) continues with what is missing. emerge gets a fresh staging PKGDIR holding the plan's
 * binary packages (unsigned copies of GPKGs: see {@link LocalBinhost#unsignedCopy}; so the build root installs them
 * instead of building them) and, after each run, every new binpkg
 * of a wanted package is re-packed into the local binhost, also when a later package failed.
 */
public final class SourceBuild {
    private SourceBuild() {}

    /**
     * @param emerge   the emerge request (its atoms and PKGDIR are set here)
     * @param targets  cpv → build key of every package to come from source, in merge order
     * @param offered  binary packages of the plan emerge may install in its build root instead of building them
     * @param key      signs the re-packed GPKGs (null: unsigned)
     * @param shell    open {@link Emerge#shell} at a failed package and retry it when the shell exits 0
     */
    public record Request(Emerge.Request emerge, Map<String, String> targets, List<Path> offered, LocalBinhost local,
                          OpenPgp.SigningKey key, long sourceDateEpoch, boolean shell, Path scratch) {
        public Request {
            targets = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(targets));
            offered = List.copyOf(offered);
        }
    }

    /** What was built (in order) and what was already in the local binhost with its key. */
    public record Outcome(List<LocalBinhost.Ingested> built, List<String> reused) {
        public Outcome {
            built = List.copyOf(built);
            reused = List.copyOf(reused);
        }
    }

    /** Shells {@code --shell-on-failure} opens for one package before the part gives up on it. */
    public static final int MAX_SHELLS = 3;

    public static Outcome run(Request r, Consumer<String> log, Consumer<String> warn) throws IOException {
        Map<String, String> missing = new LinkedHashMap<>();
        List<String> reused = new ArrayList<>();
        for (Map.Entry<String, String> t : r.targets().entrySet()) {
            if (r.local().keyOf(t.getKey()).map(t.getValue()::equals).orElse(false)) reused.add(t.getKey());
            else missing.put(t.getKey(), t.getValue());
        }
        if (!reused.isEmpty()) log.accept("already built with this build key: " + String.join(" ", reused));
        List<LocalBinhost.Ingested> built = new ArrayList<>();
        if (missing.isEmpty()) return new Outcome(built, reused);
        Path staging = r.scratch().toAbsolutePath().resolve("pkgdir");
        Sandbox.deleteTree(staging);
        Files.createDirectories(staging);
        Set<String> offered = new TreeSet<>();
        for (Path f : r.offered()) offered.add(offer(f, staging));
        if (!offered.isEmpty()) BinhostWriter.index(staging, Map.of(), r.sourceDateEpoch());
        // shells opened per failed package: a shell that exits 0 at once (end of input) must not retry for ever
        Map<String, Integer> shells = new java.util.HashMap<>();
        while (true) {
            List<String> atoms = new ArrayList<>();
            for (String cpv : missing.keySet()) atoms.add("=" + cpv);
            Emerge.Request e = r.emerge();
            Emerge.Request req = new Emerge.Request(e.seed(), e.repo(), e.repoName(), e.overlays(), e.configRoot(),
                    e.makeConf(), staging, e.distDir(), e.logDir(), atoms, e.jobs(), e.keepGoing(), e.network(),
                    e.ccacheDir(), e.distccHosts(), r.sourceDateEpoch());
            if (req.network()) fetch(req, r, log, warn);
            log.accept("emerge " + String.join(" ", atoms));
            Emerge.Result res = Emerge.run(req, r.scratch().resolve("sandbox"));
            for (LocalBinhost.Ingested i : r.local().ingest(staging, missing, r.key(), r.sourceDateEpoch(), warn)) {
                built.add(i);
                missing.remove(i.cpv());
                log.accept("built " + i.cpv() + " -> " + i.file() + " sha512=" + i.sha512());
            }
            if (missing.isEmpty()) return new Outcome(built, reused);
            if (res.ok()) {
                throw new StageforgeException("emerge finished but left no binary package of " + String.join(" ", missing.keySet())
                        + " (see " + e.logDir().resolve(Emerge.OUTPUT_LOG) + ")", ExitCodes.FAILURE, null);
            }
            StringBuilder msg = new StringBuilder();
            if (r.shell() && res.failedCpv() != null) {
                int n = shells.merge(res.failedCpv(), 1, Integer::sum);
                if (n <= MAX_SHELLS) {
                    warn.accept(res.failedCpv() + " failed to build (log: " + res.failedLog() + "); opening a shell in"
                            + " its build environment (" + n + " of " + MAX_SHELLS + ")");
                    int code = Emerge.shell(req, r.scratch().resolve("sandbox"), res.failedCpv());
                    if (code == 0) {
                        log.accept("the shell exited 0: building " + String.join(" ", missing.keySet()) + " again");
                        continue;
                    }
                    msg.append("the shell exited ").append(code).append(": ");
                } else {
                    msg.append("still failing after ").append(MAX_SHELLS).append(" shells: ");
                }
            }
            if (res.failedCpv() != null) {
                msg.append(res.failedCpv()).append(" failed to build (log: ").append(res.failedLog()).append(")");
            } else {
                msg.append("emerge failed with exit ").append(res.exit()).append(" (log: ").append(e.logDir().resolve(Emerge.OUTPUT_LOG)).append(")");
            }
            msg.append("; not built: ").append(String.join(" ", missing.keySet()));
            if (!built.isEmpty()) msg.append("; built and kept in ").append(r.local().dir()).append(": ").append(built.size()).append(" package(s)");
            msg.append("\n").append(res.logTail() == null ? "" : res.logTail().stripTrailing());
            throw new StageforgeException(msg.toString(), ExitCodes.FAILURE, null);
        }
    }

    /**
     * The distfiles, fetched with the network before the build runs without it. A failure stops the part naming the
     * package, unless keep-going: then the build tries everything and names what it could not build.
     */
    private static void fetch(Emerge.Request req, Request r, Consumer<String> log, Consumer<String> warn) throws IOException {
        log.accept("emerge --fetchonly " + String.join(" ", req.atoms()));
        Emerge.Result f = Emerge.fetch(req, r.scratch().resolve("sandbox"));
        if (f.ok()) return;
        String what = (f.failedCpv() != null ? "cannot fetch the distfiles of " + String.join(" ", f.failed())
                : "emerge --fetchonly failed with exit " + f.exit())
                + " (log: " + req.logDir().resolve(Emerge.OUTPUT_LOG) + ")";
        if (req.keepGoing()) {
            warn.accept(what + "; keep-going: building what can be built");
            return;
        }
        throw new StageforgeException(what + "\n" + (f.logTail() == null ? "" : f.logTail().stripTrailing()),
                ExitCodes.FAILURE, null);
    }

    /** Links (or copies) a binary package into the staging PKGDIR at Portage's layout; returns its relative path. */
    private static String offer(Path file, Path staging) throws IOException {
        String cpv;
        try (org.stageforge.binpkg.BinaryPackage bp = org.stageforge.binpkg.BinaryPackage.open(file)) {
            cpv = bp.metadata().get("CATEGORY").strip() + "/" + bp.metadata().get("PF").strip();
        }
        org.stageforge.atom.Cpv c = org.stageforge.atom.Cpv.parse(cpv);
        String name = file.getFileName().toString();
        String ext = name.endsWith(".gpkg.tar") ? ".gpkg.tar" : name.endsWith(".xpak") ? ".xpak" : ".tbz2";
        Path target = staging.resolve(c.category()).resolve(c.name())
                .resolve(c.name() + "-" + c.version() + (ext.equals(".tbz2") ? "" : "-1") + ext);
        Files.createDirectories(target.getParent());
        if (ext.equals(".gpkg.tar")) {
            LocalBinhost.unsignedCopy(file, target);
            return staging.relativize(target).toString();
        }
        try {
            Files.createLink(target, file);
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return staging.relativize(target).toString();
    }

    /**
     * The seed's toolchain versions, measured once per seed (kept in {@code toolchain.tsv} beside the unpacked
     * root) by running {@link BuildKey#PROBE} in a sandbox without network.
     */
    public static Map<String, String> toolchain(SeedRoot seed, Path scratch) {
        return BuildKey.toolchain(seed.dir().resolveSibling("toolchain.tsv"), () -> {
            try {
                Files.createDirectories(scratch);
                Path log = scratch.resolve("toolchain-probe.log");
                Files.deleteIfExists(log);
                int code = Sandbox.run(new Sandbox.Spec(seed, scratch, List.of(), Map.of(), false, Map.of()),
                        List.of("/bin/sh", "-c", BuildKey.PROBE), log, false);
                String out = Files.isRegularFile(log, LinkOption.NOFOLLOW_LINKS) ? Files.readString(log, StandardCharsets.UTF_8) : "";
                if (code != 0) throw new StageforgeException("the toolchain probe in the seed failed (exit " + code + "): " + out.strip(), ExitCodes.FAILURE, null);
                return out;
            } catch (IOException e) {
                throw new StageforgeException("toolchain probe: " + e.getMessage(), e);
            }
        });
    }
}

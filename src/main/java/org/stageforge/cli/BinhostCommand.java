package org.stageforge.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.binhost.BinhostClient;
import org.stageforge.binhost.BinpkgRef;
import org.stageforge.binhost.FetchFailure;
import org.stageforge.binhost.FetchListener;
import org.stageforge.binhost.FetchResult;
import org.stageforge.binhost.FetchedPackage;
import org.stageforge.binhost.IndexRef;
import org.stageforge.binhost.PackageVerifier;
import org.stageforge.binpkg.OpenPgp;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code stageforge binhost fetch|index}: a thin shell over {@link BinhostClient}. */
@Command(name = "binhost", description = "Fetch a binhost's index and binary packages into a verified cache.",
        mixinStandardHelpOptions = true,
        subcommands = {BinhostCommand.Fetch.class, BinhostCommand.Index.class, BinhostCreateCommand.class,
                BinhostPushCommand.class})
public final class BinhostCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (fetch, index, create or push)");
    }

    /** Options shared by the subcommands. */
    static class Common {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--binhost", required = true, paramLabel = "URL_OR_DIR",
                description = "http(s):// URL, file:// URL or directory of the binhost.")
        String binhost;

        @Option(names = "--cache", paramLabel = "DIR",
                description = "Cache directory (default: $XDG_CACHE_HOME/stageforge or ~/.cache/stageforge).")
        Path cache;

        @Option(names = {"-q", "--quiet"}, description = "Print nothing but errors.")
        boolean quiet;

        Path cacheDir() {
            if (cache != null) return cache;
            String xdg = System.getenv("XDG_CACHE_HOME");
            Path base = xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
            return base.resolve("stageforge");
        }

        PrintWriter out() { return spec.commandLine().getOut(); }

        PrintWriter err() { return spec.commandLine().getErr(); }
    }

    @Command(name = "fetch", mixinStandardHelpOptions = true,
            description = "Fetch all packages of the binhost, or those named, verified, into the cache.")
    static final class Fetch extends Common implements Callable<Integer> {
        @Option(names = {"-j", "--jobs"}, defaultValue = "4", paramLabel = "N", description = "Parallel downloads (default: ${DEFAULT-VALUE}).")
        int jobs;

        @Option(names = "--require-signatures",
                description = "Refuse binpkgs that carry no signature (XPAK, unsigned GPKG); with --keyring "
                        + "the signatures must also verify.")
        boolean requireSignatures;

        @Option(names = "--keyring", paramLabel = "FILE", description = "OpenPGP public keys to verify GPKG signatures with.")
        Path keyring;

        @Option(names = "--json", description = "Print what was fetched and what failed as JSON.")
        boolean json;

        @Parameters(paramLabel = "ATOM_OR_CPV", arity = "0..*",
                description = "Atoms (cat/pkg, >=cat/pkg-1.2:0, =cat/pkg-1*::repo) or CPVs (cat/pkg-1.0); "
                        + "every matching build is fetched; none fetches everything.")
        List<String> names = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            if (jobs < 1) throw new CommandLine.ParameterException(spec.commandLine(), "--jobs must be at least 1");
            OpenPgp.Keyring keys = keyring == null ? null : OpenPgp.Keyring.load(keyring);
            BinhostClient.Options opts = BinhostClient.Options.of(cacheDir()).withJobs(jobs)
                    .withRequireSignatures(requireSignatures)
                    .withVerifier(new PackageVerifier(keys, requireSignatures && keys != null));
            try (BinhostClient client = BinhostClient.open(binhost, opts)) {
                BinhostClient.IndexFetch idx = client.fetchIndex();
                List<BinpkgRef> refs = select(idx, client);
                FetchResult result;
                try (Progress progress = Progress.start(!quiet && !json && System.console() != null, refs)) {
                    result = client.fetchAll(refs, progress);
                }
                for (FetchFailure f : result.failures()) err().println("stageforge: " + f.error().getMessage());
                if (json) {
                    out().println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                            .writeValueAsString(report(result)));
                } else if (!quiet) {
                    long cached = result.fetched().stream().filter(FetchedPackage::fromCache).count();
                    out().printf("fetched %d package(s) (%d already in the cache), %d failed, into %s%n",
                            result.fetched().size(), cached, result.failures().size(), opts.cacheDir());
                }
                out().flush();
                return result.exitCode();
            }
        }

        private List<BinpkgRef> select(BinhostClient.IndexFetch idx, BinhostClient client) {
            if (names.isEmpty()) return new ArrayList<>(idx.refs());
            LinkedHashSet<BinpkgRef> refs = new LinkedHashSet<>();
            List<String> unknown = new ArrayList<>();
            for (String n : names) {
                List<IndexRef> found = IndexRef.select(idx.index(), n);
                if (found.isEmpty()) unknown.add("'" + n + "'");
                refs.addAll(found);
            }
            if (!unknown.isEmpty())
                throw new StageforgeException("no package matching " + String.join(", ", unknown) + " in binhost "
                        + client.source().display(), ExitCodes.NOT_FOUND, null);
            return new ArrayList<>(refs);
        }

        private static Map<String, Object> report(FetchResult r) {
            List<Map<String, Object>> fetched = new ArrayList<>();
            for (FetchedPackage p : r.fetched()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("cpv", p.ref().cpv());
                m.put("build_id", p.ref().buildId());
                m.put("path", p.ref().path());
                m.put("file", p.file().toString());
                m.put("from_cache", p.fromCache());
                fetched.add(m);
            }
            List<Map<String, Object>> failed = new ArrayList<>();
            for (FetchFailure f : r.failures()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("cpv", f.ref().cpv());
                m.put("build_id", f.ref().buildId());
                m.put("path", f.ref().path());
                m.put("exit_code", f.error().exitCode());
                m.put("error", f.error().getMessage());
                failed.add(m);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("fetched", fetched);
            out.put("failed", failed);
            return out;
        }
    }

    @Command(name = "index", mixinStandardHelpOptions = true,
            description = "Fetch (conditionally) and summarise the binhost's Packages index.")
    static final class Index extends Common implements Callable<Integer> {
        @Option(names = "--json", description = "Print the header and every package entry as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            try (BinhostClient client = BinhostClient.open(binhost, BinhostClient.Options.of(cacheDir()))) {
                BinhostClient.IndexFetch idx = client.fetchIndex();
                List<IndexRef> refs = idx.refs();
                long total = refs.stream().mapToLong(r -> Math.max(0, r.size())).sum();
                if (json) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("binhost", client.source().display());
                    m.put("status", idx.status().name().toLowerCase(java.util.Locale.ROOT));
                    m.put("file", idx.file().toString());
                    m.put("packages_count", refs.size());
                    m.put("total_size", total);
                    m.put("header", idx.index().header());
                    List<Map<String, Object>> pkgs = new ArrayList<>();
                    for (IndexRef r : refs) {
                        Map<String, Object> p = new LinkedHashMap<>();
                        p.put("cpv", r.cpv());
                        p.put("build_id", r.buildId());
                        p.put("path", r.path());
                        p.put("size", r.size());
                        p.put("digests", r.digests());
                        pkgs.add(p);
                    }
                    m.put("packages", pkgs);
                    out().println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m));
                } else if (!quiet) {
                    PrintWriter o = out();
                    o.println("binhost:  " + client.source().display());
                    o.println("index:    " + idx.file() + " (" + idx.status().name().toLowerCase(java.util.Locale.ROOT)
                            .replace('_', ' ') + ")");
                    o.printf("packages: %d (%.1f MiB)%n", refs.size(), total / 1048576.0);
                    for (String k : List.of("ARCH", "CHOST", "PROFILE", "TIMESTAMP", "VERSION", "URI")) {
                        idx.index().header(k).ifPresent(v -> o.printf("%-9s %s%n", k.toLowerCase(java.util.Locale.ROOT) + ":", v));
                    }
                }
                out().flush();
                return ExitCodes.OK;
            }
        }
    }

    /** A byte-count progress bar on the terminal, or nothing; failed packages leave the total. */
    private static final class Progress implements FetchListener, AutoCloseable {
        private final ProgressBar bar;
        private final Map<BinpkgRef, Long> counted = new java.util.concurrent.ConcurrentHashMap<>();

        private Progress(ProgressBar bar) {
            this.bar = bar;
        }

        static Progress start(boolean show, List<BinpkgRef> refs) {
            if (!show) return new Progress(null);
            long total = refs.stream().mapToLong(r -> Math.max(0, r.size())).sum();
            return new Progress(new ProgressBarBuilder().setTaskName("fetch").setInitialMax(total)
                    .setUnit("MiB", 1L << 20).showSpeed().build());
        }

        @Override
        public void bytes(BinpkgRef ref, long delta) {
            if (bar == null) return;
            counted.merge(ref, delta, Long::sum);
            bar.stepBy(delta);
        }

        @Override
        public void failed(FetchFailure failure) {
            if (bar == null) return;
            synchronized (bar) {
                bar.stepBy(-counted.getOrDefault(failure.ref(), 0L));
                bar.maxHint(bar.getMax() - Math.max(0, failure.ref().size()));
            }
        }

        @Override
        public void close() {
            if (bar != null) bar.close();
        }
    }
}

package org.stageforge.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.stageforge.install.Installer;
import org.stageforge.merge.MergeEngine;
import org.stageforge.resolve.PlanFormat;
import org.stageforge.resolve.ResolveRequest;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code stageforge install}: {@code emerge --usepkgonly --root=DIR}, natively. */
@Command(name = "install", mixinStandardHelpOptions = true,
        description = {"Resolve TARGETS against binhosts and merge them into ROOT, as emerge --usepkgonly --root does.",
                "make.conf variables set in the environment (USE, FEATURES, INSTALL_MASK, ACCEPT_KEYWORDS, ...)"
                        + " override the config root's for this run.",
                "The merge holds ROOT/var/lib/stageforge/lock: a second install or merge into the same root stops at"
                        + " once (exit 1) naming the lock and its holder's pid. An interrupted install (even kill -9)"
                        + " is rolled back and finished by rerunning the same command."})
public final class InstallCommand implements Runnable {
    @Option(names = "--root", required = true, paramLabel = "DIR", description = "Target root (created when missing).")
    Path root;

    @Option(names = "--config-root", required = true, paramLabel = "CFG",
            description = "Portage config root: etc/portage/make.conf, make.profile, repos.conf, package.*.")
    Path configRoot;

    @Option(names = "--binhost", required = true, paramLabel = "URL_OR_DIR", description = "Binhost directory or http(s) URL; repeatable.")
    List<String> binhosts;

    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "Binhost index and package cache (default: $XDG_CACHE_HOME/stageforge, else ~/.cache/stageforge).")
    Path cacheDir;

    @Option(names = "--nodeps", description = "Merge only the targets.") boolean nodeps;
    @Option(names = "--oneshot", description = "Do not add the targets to the world file.") boolean oneshot;
    @Option(names = "--noreplace", description = "Skip targets that are already installed.") boolean noreplace;
    @Option(names = "--pretend", description = "Only print what would be merged, like emerge -pv.") boolean pretend;
    @Option(names = "--build-dir", description = "Keep phase logs and work files here (outside the root); "
            + "default: a temporary directory removed afterwards.") Path buildDir;
    @Option(names = "--no-phases", description = "Do not run pkg_* phases; list what was skipped.") boolean noPhases;
    @Option(names = "--unprivileged", description = "As root too, keep owners/devices/xattrs in the file table only.") boolean unprivileged;

    @Option(names = "--binpkg-respect-use", paramLabel = "y|n",
            description = "Only use binary packages built with the configured USE (default n, as emerge --usepkgonly).")
    String respectUse = "n";

    @Option(names = "--json", description = "Print the plan and the merge result as JSON.") boolean json;
    @Option(names = "--quiet", description = "Print nothing but errors.") boolean quiet;

    @Parameters(arity = "1..*", paramLabel = "TARGET", description = "Atoms or sets (@system, @world, @selected).")
    List<String> targets;

    @Spec CommandSpec spec;

    @Override
    @SuppressWarnings("try") // onCtrlC only needs closing
    public void run() {
        if (!respectUse.equals("y") && !respectUse.equals("n")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--binpkg-respect-use takes y or n");
        }
        ResolveRequest.Options o = new ResolveRequest.Options(nodeps, oneshot, noreplace, respectUse.equals("y"));
        Installer.Result r;
        try (OnInterrupt onCtrlC = new OnInterrupt(this::interrupted)) {
            r = Installer.install(new Installer.Request(root, configRoot, binhosts, targets, o, pretend,
                    noPhases, null, unprivileged, System.getenv(), cacheDir != null ? cacheDir : defaultCache(), null,
                    buildDir));
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(toJson(r));
        } else if (!quiet) {
            out.print(PlanFormat.pretend(r.plan(), r.config()));
            if (r.merge() != null) {
                out.println(">>> merged " + r.merge().packages().size() + " package(s) into " + root);
                List<String> skipped = r.merge().skippedPhases();
                if (!skipped.isEmpty()) out.println(">>> phases not run: " + String.join(", ", skipped));
                r.merge().packages().forEach(p -> p.configUpdates().forEach(c ->
                        out.println(" * IMPORTANT: config file needs updating: " + c)));
            }
        }
        out.flush();
    }

    /** Ctrl-C: packages merged so far are recorded in the VDB, so the same command finishes the rest. */
    private void interrupted() {
        String again = OnInterrupt.command(spec.commandLine().getParseResult().originalArgs().stream()
                .collect(java.util.stream.Collectors.toCollection(() -> new java.util.ArrayList<>(List.of("stageforge")))));
        String what = "interrupted while installing into " + root;
        if (json) spec.commandLine().getOut().println("{\"event\":\"error\",\"message\":" + quote(what)
                + ",\"interrupted\":true,\"resume\":" + quote(again) + "}");
        spec.commandLine().getOut().flush();
        spec.commandLine().getErr().println("stageforge: " + what + "; finish with: " + again);
        spec.commandLine().getErr().flush();
    }

    private static String quote(String s) {
        try {
            return new ObjectMapper().writeValueAsString(s);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Path defaultCache() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("stageforge");
    }

    private static String toJson(Installer.Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        try {
            ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            m.put("plan", om.readTree(PlanFormat.json(r.plan())));
            if (r.merge() != null) {
                List<Map<String, Object>> pk = new java.util.ArrayList<>();
                for (MergeEngine.PackageResult p : r.merge().packages()) {
                    Map<String, Object> e = new LinkedHashMap<>();
                    e.put("cpv", p.cpv());
                    e.put("replaced", p.replaced());
                    e.put("contents", p.contents());
                    e.put("config_updates", p.configUpdates());
                    e.put("removed", p.removed());
                    e.put("masked", p.masked());
                    e.put("phases", p.phases());
                    pk.add(e);
                }
                m.put("merged", pk);
                m.put("ldconfig", r.merge().ldconfig());
            }
            return om.writeValueAsString(m);
        } catch (java.io.IOException e) {
            throw new org.stageforge.StageforgeException("cannot format JSON: " + e.getMessage(), e);
        }
    }
}

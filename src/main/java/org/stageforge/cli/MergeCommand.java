package org.stageforge.cli;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.binpkg.BinaryPackage;
import org.stageforge.merge.MergeEngine;
import org.stageforge.merge.MergeOptions;
import org.stageforge.merge.MergeRequest;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code stageforge merge}: merges binary package files into a root, in the order given. */
@Command(name = "merge", description = {"Merge binary packages (XPAK or GPKG files) into a root, in the order given, "
        + "adding each to the world file unless --oneshot.",
        "Holds ROOT/var/lib/stageforge/lock (a second merge into the root stops at once, exit 1); a package interrupted"
                + " even by kill -9 is rolled back by the next merge or install into the root."})
public final class MergeCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--root", required = true, paramLabel = "DIR", description = "The target root.")
    Path root;

    @Option(names = "--config-root", paramLabel = "CFG", description = "Portage configuration root (etc/portage).")
    Path configRoot;

    @Option(names = "--install-mask", paramLabel = "TOKENS", description = "INSTALL_MASK to use (sets: @systemd ...).")
    String installMask;

    @Option(names = "--no-phases", description = "Skip pkg_* phases (listed in the output).")
    boolean noPhases;

    @Option(names = "--oneshot", description = "Do not add the packages to the world file.")
    boolean oneshot;

    @Option(names = "--unprivileged", description = "Keep owners, special modes, devices and xattrs only in the "
            + "file table, even as root.")
    boolean unprivileged;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Parameters(arity = "1..*", paramLabel = "BINPKG", description = "Binary package files.")
    List<Path> binpkgs;

    @Override
    public void run() {
        MergeOptions o = MergeSettings.options(root, configRoot, installMask).withOneshot(oneshot)
                .withUnprivileged(unprivileged);
        // no phase runner is wired in yet: phases are skipped (and listed) with or without --no-phases
        List<MergeRequest.Item> items = new ArrayList<>();
        for (Path p : binpkgs) {
            try (BinaryPackage pkg = BinaryPackage.open(p)) {
                String cat = pkg.metadata().get("CATEGORY"), pf = pkg.metadata().get("PF");
                if (cat == null || pf == null) {
                    throw new StageforgeException(p + ": binary package without CATEGORY or PF", ExitCodes.VERIFY, null);
                }
                String cp = org.stageforge.atom.Cpv.parse(cat.trim() + "/" + pf.trim()).cp();
                items.add(new MergeRequest.Item(p, cp));
            }
        }
        MergeEngine.Result r = MergeEngine.merge(new MergeRequest(items, o));
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            List<Map<String, Object>> pk = new ArrayList<>();
            for (MergeEngine.PackageResult p : r.packages()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("cpv", p.cpv());
                m.put("replaced", p.replaced());
                m.put("contents", p.contents());
                m.put("configUpdates", p.configUpdates());
                m.put("removed", p.removed());
                m.put("masked", p.masked());
                m.put("phases", p.phases());
                pk.add(m);
            }
            Map<String, Object> all = new LinkedHashMap<>();
            all.put("packages", pk);
            all.put("skippedPhases", r.skippedPhases());
            all.put("ldconfig", r.ldconfig());
            out.println(IndexCommand.Json.write(all));
            return;
        }
        for (MergeEngine.PackageResult p : r.packages()) {
            out.println(">>> " + p.cpv() + (p.replaced() == null ? "" : " (replacing " + p.replaced() + ")")
                    + ": " + p.contents() + " entries" + (p.masked().isEmpty() ? "" : ", " + p.masked().size() + " masked"));
            for (String c : p.configUpdates()) out.println("    config update: " + c);
        }
        if (!r.skippedPhases().isEmpty()) out.println("skipped phases: " + String.join(", ", r.skippedPhases()));
        out.println("ldconfig: " + r.ldconfig());
    }
}

package org.stageforge.cli;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.vdb.ContentsEntry;
import org.stageforge.vdb.Vdb;
import org.stageforge.vdb.VdbEntry;
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
import java.util.Set;

/** {@code stageforge vdb ...}: the installed-package database of a root. */
@Command(name = "vdb", description = "Inspect the installed-package database (var/db/pkg) of a root.",
        subcommands = {VdbCommand.ListCmd.class, VdbCommand.Show.class})
public final class VdbCommand implements Runnable {

    /** Files that are not one-line fields. */
    private static final Set<String> NOT_FIELDS = Set.of("CONTENTS", "NEEDED", "NEEDED.ELF.2", "environment.bz2", "metadata");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
    }

    /** A root without var/db/pkg has nothing installed, but a root that does not exist is a typo. */
    static Vdb open(Path root) {
        if (!java.nio.file.Files.isDirectory(root)) {
            throw new StageforgeException("no such root directory: " + root, ExitCodes.NOT_FOUND, null);
        }
        return Vdb.open(root);
    }

    @Command(name = "list", description = "List the installed packages.")
    static final class ListCmd implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--root", required = true, paramLabel = "DIR", description = "The root whose var/db/pkg is read.")
        Path root;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public void run() {
            List<VdbEntry> installed = open(root).installed();
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                List<Map<String, Object>> l = new ArrayList<>();
                for (VdbEntry e : installed) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("cpv", e.cpv());
                    m.put("slot", e.slot());
                    m.put("counter", e.counter().isPresent() ? e.counter().getAsLong() : null);
                    m.put("repository", e.repo().orElse(null));
                    m.put("buildId", e.buildId().isPresent() ? e.buildId().getAsLong() : null);
                    l.add(m);
                }
                out.println(IndexCommand.Json.write(l));
                return;
            }
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"CPV", "SLOT", "COUNTER", "REPO"});
            for (VdbEntry e : installed) {
                rows.add(new String[] {e.cpv(), e.slot(),
                        e.counter().isPresent() ? Long.toString(e.counter().getAsLong()) : "-", e.repo().orElse("-")});
            }
            IndexCommand.Table.print(out, rows);
            out.println(installed.size() + " installed");
        }
    }

    @Command(name = "show", description = "Show one installed package: its fields and CONTENTS.")
    static final class Show implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--root", required = true, paramLabel = "DIR", description = "The root whose var/db/pkg is read.")
        Path root;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Parameters(paramLabel = "PKG", description = "category/package-version (sys-libs/zlib-1.3) or, when one version"
                + " is installed, category/package (sys-libs/zlib).")
        String cpv;

        @Override
        public void run() {
            VdbEntry e = find(open(root), cpv);
            Map<String, String> fields = new LinkedHashMap<>();
            for (String name : e.files().keySet()) {
                if (!NOT_FIELDS.contains(name) && !name.endsWith(".ebuild")) fields.put(name, e.get(name));
            }
            List<ContentsEntry> contents = e.contents();
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("cpv", e.cpv());
                doc.put("fields", fields);
                List<Map<String, Object>> cl = new ArrayList<>();
                for (ContentsEntry c : contents) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("type", c.type().tag());
                    m.put("path", c.path());
                    if (c.md5() != null) m.put("md5", c.md5());
                    if (c.target() != null) m.put("target", c.target());
                    if (c.mtime().isPresent()) m.put("mtime", c.mtime().getAsLong());
                    cl.add(m);
                }
                doc.put("contents", cl);
                out.println(IndexCommand.Json.write(doc));
                return;
            }
            out.println(e.cpv());
            fields.forEach((k, v) -> out.println("  " + k + ": " + IndexCommand.abbreviate(v, 200)));
            out.println("  CONTENTS: " + contents.size() + " entries");
            for (ContentsEntry c : contents) out.println("    " + c.line());
        }

        /** The package a full CPV names, else the single installed version of a category/package. */
        private VdbEntry find(Vdb vdb, String pkg) {
            var exact = vdb.get(pkg);
            if (exact.isPresent()) return exact.get();
            List<VdbEntry> versions = vdb.findByCp(pkg);
            if (versions.size() == 1) return versions.get(0);
            if (versions.isEmpty()) throw new StageforgeException("not installed in " + root + ": " + pkg, ExitCodes.NOT_FOUND, null);
            throw new StageforgeException(pkg + " matches " + versions.size() + " installed versions ("
                    + String.join(", ", versions.stream().map(VdbEntry::cpv).toList()) + "); give one", ExitCodes.USAGE, null);
        }
    }
}

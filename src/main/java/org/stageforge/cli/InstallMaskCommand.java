package org.stageforge.cli;

import org.stageforge.merge.InstallMaskAudit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code stageforge installmask check|purge}. */
@Command(name = "installmask", description = "Compare an installed root with the current INSTALL_MASK.",
        subcommands = {InstallMaskCommand.Check.class, InstallMaskCommand.Purge.class})
public final class InstallMaskCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
    }

    abstract static class Base implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--root", required = true, paramLabel = "DIR", description = "The installed root.")
        Path root;

        @Option(names = "--config-root", paramLabel = "CFG", description = "Portage configuration root.")
        Path configRoot;

        @Option(names = "--install-mask", paramLabel = "TOKENS", description = "INSTALL_MASK to use instead.")
        String installMask;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        void print(List<InstallMaskAudit.Finding> findings, String verb) {
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                List<Map<String, Object>> l = new ArrayList<>();
                for (InstallMaskAudit.Finding f : findings) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("cpv", f.cpv());
                    m.put("paths", f.paths());
                    l.add(m);
                }
                out.println(IndexCommand.Json.write(l));
                return;
            }
            for (InstallMaskAudit.Finding f : findings) {
                out.println(f.cpv());
                for (String p : f.paths()) out.println("    " + p);
            }
            out.println(findings.size() + " package(s) " + verb);
        }

        org.stageforge.merge.InstallMask mask() {
            return MergeSettings.options(root, configRoot, installMask).installMask();
        }
    }

    @Command(name = "check", description = "List installed packages whose files the INSTALL_MASK covers.")
    static final class Check extends Base {
        @Override
        public void run() {
            print(InstallMaskAudit.check(root, mask()), "with masked files");
        }
    }

    @Command(name = "purge", description = "Remove masked files from the root and from CONTENTS.")
    static final class Purge extends Base {
        @Override
        public void run() {
            print(InstallMaskAudit.purge(root, mask()), "purged");
        }
    }
}

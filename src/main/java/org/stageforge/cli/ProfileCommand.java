package org.stageforge.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.profile.Entry;
import org.stageforge.profile.PortageConfig;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** {@code stageforge profile ...}: evaluate Portage profiles. */
@Command(name = "profile", description = "Evaluate Gentoo profiles as Portage does.",
        subcommands = {ProfileCommand.Show.class})
public final class ProfileCommand {

    /** {@code stageforge profile show}. */
    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Show a profile's chain, USE, use.mask/use.force, @system and package.mask (with origins).")
    public static final class Show implements Runnable {
        static final class Source {
            @Option(names = "--repo", paramLabel = "DIR", description = "Repository holding the profile (empty user config).")
            Path repo;
            @Option(names = "--config-root", paramLabel = "DIR", description = "Config root with etc/portage (make.profile, make.conf, ...).")
            Path configRoot;
            @Option(names = "--root", paramLabel = "DIR", description = "A system root (an unpacked stage): its etc/portage, "
                    + "with absolute links and repos.conf locations taken inside DIR, as emerge sees them after chroot.")
            Path root;
        }

        @ArgGroup(exclusive = true, multiplicity = "1")
        Source source;

        @Option(names = "--json", description = "Print JSON (fields as Portage's fixtures: profile_chain, USE, ...).")
        boolean json;

        @Option(names = {"-e", "--env"}, paramLabel = "VAR=VALUE",
                description = "Environment override of a make.conf variable (repeatable); the process environment is not used.")
        Map<String, String> env = new LinkedHashMap<>();

        @Parameters(arity = "0..1", paramLabel = "PROFILE", description = "Profile path relative to DIR/profiles (with --repo).")
        String profile;

        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            PortageConfig c;
            String name;
            if (source.repo != null) {
                if (profile == null) throw new StageforgeException("missing PROFILE (relative to " + source.repo.resolve("profiles") + ")", ExitCodes.USAGE, null);
                c = PortageConfig.forProfile(source.repo, profile, env);
                name = profile;
            } else {
                if (profile != null) {
                    throw new StageforgeException("PROFILE is not used with " + (source.root != null ? "--root" : "--config-root"),
                            ExitCodes.USAGE, null);
                }
                c = source.root != null ? PortageConfig.loadRoot(source.root, env) : PortageConfig.load(source.configRoot, env);
                name = c.profile().name();
            }
            PrintWriter err = spec.commandLine().getErr();
            for (String w : c.warnings()) err.println("stageforge: warning: " + w);
            err.flush();
            PrintWriter out = spec.commandLine().getOut();
            if (json) printJson(out, name, c);
            else printText(out, name, c);
            out.flush();
        }

        private static void printJson(PrintWriter out, String name, PortageConfig c) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("profile", name);
            m.put("profile_chain", c.chain());
            m.put("USE", new ArrayList<>(c.use()));
            m.put("use_mask", new ArrayList<>(c.useMask()));
            m.put("use_force", new ArrayList<>(c.useForce()));
            m.put("system_set", atoms(c.systemSet()));
            m.put("package_mask", atoms(c.packageMask()));
            m.put("vars", c.vars());
            try {
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new StageforgeException("cannot write JSON: " + e.getMessage(), e);
            }
        }

        private static List<String> atoms(List<Entry> entries) {
            TreeSet<String> s = new TreeSet<>();
            for (Entry e : entries) s.add(e.value());
            return new ArrayList<>(s);
        }

        private static void printText(PrintWriter out, String name, PortageConfig c) {
            out.println("profile: " + name);
            out.println("chain:");
            for (String n : c.chain()) out.println("  " + n);
            out.println("USE: " + String.join(" ", c.use()));
            out.println("use.mask: " + String.join(" ", c.useMask()));
            out.println("use.force: " + String.join(" ", c.useForce()));
            out.println("@system:");
            for (Entry e : sorted(c.systemSet())) out.println("  " + e.value() + "  (" + e.origin() + ")");
            out.println("package.mask:");
            for (Entry e : sorted(c.packageMask())) out.println("  " + e.value() + "  (" + e.origin() + ")");
        }

        private static List<Entry> sorted(List<Entry> entries) {
            List<Entry> l = new ArrayList<>(entries);
            l.sort(Comparator.comparing(Entry::value));
            return l;
        }
    }
}

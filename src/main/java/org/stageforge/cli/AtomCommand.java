package org.stageforge.cli;

import org.stageforge.ExitCodes;
import org.stageforge.ParseException;
import org.stageforge.StageforgeException;
import org.stageforge.atom.Atom;
import org.stageforge.atom.Cpv;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** {@code stageforge atom ...}: package atoms (EAPI 8, with ::repo). */
@Command(name = "atom", description = "Parse and match package atoms (EAPI 8 syntax, ::repo allowed).",
        mixinStandardHelpOptions = true, subcommands = {AtomCommand.Parse.class, AtomCommand.Match.class, VersionCommand.Compare.class})
public final class AtomCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand (parse, match, compare)");
    }

    @Command(name = "parse", mixinStandardHelpOptions = true,
            description = {"Print the atom's fields as JSON (keys sorted; the fields of Portage's Atom).",
                    "With --batch, read one atom per line (first tab-separated column; '#' lines skipped)",
                    "and print 'invalid' or the JSON per line. A single invalid atom is an error (exit 3)."})
    static final class Parse implements Runnable {
        @Spec
        CommandSpec spec;

        @Option(names = "--batch", paramLabel = "FILE", description = "Read atoms from FILE ('-' for standard input).")
        String batch;

        @Parameters(arity = "0..1", paramLabel = "ATOM")
        String atom;

        @Override
        public void run() {
            var out = spec.commandLine().getOut();
            if (batch != null) {
                if (atom != null) throw new StageforgeException("give either --batch or an atom", ExitCodes.USAGE, null);
                TsvBatch.run(batch, out, cols -> {
                    try {
                        return Atom.parse(cols[0]).toPortageJson();
                    } catch (ParseException e) {
                        return "invalid";
                    }
                });
                return;
            }
            if (atom == null) throw new StageforgeException("expected an atom or --batch FILE", ExitCodes.USAGE, null);
            out.println(Atom.parse(atom).toPortageJson());
        }
    }

    @Command(name = "match", mixinStandardHelpOptions = true,
            description = {"Print 'true' and exit 0 when ATOM matches the package CPV, else 'false' and exit 1.",
                    "Slot, repository and USE are only checked when given (USE needs --use and --iuse).",
                    "Conditional USE dependencies are evaluated against --parent-use first."})
    static final class Match implements java.util.concurrent.Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "ATOM")
        String atom;

        @Parameters(index = "1", paramLabel = "CPV")
        String cpv;

        @Option(names = "--slot", paramLabel = "SLOT[/SUB]", description = "The package's SLOT.")
        String slot;

        @Option(names = "--repo", paramLabel = "REPO", description = "The package's repository.")
        String repo;

        @Option(names = "--use", paramLabel = "FLAGS", split = ",", description = "The package's enabled USE flags (comma separated).")
        List<String> use;

        @Option(names = "--iuse", paramLabel = "FLAGS", split = ",", description = "The package's IUSE, implicit flags included (comma separated).")
        List<String> iuse;

        @Option(names = "--parent-use", paramLabel = "FLAGS", split = ",", description = "USE of the package that has the dependency.")
        List<String> parentUse;

        @Override
        public Integer call() {
            Atom a = Atom.parse(atom);
            if (parentUse != null) a = a.evaluateConditionals(set(parentUse));
            Cpv c = Cpv.parse(cpv);
            String s = null, sub = null;
            if (slot != null) {
                int i = slot.indexOf('/');
                s = i < 0 ? slot : slot.substring(0, i);
                sub = i < 0 ? null : slot.substring(i + 1);
            }
            Set<String> enabled = use == null && iuse == null ? null : set(use);
            Set<String> valid = use == null && iuse == null ? null : set(iuse);
            boolean m = a.matches(c, s, sub, repo, enabled, valid);
            spec.commandLine().getOut().println(m);
            return m ? ExitCodes.OK : ExitCodes.FAILURE;
        }

        private static Set<String> set(List<String> flags) {
            Set<String> out = new LinkedHashSet<>();
            if (flags != null) for (String f : flags) if (!f.isBlank()) out.add(f.trim());
            return out;
        }
    }
}

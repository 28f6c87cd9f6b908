package org.stageforge.cli;

import org.stageforge.ExitCodes;
import org.stageforge.ParseException;
import org.stageforge.StageforgeException;
import org.stageforge.atom.DepString;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** {@code stageforge depend ...}: dependency strings (EAPI 8). */
@Command(name = "depend", description = "Check and USE-reduce dependency strings (EAPI 8).",
        mixinStandardHelpOptions = true, subcommands = {DependCommand.Reduce.class, DependCommand.Check.class})
public final class DependCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand (reduce, check)");
    }

    /** Kinds by their command-line names. */
    enum KindOption {
        depend(DepString.Kind.DEPEND), required_use(DepString.Kind.REQUIRED_USE), license(DepString.Kind.LICENSE),
        src_uri(DepString.Kind.SRC_URI), plain(DepString.Kind.PLAIN);

        final DepString.Kind kind;

        KindOption(DepString.Kind kind) {
            this.kind = kind;
        }
    }

    static Set<String> useSet(String use) {
        Set<String> s = new HashSet<>();
        if (use != null) for (String f : use.trim().split("\\s+")) if (!f.isEmpty()) s.add(f);
        return s;
    }

    @Command(name = "reduce", mixinStandardHelpOptions = true,
            description = {"Print Portage's use_reduce(DEP, uselist=USE, flat=True, eapi=\"8\") joined by spaces.",
                    "With --batch, read 'DEP<TAB>USE' lines (USE space separated, may be empty; '#' lines skipped)",
                    "and print the result or 'invalid' per line."})
    static final class Reduce implements Runnable {
        @Spec
        CommandSpec spec;

        @Option(names = "--batch", paramLabel = "FILE", description = "Read lines from FILE ('-' for standard input).")
        String batch;

        @Option(names = "--use", paramLabel = "FLAGS", description = "Enabled USE flags, space separated.")
        String use;

        @Option(names = "--kind", paramLabel = "KIND", defaultValue = "depend",
                description = "depend, required_use, license, src_uri or plain (default: ${DEFAULT-VALUE}).")
        KindOption kind;

        @Parameters(arity = "0..1", paramLabel = "DEP")
        String dep;

        @Override
        public void run() {
            var out = spec.commandLine().getOut();
            if (batch != null) {
                if (dep != null) throw new StageforgeException("give either --batch or a dependency string", ExitCodes.USAGE, null);
                TsvBatch.run(batch, out, cols -> {
                    try {
                        Set<String> flags = useSet(cols.length > 1 ? cols[1] : "");
                        return String.join(" ", DepString.reduceFlat(DepString.parse(cols[0], kind.kind), flags));
                    } catch (ParseException e) {
                        return "invalid";
                    }
                });
                return;
            }
            if (dep == null) throw new StageforgeException("expected a dependency string or --batch FILE", ExitCodes.USAGE, null);
            out.println(String.join(" ", DepString.reduceFlat(DepString.parse(dep, kind.kind), useSet(use))));
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = "Validate a dependency string and print its canonical form (exit 3 when invalid).")
    static final class Check implements Runnable {
        @Spec
        CommandSpec spec;

        @Option(names = "--kind", paramLabel = "KIND", defaultValue = "depend",
                description = "depend, required_use, license, src_uri or plain (default: ${DEFAULT-VALUE}).")
        KindOption kind;

        @Parameters(paramLabel = "DEP")
        List<String> dep;

        @Override
        public void run() {
            spec.commandLine().getOut().println(DepString.format(DepString.parse(String.join(" ", dep), kind.kind)));
        }
    }
}

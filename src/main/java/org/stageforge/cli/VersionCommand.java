package org.stageforge.cli;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.atom.Version;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.List;

/** {@code stageforge version ...}: PMS version operations. */
@Command(name = "version", description = "Compare PMS package versions as Portage does.",
        mixinStandardHelpOptions = true, subcommands = {VersionCommand.Compare.class})
public final class VersionCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand (compare)");
    }

    @Command(name = "compare", mixinStandardHelpOptions = true,
            description = {"Print the sign of vercmp(A, B): -1, 0 or 1, or 'invalid'.",
                    "With --batch, read 'A<TAB>B' lines ('#' and blank lines skipped, further columns ignored)."})
    static final class Compare implements Runnable {
        @Spec
        CommandSpec spec;

        @Option(names = "--batch", paramLabel = "FILE", description = "Read pairs from FILE ('-' for standard input).")
        String batch;

        @Parameters(arity = "0..2", paramLabel = "VERSION")
        List<String> versions;

        @Override
        public void run() {
            var out = spec.commandLine().getOut();
            if (batch != null) {
                if (versions != null && !versions.isEmpty()) throw usage("give either --batch or two versions");
                TsvBatch.run(batch, out, cols -> cols.length < 2 ? "invalid" : answer(cols[0], cols[1]));
                return;
            }
            if (versions == null || versions.size() != 2) throw usage("expected two versions");
            String a = answer(versions.get(0), versions.get(1));
            out.println(a);
            if (a.equals("invalid")) {
                String bad = Version.isValid(versions.get(0)) ? versions.get(1) : versions.get(0);
                Version.parse(bad); // reports the position at fault, exit code 3
            }
        }

        private StageforgeException usage(String msg) {
            return new StageforgeException(msg, ExitCodes.USAGE, null);
        }

        static String answer(String a, String b) {
            Integer c = Version.vercmp(a, b);
            return c == null ? "invalid" : c.toString();
        }
    }
}

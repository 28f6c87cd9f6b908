package org.stageforge.cli;

import org.stageforge.ExitCodes;
import org.stageforge.server.binhost.BinhostPush;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code stageforge binhost push}: a thin shell over {@link BinhostPush}. */
@Command(name = "push", mixinStandardHelpOptions = true,
        description = "Upload every GPKG of a local binhost directory to a binhost of stageforge serve.")
final class BinhostPushCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "Directory holding .gpkg.tar packages (searched recursively).")
    Path dir;

    @Option(names = "--server", required = true, paramLabel = "URL", description = "Base URL of the server.")
    URI server;

    @Option(names = "--binhost", required = true, paramLabel = "NAME", description = "Binhost name on the server.")
    String binhost;

    @Option(names = "--token-file", required = true, paramLabel = "FILE", description = "File whose first line is the token.")
    Path tokenFile;

    @Option(names = {"-j", "--jobs"}, defaultValue = "4", paramLabel = "N", description = "Parallel uploads (default: ${DEFAULT-VALUE}).")
    int jobs;

    @Option(names = {"-q", "--quiet"}, description = "Print nothing but errors.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        if (jobs < 1) throw new CommandLine.ParameterException(spec.commandLine(), "--jobs must be at least 1");
        String token = TokenFiles.read(tokenFile);
        BinhostPush.Result r = BinhostPush.push(dir, server, binhost, token, jobs);
        for (BinhostPush.Outcome o : r.failures()) spec.commandLine().getErr().println("stageforge: " + o.message());
        if (!quiet) {
            long created = r.outcomes().stream().filter(o -> o.status() == 201).count();
            long present = r.outcomes().stream().filter(o -> o.status() == 200).count();
            spec.commandLine().getOut().printf("pushed %d package(s) to %s (%d new, %d already there), %d failed%n",
                    created + present, binhost, created, present, r.failures().size());
        }
        return r.exitCode();
    }
}

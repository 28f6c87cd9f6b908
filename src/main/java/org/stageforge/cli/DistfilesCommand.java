package org.stageforge.cli;

import org.stageforge.ExitCodes;
import org.stageforge.server.distfiles.DistfilesPush;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code stageforge distfiles push}: a thin shell over {@link DistfilesPush}. */
@Command(name = "distfiles", mixinStandardHelpOptions = true,
        description = "Distfiles mirror of stageforge serve.", subcommands = DistfilesCommand.Push.class)
public final class DistfilesCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (push)");
    }

    @Command(name = "push", mixinStandardHelpOptions = true,
            description = {"Upload files to the server's distfiles mirror under their file names.",
                    "The server checks each against the size, BLAKE2B and SHA512 sent with it."})
    static final class Push implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "FILE", arity = "1..*", description = "Distfiles to upload.")
        List<Path> files;

        @Option(names = "--server", required = true, paramLabel = "URL", description = "Base URL of the server.")
        URI server;

        @Option(names = "--token-file", required = true, paramLabel = "FILE",
                description = "File whose first line is a token with scope distfiles:write.")
        Path tokenFile;

        @Option(names = {"-q", "--quiet"}, description = "Print nothing but errors.")
        boolean quiet;

        @Override
        public Integer call() throws Exception {
            String token = TokenFiles.read(tokenFile);
            DistfilesPush.Result r = DistfilesPush.push(files, server, token);
            for (DistfilesPush.Outcome o : r.outcomes()) {
                if (!o.ok()) spec.commandLine().getErr().println("stageforge: " + o.message());
                else if (!quiet) spec.commandLine().getOut().println((o.status() == 201 ? "uploaded " : "already there ") + "/distfiles/" + o.path());
            }
            return r.exitCode();
        }
    }
}

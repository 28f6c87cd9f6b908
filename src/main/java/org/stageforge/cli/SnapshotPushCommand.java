package org.stageforge.cli;

import org.stageforge.server.snapshots.SnapshotPush;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code stageforge snapshot push}: a thin shell over {@link SnapshotPush}. */
@Command(name = "push", mixinStandardHelpOptions = true,
        description = {"Upload snapshots (REPO-YYYYMMDD.tar.xz with .gpgsig and .md5sum, as snapshot create writes them) "
                + "to /snapshots/ of stageforge serve, oldest date first.",
                "The token needs the scope snapshots:write; the server publishes only what verifies against its snapshot keyring."})
final class SnapshotPushCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "Directory holding the snapshots (or one tarball).")
    Path dir;

    @Option(names = "--server", required = true, paramLabel = "URL", description = "Base URL of the server.")
    URI server;

    @Option(names = "--token-file", required = true, paramLabel = "FILE", description = "File whose first line is the token.")
    Path tokenFile;

    @Option(names = {"-q", "--quiet"}, description = "Print nothing but errors.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        String token = TokenFiles.read(tokenFile);
        SnapshotPush.Result r = SnapshotPush.push(dir, server, token);
        for (SnapshotPush.Outcome o : r.failures()) spec.commandLine().getErr().println("stageforge: " + o.message());
        if (!quiet) {
            for (SnapshotPush.Outcome o : r.outcomes()) {
                if (o.ok()) {
                    spec.commandLine().getOut().println(o.tarball().getFileName() + (o.status() == 201 ? " published" : " already published"));
                }
            }
        }
        return r.exitCode();
    }
}

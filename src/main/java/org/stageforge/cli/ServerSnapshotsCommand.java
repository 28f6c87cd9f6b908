package org.stageforge.cli;

import org.stageforge.ExitCodes;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.server.snapshots.SnapshotStore;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code stageforge server snapshots configure|from-git}: the snapshots of a server's data directory. */
@Command(name = "snapshots", mixinStandardHelpOptions = true, description = "Served webrsync snapshots.",
        subcommands = {ServerSnapshotsCommand.Configure.class, ServerSnapshotsCommand.FromGit.class})
final class ServerSnapshotsCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (configure or from-git)");
    }

    @Command(name = "configure", mixinStandardHelpOptions = true,
            description = "Set the OpenPGP public keys every published snapshot's .gpgsig must verify against "
                    + "(no snapshot is published before).")
    static final class Configure implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        ServerCommand.DataDir server;

        @Option(names = "--keyring", required = true, paramLabel = "KEYS.asc", description = "Trusted OpenPGP public keys.")
        Path keyring;

        @Override
        public Integer call() throws Exception {
            int n = new SnapshotStore(server.open()).configure(keyring);
            spec.commandLine().getOut().println("snapshot keyring: " + n + " key(s) from " + keyring);
            return ExitCodes.OK;
        }
    }

    @Command(name = "from-git", mixinStandardHelpOptions = true,
            description = {"Make a snapshot of a commit of a git repository (deterministic: the same commit and key give "
                    + "the same bytes), sign it and publish it under /snapshots/.",
                    "The date is the commit's committer date (UTC) unless --date is given; the signing key must be in the "
                            + "snapshot keyring."})
    static final class FromGit implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        ServerCommand.DataDir server;

        @Option(names = "--repo", required = true, paramLabel = "PATH_OR_URL",
                description = "Git repository: a directory, or an https, http, git, ssh or file URL (cloned).")
        String repo;

        @Option(names = "--commit", required = true, paramLabel = "SHA", description = "The commit (or a ref) to snapshot.")
        String commit;

        @Option(names = "--date", paramLabel = "YYYYMMDD", description = "The snapshot's date (default: the committer date).")
        String date;

        @Option(names = "--name", defaultValue = "gentoo", paramLabel = "NAME",
                description = "Repository name: the file is NAME-YYYYMMDD.tar.xz (default: ${DEFAULT-VALUE}).")
        String name;

        @Option(names = "--signing-key", required = true, paramLabel = "KEY.asc", description = "Armored OpenPGP secret key.")
        Path key;

        @Option(names = "--passphrase-file", paramLabel = "FILE", description = "The key's passphrase (first line).")
        Path passphraseFile;

        @Override
        public Integer call() throws Exception {
            OpenPgp.SigningKey k = OpenPgp.SigningKey.load(key, KeyCommand.passphrase(passphraseFile));
            SnapshotStore.FromGit g = new SnapshotStore(server.open()).fromGit(repo, commit, date, name, k, m -> {});
            SnapshotStore.Publication p = g.publication();
            spec.commandLine().getOut().println("/snapshots/" + p.file() + " commit " + g.commit() + " sha256 " + p.sha256()
                    + (p.created() ? " published" : " already published") + (p.latest() ? " (latest)" : ""));
            return ExitCodes.OK;
        }
    }
}

package org.stageforge.cli;

import org.stageforge.StageforgeException;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.snapshot.Snapshots;
import org.stageforge.util.SourceDateEpoch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.OptionalLong;

/** {@code stageforge snapshot create|verify}: Gentoo webrsync snapshots (tar.xz + .gpgsig + .md5sum). */
@Command(name = "snapshot", description = "Make and check webrsync snapshots of an ebuild repository.",
        mixinStandardHelpOptions = true, subcommands = {SnapshotCommand.Create.class, SnapshotCommand.Verify.class,
                SnapshotPushCommand.class})
public final class SnapshotCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
    }

    @Command(name = "create", description = "Make NAME-YYYYMMDD.tar.xz, .gpgsig and .md5sum deterministically "
            + "(times from the date at 00:00 UTC, or SOURCE_DATE_EPOCH when set).")
    static final class Create implements Runnable {
        @Spec CommandSpec spec;
        @Parameters(index = "0", paramLabel = "DIR_OR_GIT", description = "Repository directory, or git repository with --commit.") Path source;
        @Option(names = "--commit", paramLabel = "C", description = "Snapshot this commit of the git repository DIR_OR_GIT.") String commit;
        @Option(names = "--date", required = true, paramLabel = "YYYYMMDD", description = "The snapshot's date.") String date;
        @Option(names = "--name", defaultValue = "gentoo", paramLabel = "NAME", description = "File and top directory name (default: ${DEFAULT-VALUE}).") String name;
        @Option(names = "--signing-key", required = true, paramLabel = "KEY.asc", description = "Armored OpenPGP secret key.") Path key;
        @Option(names = "--passphrase-file", paramLabel = "FILE", description = "The key's passphrase (first line).") Path passphraseFile;
        @Option(names = "--output", required = true, paramLabel = "DIR", description = "Where the three files go.") Path output;

        @Override
        public void run() {
            Snapshots.dateEpoch(date);
            OptionalLong sde = SourceDateEpoch.fromEnv(System.getenv());
            OpenPgp.SigningKey k = OpenPgp.SigningKey.load(key, KeyCommand.passphrase(passphraseFile));
            try {
                Snapshots.Created c = Snapshots.create(source, commit, new Snapshots.Options(name, date,
                        sde.isPresent() ? sde.getAsLong() : null, k), output, m -> {});
                spec.commandLine().getOut().println(c.tarball() + " sha512 " + c.sha512());
            } catch (IOException e) {
                throw new StageforgeException("snapshot: " + e.getMessage(), e);
            }
        }
    }

    @Command(name = "verify", description = "Check a snapshot's .md5sum and .gpgsig (exit 4 on a mismatch).")
    static final class Verify implements Runnable {
        @Spec CommandSpec spec;
        @Parameters(index = "0", paramLabel = "TARBALL") Path tarball;
        @Option(names = "--keyring", required = true, paramLabel = "KEYS.asc", description = "OpenPGP public keys.") Path keyring;

        @Override
        public void run() {
            try {
                Snapshots.Verified v = Snapshots.verify(tarball, keyring);
                spec.commandLine().getOut().println(tarball + ": good signature by " + v.signer() + ", sha512 " + v.sha512());
            } catch (IOException e) {
                throw new StageforgeException("snapshot: " + e.getMessage(), e);
            }
        }
    }
}

package org.stageforge.cli;

import org.stageforge.StageforgeException;
import org.stageforge.binpkg.OpenPgp;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Date;

/** {@code stageforge key generate}: OpenPGP signing keys for binary packages. */
@Command(name = "key", description = "Manage OpenPGP keys for signing binary packages.", mixinStandardHelpOptions = true,
        subcommands = {KeyCommand.Generate.class})
public final class KeyCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
    }

    /** The first line of a passphrase file, or null without one. */
    static char[] passphrase(Path file) {
        if (file == null) return null;
        try {
            String s = Files.readString(file, StandardCharsets.UTF_8);
            int nl = s.indexOf('\n');
            return (nl >= 0 ? s.substring(0, nl) : s).toCharArray();
        } catch (IOException e) {
            throw new StageforgeException(file + ": cannot read passphrase: " + org.stageforge.util.IoErrors.reason(file, e), e);
        }
    }

    @Command(name = "generate", description = "Generate an Ed25519 signing key (legacy EdDSA form, readable by GnuPG 2.2).")
    static final class Generate implements Runnable {
        @Spec CommandSpec spec;
        @Option(names = "--name", required = true, description = "User ID, e.g. \"Builder <builder@example.org>\".") String name;
        @Option(names = "--passphrase-file", paramLabel = "FILE", description = "Protect the secret key with this passphrase.") Path passphraseFile;
        @Option(names = "--public-out", paramLabel = "FILE", description = "Also write the public key alone here.") Path publicOut;
        @Option(names = "-o", required = true, paramLabel = "KEY.asc", description = "Output: armored secret key then public key.") Path out;

        @Override
        public void run() {
            OpenPgp.GeneratedKey k = OpenPgp.generate(name, passphrase(passphraseFile), new Date());
            try {
                ByteArrayOutputStream both = new ByteArrayOutputStream();
                both.writeBytes(k.secretArmored());
                both.writeBytes(k.publicArmored());
                // the secret key may be unprotected: readable by the owner only
                Files.deleteIfExists(out);
                Files.createFile(out, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
                Files.write(out, both.toByteArray());
                if (publicOut != null) Files.write(publicOut, k.publicArmored());
            } catch (IOException e) {
                throw new StageforgeException(out + ": cannot write: " + org.stageforge.util.IoErrors.reason(out, e), e);
            }
            spec.commandLine().getOut().println("key " + k.fingerprint() + " written to " + out);
        }
    }
}

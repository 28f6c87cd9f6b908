package org.stageforge.cli;

import org.stageforge.StageforgeException;
import org.stageforge.archive.Compression;
import org.stageforge.binhost.BinhostWriter;
import org.stageforge.binpkg.FileTable;
import org.stageforge.binpkg.GpkgWriter;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.index.PackagesIndex;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code stageforge binhost create}: GPKGs from package source trees plus a Packages index. */
@Command(name = "create", mixinStandardHelpOptions = true,
        description = {"Build a binhost from package source trees (CAT/PF/{metadata,image,files.tsv}).",
                "Every GPKG and the Packages index are byte-identical for the same inputs."})
final class BinhostCreateCommand implements Runnable {
    @Spec CommandSpec spec;

    @Option(names = "--from", required = true, paramLabel = "SOURCES", description = "Directory of CAT/PF source trees.")
    Path sources;

    @Option(names = "-o", required = true, paramLabel = "DIR", description = "Binhost directory to write.")
    Path out;

    @Option(names = "--sign-key", paramLabel = "KEY.asc", description = "Armored secret key to sign every package with.")
    Path signKey;

    @Option(names = "--passphrase-file", paramLabel = "FILE", description = "Passphrase of the signing key.")
    Path passphraseFile;

    @Option(names = "--source-date-epoch", paramLabel = "SECONDS",
            description = "Timestamp for every mtime and the index (default: $SOURCE_DATE_EPOCH, else 0).")
    Long epoch;

    @Option(names = "--header", paramLabel = "KEY=VALUE", description = "Extra Packages header entries (e.g. ARCH=amd64).")
    Map<String, String> header = new LinkedHashMap<>();

    @Option(names = "--quiet", description = "Print nothing on success.")
    boolean quiet;

    @Override
    public void run() {
        long sde = epoch != null ? epoch : envEpoch();
        OpenPgp.SigningKey key = signKey == null ? null : OpenPgp.SigningKey.load(signKey, KeyCommand.passphrase(passphraseFile));
        try {
            PackagesIndex idx = BinhostWriter.build(sources, out,
                    new GpkgWriter.Options(Compression.ZSTD, sde, key, FileTable.EMPTY), header);
            if (!quiet) spec.commandLine().getOut().println(out + ": " + idx.entries().size() + " packages");
        } catch (IOException e) {
            throw new StageforgeException("creating binhost " + out + ": " + e.getMessage(), e);
        }
    }

    static long envEpoch() {
        return org.stageforge.util.SourceDateEpoch.fromEnv(System.getenv()).orElse(0);
    }
}

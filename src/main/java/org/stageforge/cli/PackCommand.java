package org.stageforge.cli;

import org.stageforge.image.RootImage;
import org.stageforge.pack.Packer;
import org.stageforge.pack.RootScanner;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.OptionalLong;

/** {@code stageforge pack ROOT -o FILE}. */
@Command(name = "pack", description = "Write a root as a deterministic tar archive (.tar, .tar.zst, .tar.xz, .tar.gz) "
        + "and its line in SHA512SUMS beside it, or as a read-only root image (.squashfs, .erofs; erofs UUID from the "
        + "file name) with the same paths and attributes.")
public final class PackCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ROOT", description = "The root to pack.")
    Path root;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "The archive to write.")
    Path output;

    @Option(names = "--source-date-epoch", paramLabel = "N", description = "Clamp mtimes to N (default: "
            + "SOURCE_DATE_EPOCH, else the newest BUILD_TIME of the installed packages).")
    Long sourceDateEpoch;

    @Override
    public void run() {
        long sde = Packer.sourceDateEpoch(root, sourceDateEpoch == null ? OptionalLong.empty()
                : OptionalLong.of(sourceDateEpoch), System.getenv());
        String name = output.getFileName().toString();
        RootImage.Format image = RootImage.Format.of(name.substring(name.lastIndexOf('.') + 1));
        if (image != null) {
            RootImage.Result r = RootImage.write(root, output, image, sde, RootImage.uuid(name), RootScanner.DEFAULT_EXCLUDES);
            spec.commandLine().getOut().println(r.image() + ": " + r.entries() + " entries, SOURCE_DATE_EPOCH " + sde
                    + ", sha256 " + r.sha256());
            return;
        }
        Packer.Result r = Packer.pack(root, output, sde);
        spec.commandLine().getOut().println(r.archive() + ": " + r.entries() + " entries, SOURCE_DATE_EPOCH "
                + r.sourceDateEpoch() + ", sha512 " + r.sha512());
    }
}

package org.stageforge.pack;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.archive.Compression;
import org.stageforge.archive.TarWriter;
import org.stageforge.vdb.Vdb;
import org.stageforge.vdb.VdbEntry;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * {@code stageforge pack}: a root as a deterministic PAX tar ({@code .tar}, {@code .tar.zst}, {@code .tar.xz},
 * {@code .tar.gz}, by the output name), plus a {@code SHA512SUMS} line beside it.
 *
 * <p>Archive layout: members {@code ./} then {@code ./path} sorted by the UTF-8 bytes of the path (a directory
 * precedes its contents); numeric owners only; attributes from {@link RootScanner} (the file table first, then the
 * disk); mtimes clamped to the source date epoch; xattrs as {@code SCHILY.xattr.*}; files sharing an inode as hard
 * links to the first name; {@code var/lib/stageforge} left out. zstd uses a fixed level and at least one worker.
 * The archive is written under a temporary name in the output directory and renamed when complete.
 *
 * <p>Source date epoch: the given value; else {@code SOURCE_DATE_EPOCH} from the environment; else the newest
 * BUILD_TIME of the root's installed packages (the same packages give the same archive); else 0.
 */
public final class Packer {
    /**
     * Release artifacts are meant to be read by everyone: createTempFile makes them 0600, and a creation attribute
     * would still be cut by the umask, so the mode is set after creation.
     */
    private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> PUBLIC =
            java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--");

    /** What was written. */
    public record Result(Path archive, long entries, String sha512, long sourceDateEpoch) {}

    private Packer() {}

    /** The epoch to clamp to, as described in the class documentation. */
    public static long sourceDateEpoch(Path root, OptionalLong given, Map<String, String> env) {
        if (given.isPresent()) return given.getAsLong();
        OptionalLong fromEnv = org.stageforge.util.SourceDateEpoch.fromEnv(env);
        if (fromEnv.isPresent()) return fromEnv.getAsLong();
        long max = 0;
        for (VdbEntry e : Vdb.open(root).installed()) max = Math.max(max, e.buildTime().orElse(0));
        return max;
    }

    public static Result pack(Path root, Path output, long sourceDateEpoch) {
        return pack(root, output, sourceDateEpoch, RootScanner.DEFAULT_EXCLUDES);
    }

    public static Result pack(Path root, Path output, long sourceDateEpoch, List<String> excludes) {
        if (!Files.isDirectory(root)) {
            throw new StageforgeException(root + ": not a directory", ExitCodes.NOT_FOUND, null);
        }
        String name = output.getFileName().toString();
        Compression c = Compression.fromFileName(name);
        if (c == null) {
            throw new StageforgeException(name + ": unknown archive type (use .tar, .tar.zst, .tar.xz or .tar.gz)",
                    ExitCodes.USAGE, null);
        }
        Path dir = output.toAbsolutePath().getParent();
        List<RootScanner.Item> items = RootScanner.scan(root, excludes);
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.setPosixFilePermissions(Files.createTempFile(dir, "." + name + ".", ".part"), PUBLIC);
            MessageDigest sha = sha512();
            try (OutputStream file = new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 17), sha);
                 TarWriter tar = new TarWriter(c.compress(file), sourceDateEpoch)) {
                for (RootScanner.Item it : items) {
                    if (it.file() == null) {
                        tar.add(it.entry(), InputStream.nullInputStream());
                        continue;
                    }
                    try (FileChannel in = FileChannel.open(it.file(), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                        tar.add(it.entry(), in);
                    }
                }
            }
            String hex = HexFormat.of().formatHex(sha.digest());
            Files.move(tmp, output, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
            writeSums(dir.resolve("SHA512SUMS"), name, hex);
            return new Result(output, items.size(), hex, sourceDateEpoch);
        } catch (IOException e) {
            throw new StageforgeException("cannot write " + output + ": " + org.stageforge.util.IoErrors.reason(output, e), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original error matters more
                }
            }
        }
    }

    /** Sets this archive's line in SHA512SUMS ({@code sha512sum} format), keeping lines for other files. */
    private static void writeSums(Path sums, String name, String hex) throws IOException {
        TreeMap<String, String> lines = new TreeMap<>();
        try {
            for (String l : Files.readAllLines(sums, StandardCharsets.UTF_8)) {
                int sp = l.indexOf("  ");
                if (sp > 0) lines.put(l.substring(sp + 2), l);
            }
        } catch (NoSuchFileException e) {
            // first archive in this directory
        }
        lines.put(name, hex + "  " + name);
        StringBuilder sb = new StringBuilder();
        for (String l : lines.values()) sb.append(l).append('\n');
        Path tmp = Files.setPosixFilePermissions(Files.createTempFile(sums.getParent(), ".SHA512SUMS.", ".part"), PUBLIC);
        Files.writeString(tmp, sb, StandardCharsets.UTF_8);
        Files.move(tmp, sums, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static MessageDigest sha512() {
        return org.stageforge.util.Hashes.of("SHA-512");
    }
}

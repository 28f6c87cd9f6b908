package org.stageforge.pack;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.archive.Compression;
import org.stageforge.archive.TarWriter;
import org.stageforge.merge.FileTable;
import org.stageforge.vdb.Vdb;
import org.stageforge.vdb.VdbEntry;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
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
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;

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
        Path base = root.toAbsolutePath().normalize();
        Path dir = output.toAbsolutePath().getParent();
        Path created = firstMissing(dir);
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.setPosixFilePermissions(Files.createTempFile(dir, "." + name + ".", ".part"), PUBLIC);
            // libcrypto (through JNA) and zstd take about a tenth of a second each to load: other threads load them
            // while this one reads the file table and starts on the root; the archive waits for them at its first
            // write (a compressor may write its header at once, so the digest has a thread of its own)
            FutureTask<MessageDigest> sha = new FutureTask<>(Packer::sha512);
            Digesting file = new Digesting(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 17), sha);
            FutureTask<OutputStream> compressor = new FutureTask<>(() -> c.compress(file));
            start(sha, "pack-digest");
            start(compressor, "pack-compressor");
            long entries;
            try (file; TarWriter tar = new TarWriter(new Deferred(compressor), sourceDateEpoch)) {
                entries = RootScanner.scan(base, excludes, FileTable.load(base), it -> {
                    if (it.file() == null) {
                        tar.add(it.entry(), InputStream.nullInputStream());
                        return;
                    }
                    try (FileChannel in = FileChannel.open(it.file(), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                        tar.add(it.entry(), in);
                    }
                });
            }
            String hex = HexFormat.of().formatHex(file.digest());
            Files.move(tmp, output, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
            writeSums(dir.resolve("SHA512SUMS"), name, hex);
            created = null;
            return new Result(output, entries, hex, sourceDateEpoch);
        } catch (IOException e) {
            throw new StageforgeException("cannot write " + output + ": " + org.stageforge.util.IoErrors.reason(output, e), e);
        } finally {
            try {
                if (tmp != null) Files.deleteIfExists(tmp);
                // directories made for an archive that failed go too
                for (Path d = dir; created != null && d != null && d.startsWith(created); d = d.getParent()) {
                    Files.deleteIfExists(d);
                }
            } catch (IOException ignored) {
                // the original error matters more
            }
        }
    }

    private static void start(Runnable task, String name) {
        Thread t = new Thread(task, name);
        t.setDaemon(true);
        t.start();
    }

    /** The outermost of {@code dir} and its ancestors that does not exist, or null when {@code dir} exists. */
    private static Path firstMissing(Path dir) {
        Path missing = null;
        for (Path d = dir; d != null && Files.notExists(d, LinkOption.NOFOLLOW_LINKS); d = d.getParent()) missing = d;
        return missing;
    }

    /** Result of a task on another thread, with the task's own exception. */
    private static <T> T await(Future<T> task) throws IOException {
        try {
            return task.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) throw io;
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw new IOException(e.getCause());
        }
    }

    /** The stream another thread makes, awaited at its first use. */
    private static final class Deferred extends OutputStream {
        private final Future<OutputStream> task;
        private OutputStream out;

        Deferred(Future<OutputStream> task) {
            this.task = task;
        }

        private OutputStream out() throws IOException {
            if (out == null) out = await(task);
            return out;
        }

        @Override
        public void write(int b) throws IOException {
            out().write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out().write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            out().flush();
        }

        @Override
        public void close() throws IOException {
            out().close();
        }
    }

    /** Digests what it passes on, with a digest another thread makes, awaited at the first write. */
    private static final class Digesting extends FilterOutputStream {
        private final Future<MessageDigest> task;
        private MessageDigest md;

        Digesting(OutputStream out, Future<MessageDigest> task) {
            super(out);
            this.task = task;
        }

        private MessageDigest md() throws IOException {
            if (md == null) md = await(task);
            return md;
        }

        @Override
        public void write(int b) throws IOException {
            md().update((byte) b);
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            md().update(b, off, len);
            out.write(b, off, len);
        }

        byte[] digest() throws IOException {
            return md().digest();
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

package org.stageforge.server.core;


import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.regex.Pattern;

/**
 * Blobs on local disk at {@code DATA/blobs/ab/cdef…} (the first two hex digits as directory). A blob is
 * written under {@code DATA/tmp/}, fsynced, then renamed into place and its directory fsynced, so a crash
 * leaves either no blob or a complete one, and a reader never sees a partial file. Nothing is ever deleted
 * here: retention changes views, not blobs. Uploads in progress live in {@code DATA/tmp/up-HOST-PID-…}: a server
 * starting removes the ones of processes of its host that no longer run (killed mid-upload), and never
 * another live process's, nor another host's sharing the data directory.
 */
public final class LocalBlobStore implements BlobStore {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private final Path blobs;
    private final Path tmp;

    private final String tmpPrefix;

    public LocalBlobStore(Path dataDir) throws IOException {
        this.blobs = Files.createDirectories(dataDir.resolve("blobs"));
        this.tmp = Files.createDirectories(dataDir.resolve("tmp"));
        String host = hostName();
        this.tmpPrefix = "up-" + host + "-" + ProcessHandle.current().pid() + "-";
        sweep(host);
    }

    /** This host's name as a file name part (the kernel's node name; "localhost" when unknown). */
    static String hostName() {
        try {
            String h = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
            if (h.matches("[A-Za-z0-9._]{1,64}")) return h;
        } catch (IOException e) {
            // no procfs: fall through
        }
        return "localhost";
    }

    /** Removes upload directories left by processes of this host that are gone. */
    private void sweep(String host) throws IOException {
        Pattern mine = Pattern.compile("up-" + Pattern.quote(host) + "-([0-9]{1,10})-.*");
        try (var s = Files.list(tmp)) {
            for (Path d : s.toList()) {
                var m = mine.matcher(d.getFileName().toString());
                if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) deleteTree(d);
            }
        }
    }

    public Path root() {
        return blobs;
    }

    @Override
    public Blob put(InputStream in, long limit) throws IOException {
        Path dir = newTempDir();
        try {
            Path f = dir.resolve("blob");
            return adopt(f, Uploads.receive(in, f, limit, null).sha256());
        } finally {
            deleteTree(dir);
        }
    }

    @Override
    public Blob put(byte[] data) throws IOException {
        return put(new java.io.ByteArrayInputStream(data), Long.MAX_VALUE);
    }

    @Override
    public Blob adopt(Path tempFile, String sha256) throws IOException {
        check(sha256);
        Path target = path(sha256);
        long size = Files.size(tempFile);
        if (Files.exists(target)) {
            Files.delete(tempFile);
            return new Blob(sha256, size);
        }
        try (FileChannel ch = FileChannel.open(tempFile, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.createDirectories(target.getParent());
        try {
            Files.move(tempFile, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException e) {
            Files.delete(tempFile); // another writer stored the same bytes first
        }
        fsyncDir(target.getParent());
        return new Blob(sha256, size);
    }

    @Override
    public Path newTempDir() throws IOException {
        return Files.createTempDirectory(tmp, tmpPrefix);
    }

    @Override
    public boolean exists(String sha256) {
        return SHA256.matcher(sha256).matches() && Files.isRegularFile(path(sha256));
    }

    @Override
    public Path file(String sha256) throws IOException {
        check(sha256);
        Path p = path(sha256);
        if (!Files.isRegularFile(p)) throw new NoSuchFileException(p.toString(), null, "blob missing");
        return p;
    }

    @Override
    public byte[] read(String sha256) throws IOException {
        return Files.readAllBytes(file(sha256));
    }

    private Path path(String sha256) {
        return blobs.resolve(sha256.substring(0, 2)).resolve(sha256.substring(2));
    }

    private static void check(String sha256) {
        if (!SHA256.matcher(sha256).matches()) throw new IllegalArgumentException("not a sha256: " + sha256);
    }

    private static void fsyncDir(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** Removes an upload's temporary directory (flat: it holds files only). */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) Files.deleteIfExists(p);
        }
        Files.deleteIfExists(dir);
    }
}

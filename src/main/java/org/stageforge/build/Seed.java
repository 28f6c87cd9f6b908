package org.stageforge.build;

import org.bouncycastle.openpgp.PGPSignature;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.archive.Compression;
import org.stageforge.archive.ExtractPolicy;
import org.stageforge.archive.ExtractedFile;
import org.stageforge.archive.LimitedInputStream;
import org.stageforge.archive.SafeExtractor;
import org.stageforge.archive.TarEntry;
import org.stageforge.archive.TarLimits;
import org.stageforge.archive.TarReader;
import org.stageforge.binpkg.Digests;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.merge.PosixOps;
import org.stageforge.spec.StageSpec;
import org.stageforge.util.IoErrors;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fetches, verifies and unpacks a {@code [seed]} stage tarball into the cache shared by every build directory:
 * {@code CACHE/seeds/<first 32 hex digits of the digest>/} holds {@code root/} (the unpacked tree), {@link #OWNERS}
 * and the {@link #MARKER} written last. The digest (and, when the spec gives them, the OpenPGP-signed Gentoo
 * {@code .DIGESTS} file and detached {@code .asc} signature) is checked before anything is unpacked; unpacking runs
 * in a temporary sibling renamed into place once complete, under a per-digest file lock, so a second preparer waits
 * and reuses the result. The tarball is hostile input: {@link SafeExtractor} refuses absolute paths, {@code ..} and
 * writes through links (exit 4).
 */
public final class Seed {
    /** The side table of what the disk does not hold (owners other than 0:0, device nodes, xattrs). */
    public static final String OWNERS = "owners.tsv";
    /** Written last into the temporary directory: its presence after the rename means the seed is complete. */
    public static final String MARKER = ".complete";
    /** Largest DIGESTS or signature file accepted. */
    static final long MAX_SMALL_FILE = 1 << 20;
    /**
     * Only these xattrs are set on disk: file capabilities (as root) and user attributes. Others (trusted.overlay.*
     * and user.overlay.*, which an overlay mount would obey, security.selinux, ...) go to the side table.
     */
    private static final Pattern ROOT_XATTR = Pattern.compile("security\\.capability|user\\.(?!overlay\\.).+");
    private static final Pattern USER_XATTR = Pattern.compile("user\\.(?!overlay\\.).+");
    private static final Pattern HASH_HEADER = Pattern.compile("#\\s*(\\S+)\\s+HASH\\s*");
    private static final Map<Path, Object> LOCKS = new ConcurrentHashMap<>();

    private Seed() {}

    /** Prepares the seed as the current user can: real owners and device nodes as root, the side table otherwise. */
    public static SeedRoot prepare(StageSpec.Seed seed, Path cacheDir, Consumer<String> log) {
        return prepare(seed, cacheDir, log, SafeExtractor.runningAsRoot());
    }

    /**
     * Prepares the seed; {@code asRoot} false unpacks as a normal user would even when running as root (owners go to
     * the side table, no device nodes), true requires effective uid 0.
     */
    public static SeedRoot prepare(StageSpec.Seed seed, Path cacheDir, Consumer<String> log, boolean asRoot) {
        if (asRoot && !SafeExtractor.runningAsRoot()) throw new IllegalArgumentException("asRoot needs effective uid 0");
        String alg = seed.sha512() != null ? "SHA512" : "BLAKE2B";
        String expected = seed.sha512() != null ? seed.sha512() : seed.blake2b();
        Path seeds = cacheDir.toAbsolutePath().resolve("seeds");
        Path fin = seeds.resolve(expected.substring(0, 32));
        SeedRoot done = complete(fin, seed, asRoot);
        if (done != null) {
            log.accept("seed: reusing " + done.dir());
            return done;
        }
        Object monitor = LOCKS.computeIfAbsent(fin, k -> new Object());
        synchronized (monitor) {
            try {
                Files.createDirectories(seeds);
                // the monitor serialises threads of this JVM (a second FileLock from it would throw), the lock processes
                try (FileChannel lc = FileChannel.open(seeds.resolve(fin.getFileName() + ".lock"),
                        StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                     FileLock ignored = lc.lock()) {
                    done = complete(fin, seed, asRoot);
                    if (done != null) {
                        log.accept("seed: reusing " + done.dir() + " (prepared meanwhile)");
                        return done;
                    }
                    return unpackLocked(seed, alg, expected, fin, log, asRoot);
                }
            } catch (IOException e) {
                throw new StageforgeException("seed " + shown(seed) + ": " + IoErrors.describe(e), ExitCodes.FAILURE, e);
            }
        }
    }

    /** The prepared seed at {@code fin}, or null when it is not there (yet). */
    private static SeedRoot complete(Path fin, StageSpec.Seed seed, boolean asRoot) {
        Path marker = fin.resolve(MARKER);
        if (!Files.isRegularFile(marker, LinkOption.NOFOLLOW_LINKS)) return null;
        String text;
        try {
            text = Files.readString(marker);
        } catch (IOException e) {
            throw new StageforgeException("seed cache " + fin + ": cannot read " + MARKER + ": " + IoErrors.describe(e), e);
        }
        if (!text.contains("digest " + seed.digest() + "\n")) {
            // the first 32 hex digits collided, or the directory was tampered with
            throw new StageforgeException("seed cache " + fin + " holds another seed than " + seed.digest()
                    + "; remove it", ExitCodes.VERIFY, null);
        }
        boolean madeAsRoot = text.contains("as-root true\n");
        if (madeAsRoot != asRoot) {
            throw new StageforgeException("seed cache " + fin + " was unpacked " + (madeAsRoot ? "as root" : "as a normal user")
                    + "; it cannot be used " + (asRoot ? "as root" : "as a normal user") + " (use another --cache-dir)",
                    ExitCodes.FAILURE, null);
        }
        return new SeedRoot(fin.resolve("root"), seed.digest(), asRoot);
    }

    private static SeedRoot unpackLocked(StageSpec.Seed seed, String alg, String expected, Path fin, Consumer<String> log,
                                         boolean asRoot) throws IOException {
        Path seeds = fin.getParent();
        // under the lock, leftovers of an interrupted preparer are stale
        try (var s = Files.newDirectoryStream(seeds, fin.getFileName() + ".tmp-*")) {
            for (Path p : s) org.stageforge.util.Dirs.deleteTree(p);
        }
        Path tmp = Files.createTempDirectory(seeds, fin.getFileName() + ".tmp-");
        try {
            Path tarball = seed.path() != null ? seed.path() : local(seed.url());
            if (tarball == null) {
                tarball = tmp.resolve("download");
                log.accept("seed: downloading " + display(seed.url()));
                download(seed.url(), tarball, TarLimits.DEFAULT.maxUncompressed(), shown(seed));
            }
            if (!Files.isRegularFile(tarball)) {
                throw new StageforgeException("seed " + tarball + ": no such file (or not a regular file)", ExitCodes.NOT_FOUND, null);
            }
            String name = seed.fileName();
            OpenPgp.Keyring keyring = seed.keyring() == null ? null : OpenPgp.Keyring.load(seed.keyring());
            PGPSignature detached = null;
            if (seed.signature() != null) {
                detached = OpenPgp.detachedVerifier(keyring, small(seed.signature(), tmp, "signature"),
                        "seed signature " + display(seed.signature()));
            }
            log.accept("seed: verifying " + name + " (" + alg + (detached != null ? ", signature" : "") + ")");
            Digests d = new Digests(List.of(alg));
            try (InputStream in = Files.newInputStream(tarball)) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) {
                    d.update(buf, 0, n);
                    if (detached != null) detached.update(buf, 0, n);
                }
            }
            String actual = d.hex().get(alg);
            if (!actual.equals(expected)) {
                throw new StageforgeException("seed " + name + ": " + alg + " mismatch (spec " + expected + ", file " + actual
                        + ")", ExitCodes.VERIFY, null);
            }
            if (detached != null) {
                String fpr = OpenPgp.finishDetached(keyring, detached, "seed signature " + display(seed.signature()));
                log.accept("seed: signature by " + fpr + " verified");
            }
            if (seed.digests() != null) checkDigests(seed, keyring, alg, expected, small(seed.digests(), tmp, "digests"), log);

            Path root = tmp.resolve("root");
            Files.createDirectory(root);
            log.accept("seed: unpacking " + name + (asRoot ? "" : " (as a normal user)"));
            List<String> side = unpack(tarball, name, alg, expected, root, asRoot, log);
            for (String f : List.of("download", "digests", "signature")) Files.deleteIfExists(tmp.resolve(f));
            Files.writeString(tmp.resolve(OWNERS), String.join("", side));
            Files.writeString(tmp.resolve(MARKER), "digest " + seed.digest() + "\nas-root " + asRoot + "\nsource "
                    + shown(seed).replaceAll("[\\r\\n]", " ") + "\n");
            // on disk before the rename publishes it: a crash must not leave a marked but partial root
            PosixOps.system().syncfs(tmp);
            org.stageforge.util.Dirs.deleteTree(fin); // a directory without the marker is a leftover, never a prepared seed
            Files.move(tmp, fin, StandardCopyOption.ATOMIC_MOVE);
            log.accept("seed: unpacked into " + fin.resolve("root"));
            return new SeedRoot(fin.resolve("root"), seed.digest(), asRoot);
        } catch (IOException | RuntimeException e) {
            org.stageforge.util.Dirs.deleteTree(tmp);
            throw e;
        }
    }

    /**
     * Checks a clear-signed Gentoo {@code .DIGESTS} file: signed by a key of the keyring, and listing the tarball's
     * file name under a {@code # SHA512 HASH} (or {@code # BLAKE2B HASH}) header with the spec's digest.
     */
    static void checkDigests(StageSpec.Seed seed, OpenPgp.Keyring keyring, String alg, String expected, byte[] data,
                             Consumer<String> log) {
        String what = "seed digests " + display(seed.digests());
        if (!OpenPgp.isClearSigned(data)) {
            throw new StageforgeException(what + ": not a clear-signed file", ExitCodes.VERIFY, null);
        }
        OpenPgp.ClearSigned cs = OpenPgp.parseClearSigned(data, what);
        String fpr = OpenPgp.verifyClearSigned(keyring, cs, what);
        String name = seed.fileName();
        String section = null;
        String listed = null;
        for (String line : cs.text().split("\n")) {
            String l = line.strip();
            Matcher m = HASH_HEADER.matcher(l);
            if (m.matches()) {
                section = m.group(1).toUpperCase(java.util.Locale.ROOT);
                continue;
            }
            if (l.isEmpty() || l.startsWith("#") || !alg.equals(section)) continue;
            String[] w = l.split("\\s+", 2);
            if (w.length < 2) continue;
            String file = w[1].startsWith("*") ? w[1].substring(1) : w[1];
            if (file.substring(file.lastIndexOf('/') + 1).equals(name)) {
                listed = w[0].toLowerCase(java.util.Locale.ROOT);
                if (listed.equals(expected)) break;
            }
        }
        if (listed == null) {
            throw new StageforgeException(what + ": no " + alg + " hash listed for " + name, ExitCodes.VERIFY, null);
        }
        if (!listed.equals(expected)) {
            throw new StageforgeException(what + ": lists " + name + " with " + alg + " " + listed + ", not the spec's "
                    + expected, ExitCodes.VERIFY, null);
        }
        log.accept("seed: " + name + " listed in DIGESTS signed by " + fpr);
    }

    /**
     * Extracts {@code tarball} into {@code root}, hashing it again while reading so the bytes unpacked are the bytes
     * verified (the file could change in between); returns the side-table lines.
     */
    private static List<String> unpack(Path tarball, String name, String alg, String expected, Path root, boolean asRoot,
                                       Consumer<String> log) throws IOException {
        Digests d = new Digests(List.of(alg));
        ExtractPolicy policy = asRoot ? new ExtractPolicy(true, true, true) : new ExtractPolicy(false, false, true);
        SafeExtractor x = new SafeExtractor(root, policy, name);
        long size = Files.size(tarball);
        List<ExtractedFile> table;
        try (InputStream raw = new HashingStream(Files.newInputStream(tarball), d);
             BufferedInputStream head = new BufferedInputStream(raw, 1 << 16)) {
            head.mark(Compression.MAGIC_LENGTH);
            byte[] magic = head.readNBytes(Compression.MAGIC_LENGTH);
            head.reset();
            Compression c = Compression.detect(magic, magic.length);
            InputStream plain = new LimitedInputStream(c.decompress(new NonClosing(head)),
                    TarLimits.DEFAULT.uncompressedBudget(size), name);
            TarReader r = new TarReader(plain, name, TarLimits.DEFAULT);
            for (TarEntry e; (e = r.next()) != null; ) x.accept(e, r.content());
            table = x.finish();
            plain.transferTo(OutputStream.nullOutputStream());
            head.transferTo(OutputStream.nullOutputStream());
        }
        String actual = d.hex().get(alg);
        if (!actual.equals(expected)) {
            throw new StageforgeException("seed " + name + ": changed while being unpacked (" + alg + " now " + actual + ")",
                    ExitCodes.VERIFY, null);
        }
        return sideTable(root, table, asRoot, log);
    }

    /**
     * Sets the xattrs that may be set (after owners: chown clears file capabilities) and returns, sorted by path, a
     * line for each member whose owner (not 0:0, as a normal user), device node or xattrs the disk does not hold:
     * {@code /PATH TYPE MODE UID GID DEVICE XATTRS}, tab-separated, {@code -} for none (paths hold no control
     * characters: the extractor refuses them).
     */
    private static List<String> sideTable(Path root, List<ExtractedFile> table, boolean asRoot, Consumer<String> log) {
        Map<String, String> lines = new TreeMap<>();
        PosixOps posix = PosixOps.system();
        Pattern applied = asRoot ? ROOT_XATTR : USER_XATTR;
        int notApplied = 0;
        for (ExtractedFile f : table) {
            TarEntry e = f.entry();
            if (e.type() == TarEntry.Type.HARDLINK) continue; // shares its target's inode, owner and xattrs
            StringBuilder unapplied = new StringBuilder();
            if (f.created()) {
                for (Map.Entry<String, byte[]> x : e.xattrs().entrySet()) {
                    boolean set = false;
                    Path p = e.path().isEmpty() ? root : root.resolve(e.path());
                    if (applied.matcher(x.getKey()).matches() && !Files.isSymbolicLink(p)) {
                        try {
                            posix.lsetxattr(p, x.getKey(), x.getValue());
                            set = true;
                        } catch (IOException ex) {
                            notApplied++;
                        }
                    }
                    if (!set) {
                        unapplied.append(unapplied.isEmpty() ? "" : ",").append(x.getKey()).append("=0x")
                                .append(HexFormat.of().formatHex(x.getValue()));
                    }
                }
            } else {
                e.xattrs().forEach((k, v) -> unapplied.append(unapplied.isEmpty() ? "" : ",").append(k).append("=0x")
                        .append(HexFormat.of().formatHex(v)));
            }
            boolean owner = !asRoot && (e.uid() != 0 || e.gid() != 0);
            boolean special = e.type() == TarEntry.Type.CHAR || e.type() == TarEntry.Type.BLOCK || e.type() == TarEntry.Type.FIFO;
            String path = "/" + e.path();
            if (!owner && f.created() && unapplied.isEmpty()) {
                lines.remove(path); // a later member replaced an earlier one that was listed
                continue;
            }
            lines.put(path, path + "\t" + e.type().lsChar() + "\t" + String.format("%04o", e.mode()) + "\t" + e.uid() + "\t"
                    + e.gid() + "\t" + (special && e.type() != TarEntry.Type.FIFO ? e.devMajor() + "," + e.devMinor() : "-")
                    + "\t" + (unapplied.isEmpty() ? "-" : unapplied) + "\n");
        }
        if (notApplied > 0) log.accept("seed: warning: " + notApplied + " xattr(s) could not be set; listed in " + OWNERS);
        return List.copyOf(lines.values());
    }

    /** How messages name the seed: the spec's path, or the URL without credentials. */
    private static String shown(StageSpec.Seed seed) {
        return seed.path() != null ? seed.given() : display(seed.url());
    }

    /** The path of a {@code file:} URI, or null for http(s). */
    private static Path local(URI u) {
        return "file".equalsIgnoreCase(u.getScheme()) ? Path.of(u) : null;
    }

    /** A DIGESTS or signature file's bytes (at most {@link #MAX_SMALL_FILE}), downloaded into {@code tmp} if remote. */
    private static byte[] small(URI u, Path tmp, String what) throws IOException {
        Path p = local(u);
        if (p == null) {
            p = tmp.resolve(what);
            download(u, p, MAX_SMALL_FILE, display(u));
        }
        if (!Files.isRegularFile(p)) throw new StageforgeException("seed " + what + " " + p + ": no such file", ExitCodes.NOT_FOUND, null);
        if (Files.size(p) > MAX_SMALL_FILE) {
            throw new StageforgeException("seed " + what + " " + p + ": larger than " + MAX_SMALL_FILE + " bytes", ExitCodes.VERIFY, null);
        }
        return Files.readAllBytes(p);
    }

    /** Downloads {@code u} into {@code to}, refusing more than {@code max} bytes. */
    private static void download(URI u, Path to, long max, String what) throws IOException {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(30)).followRedirects(HttpClient.Redirect.NORMAL).build();
        HttpResponse<InputStream> resp;
        try {
            HttpRequest req = HttpRequest.newBuilder(u).timeout(Duration.ofSeconds(60)).GET().build();
            resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IllegalArgumentException e) {
            throw new StageforgeException("seed: cannot download " + display(u) + ": " + e.getMessage(), ExitCodes.BAD_INPUT, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StageforgeException("seed: download of " + display(u) + " interrupted", ExitCodes.FAILURE, e);
        } catch (IOException e) {
            throw new StageforgeException("seed: cannot download " + display(u) + ": " + IoErrors.reason(e), ExitCodes.FAILURE, e);
        }
        try (InputStream in = resp.body()) {
            if (resp.statusCode() != 200) {
                throw new StageforgeException("seed: " + display(u) + ": HTTP " + resp.statusCode(),
                        resp.statusCode() == 404 ? ExitCodes.NOT_FOUND : ExitCodes.FAILURE, null);
            }
            try (OutputStream out = Files.newOutputStream(to, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                byte[] buf = new byte[1 << 16];
                long total = 0;
                for (int n; (n = in.read(buf)) > 0; ) {
                    total += n;
                    if (total > max) {
                        throw new StageforgeException("seed: " + what + ": larger than " + max + " bytes", ExitCodes.VERIFY, null);
                    }
                    out.write(buf, 0, n);
                }
            }
        }
    }

    /** A URL as messages show it: without credentials. */
    static String display(URI u) {
        if ("file".equalsIgnoreCase(u.getScheme())) return Path.of(u).toString();
        return u.getRawUserInfo() == null ? u.toString() : u.toString().replace(u.getRawUserInfo() + "@", "***@");
    }

    /** Feeds every byte read to a digest. */
    private static final class HashingStream extends FilterInputStream {
        private final Digests digests;

        HashingStream(InputStream in, Digests digests) {
            super(in);
            this.digests = digests;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) digests.update(new byte[] {(byte) b}, 0, 1);
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) digests.update(b, off, n);
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] buf = new byte[(int) Math.min(n, 1 << 16)];
            int r = read(buf, 0, buf.length);
            return Math.max(r, 0);
        }
    }

    /** Keeps the decompressor's close from closing the hashed stream before it was drained. */
    private static final class NonClosing extends FilterInputStream {
        NonClosing(InputStream in) {
            super(in);
        }

        @Override
        public void close() {
            // the caller closes the underlying stream
        }
    }
}

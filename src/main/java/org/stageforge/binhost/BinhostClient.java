package org.stageforge.binhost;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.index.PackagesIndex;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fetches a binhost's {@code Packages} index and its binpkgs into a local cache, verified.
 *
 * <p>Cache layout under {@link Options#cacheDir()}: {@code index/<hash of binhost>/Packages} (with the
 * HTTP validators in {@code Packages.http}, for conditional GET), and content-addressed binpkgs under
 * {@code binpkgs/<hash name>/<xx>/<digest>[-<size>]<ext>}, keyed by the strongest digest of the index
 * entry. A binpkg is written to {@code NAME.part} (resumed with {@code Range} when one exists), fsynced,
 * checked against SIZE and every digest of its entry plus the configured verifiers, and only then
 * renamed to its final name. A cached binpkg is re-verified before it is reused.
 */
public final class BinhostClient implements AutoCloseable {
    /** A Packages index larger than this is refused (the largest real ones are a few tens of MiB). */
    static final long MAX_INDEX_BYTES = 256L << 20;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    /**
     * How to fetch. {@code verifier} (may be null) runs after the digests matched; by default it checks
     * GPKG Manifests ({@link PackageVerifier#MANIFEST}). {@code requireSignatures} additionally refuses
     * binpkgs that carry no signature at all ({@link SignaturePresence}), keyring or not.
     * {@code idleTimeout} bounds both the wait for response headers and any pause in a body.
     */
    public record Options(Path cacheDir, int jobs, int maxAttempts, boolean requireSignatures,
                          BinpkgVerifier verifier, Duration connectTimeout, Duration idleTimeout) {
        public Options {
            Objects.requireNonNull(cacheDir, "cacheDir");
            Objects.requireNonNull(connectTimeout, "connectTimeout");
            Objects.requireNonNull(idleTimeout, "idleTimeout");
            if (jobs < 1) throw new IllegalArgumentException("jobs must be >= 1");
            if (maxAttempts < 1) throw new IllegalArgumentException("maxAttempts must be >= 1");
        }

        public static Options of(Path cacheDir) {
            return new Options(cacheDir, 4, 3, false, PackageVerifier.MANIFEST, Duration.ofSeconds(30),
                    Duration.ofSeconds(60));
        }

        public Options withJobs(int n) {
            return new Options(cacheDir, n, maxAttempts, requireSignatures, verifier, connectTimeout, idleTimeout);
        }

        public Options withMaxAttempts(int n) {
            return new Options(cacheDir, jobs, n, requireSignatures, verifier, connectTimeout, idleTimeout);
        }

        public Options withRequireSignatures(boolean b) {
            return new Options(cacheDir, jobs, maxAttempts, b, verifier, connectTimeout, idleTimeout);
        }

        public Options withVerifier(BinpkgVerifier v) {
            return new Options(cacheDir, jobs, maxAttempts, requireSignatures, v, connectTimeout, idleTimeout);
        }

        public Options withTimeouts(Duration connect, Duration idle) {
            return new Options(cacheDir, jobs, maxAttempts, requireSignatures, verifier, connect, idle);
        }
    }

    /** A parsed index, the file it was read from, and whether it came over the network. */
    public record IndexFetch(PackagesIndex index, Path file, Status status) {
        /** CACHED: the cached copy is younger than the index's own TTL header, so no request was made (as Portage). */
        public enum Status { LOCAL, DOWNLOADED, NOT_MODIFIED, CACHED }

        /** Every entry, as the fetcher sees it. */
        public List<IndexRef> refs() {
            return IndexRef.all(index);
        }
    }

    private final BinhostSource source;
    private final Options opts;
    private final HttpClient http;
    private final ScheduledExecutorService watchdog;
    /**
     * Per cache file, JVM-wide: file locks only exclude other processes, and a second lock attempt from
     * this JVM (another client on the same cache) would throw instead of waiting.
     */
    private static final Map<Path, Object> KEY_LOCKS = new ConcurrentHashMap<>();
    /** Base of package URLs: the index's URI header when it named one, else the binhost itself. */
    private volatile URI packageBase;

    public BinhostClient(BinhostSource source, Options opts) {
        this.source = source;
        this.opts = opts;
        if (source instanceof BinhostSource.Http h) {
            // HTTP/1.1: what every binhost serves, and no h2c upgrade dance on plain http
            this.http = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(opts.connectTimeout())
                    // redirects are followed by send(), which decides where credentials may go
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .build();
            this.packageBase = h.base();
            this.watchdog = Executors.newSingleThreadScheduledExecutor(daemon("binhost-watchdog"));
        } else {
            this.http = null;
            this.watchdog = null;
        }
    }

    public static BinhostClient open(String urlOrDir, Options opts) {
        return new BinhostClient(BinhostSource.parse(urlOrDir), opts);
    }

    public BinhostSource source() { return source; }

    public Options options() { return opts; }

    // ---------------------------------------------------------------- index

    /** Reads (local) or fetches with a conditional GET (HTTP) the binhost's Packages index. */
    public IndexFetch fetchIndex() {
        if (source instanceof BinhostSource.Local l) {
            Path file = l.dir().resolve("Packages");
            if (!Files.isRegularFile(file))
                throw new StageforgeException("binhost " + l.dir() + " has no Packages index", ExitCodes.NOT_FOUND, null);
            return new IndexFetch(PackagesIndex.read(file), file, IndexFetch.Status.LOCAL);
        }
        URI base = ((BinhostSource.Http) source).base();
        URI url = URI.create(base + "/Packages");
        Path dir = opts.cacheDir().resolve("index").resolve(sha256(base.toString()).substring(0, 16));
        Path file = dir.resolve("Packages");
        Path meta = dir.resolve("Packages.http");
        IndexFetch fetched = fetchIndexFile(url, dir, file, meta);
        packageBase = indexBase(fetched.index(), base);
        return fetched;
    }

    /** A new index is parsed before it replaces the cached one, so a bad download never sticks. */
    private IndexFetch fetchIndexFile(URI url, Path dir, Path file, Path meta) {
        Properties validators = new Properties();
        boolean cached = Files.isRegularFile(file);
        if (cached && Files.isRegularFile(meta)) {
            try (InputStream in = Files.newInputStream(meta)) {
                validators.load(in);
            } catch (IOException e) {
                validators.clear();
            }
        }
        if (cached && validators.getProperty("Downloaded") != null) {
            PackagesIndex index = parseCached(url, file, meta);
            if (withinTtl(index, validators)) return new IndexFetch(index, file, IndexFetch.Status.CACHED);
        }
        StageforgeException last = null;
        for (int attempt = 1; attempt <= opts.maxAttempts(); attempt++) {
            try {
                HttpResponse<InputStream> resp = send(url, b -> {
                    if (!cached) return;
                    String etag = validators.getProperty("ETag");
                    String lm = validators.getProperty("Last-Modified");
                    if (etag != null) b.header("If-None-Match", etag);
                    if (lm != null) b.header("If-Modified-Since", lm);
                });
                try (InputStream body = resp.body()) {
                    int sc = resp.statusCode();
                    if (sc == 304 && cached) return new IndexFetch(parseCached(url, file, meta), file,
                            IndexFetch.Status.NOT_MODIFIED);
                    if (sc == 404 || sc == 410)
                        throw new StageforgeException("binhost " + source.display() + " has no Packages index (HTTP "
                                + sc + " for " + url + ")", ExitCodes.NOT_FOUND, null);
                    if (sc != 200) {
                        last = new StageforgeException("fetching " + url + " failed: HTTP " + sc);
                        if (sc >= 500 || sc == 408 || sc == 429) {
                            backoff(attempt);
                            continue;
                        }
                        throw last;
                    }
                    byte[] data;
                    try {
                        data = readBounded(body, url);
                    } catch (Transient t) {
                        last = new StageforgeException("fetching " + url + " failed: " + t.getMessage(), ExitCodes.FAILURE, t);
                        backoff(attempt);
                        continue;
                    }
                    PackagesIndex index = PackagesIndex.parse(url.toString(), data);
                    Files.createDirectories(dir);
                    writeAtomically(file, out -> out.write(data));
                    Properties p = new Properties();
                    resp.headers().firstValue("ETag").ifPresent(v -> p.setProperty("ETag", v));
                    resp.headers().firstValue("Last-Modified").ifPresent(v -> p.setProperty("Last-Modified", v));
                    p.setProperty("URL", url.toString());
                    p.setProperty("Downloaded", Long.toString(System.currentTimeMillis()));
                    writeAtomically(meta, out -> p.store(out, null));
                    return new IndexFetch(index, file, IndexFetch.Status.DOWNLOADED);
                }
            } catch (IOException e) {
                last = new StageforgeException("fetching " + url + " failed: " + describe(e), ExitCodes.FAILURE, e);
                backoff(attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StageforgeException("interrupted while fetching " + url, ExitCodes.FAILURE, e);
            }
        }
        throw last;
    }

    /**
     * Fetches packages relative to {@code index}'s URI header (as {@link #fetchIndex} does), for a client that uses an
     * index fetched earlier, e.g. by another process.
     */
    public void usePackageBase(PackagesIndex index) {
        if (source instanceof BinhostSource.Http h) packageBase = indexBase(index, h.base());
    }

    /** Portage fetches packages relative to the index's URI header; only http(s) targets are honoured. */
    private static URI indexBase(PackagesIndex index, URI fallback) {
        String uri = index.header().get("URI");
        if (uri == null || uri.isBlank()) return fallback;
        try {
            URI u = new URI(uri.trim().replaceAll("/+$", ""));
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && u.getHost() != null) return u;
        } catch (java.net.URISyntaxException ignored) {
            // an unusable URI header is ignored, as if absent
        }
        return fallback;
    }

    /** Portage skips the request while download time + the index's TTL header (seconds) lies ahead. */
    private static boolean withinTtl(PackagesIndex index, Properties validators) {
        try {
            double ttl = Double.parseDouble(index.header().getOrDefault("TTL", "0"));
            long downloaded = Long.parseLong(validators.getProperty("Downloaded"));
            return ttl > 0 && downloaded + ttl * 1000 > System.currentTimeMillis();
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static PackagesIndex parseCached(URI url, Path file, Path meta) {
        try {
            return PackagesIndex.parse(url.toString(), Files.readAllBytes(file));
        } catch (IOException | StageforgeException e) {
            // drop the unusable copy and its validators: the next run downloads the index again
            try {
                Files.deleteIfExists(meta);
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // the error below is what matters
            }
            if (e instanceof StageforgeException se) throw se;
            throw new StageforgeException("cannot read cached index " + file + ": " + e.getMessage(), e);
        }
    }

    private byte[] readBounded(InputStream body, URI url) throws Transient {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        Idle idle = new Idle(body);
        ScheduledFuture<?> tick = idle.schedule();
        byte[] buf = new byte[1 << 16];
        try {
            for (int n; (n = body.read(buf)) >= 0; ) {
                idle.progress();
                if (out.size() + (long) n > MAX_INDEX_BYTES)
                    throw new StageforgeException(url + " is larger than " + MAX_INDEX_BYTES + " bytes; refused",
                            ExitCodes.VERIFY, null);
                out.write(buf, 0, n);
            }
        } catch (IOException e) {
            if (idle.fired) throw new Transient("no data for " + opts.idleTimeout().toMillis() + " ms", e);
            throw new Transient("connection lost after " + out.size() + " bytes: " + describe(e), e);
        } finally {
            tick.cancel(false);
        }
        return out.toByteArray();
    }

    // ---------------------------------------------------------------- packages

    /** Where {@code ref} lives in the cache once fetched (its download runs in this name plus {@code .part}). */
    public Path cachePath(BinpkgRef ref) {
        checkDigestSyntax(ref);
        return cacheFile(ref, segments(ref));
    }

    /** Where {@code ref} is fetched from. */
    public URI packageUri(BinpkgRef ref) {
        if (!(source instanceof BinhostSource.Http)) return localFile(ref, segments(ref)).toUri();
        StringBuilder sb = new StringBuilder(packageBase.toString());
        for (String s : segments(ref)) sb.append('/').append(encodeSegment(s));
        return URI.create(sb.toString());
    }

    /** Fetches every ref (at most {@code jobs} at a time); failures are collected, not thrown. */
    public FetchResult fetchAll(Collection<? extends BinpkgRef> refs, FetchListener listener) {
        List<FetchedPackage> fetched = new ArrayList<>();
        List<FetchFailure> failures = new ArrayList<>();
        if (refs.isEmpty()) return new FetchResult(fetched, failures);
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(opts.jobs(), refs.size()), daemon("binhost-fetch"));
        try {
            List<Future<Object>> futures = new ArrayList<>();
            for (BinpkgRef ref : refs) futures.add(pool.submit(() -> fetchOrFailure(ref, listener)));
            for (Future<Object> f : futures) {
                Object o = f.get();
                if (o instanceof FetchedPackage p) fetched.add(p);
                else failures.add((FetchFailure) o);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StageforgeException("interrupted while fetching from " + source.display(), ExitCodes.FAILURE, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
        return new FetchResult(fetched, failures);
    }

    private Object fetchOrFailure(BinpkgRef ref, FetchListener listener) {
        try {
            FetchedPackage p = fetch(ref, listener);
            listener.done(p);
            return p;
        } catch (StageforgeException e) {
            FetchFailure f = new FetchFailure(ref, e);
            listener.failed(f);
            return f;
        } catch (RuntimeException e) {
            FetchFailure f = new FetchFailure(ref, new StageforgeException(ref.label() + ": " + e, ExitCodes.FAILURE, e));
            listener.failed(f);
            return f;
        }
    }

    public FetchedPackage fetch(BinpkgRef ref) {
        return fetch(ref, FetchListener.NONE);
    }

    /** Fetches one binpkg into the cache (or finds it there) and returns the verified file. */
    public FetchedPackage fetch(BinpkgRef ref, FetchListener listener) {
        if (ref.size() < 0)
            throw new StageforgeException(ref.label() + ": the index gives no SIZE; refusing an unbounded download",
                    ExitCodes.VERIFY, null);
        List<String> segs = segments(ref);
        checkDigestSyntax(ref);
        Path fin = cacheFile(ref, segs);
        Object lock = KEY_LOCKS.computeIfAbsent(fin.toAbsolutePath().normalize(), k -> new Object());
        synchronized (lock) {
            try {
                Files.createDirectories(fin.getParent());
                Path lockFile = fin.resolveSibling(fin.getFileName() + ".lock");
                // serialises processes sharing the cache; the monitor above serialises threads of this JVM
                try (FileChannel lc = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                     FileLock ignored = lc.lock()) {
                    return fetchLocked(ref, segs, fin, listener);
                }
            } catch (IOException e) {
                throw new StageforgeException(ref.label() + ": cache I/O error at " + fin + ": " + describe(e),
                        ExitCodes.FAILURE, e);
            }
        }
    }

    private FetchedPackage fetchLocked(BinpkgRef ref, List<String> segs, Path fin, FetchListener listener)
            throws IOException {
        if (Files.isRegularFile(fin)) {
            String problem = checksumProblem(ref, fin);
            if (problem == null) {
                runVerifiers(fin, ref);
                listener.bytes(ref, ref.size());
                return new FetchedPackage(ref, fin, true, 0);
            }
            Files.delete(fin);
            listener.discarded(ref, problem);
        }
        Path part = fin.resolveSibling(fin.getFileName() + ".part");
        long[] received = {0};
        StageforgeException last = null;
        boolean restartedAfterMismatch = false;
        try (FileChannel ch = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            if (ch.size() > ref.size()) ch.truncate(0);
            // bytes already on disk count as progress; every restart takes back what it discards
            listener.bytes(ref, ch.size());
            for (int attempt = 1; attempt <= opts.maxAttempts(); attempt++) {
                long have = ch.size();
                try {
                    if (source instanceof BinhostSource.Http) httpTransfer(ref, ch, have, received, listener);
                    else localTransfer(ref, segs, ch, received, listener);
                } catch (Transient t) {
                    last = new StageforgeException(ref.label() + ": download of " + packageUri(ref) + " incomplete after "
                            + attempt + " attempt(s): got " + ch.size() + " of " + ref.size() + " bytes ("
                            + t.getMessage() + ")", ExitCodes.FAILURE, t);
                    backoff(attempt);
                    continue;
                }
                if (ch.size() < ref.size()) {
                    last = new StageforgeException(ref.label() + ": download of " + packageUri(ref) + " truncated after "
                            + attempt + " attempt(s): got " + ch.size() + " of " + ref.size() + " bytes",
                            ExitCodes.FAILURE, null);
                    backoff(attempt);
                    continue;
                }
                ch.force(true);
                String problem = checksumProblem(ref, part);
                if (problem != null) {
                    last = new StageforgeException(ref.label() + " (" + ref.path() + " from " + source.display() + "): "
                            + problem, ExitCodes.VERIFY, null);
                    if (have > 0 && !restartedAfterMismatch) {
                        // the resumed prefix may come from an older file of the same name: start over once
                        restartedAfterMismatch = true;
                        discard(ch, ref, listener);
                        continue;
                    }
                    break;
                }
                runVerifiersOrDiscard(part, ref);
                Files.move(part, fin, StandardCopyOption.ATOMIC_MOVE);
                fsyncDir(fin.getParent());
                return new FetchedPackage(ref, fin, false, received[0]);
            }
        } catch (StageforgeException e) {
            Files.deleteIfExists(part);
            throw e;
        }
        // an incomplete download stays as .part for a later resume; anything else must not linger
        if (last.exitCode() != ExitCodes.FAILURE || Files.size(part) == 0) Files.deleteIfExists(part);
        throw last;
    }

    private void runVerifiersOrDiscard(Path part, BinpkgRef ref) throws IOException {
        try {
            runVerifiers(part, ref);
        } catch (StageforgeException e) {
            Files.deleteIfExists(part);
            throw e;
        }
    }

    private void runVerifiers(Path file, BinpkgRef ref) {
        if (opts.requireSignatures()) new SignaturePresence().verify(file, ref);
        if (opts.verifier() != null) opts.verifier().verify(file, ref);
    }

    /** Null when size and every digest of the entry match; else which one differs, expected vs got. */
    private static String checksumProblem(BinpkgRef ref, Path file) throws IOException {
        long size = Files.size(file);
        if (size != ref.size()) return "SIZE mismatch: expected " + ref.size() + ", got " + size;
        Map<String, String> want = ref.digests();
        if (want.isEmpty()) return null;
        Map<String, String> got = Checksums.compute(file, want.keySet());
        for (Map.Entry<String, String> w : want.entrySet()) {
            if (!w.getValue().equalsIgnoreCase(got.get(w.getKey())))
                return w.getKey() + " mismatch: expected " + w.getValue() + ", got " + got.get(w.getKey());
        }
        return null;
    }

    private void localTransfer(BinpkgRef ref, List<String> segs, FileChannel ch, long[] received,
                               FetchListener listener) throws IOException {
        Path src = localFile(ref, segs);
        if (!Files.isRegularFile(src))
            throw new StageforgeException(ref.label() + ": " + ref.path() + " is missing on binhost " + source.display(),
                    ExitCodes.NOT_FOUND, null);
        long n = Files.size(src);
        if (n != ref.size())
            throw new StageforgeException(ref.label() + ": " + src + " is " + n + " bytes but the index SIZE is "
                    + ref.size() + "; refused", ExitCodes.VERIFY, null);
        discard(ch, ref, listener);
        try (FileChannel in = FileChannel.open(src, StandardOpenOption.READ)) {
            long pos = 0;
            while (pos < n) {
                long k = in.transferTo(pos, n - pos, ch);
                if (k <= 0) break;
                pos += k;
                received[0] += k;
                listener.bytes(ref, k);
            }
        }
    }

    /** Appends to {@code ch} from offset {@code have}, adding what arrives to {@code received}. */
    private void httpTransfer(BinpkgRef ref, FileChannel ch, long have, long[] received, FetchListener listener)
            throws IOException, Transient {
        URI uri = packageUri(ref);
        HttpResponse<InputStream> resp;
        try {
            resp = send(uri, b -> {
                if (have > 0) b.header("Range", "bytes=" + have + "-");
            });
        } catch (IOException e) {
            throw new Transient(describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StageforgeException("interrupted while fetching " + uri, ExitCodes.FAILURE, e);
        }
        try (InputStream body = resp.body()) {
            int sc = resp.statusCode();
            long start;
            switch (sc) {
                case 200 -> {
                    // the server ignored the Range (or there was none): start over
                    start = 0;
                    discard(ch, ref, listener);
                }
                case 206 -> {
                    Matcher m = CONTENT_RANGE.matcher(resp.headers().firstValue("Content-Range").orElse(""));
                    if (!m.matches() || Long.parseLong(m.group(1)) != have) {
                        discard(ch, ref, listener);
                        throw new Transient("server answered bytes=" + have + "- with Content-Range '"
                                + resp.headers().firstValue("Content-Range").orElse("") + "'", null);
                    }
                    if (!m.group(3).equals("*") && Long.parseLong(m.group(3)) != ref.size())
                        throw tooLarge(ref, uri, "the server reports " + m.group(3) + " bytes");
                    start = have;
                }
                case 416 -> {
                    if (have == ref.size()) return;
                    discard(ch, ref, listener);
                    throw new Transient("server refused range bytes=" + have + "-", null);
                }
                case 404, 410 -> throw new StageforgeException(ref.label() + ": " + ref.path() + " is missing on binhost "
                        + source.display() + " (HTTP " + sc + " for " + uri + ")", ExitCodes.NOT_FOUND, null);
                default -> {
                    if (sc >= 500 || sc == 408 || sc == 429) throw new Transient("HTTP " + sc, null);
                    throw new StageforgeException(ref.label() + ": HTTP " + sc + " for " + uri, ExitCodes.FAILURE, null);
                }
            }
            long length = resp.headers().firstValueAsLong("Content-Length").orElse(-1);
            if (length >= 0 && start + length > ref.size())
                throw tooLarge(ref, uri, "the server sends " + (start + length) + " bytes");
            copyBody(ref, uri, body, ch, start, received, listener);
        }
    }

    private void copyBody(BinpkgRef ref, URI uri, InputStream body, FileChannel ch, long start, long[] received,
                          FetchListener listener) throws IOException, Transient {
        Idle idle = new Idle(body);
        ScheduledFuture<?> tick = idle.schedule();
        long pos = start;
        byte[] buf = new byte[1 << 16];
        try {
            for (int n; (n = body.read(buf)) >= 0; ) {
                idle.progress();
                if (n == 0) continue;
                if (pos + n > ref.size()) throw tooLarge(ref, uri, "the server sent more");
                ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                while (bb.hasRemaining()) pos += ch.write(bb, pos);
                received[0] += n;
                listener.bytes(ref, n);
            }
        } catch (IOException e) {
            if (idle.fired) throw new Transient("no data for " + opts.idleTimeout().toMillis() + " ms after " + pos + " bytes", e);
            throw new Transient("connection lost after " + pos + " bytes: " + describe(e), e);
        } finally {
            tick.cancel(false);
        }
    }

    /** Closes a body that made no progress for the idle timeout, which unblocks its reader. */
    private final class Idle implements Runnable {
        private final InputStream body;
        private volatile long lastNanos = System.nanoTime();
        volatile boolean fired;

        Idle(InputStream body) { this.body = body; }

        void progress() { lastNanos = System.nanoTime(); }

        ScheduledFuture<?> schedule() {
            long period = Math.max(50, opts.idleTimeout().toMillis() / 4);
            return watchdog.scheduleAtFixedRate(this, period, period, TimeUnit.MILLISECONDS);
        }

        @Override
        public void run() {
            if (!fired && System.nanoTime() - lastNanos > opts.idleTimeout().toNanos()) {
                fired = true;
                try {
                    body.close();
                } catch (IOException ignored) {
                    // the reader sees the closed stream either way
                }
            }
        }
    }

    /** Empties the part file and takes its bytes back from the progress. */
    private static void discard(FileChannel ch, BinpkgRef ref, FetchListener listener) throws IOException {
        long had = ch.size();
        ch.truncate(0);
        if (had > 0) listener.bytes(ref, -had);
    }

    private StageforgeException tooLarge(BinpkgRef ref, URI uri, String what) {
        return new StageforgeException(ref.label() + ": " + uri + " is larger than its index SIZE " + ref.size() + " ("
                + what + "); refused", ExitCodes.VERIFY, null);
    }

    // ---------------------------------------------------------------- paths and cache keys

    /** The index PATH split into safe segments; a leading slash is dropped like Portage does. */
    static List<String> segments(BinpkgRef ref) {
        String p = ref.path().replaceFirst("^/+", "");
        List<String> segs = List.of(p.split("/", -1));
        for (String s : segs) {
            boolean bad = s.isEmpty() || s.equals(".") || s.equals("..") || s.indexOf('\\') >= 0
                    || s.chars().anyMatch(c -> c < 0x20 || c == 0x7f);
            if (bad)
                throw new StageforgeException(ref.label() + ": unsafe PATH '" + ref.path() + "' in the binhost index",
                        ExitCodes.BAD_INPUT, null);
        }
        return segs;
    }

    private Path localFile(BinpkgRef ref, List<String> segs) {
        Path dir = ((BinhostSource.Local) source).dir();
        Path p = dir;
        for (String s : segs) p = p.resolve(s);
        try {
            // a symlink inside the binhost must not lead out of it
            if (Files.exists(p) && !p.toRealPath().startsWith(dir.toRealPath()))
                throw new StageforgeException(ref.label() + ": " + ref.path() + " leads outside binhost " + dir,
                        ExitCodes.BAD_INPUT, null);
        } catch (IOException e) {
            throw new StageforgeException(ref.label() + ": cannot resolve " + p + ": " + describe(e), ExitCodes.FAILURE, e);
        }
        return p;
    }

    private static final Map<String, Integer> HEX_LENGTH = Map.of("MD5", 32, "SHA1", 40, "SHA512", 128, "BLAKE2B", 128);

    /** Digests name cache files, so anything but hex of the right length is refused. */
    static void checkDigestSyntax(BinpkgRef ref) {
        for (Map.Entry<String, String> d : ref.digests().entrySet()) {
            String v = d.getValue();
            boolean hex = v.length() == HEX_LENGTH.get(d.getKey())
                    && v.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
            if (!hex)
                throw new StageforgeException(ref.label() + ": malformed " + d.getKey() + " '" + v + "' in the binhost index",
                        ExitCodes.BAD_INPUT, null);
        }
    }

    private Path cacheFile(BinpkgRef ref, List<String> segs) {
        String name = segs.get(segs.size() - 1);
        String ext = name.endsWith(".gpkg.tar") ? ".gpkg.tar" : name.endsWith(".xpak") ? ".xpak"
                : name.endsWith(".tbz2") ? ".tbz2" : "";
        String algo;
        String key;
        if (ref.sha512() != null) {
            algo = "sha512";
            key = ref.sha512();
        } else if (ref.blake2b() != null) {
            algo = "blake2b";
            key = ref.blake2b();
        } else if (ref.sha1() != null) {
            algo = "sha1";
            key = ref.sha1() + "-" + ref.size();
        } else if (ref.md5() != null) {
            algo = "md5";
            key = ref.md5() + "-" + ref.size();
        } else {
            // no digest to address it by: keyed by where it comes from
            algo = "url";
            key = sha256(packageUri(ref).toString()) + "-" + ref.size();
        }
        return opts.cacheDir().resolve("binpkgs").resolve(algo).resolve(key.substring(0, 2)).resolve(key + ext);
    }

    /** Percent-encodes one path segment, keeping what Gentoo file names use unescaped. */
    static String encodeSegment(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~+@,=".indexOf(c) >= 0)
                sb.append((char) c);
            else
                sb.append('%').append(String.format("%02X", c));
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- helpers

    private static final int MAX_REDIRECTS = 5;

    /**
     * GET {@code uri}, following up to {@link #MAX_REDIRECTS} redirects to http(s) (never from https
     * down to http); {@code headers} adds the per-request headers to every hop.
     */
    private HttpResponse<InputStream> send(URI uri, java.util.function.Consumer<HttpRequest.Builder> headers)
            throws IOException, InterruptedException {
        URI target = uri;
        for (int hop = 0; ; hop++) {
            HttpRequest.Builder b = request(target);
            headers.accept(b);
            HttpResponse<InputStream> resp = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            int sc = resp.statusCode();
            java.util.Optional<String> location = resp.headers().firstValue("Location");
            if (!(sc == 301 || sc == 302 || sc == 303 || sc == 307 || sc == 308) || location.isEmpty()) return resp;
            resp.body().close();
            URI next;
            try {
                next = target.resolve(new URI(location.get().strip()));
            } catch (java.net.URISyntaxException e) {
                throw new StageforgeException(target + " redirects to a malformed location", ExitCodes.FAILURE, e);
            }
            String scheme = next.getScheme() == null ? "" : next.getScheme().toLowerCase(Locale.ROOT);
            boolean allowed = (scheme.equals("https") || (scheme.equals("http") && !target.getScheme().equalsIgnoreCase("https")))
                    && next.getHost() != null;
            if (!allowed)
                throw new StageforgeException(target + " redirects to " + next.getScheme() + "://" + next.getHost()
                        + "; refused", ExitCodes.FAILURE, null);
            if (hop >= MAX_REDIRECTS)
                throw new StageforgeException(uri + ": more than " + MAX_REDIRECTS + " redirects", ExitCodes.FAILURE, null);
            target = next;
        }
    }

    private HttpRequest.Builder request(URI uri) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(opts.idleTimeout()).GET()
                .header("User-Agent", "stageforge");
        BinhostSource.Http h = (BinhostSource.Http) source;
        // credentials of the binhost URL go to that scheme, host and port only (not to an index URI elsewhere)
        if (h.userInfo() != null && sameOrigin(uri, h.base())) {
            String decoded = java.net.URLDecoder.decode(h.userInfo().replace("+", "%2B"), StandardCharsets.UTF_8);
            b.header("Authorization", "Basic " + java.util.Base64.getEncoder()
                    .encodeToString(decoded.getBytes(StandardCharsets.UTF_8)));
        }
        return b;
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost())
                && effectivePort(a) == effectivePort(b);
    }

    private static int effectivePort(URI u) {
        if (u.getPort() >= 0) return u.getPort();
        return u.getScheme().equalsIgnoreCase("https") ? 443 : 80;
    }

    private interface StreamWriter {
        void write(OutputStream out) throws IOException;
    }

    private static void writeAtomically(Path target, StreamWriter writer) throws IOException {
        // a name of its own: two processes sharing the cache may refresh the same index at once
        Path part = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".part");
        try (FileChannel ch = FileChannel.open(part, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            OutputStream out = java.nio.channels.Channels.newOutputStream(ch);
            writer.write(out);
            out.flush();
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(part);
            throw e;
        }
        Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        fsyncDir(target.getParent());
    }

    private static void fsyncDir(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException ignored) {
            // not every file system lets a directory be fsynced; the rename itself is still atomic
        }
    }

    private static void backoff(int attempt) {
        try {
            Thread.sleep(100L * attempt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String describe(IOException e) {
        return org.stageforge.util.IoErrors.reason(e);
    }

    static String sha256(String s) {
        return HexFormat.of().formatHex(org.stageforge.util.Hashes.of("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public void close() {
        if (watchdog != null) watchdog.shutdownNow();
    }

    /** A failure worth another attempt (connection cut, stall, 5xx); resumes from what is on disk. */
    private static final class Transient extends Exception {
        Transient(String message, Throwable cause) {
            super(message, cause);
        }
    }
}

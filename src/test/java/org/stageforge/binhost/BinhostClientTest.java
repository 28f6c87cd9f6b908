package org.stageforge.binhost;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.server.FaultHandler;
import org.stageforge.server.StaticServer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The client against a real HTTP server on loopback and against local directories, on data made here. */
@Timeout(60)
class BinhostClientTest {
    @TempDir
    Path tmp;

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeables) c.close();
    }

    private Path binhost(TestBinhost b) throws IOException {
        return b.write(tmp.resolve("binhost"));
    }

    private FaultHandler faults;

    private BinhostClient http(Path dir, BinhostClient.Options opts) {
        faults = new FaultHandler(dir);
        StaticServer server = StaticServer.start(dir, "127.0.0.1", 0, faults::wrap);
        closeables.add(server);
        BinhostClient c = BinhostClient.open(server.uri().toString(), opts);
        closeables.add(c);
        return c;
    }

    /** The packages made here are random bytes, not binpkgs: only the index digests are checked. */
    private BinhostClient.Options opts() {
        return BinhostClient.Options.of(tmp.resolve("cache")).withVerifier(null)
                .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(5));
    }

    private BinhostClient local(Path dir, BinhostClient.Options opts) {
        BinhostClient c = BinhostClient.open(dir.toString(), opts);
        closeables.add(c);
        return c;
    }

    private static IndexRef entry(BinhostClient c, String cpv) {
        return IndexRef.select(c.fetchIndex().index(), cpv).get(0);
    }

    private static List<Path> partFiles(Path cache) throws IOException {
        if (!Files.exists(cache)) return List.of();
        try (Stream<Path> s = Files.walk(cache)) {
            return s.filter(p -> p.toString().endsWith(".part")).toList();
        }
    }

    @Test
    void fetchAllOverHttpDeliversIdenticalVerifiedFilesAndReportsMissingOnes() throws Exception {
        TestBinhost b = new TestBinhost()
                .add("app-misc/one-1.0", 300_000)
                .add("app-misc/two-2.1-r1", 70_000, true, true)
                .add("dev-libs/gone-3", 5_000, false, false)
                .add("sys-apps/three-0.1", 1);
        Path dir = binhost(b);
        BinhostClient c = http(dir, opts().withJobs(3));
        BinhostClient.IndexFetch idx = c.fetchIndex();
        assertThat(idx.status()).isEqualTo(BinhostClient.IndexFetch.Status.DOWNLOADED);
        AtomicLong progress = new AtomicLong();
        FetchResult r = c.fetchAll(idx.refs(), new FetchListener() {
            @Override
            public void bytes(BinpkgRef ref, long delta) { progress.addAndGet(delta); }
        });

        assertThat(r.fetched()).hasSize(3);
        for (FetchedPackage p : r.fetched()) {
            assertThat(p.fromCache()).isFalse();
            assertThat(Files.readAllBytes(p.file())).isEqualTo(b.pkg(p.ref().cpv()).data());
        }
        assertThat(progress.get()).isEqualTo(300_000 + 70_000 + 1);
        assertThat(r.missing()).singleElement().satisfies(f -> {
            assertThat(f.ref().cpv()).isEqualTo("dev-libs/gone-3");
            assertThat(f.error().getMessage()).contains("dev-libs/gone-3", "HTTP 404", "dev-libs/gone/gone-3-1.gpkg.tar");
        });
        assertThat(r.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(partFiles(tmp.resolve("cache"))).isEmpty();
    }

    @Test
    void secondRunUsesCacheAndConditionalIndexGet() throws Exception {
        Path dir = binhost(new TestBinhost().add("app-misc/one-1.0", 50_000).add("app-misc/two-1", 20_000));
        BinhostClient c = http(dir, opts());
        FetchResult first = c.fetchAll(c.fetchIndex().refs(), FetchListener.NONE);
        assertThat(first.ok()).isTrue();
        long pkgRequests = faults.packageRequests();
        assertThat(pkgRequests).isEqualTo(2);

        // a fresh client over the same cache: index answered 304, packages not requested at all
        BinhostClient again = BinhostClient.open(c.source().display(), opts());
        closeables.add(again);
        BinhostClient.IndexFetch idx = again.fetchIndex();
        assertThat(idx.status()).isEqualTo(BinhostClient.IndexFetch.Status.NOT_MODIFIED);
        FetchResult second = again.fetchAll(idx.refs(), FetchListener.NONE);
        assertThat(second.fetched()).hasSize(2).allMatch(FetchedPackage::fromCache);
        assertThat(faults.packageRequests()).isEqualTo(pkgRequests);
        assertThat(faults.count("/Packages")).isEqualTo(2);
        FaultHandler.Seen conditional = faults.seen().stream().filter(s -> s.path().equals("/Packages")).toList().get(1);
        assertThat(conditional.ifNoneMatch()).isNotNull();
        assertThat(conditional.ifModifiedSince()).isNotNull();

        // a changed index is downloaded again
        Files.writeString(dir.resolve("Packages"), Files.readString(dir.resolve("Packages")).replace("TIMESTAMP: 1700000000", "TIMESTAMP: 1700000001"));
        Files.setLastModifiedTime(dir.resolve("Packages"), FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        assertThat(again.fetchIndex().status()).isEqualTo(BinhostClient.IndexFetch.Status.DOWNLOADED);
    }

    @Test
    void anIndexWithTtlIsNotRequestedAgainWhileFresh() throws Exception {
        Path dir = binhost(new TestBinhost().header("TTL: 3600").add("app-misc/one-1.0", 10));
        BinhostClient c = http(dir, opts());
        assertThat(c.fetchIndex().status()).isEqualTo(BinhostClient.IndexFetch.Status.DOWNLOADED);
        BinhostClient.IndexFetch again = c.fetchIndex();
        assertThat(again.status()).isEqualTo(BinhostClient.IndexFetch.Status.CACHED);
        assertThat(again.refs()).hasSize(1);
        assertThat(faults.count("/Packages")).isEqualTo(1);
    }

    @Test
    void aBrokenIndexIsNeitherCachedNorReused() throws Exception {
        Path dir = binhost(new TestBinhost().add("app-misc/one-1.0", 10));
        String good = Files.readString(dir.resolve("Packages"));
        Files.writeString(dir.resolve("Packages"), "ARCH: amd64\n\nno colon here\n\n");
        BinhostClient c = http(dir, opts());

        StageforgeException ex = catchThrowableOfType(c::fetchIndex, StageforgeException.class);
        assertThat(ex.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(ex.getMessage()).startsWith(c.source().display() + "/Packages:3: ");
        assertThat(tmp.resolve("cache")).doesNotExist();

        Files.writeString(dir.resolve("Packages"), good);
        assertThat(c.fetchIndex().status()).isEqualTo(BinhostClient.IndexFetch.Status.DOWNLOADED);
    }

    @Test
    void anIndexCutMidwayIsFetchedAgain() throws Exception {
        Path dir = binhost(new TestBinhost().add("app-misc/one-1.0", 10).add("app-misc/two-1.0", 10));
        BinhostClient c = http(dir, opts());
        faults.cutAfter("/Packages", 60, 1);

        BinhostClient.IndexFetch idx = c.fetchIndex();

        assertThat(idx.status()).isEqualTo(BinhostClient.IndexFetch.Status.DOWNLOADED);
        assertThat(idx.refs()).hasSize(2);
        assertThat(faults.count("/Packages")).isEqualTo(2);
    }

    @Test
    void clientsSharingACacheFetchEachPackageOnce() throws Exception {
        TestBinhost b = new TestBinhost();
        for (int i = 0; i < 12; i++) b.add("app-misc/p" + i + "-1", 40_000);
        Path dir = binhost(b);
        BinhostClient first = http(dir, opts().withJobs(4));
        BinhostClient second = BinhostClient.open(first.source().display(), opts().withJobs(4));
        closeables.add(second);
        List<IndexRef> refs = first.fetchIndex().refs();
        second.fetchIndex();

        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            var a = pool.submit(() -> first.fetchAll(refs, FetchListener.NONE));
            var c = pool.submit(() -> second.fetchAll(refs, FetchListener.NONE));
            FetchResult ra = a.get(30, java.util.concurrent.TimeUnit.SECONDS);
            FetchResult rc = c.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(ra.ok()).isTrue();
            assertThat(rc.ok()).isTrue();
            long transferred = Stream.concat(ra.fetched().stream(), rc.fetched().stream()).filter(p -> !p.fromCache()).count();
            assertThat(transferred).isEqualTo(12);
        } finally {
            pool.shutdownNow();
        }
        assertThat(faults.packageRequests()).isEqualTo(12);
        for (IndexRef r : refs) assertThat(Files.readAllBytes(first.cachePath(r))).isEqualTo(b.pkg(r.cpv()).data());
    }

    @Test
    void resumesWithRangeAfterTheConnectionIsCut() throws Exception {
        TestBinhost b = new TestBinhost().add("app-misc/big-1.0", 400_000, true, true);
        Path dir = binhost(b);
        BinhostClient c = http(dir, opts());
        IndexRef e = entry(c, "app-misc/big-1.0");
        faults.cutAfter("/" + e.path(), 150_000, 1);

        FetchedPackage p = c.fetch(e);

        assertThat(Files.readAllBytes(p.file())).isEqualTo(b.pkg("app-misc/big-1.0").data());
        List<FaultHandler.Seen> gets = faults.seen().stream().filter(s -> s.path().equals("/" + e.path())).toList();
        assertThat(gets).hasSize(2);
        assertThat(gets.get(0).range()).isNull();
        // the client resumes from what it had received when the connection broke (at most what was sent)
        assertThat(gets.get(1).range()).matches("bytes=[0-9]+-");
        long resumedAt = Long.parseLong(gets.get(1).range().replaceAll("[^0-9]", ""));
        assertThat(resumedAt).isBetween(1L, 150_000L);
        assertThat(p.bytesTransferred()).isEqualTo(400_000);
        assertThat(p.file()).isEqualTo(c.cachePath(e));
        assertThat(partFiles(tmp.resolve("cache"))).isEmpty();
    }

    @Test
    void restartsWhenTheServerIgnoresRange() throws Exception {
        TestBinhost b = new TestBinhost().add("app-misc/big-1.0", 300_000);
        Path dir = binhost(b);
        BinhostClient c = http(dir, opts());
        IndexRef e = entry(c, "app-misc/big-1.0");
        faults.ignoreRange("/" + e.path(), 1);
        Path part = Path.of(c.cachePath(e) + ".part");
        Files.createDirectories(part.getParent());
        Files.write(part, java.util.Arrays.copyOf(b.pkg("app-misc/big-1.0").data(), 100_000));

        FetchedPackage p = c.fetch(e);

        assertThat(faults.seen().get(faults.seen().size() - 1).range()).isEqualTo("bytes=100000-");
        assertThat(p.bytesTransferred()).isEqualTo(300_000);
        assertThat(Files.readAllBytes(p.file())).isEqualTo(b.pkg("app-misc/big-1.0").data());
        assertThat(partFiles(tmp.resolve("cache"))).isEmpty();
    }

    @Test
    void resumesAPartialFileWithOnlyTheMissingBytes() throws Exception {
        TestBinhost b = new TestBinhost().add("app-misc/big-1.0", 200_000);
        Path dir = binhost(b);
        BinhostClient c = http(dir, opts());
        IndexRef e = entry(c, "app-misc/big-1.0");
        Path part = Path.of(c.cachePath(e) + ".part");
        Files.createDirectories(part.getParent());
        Files.write(part, java.util.Arrays.copyOf(b.pkg("app-misc/big-1.0").data(), 123_456));

        FetchedPackage p = c.fetch(e);

        assertThat(p.bytesTransferred()).isEqualTo(200_000 - 123_456);
        assertThat(Files.readAllBytes(p.file())).isEqualTo(b.pkg("app-misc/big-1.0").data());
    }

    @Test
    void aFullLengthStalePartGets416ThenFailsVerificationAndIsRefetched() throws Exception {
        TestBinhost b = new TestBinhost().add("app-misc/big-1.0", 50_000);
        Path dir = binhost(b);
        BinhostClient c = http(dir, opts());
        IndexRef e = entry(c, "app-misc/big-1.0");
        Path part = Path.of(c.cachePath(e) + ".part");
        Files.createDirectories(part.getParent());
        Files.write(part, new byte[50_000]);

        FetchedPackage p = c.fetch(e);

        List<FaultHandler.Seen> gets = faults.seen().stream().filter(s -> s.path().equals("/" + e.path())).toList();
        assertThat(gets).extracting(FaultHandler.Seen::range).containsExactly("bytes=50000-", null);
        assertThat(Files.readAllBytes(p.file())).isEqualTo(b.pkg("app-misc/big-1.0").data());
    }

    @Test
    void corruptedBytesAreRefusedWithTheChecksumNamed() throws Exception {
        TestBinhost b = new TestBinhost().add("app-misc/bad-1.0", 80_000);
        Path dir = binhost(b);
        BinhostClient c = http(dir, opts());
        IndexRef e = entry(c, "app-misc/bad-1.0");
        faults.corrupt("/" + e.path(), 4321, 100);

        StageforgeException ex = catchThrowableOfType(() -> c.fetch(e), StageforgeException.class);

        assertThat(ex.exitCode()).isEqualTo(ExitCodes.VERIFY);
        assertThat(ex.getMessage()).contains("app-misc/bad-1.0", "SHA1 mismatch", "expected " + e.sha1(), "got ")
                .doesNotContain("\n");
        assertThat(c.cachePath(e)).doesNotExist();
        assertThat(partFiles(tmp.resolve("cache"))).isEmpty();
    }

    @Test
    void strongestDigestIsCheckedFirst() throws Exception {
        TestBinhost b = new TestBinhost().add("app-misc/bad-1.0", 10_000, true, true);
        Path dir = binhost(b);
        BinhostClient c = http(dir, opts());
        IndexRef e = entry(c, "app-misc/bad-1.0");
        assertThat(c.cachePath(e).toString()).contains("sha512");
        faults.corrupt("/" + e.path(), 0, 100);

        assertThatThrownBy(() -> c.fetch(e)).isInstanceOf(StageforgeException.class)
                .hasMessageContaining("SHA512 mismatch: expected " + e.sha512());
    }

    @Test
    void persistentTruncationFailsAfterRetriesAndKeepsThePartForLater() throws Exception {
        TestBinhost b = new TestBinhost().add("app-misc/cut-1.0", 100_000);
        Path dir = binhost(b);
        BinhostClient c = http(dir, opts().withMaxAttempts(3));
        IndexRef e = entry(c, "app-misc/cut-1.0");
        faults.cutAfter("/" + e.path(), 10_000, 100);

        StageforgeException ex = catchThrowableOfType(() -> c.fetch(e), StageforgeException.class);

        assertThat(ex.exitCode()).isEqualTo(ExitCodes.FAILURE);
        assertThat(ex.getMessage()).contains("app-misc/cut-1.0", "3 attempt(s)").containsPattern("got [0-9]+ of 100000 bytes");
        assertThat(faults.count("/" + e.path())).isEqualTo(3);
        assertThat(c.cachePath(e)).doesNotExist();
        Path part = Path.of(c.cachePath(e) + ".part");
        long kept = Files.size(part);
        assertThat(kept).isBetween(1L, 10_000L);

        // the next run resumes from there
        faults.clear("/" + e.path());
        FetchedPackage p = c.fetch(e);
        assertThat(p.bytesTransferred()).isEqualTo(100_000 - kept);
        assertThat(Files.readAllBytes(p.file())).isEqualTo(b.pkg("app-misc/cut-1.0").data());
    }

    @Test
    void aStalledBodyIsAbandonedAfterTheIdleTimeoutAndResumed() throws Exception {
        TestBinhost b = new TestBinhost().add("app-misc/slow-1.0", 100_000);
        Path dir = binhost(b);
        BinhostClient c = http(dir, opts().withMaxAttempts(5).withTimeouts(Duration.ofSeconds(5), Duration.ofMillis(500)));
        IndexRef e = entry(c, "app-misc/slow-1.0");
        faults.stallAfter("/" + e.path(), 30_000, 1);

        FetchedPackage p = c.fetch(e);

        // the stalled first body was abandoned and the download resumed where it stopped
        assertThat(faults.seen()).extracting(FaultHandler.Seen::range).contains("bytes=30000-");
        assertThat(Files.readAllBytes(p.file())).isEqualTo(b.pkg("app-misc/slow-1.0").data());
    }

    @Test
    void serverErrorsAreRetriedAndOther4xxAreNot() throws Exception {
        Path dir = binhost(new TestBinhost().add("app-misc/a-1", 1000).add("app-misc/b-1", 1000));
        BinhostClient c = http(dir, opts());
        IndexRef a = entry(c, "app-misc/a-1");
        IndexRef bb = entry(c, "app-misc/b-1");
        faults.status("/" + a.path(), 503, 2);
        faults.status("/" + bb.path(), 403, 5);

        assertThat(c.fetch(a).file()).exists();
        assertThatThrownBy(() -> c.fetch(bb)).isInstanceOf(StageforgeException.class)
                .hasMessageContaining("HTTP 403").hasMessageContaining("app-misc/b-1");
        assertThat(faults.count("/" + bb.path())).isEqualTo(1);
    }

    @Test
    void aFileLargerThanItsIndexSizeIsRefused() throws Exception {
        TestBinhost b = new TestBinhost().add("app-misc/fat-1.0", 10_000);
        Path dir = binhost(b);
        // the index claims fewer bytes than the file has
        Path index = dir.resolve("Packages");
        Files.writeString(index, Files.readString(index).replace("SIZE: 10000", "SIZE: 9000"));
        BinhostClient c = http(dir, opts());
        IndexRef e = entry(c, "app-misc/fat-1.0");

        StageforgeException ex = catchThrowableOfType(() -> c.fetch(e), StageforgeException.class);
        assertThat(ex.exitCode()).isEqualTo(ExitCodes.VERIFY);
        assertThat(ex.getMessage()).contains("larger than its index SIZE 9000");
        assertThat(c.cachePath(e)).doesNotExist();
        assertThat(partFiles(tmp.resolve("cache"))).isEmpty();

        StageforgeException lex = catchThrowableOfType(() -> local(dir, opts()).fetch(e), StageforgeException.class);
        assertThat(lex.exitCode()).isEqualTo(ExitCodes.VERIFY);
        assertThat(lex.getMessage()).contains("10000 bytes but the index SIZE is 9000");
    }

    @Test
    void unsafeIndexPathsAreRefusedWithoutARequest() throws Exception {
        Path dir = binhost(new TestBinhost().addRaw("app-misc/evil-1", "../../etc/passwd", new byte[10], false));
        BinhostClient c = http(dir, opts());
        StageforgeException bad = catchThrowableOfType(c::fetchIndex, StageforgeException.class);
        assertThat(bad.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(bad.getMessage()).contains("unsafe PATH of app-misc/evil-1");

        // refs built elsewhere are checked again before any request
        for (String path : List.of("../../etc/passwd", "a/./b", "a//b", "a\\..\\b")) {
            IndexRef e = ref("app-misc/evil-1", path, 10);
            StageforgeException ex = catchThrowableOfType(() -> c.fetch(e), StageforgeException.class);
            assertThat(ex.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
            assertThat(ex.getMessage()).contains("app-misc/evil-1", "unsafe PATH '" + path + "'");
            assertThatThrownBy(() -> local(dir, opts()).fetch(e)).hasMessageContaining("unsafe PATH");
        }
        assertThat(faults.packageRequests()).isZero();
    }

    @Test
    void malformedDigestsAreRefusedBeforeTheyNameACacheFile() throws Exception {
        Path dir = binhost(new TestBinhost().add("app-misc/one-1.0", 10));
        Path index = dir.resolve("Packages");
        String sha1 = IndexRef.all(org.stageforge.index.PackagesIndex.read(index)).get(0).sha1();
        Files.writeString(index, Files.readString(index).replace("SHA1: " + sha1, "SHA1: ../../../../escape"));
        BinhostClient c = local(dir, opts());
        IndexRef e = entry(c, "app-misc/one-1.0");

        StageforgeException ex = catchThrowableOfType(() -> c.fetch(e), StageforgeException.class);
        assertThat(ex.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(ex.getMessage()).isEqualTo("app-misc/one-1.0 (build 1): malformed SHA1 '../../../../escape' in the binhost index");
        assertThat(tmp.resolve("cache")).doesNotExist();
        assertThat(tmp.resolve("escape")).doesNotExist();
    }

    private static IndexRef ref(String cpv, String path, long size) {
        java.util.Map<String, String> f = new java.util.LinkedHashMap<>();
        f.put("CPV", cpv);
        f.put("PATH", path);
        if (size >= 0) f.put("SIZE", Long.toString(size));
        return new IndexRef(new org.stageforge.index.PackagesEntry(f, java.util.Map.of(), 0));
    }

    @Test
    void packagesFollowTheIndexUriHeader() throws Exception {
        TestBinhost b = new TestBinhost().add("app-misc/moved-1", 5_000);
        Path files = b.write(tmp.resolve("files"));
        StaticServer filesServer = StaticServer.start(files, 0);
        closeables.add(filesServer);
        Path indexOnly = tmp.resolve("index-only");
        Files.createDirectories(indexOnly);
        Files.writeString(indexOnly.resolve("Packages"),
                "URI: " + filesServer.uri() + "/\n" + Files.readString(files.resolve("Packages")));
        BinhostClient c = http(indexOnly, opts());

        FetchResult r = c.fetchAll(c.fetchIndex().refs(), FetchListener.NONE);

        assertThat(r.ok()).isTrue();
        assertThat(Files.readAllBytes(r.fetched().get(0).file())).isEqualTo(b.pkg("app-misc/moved-1").data());
        assertThat(faults.packageRequests()).isZero();
    }

    @Test
    void credentialsInTheUrlAreSentToThatHostOnlyAndNeverShown() throws Exception {
        TestBinhost b = new TestBinhost().add("app-misc/here-1", 100).add("app-misc/gone-1", 100, false, false);
        Path dir = binhost(b);
        faults = new FaultHandler(dir);
        StaticServer server = StaticServer.start(dir, "127.0.0.1", 0, faults::wrap);
        closeables.add(server);
        String url = "http://us%3Aer:p%40ss+w@127.0.0.1:" + server.port() + "/";
        BinhostClient c = BinhostClient.open(url, opts());
        closeables.add(c);

        FetchResult r = c.fetchAll(c.fetchIndex().refs(), FetchListener.NONE);

        String expected = "Basic " + java.util.Base64.getEncoder().encodeToString("us:er:p@ss+w".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(faults.seen()).hasSize(3).allSatisfy(s -> assertThat(s.authorization()).isEqualTo(expected));
        assertThat(c.source().display()).isEqualTo("http://127.0.0.1:" + server.port());
        assertThat(r.failures()).singleElement().satisfies(f -> assertThat(f.error().getMessage())
                .contains("is missing on binhost http://127.0.0.1:").doesNotContain("p%40ss", "us%3Aer", "p@ss"));
        assertThatThrownBy(() -> BinhostClient.open("http://user:secret@host/x?q", opts()))
                .hasMessageNotContaining("secret").hasMessageContaining("***@");
    }

    @Test
    void credentialsDoNotFollowTheIndexUriToAnotherHost() throws Exception {
        TestBinhost b = new TestBinhost().add("app-misc/moved-1", 500);
        Path files = b.write(tmp.resolve("files"));
        FaultHandler filesSeen = new FaultHandler(files);
        StaticServer filesServer = StaticServer.start(files, "127.0.0.1", 0, filesSeen::wrap);
        closeables.add(filesServer);
        Path indexOnly = Files.createDirectories(tmp.resolve("index-only"));
        Files.writeString(indexOnly.resolve("Packages"), "URI: " + filesServer.uri() + "\n" + Files.readString(files.resolve("Packages")));
        faults = new FaultHandler(indexOnly);
        StaticServer indexServer = StaticServer.start(indexOnly, "127.0.0.1", 0, faults::wrap);
        closeables.add(indexServer);
        BinhostClient c = BinhostClient.open("http://u:pw@127.0.0.1:" + indexServer.port(), opts());
        closeables.add(c);

        assertThat(c.fetchAll(c.fetchIndex().refs(), FetchListener.NONE).ok()).isTrue();

        assertThat(faults.seen()).singleElement().satisfies(s -> assertThat(s.authorization()).startsWith("Basic "));
        assertThat(filesSeen.seen()).singleElement().satisfies(s -> assertThat(s.authorization()).isNull());
    }

    @Test
    void redirectsAreFollowedAndCredentialsStayWithTheirOrigin() throws Exception {
        TestBinhost b = new TestBinhost().add("app-misc/a-1", 300).add("app-misc/b-1", 300);
        Path dir = binhost(b);
        Path other = b.write(tmp.resolve("other"));
        FaultHandler otherSeen = new FaultHandler(other);
        StaticServer otherServer = StaticServer.start(other, "127.0.0.1", 0, otherSeen::wrap);
        closeables.add(otherServer);
        faults = new FaultHandler(dir);
        StaticServer server = StaticServer.start(dir, "127.0.0.1", 0, faults::wrap);
        closeables.add(server);
        BinhostClient c = BinhostClient.open("http://u:pw@127.0.0.1:" + server.port(), opts());
        closeables.add(c);
        IndexRef a = entry(c, "app-misc/a-1");
        IndexRef bb = entry(c, "app-misc/b-1");
        Files.createDirectories(dir.resolve("moved"));
        Files.copy(dir.resolve(a.path()), dir.resolve("moved/a"));
        faults.redirect("/" + a.path(), "/moved/a", 1);
        faults.redirect("/" + bb.path(), otherServer.uri() + "/" + bb.path(), 1);

        assertThat(Files.readAllBytes(c.fetch(a).file())).isEqualTo(b.pkg("app-misc/a-1").data());
        assertThat(Files.readAllBytes(c.fetch(bb).file())).isEqualTo(b.pkg("app-misc/b-1").data());

        assertThat(faults.seen()).extracting(FaultHandler.Seen::path).containsExactly("/Packages", "/Packages", "/" + a.path(), "/moved/a", "/" + bb.path());
        assertThat(faults.seen()).allSatisfy(s -> assertThat(s.authorization()).startsWith("Basic "));
        assertThat(otherSeen.seen()).singleElement().satisfies(s -> assertThat(s.authorization()).isNull());
    }

    @Test
    void redirectLoopsAndDowngradesAreRefused() throws Exception {
        Path dir = binhost(new TestBinhost().add("app-misc/a-1", 300));
        BinhostClient c = http(dir, opts());
        IndexRef a = entry(c, "app-misc/a-1");
        faults.redirect("/" + a.path(), "/" + a.path(), 100);
        StageforgeException loop = catchThrowableOfType(() -> c.fetch(a), StageforgeException.class);
        assertThat(loop.exitCode()).isEqualTo(ExitCodes.FAILURE);
        assertThat(loop.getMessage()).contains("more than 5 redirects");

        faults.redirect("/" + a.path(), "file:///etc/passwd", 100);
        assertThatThrownBy(() -> c.fetch(a)).hasMessageContaining("redirects to file://").hasMessageContaining("refused");
        assertThat(c.cachePath(a)).doesNotExist();
    }

    @Test
    void missingIndexIsNotFound() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        BinhostClient c = http(empty, opts());
        StageforgeException ex = catchThrowableOfType(c::fetchIndex, StageforgeException.class);
        assertThat(ex.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(ex.getMessage()).contains("has no Packages index", "HTTP 404");
        assertThatThrownBy(() -> local(empty, opts()).fetchIndex())
                .hasMessageContaining("has no Packages index");
    }

    @Test
    void entriesWithoutSizeAreRefused() throws Exception {
        BinpkgRef ref = ref("app-misc/x-1", "x.xpak", -1);
        assertThatThrownBy(() -> local(tmp, opts()).fetch(ref)).isInstanceOf(StageforgeException.class)
                .hasMessageContaining("no SIZE");
    }

    // ---------------------------------------------------------------- local directory binhost

    @Test
    void localDirectoryFetchAllReportsMissingAndFetchesTheRest() throws Exception {
        TestBinhost b = new TestBinhost()
                .add("app-misc/one-1.0", 30_000)
                .add("dev-libs/gone-3", 5_000, false, false)
                .add("dev-libs/gone-4", 5_000, false, false)
                .add("sys-apps/three-0.1", 100, true, true);
        Path dir = binhost(b);
        BinhostClient c = local(dir, opts().withJobs(2));
        BinhostClient.IndexFetch idx = c.fetchIndex();
        assertThat(idx.status()).isEqualTo(BinhostClient.IndexFetch.Status.LOCAL);

        FetchResult r = c.fetchAll(idx.refs(), FetchListener.NONE);

        assertThat(r.fetched()).extracting(p -> p.ref().cpv()).containsExactly("app-misc/one-1.0", "sys-apps/three-0.1");
        for (FetchedPackage p : r.fetched())
            assertThat(Files.readAllBytes(p.file())).isEqualTo(b.pkg(p.ref().cpv()).data());
        assertThat(r.missing()).extracting(f -> f.ref().cpv()).containsExactly("dev-libs/gone-3", "dev-libs/gone-4");
        assertThat(r.missing().get(0).error().getMessage())
                .isEqualTo("dev-libs/gone-3 (build 1): dev-libs/gone/gone-3-1.gpkg.tar is missing on binhost " + dir);

        FetchResult again = c.fetchAll(idx.refs(), FetchListener.NONE);
        assertThat(again.fetched()).allMatch(FetchedPackage::fromCache);
    }

    @Test
    void localDirectoryCorruptedFileIsRefused() throws Exception {
        TestBinhost b = new TestBinhost().add("app-misc/bad-1.0", 1_000);
        Path dir = binhost(b);
        BinhostClient c = local(dir, opts());
        IndexRef e = entry(c, "app-misc/bad-1.0");
        byte[] data = Files.readAllBytes(dir.resolve(e.path()));
        data[10] ^= 1;
        Files.write(dir.resolve(e.path()), data);

        StageforgeException ex = catchThrowableOfType(() -> c.fetch(e), StageforgeException.class);
        assertThat(ex.exitCode()).isEqualTo(ExitCodes.VERIFY);
        assertThat(ex.getMessage()).contains("app-misc/bad-1.0", "SHA1 mismatch");
        assertThat(c.cachePath(e)).doesNotExist();
        assertThat(partFiles(tmp.resolve("cache"))).isEmpty();
    }

    @Test
    void aCorruptedCacheEntryIsReplaced() throws Exception {
        TestBinhost b = new TestBinhost().add("app-misc/one-1.0", 2_000);
        Path dir = binhost(b);
        BinhostClient c = local(dir, opts());
        IndexRef e = entry(c, "app-misc/one-1.0");
        Path cached = c.fetch(e).file();
        byte[] bad = Files.readAllBytes(cached);
        bad[0] ^= 1;
        Files.write(cached, bad);

        FetchedPackage p = c.fetch(e);

        assertThat(p.fromCache()).isFalse();
        assertThat(Files.readAllBytes(p.file())).isEqualTo(b.pkg("app-misc/one-1.0").data());
    }

    @Test
    void fileUrlsAreLocalBinhosts() throws Exception {
        Path dir = binhost(new TestBinhost().add("app-misc/one-1.0", 10));
        BinhostClient c = local(dir, opts());
        BinhostClient viaUrl = BinhostClient.open(dir.toUri().toString(), opts());
        closeables.add(viaUrl);
        assertThat(viaUrl.source()).isEqualTo(c.source());
        assertThat(viaUrl.fetchAll(viaUrl.fetchIndex().refs(), FetchListener.NONE).ok()).isTrue();
    }
}

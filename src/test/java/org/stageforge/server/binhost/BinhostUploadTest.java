package org.stageforge.server.binhost;

import org.stageforge.server.TestHttp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.binpkg.BinaryPackage;
import org.stageforge.binpkg.GpkgPackage;
import org.stageforge.index.PackagesEntry;
import org.stageforge.index.PackagesIndex;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.stageforge.server.binhost.BinhostServeTest.TestGpkgsHash.hex;
import static org.stageforge.server.TestHttp.curl;

/** Uploads: verified before acceptance, refused with the right status and nothing stored, published atomically. */
class BinhostUploadTest {
    @Test
    void refusalsStoreNothing(@TempDir Path tmp) throws Exception {
        TestGpkgs.Key key = TestGpkgs.key(tmp.resolve("key"), "Binhost <b@example.org>");
        TestGpkgs.Key stranger = TestGpkgs.key(tmp.resolve("stranger"), "Stranger <s@example.org>");
        Path local = tmp.resolve("local");
        Path signed = TestGpkgs.write(local, "app-misc", "hello-1.0", 1, "hello\n".repeat(100), key.signing());
        Path unsigned = TestGpkgs.write(local, "app-misc", "plain-1.0", 1, "plain\n", null);
        Path foreign = TestGpkgs.write(local, "app-misc", "foreign-1.0", 1, "foreign\n", stranger.signing());
        Path tampered = tmp.resolve("tampered-1.0-1.gpkg.tar");
        Files.copy(TestGpkgs.write(local, "app-misc", "tampered-1.0", 1, "tampered\n".repeat(50), key.signing()), tampered);
        long imageByte;
        try (GpkgPackage p = (GpkgPackage) BinaryPackage.open(tampered)) {
            GpkgPackage.Member image = p.members().stream().filter(m -> m.name().startsWith("image.tar")).findFirst().orElseThrow();
            imageByte = image.offset() + image.size() / 2;
        }
        byte[] t = Files.readAllBytes(tampered);
        t[(int) imageByte] ^= 0x01;
        Files.write(tampered, t);
        Path junk = Files.write(tmp.resolve("junk"), new byte[2000]);
        Path big = Files.write(tmp.resolve("big"), new byte[300_000]);

        try (TestServer s = new TestServer(tmp.resolve("data"), 200_000)) {
            s.binhosts.create("signed", true, key.keyring(), false, 0);
            s.binhosts.create("other", false, null, false, 0);
            String write = s.token("binhost:signed:write");
            String otherWrite = s.token("binhost:other:write");
            String up = s.url("/binhost/signed/upload/");
            String before = s.state();

            record Case(String what, int status, String line, String... curlArgs) {}
            List<Case> cases = List.of(
                    new Case("unsigned", 422, "package refused: plain-1.0-1.gpkg.tar: Manifest: not signed",
                            "-H", "Authorization: Bearer " + write, "-T", unsigned.toString(), up + "app-misc/plain-1.0-1.gpkg.tar"),
                    new Case("signed by an unknown key", 422, null,
                            "-H", "Authorization: Bearer " + write, "-T", foreign.toString(), up + "app-misc/foreign-1.0-1.gpkg.tar"),
                    new Case("tampered", 422, null,
                            "-H", "Authorization: Bearer " + write, "-T", tampered.toString(), up + "app-misc/tampered-1.0-1.gpkg.tar"),
                    new Case("named as another package", 422,
                            "hello-2.0-1.gpkg.tar: metadata PF is 'hello-1.0', the name says 'hello-2.0'",
                            "-H", "Authorization: Bearer " + write, "-T", signed.toString(), up + "app-misc/hello-2.0-1.gpkg.tar"),
                    new Case("not a package", 415, null,
                            "-H", "Authorization: Bearer " + write, "-T", junk.toString(), up + "app-misc/junk-1.0-1.gpkg.tar"),
                    new Case("no token", 401, "authentication required: Authorization: Bearer TOKEN",
                            "-T", signed.toString(), up + "app-misc/hello-1.0-1.gpkg.tar"),
                    new Case("unknown token", 401, "unknown token",
                            "-H", "Authorization: Bearer sf_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "-T", signed.toString(),
                            up + "app-misc/hello-1.0-1.gpkg.tar"),
                    new Case("token of another binhost", 403, null,
                            "-H", "Authorization: Bearer " + otherWrite, "-T", signed.toString(), up + "app-misc/hello-1.0-1.gpkg.tar"),
                    new Case("traversal", 400, "bad path: '..' segment", "--path-as-is",
                            "-H", "Authorization: Bearer " + write, "-T", signed.toString(), up + "app-misc/../../../../etc/hello-1.0-1.gpkg.tar"),
                    new Case("encoded traversal", 400, "bad path: separator inside a segment",
                            "-H", "Authorization: Bearer " + write, "-T", signed.toString(), up + "app-misc/..%2F..%2Fhello-1.0-1.gpkg.tar"),
                    new Case("bad name", 400, "bad package name 'hello.tar': expected PF-BUILD_ID.gpkg.tar",
                            "-H", "Authorization: Bearer " + write, "-T", signed.toString(), up + "app-misc/hello.tar"),
                    new Case("oversized", 413, "body of 300000 bytes is larger than the upload limit of 200000 bytes",
                            "-H", "Authorization: Bearer " + write, "-T", big.toString(), up + "app-misc/big-1.0-1.gpkg.tar"),
                    new Case("oversized without a length", 413, "body larger than the upload limit of 200000 bytes",
                            "-H", "Authorization: Bearer " + write, "-H", "Transfer-Encoding: chunked", "-T", big.toString(),
                            up + "app-misc/big-1.0-1.gpkg.tar"));
            for (Case c : cases) {
                TestHttp.Answer a = curl(tmp, c.curlArgs());
                assertThat(a.status()).as(c.what() + ": " + a.text()).isEqualTo(c.status());
                assertThat(a.text()).as(c.what()).endsWith("\n").doesNotContain("\r").hasLineCount(1);
                if (c.line() != null) assertThat(a.text()).as(c.what()).isEqualTo(c.line() + "\n");
                assertThat(s.state()).as(c.what() + " stored nothing").isEqualTo(before);
            }
            // every write attempt is in the audit log with its outcome
            List<String> audit = Files.readAllLines(s.data.resolve("audit.log"));
            assertThat(audit).hasSize(cases.size() - 2); // path refusals never reach the binhost
            assertThat(audit.get(0)).contains("\"action\":\"binhost.upload\"", "\"object\":\"signed/app-misc/plain-1.0-1.gpkg.tar\"",
                    "\"result\":\"422 package refused: plain-1.0-1.gpkg.tar: Manifest: not signed\"");

            TestHttp.Answer ok = curl(tmp, "-H", "Authorization: Bearer " + write, "-T", signed.toString(), up + "app-misc/hello-1.0-1.gpkg.tar");
            byte[] bytes = Files.readAllBytes(signed);
            assertThat(ok.status()).as(ok.text()).isEqualTo(201);
            assertThat(ok.text()).isEqualTo(hex("SHA-256", bytes) + " app-misc/hello/hello-1.0-1.gpkg.tar\n");
            assertThat(curl(tmp, s.url("/binhost/signed/app-misc/hello/hello-1.0-1.gpkg.tar")).body()).isEqualTo(bytes);
            assertThat(curl(tmp, s.url("/binhost/signed/binrepos.conf")).text()).endsWith("verify-signature = true\n");

            // the same path with other bytes is a conflict; the same bytes again are fine
            Path rebuilt = TestGpkgs.write(tmp.resolve("rebuilt"), "app-misc", "hello-1.0", 1, "other\n", key.signing());
            String afterOk = s.state();
            TestHttp.Answer conflict = curl(tmp, "-H", "Authorization: Bearer " + write, "-T", rebuilt.toString(), up + "app-misc/hello-1.0-1.gpkg.tar");
            assertThat(conflict.status()).isEqualTo(409);
            assertThat(s.state()).isEqualTo(afterOk);
            assertThat(curl(tmp, "-H", "Authorization: Bearer " + write, "-T", signed.toString(), up + "app-misc/hello-1.0-1.gpkg.tar").status())
                    .isEqualTo(200);
            assertThat(s.state()).isEqualTo(afterOk);
        }
    }

    @Test
    void eightConcurrentPushersLeaveAConsistentIndex(@TempDir Path tmp) throws Exception {
        int pushers = 8;
        int each = 100;
        long t0 = System.nanoTime();
        List<Path> dirs = new ArrayList<>();
        for (int p = 0; p < pushers; p++) {
            Path dir = tmp.resolve("pusher" + p);
            for (int i = 0; i < each; i++) TestGpkgs.write(dir, "cat-" + p, "pkg" + i + "-1.0", 1, "pusher " + p + " package " + i + "\n", null);
            dirs.add(dir);
        }
        System.err.printf("BinhostUploadTest: %d packages written in %d ms%n", pushers * each, (System.nanoTime() - t0) / 1_000_000);
        try (TestServer s = new TestServer(tmp.resolve("data"), 1 << 20)) {
            s.binhosts.create("main", false, null, false, 0);
            String token = s.token("binhost:main:write");
            t0 = System.nanoTime();
            ExecutorService pool = Executors.newFixedThreadPool(pushers);
            List<Future<BinhostPush.Result>> results = new ArrayList<>();
            for (Path d : dirs) results.add(pool.submit(() -> BinhostPush.push(d, s.uri(), "main", token, 2)));
            for (Future<BinhostPush.Result> r : results) {
                assertThat(r.get().failures()).isEmpty();
                assertThat(r.get().outcomes()).hasSize(each).allSatisfy(o -> assertThat(o.status()).isEqualTo(201));
            }
            pool.shutdown();
            System.err.printf("BinhostUploadTest: %d pushers x %d packages in %d ms%n", pushers, each, (System.nanoTime() - t0) / 1_000_000);
            assertThat(s.ctx.views().current("binhost/main").orElseThrow().generation()).isEqualTo(1 + pushers * each);
            assertConsistent(s.uri().toString(), s.ctx.views(), pushers * each);
        }
    }

    /** Every entry's file is served with the index's size and digests; the index names every served package. */
    static PackagesIndex assertConsistent(String base, org.stageforge.server.core.Views views, int expected) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        byte[] idx = http.send(HttpRequest.newBuilder(URI.create(base + "/binhost/main/Packages")).build(),
                HttpResponse.BodyHandlers.ofByteArray()).body();
        PackagesIndex index = PackagesIndex.parse("Packages", idx);
        assertThat(index.entries()).hasSize(expected);
        assertThat(index.header()).containsEntry("PACKAGES", Integer.toString(expected));
        Set<String> paths = new HashSet<>();
        for (PackagesEntry e : index.entries()) {
            assertThat(paths.add(e.path())).as("duplicate " + e.path()).isTrue();
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(base + "/binhost/main/" + e.path())).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.statusCode()).as(e.path()).isEqualTo(200);
            assertThat(r.body().length).isEqualTo(e.size().getAsLong());
            assertThat(hex("MD5", r.body())).isEqualTo(e.md5().orElseThrow());
            assertThat(hex("SHA-1", r.body())).isEqualTo(e.sha1().orElseThrow());
        }
        var m = views.manifest(views.current("binhost/main").orElseThrow());
        assertThat(m.files().keySet()).containsExactlyInAnyOrderElementsOf(
                java.util.stream.Stream.concat(paths.stream(), java.util.stream.Stream.of("Packages", "Packages.gz")).toList());
        return index;
    }
}

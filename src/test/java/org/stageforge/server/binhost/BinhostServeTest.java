package org.stageforge.server.binhost;

import org.stageforge.server.TestHttp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.index.PackagesEntry;
import org.stageforge.index.PackagesIndex;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.stageforge.server.TestHttp.curl;

/** A served binhost read with curl: index, files, ranges, validators, binrepos.conf, path and read refusals. */
class BinhostServeTest {
    @Test
    void servesIndexAndFilesWithRangesAndValidators(@TempDir Path tmp) throws Exception {
        Path local = tmp.resolve("local");
        Path a = TestGpkgs.write(local, "app-misc", "hello-1.0", 1, "hello\n".repeat(200), null);
        Path b = TestGpkgs.write(local, "dev-libs", "foo-2.1-r1", 3, "foo\n", null);
        try (TestServer s = new TestServer(tmp.resolve("data"), 1 << 20)) {
            s.binhosts.create("main", false, null, false, 0);
            String token = s.token("binhost:main:write");
            BinhostPush.Result r = BinhostPush.push(local, s.uri(), "main", token, 2);
            assertThat(r.outcomes()).extracting(BinhostPush.Outcome::status).containsExactly(201, 201);
            assertThat(r.exitCode()).isZero();
            // pushing again changes nothing
            String before = s.state();
            assertThat(BinhostPush.push(local, s.uri(), "main", token, 2).outcomes())
                    .extracting(BinhostPush.Outcome::status).containsExactly(200, 200);
            assertThat(s.state()).isEqualTo(before);

            TestHttp.Answer idx = curl(tmp, s.url("/binhost/main/Packages"));
            assertThat(idx.status()).isEqualTo(200);
            assertThat(idx.header("ETag")).isEqualTo("\"" + TestGpkgsHash.sha256(idx.body()) + "\"");
            PackagesIndex index = PackagesIndex.parse("Packages", idx.body());
            assertThat(index.entries()).extracting(PackagesEntry::cpv).containsExactly("app-misc/hello-1.0", "dev-libs/foo-2.1-r1");
            for (Path f : List.of(a, b)) {
                byte[] bytes = Files.readAllBytes(f);
                PackagesEntry e = index.entries().stream().filter(x -> x.path().equals(local.relativize(f).toString())).findFirst().orElseThrow();
                assertThat(e.size()).hasValue(bytes.length);
                assertThat(e.md5()).hasValue(TestGpkgsHash.hex("MD5", bytes));
                assertThat(e.sha1()).hasValue(TestGpkgsHash.hex("SHA-1", bytes));
                TestHttp.Answer got = curl(tmp, s.url("/binhost/main/" + e.path()));
                assertThat(got.status()).isEqualTo(200);
                assertThat(got.body()).isEqualTo(bytes);
            }
            assertThat(index.entries().get(1).buildId()).hasValue(3);

            TestHttp.Answer gz = curl(tmp, s.url("/binhost/main/Packages.gz"));
            assertThat(gz.status()).isEqualTo(200);
            assertThat(new GZIPInputStream(new ByteArrayInputStream(gz.body())).readAllBytes()).isEqualTo(idx.body());

            // byte ranges
            byte[] bytes = Files.readAllBytes(a);
            String path = "/binhost/main/" + local.relativize(a);
            TestHttp.Answer range = curl(tmp, "-r", "100-199", s.url(path));
            assertThat(range.status()).isEqualTo(206);
            assertThat(range.header("Content-Range")).isEqualTo("bytes 100-199/" + bytes.length);
            assertThat(range.body()).isEqualTo(Arrays.copyOfRange(bytes, 100, 200));
            TestHttp.Answer suffix = curl(tmp, "-r", "-50", s.url(path));
            assertThat(suffix.status()).isEqualTo(206);
            assertThat(suffix.body()).isEqualTo(Arrays.copyOfRange(bytes, bytes.length - 50, bytes.length));
            TestHttp.Answer open = curl(tmp, "-r", (bytes.length - 10) + "-", s.url(path));
            assertThat(open.body()).isEqualTo(Arrays.copyOfRange(bytes, bytes.length - 10, bytes.length));
            TestHttp.Answer outside = curl(tmp, "-r", bytes.length + "-", s.url(path));
            assertThat(outside.status()).isEqualTo(416);

            // validators
            String etag = curl(tmp, "-I", s.url(path)).header("ETag");
            assertThat(etag).isEqualTo("\"" + TestGpkgsHash.sha256(bytes) + "\"");
            java.net.http.HttpResponse<byte[]> head = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(s.url(path)))
                            .method("HEAD", java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofByteArray());
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.headers().firstValue("Content-Length")).hasValue(Integer.toString(bytes.length));
            assertThat(head.headers().firstValue("ETag")).hasValue(etag);
            assertThat(head.body()).isEmpty();
            TestHttp.Answer notModified = curl(tmp, "-H", "If-None-Match: " + etag, s.url(path));
            assertThat(notModified.status()).isEqualTo(304);
            assertThat(notModified.body()).isEmpty();
            assertThat(curl(tmp, "-H", "If-None-Match: \"other\"", s.url(path)).status()).isEqualTo(200);
            String lastModified = idx.header("Last-Modified");
            assertThat(lastModified).isNotNull();
            assertThat(curl(tmp, "-H", "If-Modified-Since: " + lastModified, s.url("/binhost/main/Packages")).status()).isEqualTo(304);
            assertThat(curl(tmp, "-H", "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT", s.url("/binhost/main/Packages")).status())
                    .isEqualTo(200);
            // an If-Range naming another version gets the whole file
            TestHttp.Answer ifRange = curl(tmp, "-r", "0-9", "-H", "If-Range: \"other\"", s.url(path));
            assertThat(ifRange.status()).isEqualTo(200);
            assertThat(ifRange.body()).isEqualTo(bytes);

            TestHttp.Answer conf = curl(tmp, s.url("/binhost/main/binrepos.conf"));
            assertThat(conf.status()).isEqualTo(200);
            assertThat(conf.text()).isEqualTo("[main]\npriority = 10\nsync-uri = " + s.uri() + "/binhost/main\nverify-signature = false\n");

            assertRefused(curl(tmp, s.url("/binhost/main/app-misc/hello/nothing-1.gpkg.tar")), 404, "no app-misc/hello/nothing-1.gpkg.tar in binhost main");
            assertRefused(curl(tmp, s.url("/binhost/nope/Packages")), 404, "no binhost nope");
            assertRefused(curl(tmp, s.url("/nothing")), 404, "not found: /nothing");
            assertRefused(curl(tmp, "--path-as-is", s.url("/binhost/main/../../../etc/passwd")), 400, "bad path: '..' segment");
            assertRefused(curl(tmp, "--path-as-is", s.url("/binhost/main/%2e%2e/%2e%2e/server.db")), 400, "bad path: '..' segment");
            assertRefused(curl(tmp, s.url("/binhost/main/a%2fb")), 400, "bad path: separator inside a segment");
            assertRefused(curl(tmp, "-X", "POST", s.url("/binhost/main/Packages")), 405, "POST not allowed here");
        }
    }

    @Test
    void aPrivateBinhostNeedsAReadToken(@TempDir Path tmp) throws Exception {
        try (TestServer s = new TestServer(tmp.resolve("data"), 1 << 20)) {
            s.binhosts.create("priv", false, null, true, 0);
            s.binhosts.create("pub", false, null, false, 0);
            assertRefused(curl(tmp, s.url("/binhost/priv/Packages")), 401, "authentication required: Authorization: Bearer TOKEN");
            assertRefused(curl(tmp, "-H", "Authorization: Bearer sf_forged", s.url("/binhost/priv/Packages")), 401, "unknown token");
            String other = s.token("binhost:pub:read");
            TestHttp.Answer forbidden = curl(tmp, "-H", "Authorization: Bearer " + other, s.url("/binhost/priv/Packages"));
            assertThat(forbidden.status()).isEqualTo(403);
            assertThat(forbidden.text()).endsWith("lacks scope binhost:priv:read\n");
            TestHttp.Answer ok = curl(tmp, "-H", "Authorization: Bearer " + s.token("binhost:priv:read"), s.url("/binhost/priv/Packages"));
            assertThat(ok.status()).isEqualTo(200);
            assertThat(PackagesIndex.parse("Packages", ok.body()).entries()).isEmpty();
            assertThat(PackagesIndex.parse("Packages", ok.body()).header()).containsEntry("PACKAGES", "0").containsEntry("VERSION", "0");
            assertThat(curl(tmp, s.url("/binhost/pub/Packages")).status()).isEqualTo(200);
        }
    }

    static void assertRefused(TestHttp.Answer a, int status, String line) {
        assertThat(a.status()).isEqualTo(status);
        assertThat(a.header("Content-Type")).isEqualTo("text/plain; charset=UTF-8");
        assertThat(a.text()).isEqualTo(line + "\n");
    }

    /** Digests of test data. */
    static final class TestGpkgsHash {
        static String sha256(byte[] b) {
            return hex("SHA-256", b);
        }

        static String hex(String algo, byte[] b) {
            try {
                return HexFormat.of().formatHex(java.security.MessageDigest.getInstance(algo).digest(b));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}

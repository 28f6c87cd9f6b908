package org.stageforge.server.distfiles;

import org.stageforge.server.TestHttp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.binpkg.Digests;
import org.stageforge.server.core.Server;
import org.stageforge.server.core.ServerConfig;
import org.stageforge.server.core.ServerContext;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.stageforge.server.TestHttp.curl;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The distfiles mirror over real HTTP: GLEP 75 layout.conf and paths (checked against hashes Python's hashlib
 * computed), verified uploads, refusals that store nothing, range and conditional GETs.
 */
class DistfilesServeTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void hashDirectoryIsBlake2bOfTheNameAsPortageComputesIt() {
        // python3 -c 'import hashlib; print(hashlib.blake2b(NAME.encode()).hexdigest()[:2])'
        assertThat(Distfiles.hashDir("hello-1.0.tar.gz")).isEqualTo("ce");
        assertThat(Distfiles.hashDir("foo-1.0.tar.gz")).isEqualTo("4b");
        assertThat(Distfiles.hashDir("ü-1.tar")).isEqualTo("65");
        assertThat(Distfiles.path("foo-1.0.tar.gz")).isEqualTo("4b/foo-1.0.tar.gz");
    }

    @Test
    void uploadServeAndRefuse(@TempDir Path tmp) throws Exception {
        try (Mirror m = new Mirror(tmp.resolve("data"), 100_000)) {
            String token = m.token("distfiles:write");
            String other = m.token("snapshots:write");
            assertThat(get(m.url("/distfiles/layout.conf")).body())
                    .isEqualTo("[structure]\n0=filename-hash BLAKE2B 8\n1=flat\n".getBytes(StandardCharsets.UTF_8));

            byte[] data = "distfile contents\n".repeat(500).getBytes(StandardCharsets.UTF_8);
            Map<String, String> d = digests(data);
            String before = m.state();
            // refusals: nothing stored, the answer names the reason
            record Case(String what, int status, String reason, String path, String tok, byte[] body, String... headers) {}
            List<Case> cases = List.of(
                    new Case("no token", 401, "authentication required", "/distfiles/upload/foo-1.0.tar.gz", null, data),
                    new Case("unknown token", 401, "unknown token", "/distfiles/upload/foo-1.0.tar.gz", "sf_nope", data),
                    new Case("wrong scope", 403, "lacks scope distfiles:write", "/distfiles/upload/foo-1.0.tar.gz", other, data),
                    new Case("encoded slash", 400, "separator inside a segment", "/distfiles/upload/a%2Fb.tar", token, data),
                    new Case("dot-dot", 400, "'..' segment", "/distfiles/upload/%2e%2e", token, data),
                    new Case("hidden", 400, "starts with a dot", "/distfiles/upload/.profile", token, data),
                    new Case("control character", 400, "control character", "/distfiles/upload/a%01b", token, data),
                    new Case("space", 400, "separator, space or control character", "/distfiles/upload/a%20b.tar", token, data),
                    new Case("layout.conf", 400, "layout.conf is the mirror's layout", "/distfiles/upload/layout.conf", token, data),
                    new Case("too large", 413, "larger than the upload limit", "/distfiles/upload/big.tar", token, new byte[100_001]),
                    new Case("wrong size", 422, "received 9000 bytes, expected 9001", "/distfiles/upload/foo-1.0.tar.gz", token, data,
                            "X-Distfile-Size", "9001"),
                    new Case("wrong BLAKE2B", 422, "BLAKE2B digest does not match", "/distfiles/upload/foo-1.0.tar.gz", token, data,
                            "X-Distfile-BLAKE2B", d.get("BLAKE2B").replace('a', 'b').replace('0', '1')),
                    new Case("wrong SHA512 in the query", 422, "SHA512 digest does not match",
                            "/distfiles/upload/foo-1.0.tar.gz?sha512=" + "0".repeat(128), token, data),
                    new Case("malformed digest", 400, "bad expected BLAKE2B digest", "/distfiles/upload/foo-1.0.tar.gz", token, data,
                            "X-Distfile-BLAKE2B", "xyz"),
                    new Case("contradiction", 400, "contradictory expected size",
                            "/distfiles/upload/foo-1.0.tar.gz?size=1", token, data, "X-Distfile-Size", "9000"),
                    new Case("unknown expectation", 400, "unknown expectation 'rmd160'",
                            "/distfiles/upload/foo-1.0.tar.gz?rmd160=00", token, data));
            for (Case c : cases) {
                HttpResponse<String> r = put(m.url(c.path()), c.tok(), c.body(), c.headers());
                assertThat(r.statusCode()).as(c.what() + ": " + r.body()).isEqualTo(c.status());
                assertThat(r.body()).as(c.what()).contains(c.reason()).endsWith("\n").hasLineCount(1);
                assertThat(r.headers().firstValue("content-type")).hasValue("text/plain; charset=UTF-8");
                assertThat(m.state()).as(c.what()).isEqualTo(before);
            }

            // an upload checked against every digest a Manifest DIST line gives
            HttpResponse<String> ok = put(m.url("/distfiles/upload/foo-1.0.tar.gz"), token, data,
                    "X-Distfile-Size", "9000", "X-Distfile-BLAKE2B", d.get("BLAKE2B"), "X-Distfile-SHA512", d.get("SHA512").toUpperCase());
            assertThat(ok.statusCode()).as(ok.body()).isEqualTo(201);
            assertThat(ok.body()).isEqualTo(d.get("SHA256") + " 4b/foo-1.0.tar.gz\n");
            assertThat(ok.headers().firstValue("location")).hasValue("/distfiles/4b/foo-1.0.tar.gz");
            assertThat(get(m.url("/distfiles/4b/foo-1.0.tar.gz")).body()).isEqualTo(data);
            assertThat(get(m.url("/distfiles/foo-1.0.tar.gz")).body()).isEqualTo(data); // flat fallback
            assertThat(get(m.url("/distfiles/4c/foo-1.0.tar.gz")).statusCode()).isEqualTo(404);
            assertThat(get(m.url("/distfiles/4b/nothing.tar")).statusCode()).isEqualTo(404);
            // the same bytes again: 200, nothing new; other bytes under the name: 409
            String after = m.state();
            assertThat(after).contains("foo-1.0.tar.gz " + d.get("SHA256") + " 9000 ");
            assertThat(put(m.url("/distfiles/upload/foo-1.0.tar.gz?blake2b=" + d.get("BLAKE2B")), token, data).statusCode()).isEqualTo(200);
            HttpResponse<String> conflict = put(m.url("/distfiles/upload/foo-1.0.tar.gz"), token, "other".getBytes());
            assertThat(conflict.statusCode()).isEqualTo(409);
            assertThat(conflict.body()).contains("exists with other content");
            assertThat(m.state()).isEqualTo(after);
            assertThat(put(m.url("/distfiles/4b/foo-1.0.tar.gz"), token, data).statusCode()).isEqualTo(405);

            // a non-ASCII name, percent-encoded
            HttpResponse<String> u = put(m.url("/distfiles/upload/%C3%BC-1.tar"), token, "u".getBytes());
            assertThat(u.statusCode()).isEqualTo(201);
            assertThat(get(m.url("/distfiles/65/%C3%BC-1.tar")).body()).isEqualTo("u".getBytes());

            // ranges and conditional requests, with curl
            TestHttp.Answer range = curl(tmp, "-r", "10-19", m.url("/distfiles/4b/foo-1.0.tar.gz"));
            assertThat(range.status()).isEqualTo(206);
            assertThat(range.body()).isEqualTo(Arrays.copyOfRange(data, 10, 20));
            TestHttp.Answer full = curl(tmp, m.url("/distfiles/4b/foo-1.0.tar.gz"));
            assertThat(full.header("etag")).isEqualTo("\"" + d.get("SHA256") + "\"");
            assertThat(curl(tmp, "-H", "If-None-Match: " + full.header("etag"), m.url("/distfiles/4b/foo-1.0.tar.gz")).status()).isEqualTo(304);

            // delete: gone from both layouts; the audit log names every write
            assertThat(delete(m.url("/distfiles/upload/foo-1.0.tar.gz"), other).statusCode()).isEqualTo(403);
            assertThat(delete(m.url("/distfiles/upload/foo-1.0.tar.gz"), token).statusCode()).isEqualTo(200);
            assertThat(delete(m.url("/distfiles/upload/foo-1.0.tar.gz"), token).statusCode()).isEqualTo(404);
            assertThat(get(m.url("/distfiles/4b/foo-1.0.tar.gz")).statusCode()).isEqualTo(404);
            assertThat(get(m.url("/distfiles/foo-1.0.tar.gz")).statusCode()).isEqualTo(404);
            String audit = Files.readString(tmp.resolve("data/audit.log"));
            assertThat(audit).contains("\"action\":\"distfiles.upload\",\"object\":\"foo-1.0.tar.gz\",\"result\":\"201 sha256 " + d.get("SHA256"));
            assertThat(audit).contains("\"result\":\"403 token ");
            assertThat(audit).contains("\"action\":\"distfiles.delete\",\"object\":\"foo-1.0.tar.gz\",\"result\":\"200 deleted\"");
        }
    }

    @Test
    void pushClientSendsDigestsAndChecksTheAnswer(@TempDir Path tmp) throws Exception {
        Path a = Files.writeString(tmp.resolve("a-1.tar.gz"), "aaa\n".repeat(100));
        Path b = Files.writeString(tmp.resolve("b-2.zip"), "bbb\n");
        try (Mirror m = new Mirror(tmp.resolve("data"), 100_000)) {
            String token = m.token("distfiles:write");
            DistfilesPush.Result r = DistfilesPush.push(List.of(a, b), m.server.uri(), token);
            assertThat(r.failures()).isEmpty();
            assertThat(r.exitCode()).isZero();
            assertThat(r.outcomes()).extracting(DistfilesPush.Outcome::path)
                    .containsExactly(Distfiles.path("a-1.tar.gz"), Distfiles.path("b-2.zip"));
            assertThat(get(m.url("/distfiles/" + Distfiles.path("a-1.tar.gz"))).body()).isEqualTo(Files.readAllBytes(a));
            // again: already there; with a token lacking the scope: refused, exit 1
            assertThat(DistfilesPush.push(List.of(a), m.server.uri(), token).outcomes().get(0).status()).isEqualTo(200);
            DistfilesPush.Result refused = DistfilesPush.push(List.of(a), m.server.uri(), m.token("snapshots:write"));
            assertThat(refused.outcomes().get(0).status()).isEqualTo(403);
            assertThat(refused.outcomes().get(0).message()).startsWith("a-1.tar.gz: HTTP 403: token ");
            assertThat(refused.exitCode()).isEqualTo(1);
            // a name the server refuses: exit 3
            Path hidden = Files.writeString(tmp.resolve(".hidden"), "x");
            assertThat(DistfilesPush.push(List.of(hidden), m.server.uri(), token).exitCode()).isEqualTo(3);
        }
    }

    static Map<String, String> digests(byte[] data) {
        Digests d = new Digests(List.of("BLAKE2B", "SHA512", "SHA256"));
        d.update(data, 0, data.length);
        return d.hex();
    }

    /** A server with the distfiles module on loopback over a temporary data directory. */
    static final class Mirror implements AutoCloseable {
        final Path data;
        final ServerContext ctx;
        final Server server;

        Mirror(Path data, long maxUpload) throws IOException {
            this.data = data;
            ctx = ServerContext.open(ServerConfig.of(data, "127.0.0.1", 0).withMaxUploadBytes(maxUpload), Clock.systemUTC());
            server = Server.start(ctx, List.of(new DistfilesResource(new Distfiles(ctx))));
        }

        String url(String path) {
            return server.uri() + path;
        }

        String token(String... scopes) {
            return ctx.tokens().create("test", List.of(scopes)).secret();
        }

        /** Every blob file, leftover temporary file and view pointer: what a refusal must leave unchanged. */
        String state() throws IOException {
            return TestHttp.storedState(ctx, data,
                    "SELECT name || ' ' || sha256 || ' ' || size || ' ' || uploaded FROM distfiles ORDER BY name");
        }

        @Override
        public void close() {
            server.close();
        }
    }

    static HttpResponse<byte[]> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static HttpResponse<String> put(String url, String token, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).PUT(HttpRequest.BodyPublishers.ofByteArray(body));
        if (token != null) b.header("Authorization", "Bearer " + token);
        if (headers.length > 0) b.headers(headers);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> delete(String url, String token) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).DELETE().header("Authorization", "Bearer " + token).build(),
                HttpResponse.BodyHandlers.ofString());
    }

}

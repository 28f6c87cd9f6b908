package org.stageforge.server.releases;

import org.stageforge.server.TestHttp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.server.core.ServerConfig;
import org.stageforge.server.core.ServerContext;
import org.stageforge.util.Dirs;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * kill -9 of {@code stageforge serve} during a publish, at several points (while the body streams in, and at
 * growing delays after it was sent: verifying, storing blobs, switching the channel): the restarted server
 * serves the old release or the new one, whole (its SHA256SUMS, signature and every listed file agree), and
 * takes the publish again.
 */
class ReleaseKillTest {
    private static final int SIZE = 8 << 20;

    @Test
    void aServerKilledDuringAPublishServesTheOldOrTheNewReleaseWholeAfterARestart(@TempDir Path tmp) throws Exception {
        TestReleases.Key key = TestReleases.key(tmp.resolve("key"), "kill signer");
        Path data = tmp.resolve("data");
        ServerContext admin = ServerContext.open(ServerConfig.of(data, "127.0.0.1", 0), Clock.systemUTC());
        new Releases(admin).createChannel("testing", key.armored());
        String token = admin.tokens().create("kill", List.of("channel:testing:write")).secret();

        // points: fractions of the body sent before the server dies, then delays (ms) after the whole body was sent
        double[] during = {0.2, 0.9};
        long[] after = {0, 40, 250};
        Map<String, String> sumsByVersion = new java.util.HashMap<>();
        Process server = start(data, tmp.resolve("serve0.log"));
        String base = baseUrl(server);
        Path first = release(tmp, key, "1.0");
        sumsByVersion.put("1.0", Files.readString(first.resolve("SHA256SUMS")));
        new ReleaseClient(URI.create(base), token).publish(first, "testing", null, null);
        List<String> seen = new ArrayList<>();
        int point = 0;
        for (int i = 0; i < during.length + after.length; i++) {
            String version = "2." + i;
            Path out = release(tmp, key, version);
            sumsByVersion.put(version, Files.readString(out.resolve("SHA256SUMS")));
            byte[] body = TestReleases.tar(out, null);
            CountDownLatch reached = new CountDownLatch(1);
            long stopAt = i < during.length ? (long) (body.length * during[i]) : body.length;
            boolean hang = i < during.length;
            HttpClient http = HttpClient.newHttpClient();
            CompletableFuture<HttpResponse<String>> answer = http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/releases/testing/publish"))
                    .header("Authorization", "Bearer " + token)
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new Tripwire(body, stopAt, reached, hang)))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(reached.await(2, TimeUnit.MINUTES)).isTrue();
            if (i >= during.length) Thread.sleep(after[i - during.length]);
            server.destroyForcibly().waitFor();
            boolean acknowledged = answer.isDone() && !answer.isCompletedExceptionally() && answer.get().statusCode() == 201;

            server = start(data, tmp.resolve("serve" + (++point) + ".log"));
            base = baseUrl(server);
            String current = assertWhole(tmp, base, key, sumsByVersion);
            seen.add(version + "->" + current);
            assertThat(current).isIn(version, i == 0 ? "1.0" : "2." + (i - 1));
            if (acknowledged) assertThat(current).as("a publish answered 201 is durable").isEqualTo(version);
            // the restarted server takes the publish (or already has it) and serves it
            Releases.Release r = new ReleaseClient(URI.create(base), token).publish(out, "testing", null, null);
            assertThat(r.version()).isEqualTo(version);
            assertThat(assertWhole(tmp, base, key, sumsByVersion)).isEqualTo(version);
            Dirs.deleteTree(out);
        }
        server.destroyForcibly().waitFor();
        System.out.println("release kill points (published -> served after restart): " + seen);
    }

    /** Fetches the channel's SHA256SUMS, signature and files; checks them together; returns the version served. */
    private static String assertWhole(Path tmp, String base, TestReleases.Key key, Map<String, String> sumsByVersion) throws Exception {
        var state = ReleaseResource.JSON.readTree(TestHttp.curl(tmp, base + "/releases/testing/index.json").body());
        String current = state.path("current").asText();
        TestHttp.Answer sums = TestHttp.curl(tmp, base + "/releases/testing/SHA256SUMS");
        assertThat(sums.status()).isEqualTo(200);
        assertThat(sums.text()).as("the served SHA256SUMS is the current release's").isEqualTo(sumsByVersion.get(current));
        byte[] sig = TestHttp.curl(tmp, base + "/releases/testing/SHA256SUMS.gpg").body();
        ReleaseUpload.verifySignature(sums.body(), sig, key.armored(), "testing");
        for (String line : sums.text().split("\n")) {
            TestHttp.Answer f = TestHttp.curl(tmp, base + "/releases/testing/" + line.substring(66));
            assertThat(f.status()).isEqualTo(200);
            assertThat(TestReleases.sha256(f.body())).as(line).isEqualTo(line.substring(0, 64));
        }
        return current;
    }

    /** A release output directory with one large artifact (distinct bytes per version). */
    private static Path release(Path tmp, TestReleases.Key key, String version) throws IOException {
        byte[] big = new byte[SIZE];
        new Random(version.hashCode()).nextBytes(big);
        return TestReleases.output(tmp.resolve("out-" + version), "stage", version,
                Map.of("stage-" + version + ".tar.zst", big), key, null);
    }

    /**
     * The body, which trips the latch once {@code stopAt} bytes were read; with {@code hang} it then blocks, so
     * the server holds a partial body when it is killed.
     */
    private static final class Tripwire extends InputStream {
        private final byte[] body;
        private final long stopAt;
        private final CountDownLatch reached;
        private final boolean hang;
        private int pos;

        Tripwire(byte[] body, long stopAt, CountDownLatch reached, boolean hang) {
            this.body = body;
            this.stopAt = stopAt;
            this.reached = reached;
            this.hang = hang;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (pos >= stopAt) {
                reached.countDown();
                if (hang) {
                    try {
                        Thread.sleep(Long.MAX_VALUE);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return -1;
                }
            }
            if (pos >= body.length) return -1;
            int n = (int) Math.min(body.length - pos, pos < stopAt ? Math.min(len, stopAt - pos) : len);
            System.arraycopy(body, pos, b, off, n);
            pos += n;
            return n;
        }
    }

    private static Process start(Path data, Path log) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "org.stageforge.cli.Main",
                "serve", "--data", data.toString(), "--listen", "127.0.0.1:0")
                .redirectError(log.toFile()).start();
    }

    /** The URL from the "serving DATA on URL" line. */
    private static String baseUrl(Process p) throws Exception {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        assertThat(line).as("serve output").isNotNull().startsWith("serving ");
        return line.substring(line.lastIndexOf(' ') + 1);
    }
}

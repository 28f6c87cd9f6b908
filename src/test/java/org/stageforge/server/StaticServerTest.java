package org.stageforge.server;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Real HTTP requests on loopback against a directory the test fills. */
@Timeout(30)
class StaticServerTest {
    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private StaticServer server;
    private byte[] data;

    @BeforeEach
    void start() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("root"));
        data = new byte[200_000];
        new Random(7).nextBytes(data);
        Files.createDirectories(root.resolve("cat/pkg"));
        Files.write(root.resolve("cat/pkg/pkg-1.gpkg.tar"), data);
        Files.writeString(root.resolve("small"), "hello\n");
        Files.writeString(tmp.resolve("secret"), "outside\n");
        Files.createSymbolicLink(root.resolve("link"), tmp.resolve("secret"));
        server = StaticServer.start(root, 0);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<byte[]> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.uri() + path));
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void bindsLoopbackOnAnEphemeralPort() {
        assertThat(server.uri().getHost()).isEqualTo("127.0.0.1");
        assertThat(server.port()).isPositive();
    }

    @Test
    void servesWholeFilesAndByteRanges() throws Exception {
        HttpResponse<byte[]> whole = get("/cat/pkg/pkg-1.gpkg.tar");
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(whole.body()).isEqualTo(data);
        assertThat(whole.headers().firstValue("Accept-Ranges")).hasValue("bytes");

        HttpResponse<byte[]> tail = get("/cat/pkg/pkg-1.gpkg.tar", "Range", "bytes=150000-");
        assertThat(tail.statusCode()).isEqualTo(206);
        assertThat(tail.headers().firstValue("Content-Range")).hasValue("bytes 150000-199999/200000");
        assertThat(tail.body()).isEqualTo(Arrays.copyOfRange(data, 150_000, 200_000));

        HttpResponse<byte[]> mid = get("/cat/pkg/pkg-1.gpkg.tar", "Range", "bytes=10-19");
        assertThat(mid.statusCode()).isEqualTo(206);
        assertThat(mid.body()).isEqualTo(Arrays.copyOfRange(data, 10, 20));

        assertThat(get("/cat/pkg/pkg-1.gpkg.tar", "Range", "bytes=200000-").statusCode()).isEqualTo(416);
        assertThat(get("/small").body()).isEqualTo("hello\n".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void answersConditionalRequestsWith304() throws Exception {
        HttpResponse<byte[]> first = get("/cat/pkg/pkg-1.gpkg.tar");
        String etag = first.headers().firstValue("ETag").orElseThrow();
        String lastModified = first.headers().firstValue("Last-Modified").orElseThrow();

        assertThat(get("/cat/pkg/pkg-1.gpkg.tar", "If-None-Match", etag).statusCode()).isEqualTo(304);
        assertThat(get("/cat/pkg/pkg-1.gpkg.tar", "If-Modified-Since", lastModified).statusCode()).isEqualTo(304);
        assertThat(get("/cat/pkg/pkg-1.gpkg.tar", "If-None-Match", "\"other\"").statusCode()).isEqualTo(200);

        // If-Range with a stale validator gets the whole file instead of the range
        HttpResponse<byte[]> stale = get("/cat/pkg/pkg-1.gpkg.tar", "Range", "bytes=100-", "If-Range", "\"stale\"");
        assertThat(stale.statusCode()).isEqualTo(200);
        assertThat(stale.body()).hasSize(data.length);
    }

    @Test
    void neverListsDirectoriesFollowsSymlinksOrLeavesTheRoot() throws Exception {
        assertThat(get("/cat/pkg/").statusCode()).isIn(403, 404);
        assertThat(get("/").statusCode()).isIn(403, 404);
        assertThat(get("/link").statusCode()).isEqualTo(404);
        assertThat(get("/nope").statusCode()).isEqualTo(404);
        assertThat(rawGet("/../secret")).doesNotContain("outside").startsWith("HTTP/1.1 4");
        assertThat(rawGet("/%2e%2e/secret")).doesNotContain("outside").startsWith("HTTP/1.1 4");
    }

    @Test
    void isReadOnly() throws Exception {
        HttpResponse<byte[]> put = http.send(HttpRequest.newBuilder(URI.create(server.uri() + "/small"))
                .PUT(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(put.statusCode()).isEqualTo(405);
        assertThat(Files.readString(tmp.resolve("root/small"))).isEqualTo("hello\n");
    }

    @Test
    void refusesAMissingRoot() {
        assertThatThrownBy(() -> StaticServer.start(tmp.resolve("absent"), 0))
                .isInstanceOfSatisfying(StageforgeException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCodes.NOT_FOUND));
    }

    /** A request line sent verbatim, so the client cannot normalise the path first. */
    private String rawGet(String path) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}

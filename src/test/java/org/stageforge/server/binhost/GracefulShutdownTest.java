package org.stageforge.server.binhost;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** Stopping the server refuses new requests but lets an upload in flight finish and publish. */
class GracefulShutdownTest {
    @Test
    void anUploadInFlightFinishesDuringShutdown(@TempDir Path tmp) throws Exception {
        Path pkg = TestGpkgs.write(tmp.resolve("local"), "app-misc", "slow-1", 1, "slow\n".repeat(1000), null);
        byte[] bytes = Files.readAllBytes(pkg);
        TestServer s = new TestServer(tmp.resolve("data"), 1 << 20);
        s.binhosts.create("main", false, null, false, 0);
        String token = s.token("binhost:main:write");
        try (Socket socket = new Socket(s.uri().getHost(), s.uri().getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("PUT /binhost/main/upload/app-misc/slow-1-1.gpkg.tar HTTP/1.1\r\nHost: " + s.uri().getAuthority()
                    + "\r\nAuthorization: Bearer " + token + "\r\nContent-Length: " + bytes.length + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(bytes, 0, bytes.length / 2);
            out.flush();
            // the server is receiving it: its private upload directory exists
            Path uploads = s.data.resolve("tmp");
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (isEmpty(uploads)) {
                assertThat(System.nanoTime()).as("upload never started").isLessThan(deadline);
                Thread.onSpinWait();
            }
            CompletableFuture<Void> closed = CompletableFuture.runAsync(s::close);
            // new requests are turned away once the shutdown began
            HttpClient other = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            int status;
            do {
                status = other.send(HttpRequest.newBuilder(URI.create(s.url("/binhost/main/Packages"))).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
            } while (status == 200 && !closed.isDone());
            assertThat(status).isEqualTo(503);
            assertThat(closed).isNotDone();
            out.write(bytes, bytes.length / 2, bytes.length - bytes.length / 2);
            out.flush();
            InputStream in = socket.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(response).startsWith("HTTP/1.1 201 ");
            closed.get();
        }
        assertThat(s.ctx.views().manifest(s.ctx.views().current("binhost/main").orElseThrow()).get("app-misc/slow/slow-1-1.gpkg.tar"))
                .isNotNull();
    }

    private static boolean isEmpty(Path dir) throws java.io.IOException {
        try (var l = Files.list(dir)) {
            return l.findAny().isEmpty();
        }
    }
}

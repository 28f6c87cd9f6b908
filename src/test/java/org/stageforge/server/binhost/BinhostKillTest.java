package org.stageforge.server.binhost;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.index.PackagesIndex;
import org.stageforge.server.core.ServerConfig;
import org.stageforge.server.core.ServerContext;

import java.io.BufferedReader;
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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** kill -9 of {@code stageforge serve} while uploads are in flight: it restarts and serves one whole generation. */
class BinhostKillTest {
    @Test
    void aKilledServerRestartsWithAConsistentIndexHoldingEveryAcknowledgedUpload(@TempDir Path tmp) throws Exception {
        int total = 120;
        List<Path> pkgs = new ArrayList<>();
        Path local = tmp.resolve("local");
        for (int i = 0; i < total; i++) pkgs.add(TestGpkgs.write(local, "app-misc", "p" + i + "-1.0", 1, "package " + i + "\n".repeat(i), null));
        Path data = tmp.resolve("data");
        ServerContext admin = ServerContext.open(ServerConfig.of(data, "127.0.0.1", 0), Clock.systemUTC());
        new Binhosts(admin).create("main", false, null, false, 0);
        String token = admin.tokens().create("kill", List.of("binhost:main:write")).secret();

        Process server = start(data, tmp.resolve("serve1.log"));
        String base = baseUrl(server);
        HttpClient http = HttpClient.newHttpClient();
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicInteger next = new AtomicInteger();
        CountDownLatch enough = new CountDownLatch(30);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        for (int t = 0; t < 4; t++) {
            pool.submit(() -> {
                int i;
                while ((i = next.getAndIncrement()) < total) {
                    Path f = pkgs.get(i);
                    try {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/binhost/main/upload/app-misc/"
                                        + f.getFileName())).header("Authorization", "Bearer " + token)
                                .PUT(HttpRequest.BodyPublishers.ofFile(f)).build(), HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() == 201) {
                            acknowledged.add(local.relativize(f).toString());
                            enough.countDown();
                        }
                    } catch (Exception e) {
                        return null; // the server is gone
                    }
                }
                return null;
            });
        }
        enough.await();
        server.destroyForcibly().waitFor();
        pool.shutdown();
        pool.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
        Set<String> acked = Set.copyOf(acknowledged);
        assertThat(acked.size()).isBetween(30, total - 1);

        Process again = start(data, tmp.resolve("serve2.log"));
        try {
            String base2 = baseUrl(again);
            ServerContext reader = ServerContext.open(ServerConfig.of(data, "127.0.0.1", 0), Clock.systemUTC());
            long generation = reader.views().current("binhost/main").orElseThrow().generation();
            PackagesIndex idx = BinhostUploadTest.assertConsistent(base2, reader.views(), (int) generation - 1);
            // every upload answered 201 was durable before the answer
            assertThat(idx.entries().stream().map(e -> e.path()).toList()).containsAll(acked);
            // and the restarted server takes the rest
            BinhostPush.Result rest = BinhostPush.push(local, URI.create(base2), "main", token, 4);
            assertThat(rest.failures()).isEmpty();
            BinhostUploadTest.assertConsistent(base2, reader.views(), total);
        } finally {
            again.destroyForcibly().waitFor();
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

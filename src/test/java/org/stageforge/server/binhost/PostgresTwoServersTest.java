package org.stageforge.server.binhost;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.index.PackagesEntry;
import org.stageforge.index.PackagesIndex;
import org.stageforge.server.core.ServerConfig;
import org.stageforge.server.core.ServerContext;
import org.stageforge.server.core.TestPostgres;
import org.stageforge.server.core.ViewManifest;
import org.stageforge.server.distfiles.Distfiles;

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
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PostgreSQL mode: two {@code stageforge serve} processes on one PostgreSQL database (a real server started by
 * the test) and one data directory take concurrent uploads of one binhost, of a binhost with retention and of
 * distfiles, half to each; both then serve the same consistent index (every entry's file present with its
 * digests) as identical bytes, every accepted upload moved the generation exactly once, and retention kept
 * what retained_blobs holds.
 */
class PostgresTwoServersTest {
    @Test
    void twoServerProcessesOnOneDatabaseAndDataDirectoryStayConsistent(@TempDir Path tmp) throws Exception {
        try (TestPostgres pg = TestPostgres.start()) {
            String url = pg.createDatabase("stageforge");
            Path data = tmp.resolve("data");
            ServerContext admin = ServerContext.open(ServerConfig.of(data, "127.0.0.1", 0).withJdbcUrl(url), Clock.systemUTC());
            // every migration ran on PostgreSQL
            List<String> migrations = admin.db().query("SELECT version || ' ' || success FROM flyway_schema_history WHERE version IS NOT NULL ORDER BY installed_rank",
                    rs -> rs.getString(1));
            assertThat(migrations).isNotEmpty().allMatch(m -> m.endsWith(" true")).first().isEqualTo("1 true");
            assertThat(Files.exists(data.resolve("server.db"))).isFalse();
            Binhosts binhosts = new Binhosts(admin);
            binhosts.create("main", false, null, false, 0);
            binhosts.create("keep", false, null, false, 1);
            String token = admin.tokens().create("pg", List.of("binhost:main:write", "binhost:keep:write", "distfiles:write")).secret();

            int total = 60;
            Path local = tmp.resolve("local");
            List<Path> pkgs = new ArrayList<>();
            for (int i = 0; i < total; i++) pkgs.add(TestGpkgs.write(local, "app-misc", "p" + i + "-1.0", 1, "package " + i + "\n".repeat(i), null));
            // 12 builds of one version for the binhost keeping 1; build 1 is held by a (release's) lock
            Path builds = tmp.resolve("builds");
            List<Path> rebuilds = new ArrayList<>();
            for (int b = 1; b <= 12; b++) rebuilds.add(TestGpkgs.write(builds.resolve("b" + b), "app-misc", "kept-2.0", b, "build " + b + "\n", null));
            String heldSha = sha256(rebuilds.get(0));
            admin.db().update("INSERT INTO retained_blobs (sha256, holder) VALUES (?, ?)", heldSha, "release test/1");

            Process a = serve(data, url, tmp.resolve("a.log"));
            Process b = serve(data, url, tmp.resolve("b.log"));
            try {
                List<String> bases = List.of(baseUrl(a, tmp.resolve("a.log")), baseUrl(b, tmp.resolve("b.log")));
                HttpClient http = HttpClient.newHttpClient();
                Map<String, Integer> created = new ConcurrentHashMap<>();
                AtomicInteger createdMain = new AtomicInteger();
                List<Callable<Void>> jobs = new ArrayList<>();
                for (int i = 0; i < total; i++) {
                    Path f = pkgs.get(i);
                    // every fifth package goes to both servers at once: one of them creates it, the other finds it
                    List<String> targets = i % 5 == 0 ? bases : List.of(bases.get(i % 2));
                    for (String base : targets) {
                        jobs.add(() -> {
                            int s = put(http, base + "/binhost/main/upload/app-misc/" + f.getFileName(), token, f);
                            assertThat(s).as(f.toString()).isIn(200, 201);
                            if (s == 201) createdMain.incrementAndGet();
                            return null;
                        });
                    }
                }
                for (int i = 0; i < rebuilds.size(); i++) {
                    Path f = rebuilds.get(i);
                    String base = bases.get(i % 2);
                    jobs.add(() -> {
                        assertThat(put(http, base + "/binhost/keep/upload/app-misc/" + f.getFileName(), token, f)).isEqualTo(201);
                        return null;
                    });
                }
                for (int i = 0; i < 10; i++) {
                    String name = "dist-" + i + ".tar.gz";
                    byte[] body = ("distfile " + i + "\n").repeat(i + 1).getBytes(StandardCharsets.UTF_8);
                    for (String base : i % 3 == 0 ? bases : List.of(bases.get(i % 2))) {
                        jobs.add(() -> {
                            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/distfiles/upload/" + name))
                                    .header("Authorization", "Bearer " + token).PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
                            created.merge(name, r.statusCode() == 201 ? 1 : 0, Integer::sum);
                            return null;
                        });
                    }
                }
                java.util.Collections.shuffle(jobs, new java.util.Random(42));
                ExecutorService pool = Executors.newFixedThreadPool(8);
                try {
                    for (Future<Void> f : pool.invokeAll(jobs)) f.get();
                } finally {
                    pool.shutdownNow();
                }

                // one generation per accepted upload: no publish was lost or applied twice
                assertThat(createdMain.get()).isEqualTo(total);
                assertThat(admin.views().current("binhost/main").orElseThrow().generation()).isEqualTo(1 + total);
                assertThat(created).hasSize(10).allSatisfy((n, c) -> assertThat(c).as(n).isEqualTo(1));

                // both processes serve one consistent index, byte for byte the same
                byte[] packagesA = get(http, bases.get(0) + "/binhost/main/Packages");
                assertThat(get(http, bases.get(1) + "/binhost/main/Packages")).isEqualTo(packagesA);
                assertThat(get(http, bases.get(1) + "/binhost/main/Packages.gz")).isEqualTo(get(http, bases.get(0) + "/binhost/main/Packages.gz"));
                for (String base : bases) BinhostUploadTest.assertConsistent(base, admin.views(), total);

                // retention across both processes: the newest build and the held one
                PackagesIndex kept = PackagesIndex.parse("Packages", get(http, bases.get(0) + "/binhost/keep/Packages"));
                assertThat(kept.entries().stream().map(PackagesEntry::path).toList())
                        .containsExactlyInAnyOrder("app-misc/kept/kept-2.0-1.gpkg.tar", "app-misc/kept/kept-2.0-12.gpkg.tar");
                assertThat(get(http, bases.get(1) + "/binhost/keep/Packages")).isEqualTo(get(http, bases.get(0) + "/binhost/keep/Packages"));
                ViewManifest keptFiles = admin.views().manifest(admin.views().current("binhost/keep").orElseThrow());
                assertThat(keptFiles.get("app-misc/kept/kept-2.0-1.gpkg.tar").sha256()).isEqualTo(heldSha);

                // distfiles: every name served by both, from the hashed path
                for (int i = 0; i < 10; i++) {
                    String name = "dist-" + i + ".tar.gz";
                    byte[] want = ("distfile " + i + "\n").repeat(i + 1).getBytes(StandardCharsets.UTF_8);
                    for (String base : bases) assertThat(get(http, base + "/distfiles/" + Distfiles.path(name))).as(name).isEqualTo(want);
                }
            } finally {
                a.destroy();
                b.destroy();
                a.waitFor();
                b.waitFor();
            }
        }
    }

    private static int put(HttpClient http, String url, String token, Path f) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token)
                .PUT(HttpRequest.BodyPublishers.ofFile(f)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private static byte[] get(HttpClient http, String url) throws Exception {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).as(url).isEqualTo(200);
        return r.body();
    }

    private static String sha256(Path f) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
    }

    /** A separate {@code stageforge serve} JVM on the shared database and data directory. */
    private static Process serve(Path data, String jdbcUrl, Path log) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "org.stageforge.cli.Main",
                "serve", "--data", data.toString(), "--listen", "127.0.0.1:0", "--jdbc-url", jdbcUrl)
                .redirectError(log.toFile()).start();
    }

    private static String baseUrl(Process p, Path log) throws Exception {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        assertThat(line).as("serve output; log: " + (Files.exists(log) ? Files.readString(log) : "")).isNotNull().startsWith("serving ");
        return line.substring(line.lastIndexOf(' ') + 1);
    }
}

package org.stageforge.server.fleet;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.server.core.Server;
import org.stageforge.server.core.ServerConfig;
import org.stageforge.server.core.ServerContext;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The fleet over HTTP on loopback: registration, signed configuration bundles, health reports, staged rollouts. */
class FleetTest {
    /** A clock the test moves: rollout intervals are read from the server clock. */
    static final class TestClock extends Clock {
        Instant now = Instant.parse("2030-01-01T00:00:00Z");

        @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(java.time.ZoneId zone) { return this; }
        @Override public Instant instant() { return now; }
    }

    record Env(Server server, Fleet fleet, TestClock clock, String admin) implements AutoCloseable {
        static Env start(Path data, Map<String, List<String>> channels) throws Exception {
            TestClock clock = new TestClock();
            ServerContext ctx = ServerContext.open(ServerConfig.of(data, "127.0.0.1", 0), clock);
            Fleet fleet = new Fleet(ctx, c -> channels.getOrDefault(c, List.of()));
            Server server = Server.start(ctx, List.of(new FleetResource(fleet)));
            return new Env(server, fleet, clock, ctx.tokens().create("admin", List.of("fleet:admin")).secret());
        }

        HttpResponse<byte[]> send(String method, String path, String token, byte[] body) throws Exception {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.uri() + path))
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
            if (token != null) b.header("Authorization", "Bearer " + token);
            return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        }

        String ok(String method, String path, String token, String body) throws Exception {
            HttpResponse<byte[]> r = send(method, path, token, body == null ? null : body.getBytes(StandardCharsets.UTF_8));
            String text = new String(r.body(), StandardCharsets.UTF_8);
            assertThat(r.statusCode()).as(method + " " + path + ": " + text).isBetween(200, 299);
            return text;
        }

        /** Where the machine is sent for {@code file}. */
        String release(String machine, String token, String file) throws Exception {
            HttpResponse<byte[]> r = send("GET", "/fleet/machines/" + machine + "/release/" + file, token, null);
            assertThat(r.statusCode()).isEqualTo(302);
            return r.headers().firstValue("location").orElseThrow();
        }

        void report(String machine, String token, String version, boolean healthy) throws Exception {
            ok("POST", "/fleet/machines/" + machine + "/health", token,
                    "{\"version\":\"" + version + "\",\"slot\":\"A\",\"healthy\":" + healthy + ",\"errors\":[]}");
        }

        @Override
        public void close() {
            server.close();
        }
    }

    @Test
    void machinesGetTheirMergedConfigurationSignedAndRefusalsSayWhy(@TempDir Path tmp) throws Exception {
        OpenPgp.GeneratedKey key = OpenPgp.generate("Fleet <fleet@example.org>", null, new Date(0));
        Path secret = Files.write(tmp.resolve("secret.asc"), key.secretArmored());
        Path pub = Files.write(tmp.resolve("pub.asc"), key.publicArmored());
        Path data = tmp.resolve("data");
        try (Env e = Env.start(data, Map.of("stable", List.of("2", "1")))) {
            // no key yet: a clear refusal, not an unsigned bundle
            e.ok("PUT", "/fleet/groups/lab?channel=stable", e.admin(), null);
            String tokA = e.ok("PUT", "/fleet/machines/a1?group=lab", e.admin(), null).strip();
            String tokB = e.ok("PUT", "/fleet/machines/b1?group=lab", e.admin(), null).strip();
            HttpResponse<byte[]> noKey = e.send("GET", "/fleet/machines/a1/config.tar", tokA, null);
            assertThat(noKey.statusCode()).isEqualTo(409);
            assertThat(new String(noKey.body(), StandardCharsets.UTF_8)).contains("stageforge server fleet-key");
            Fleet.importKey(data, secret);

            e.ok("PUT", "/fleet/config/group/lab/etc/hostname", e.admin(), "lab\n");
            e.ok("PUT", "/fleet/config/group/lab/etc/motd", e.admin(), "welcome to the lab\n");
            e.ok("PUT", "/fleet/config/machine/a1/etc/hostname?mode=0600", e.admin(), "a1\n");
            HttpResponse<byte[]> tar = e.send("GET", "/fleet/machines/a1/config.tar", tokA, null);
            assertThat(tar.statusCode()).isEqualTo(200);
            assertThat(tar.headers().firstValue("x-stageforge-config-version")).hasValue("2.1");
            Map<String, String> files = new LinkedHashMap<>();
            try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar.body()))) {
                for (TarArchiveEntry te; (te = in.getNextTarEntry()) != null; ) {
                    files.put(te.getName() + " " + Integer.toOctalString(te.getMode()) + " " + te.getLongUserId(),
                            new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
            }
            assertThat(files).containsExactly(Map.entry("etc/hostname 100600 0", "a1\n"),
                    Map.entry("etc/motd 100644 0", "welcome to the lab\n"));
            // the signature verifies with real gpgv against the public key
            Path t = Files.write(tmp.resolve("config.tar"), tar.body());
            Path sig = Files.write(tmp.resolve("config.tar.asc"), e.send("GET", "/fleet/machines/a1/config.tar.asc", tokA, null).body());
            Path keyring = tmp.resolve("keyring.gpg");
            Process dearmor = new ProcessBuilder("gpg", "--batch", "--homedir", Files.createDirectories(tmp.resolve("gh")).toString(),
                    "--dearmor", "-o", keyring.toString(), pub.toString()).redirectErrorStream(true).start();
            assertThat(dearmor.waitFor()).isZero();
            assertThat(gpgv(keyring, sig, t)).isZero();
            Files.write(t, "tampered".getBytes(StandardCharsets.UTF_8), java.nio.file.StandardOpenOption.APPEND);
            assertThat(gpgv(keyring, sig, t)).isNotZero();
            // b1 sees the group's files only, and the same bundle twice is the same bytes
            assertThat(e.send("GET", "/fleet/machines/b1/config.tar", tokB, null).body())
                    .isEqualTo(e.send("GET", "/fleet/machines/b1/config.tar", tokB, null).body());
            assertThat(e.ok("GET", "/fleet/machines/b1/config.version", tokB, null)).isEqualTo("2.0\n");

            record Refusal(String method, String path, String token, int status, String says) {}
            for (Refusal r : List.of(
                    new Refusal("GET", "/fleet/machines/a1/config.tar", null, 401, "authentication required"),
                    new Refusal("GET", "/fleet/machines/a1/config.tar", tokB, 403, "lacks scope machine:a1"),
                    new Refusal("PUT", "/fleet/config/group/lab/etc/x", tokA, 403, "lacks scope fleet:admin"),
                    new Refusal("PUT", "/fleet/config/group/lab/etc/%2e%2e/shadow", e.admin(), 400, ""),
                    new Refusal("PUT", "/fleet/config/group/lab/etc/x?mode=4755", e.admin(), 400, "mode 4755"),
                    new Refusal("PUT", "/fleet/config/group/nosuch/etc/x", e.admin(), 404, "no group nosuch"),
                    new Refusal("PUT", "/fleet/machines/a1?group=lab", e.admin(), 409, "registered already"),
                    new Refusal("PUT", "/fleet/machines/bad%20name?group=lab", e.admin(), 400, "bad machine name"),
                    new Refusal("POST", "/fleet/machines/a1/health", tokA, 400, "health report is not JSON"))) {
                if (r.path().endsWith("/health")) {
                    HttpResponse<byte[]> notBool = e.send("POST", r.path(), tokA, "{\"healthy\":\"yes\"}".getBytes());
                    assertThat(notBool.statusCode()).isEqualTo(400);
                    assertThat(new String(notBool.body(), StandardCharsets.UTF_8)).contains("'healthy' must be true or false");
                }
                HttpResponse<byte[]> resp = e.send(r.method(), r.path(), r.token(), r.method().equals("GET") ? null : "x".getBytes());
                assertThat(resp.statusCode()).as(r.toString()).isEqualTo(r.status());
                assertThat(new String(resp.body(), StandardCharsets.UTF_8)).as(r.toString()).contains(r.says()).doesNotContain("\n\n");
            }
            assertThat(e.ok("GET", "/fleet/machines/a1/config.version", tokA, null)).isEqualTo("2.1\n");
            assertThat(Files.readString(data.resolve("audit.log"))).contains("fleet.config.set").contains("fleet.machine.add");
        }
    }

    private static int gpgv(Path keyring, Path sig, Path file) throws Exception {
        return new ProcessBuilder("gpgv", "--keyring", keyring.toString(), sig.toString(), file.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
    }

    @Test
    void aRolloutReachesTheCanariesFirstAndAdvancesOnScheduleWhileTheyStayHealthy(@TempDir Path tmp) throws Exception {
        try (Env e = Env.start(tmp.resolve("data"), Map.of("stable", List.of("2", "1")))) {
            e.ok("PUT", "/fleet/groups/lab?channel=stable", e.admin(), null);
            Map<String, String> tokens = register(e, 20);
            // before any rollout the group follows its channel's current release
            assertThat(e.release("m00", tokens.get("m00"), "SHA256SUMS")).isEqualTo("/releases/stable/SHA256SUMS");

            String started = e.ok("POST", "/fleet/rollouts?group=lab&version=2&canary=10&steps=50,100&interval=3600", e.admin(), null);
            String id = started.replaceAll("(?s).*\"id\" : \"([^\"]+)\".*", "$1");
            Fleet.RolloutStatus s = e.fleet().status(id);
            assertThat(s.admitted()).hasSize(2);
            assertThat(s.rollout().baseline()).hasValue("1");
            for (String m : tokens.keySet()) {
                String v = s.admitted().contains(m) ? "2" : "1";
                assertThat(e.release(m, tokens.get(m), "SHA256SUMS")).isEqualTo("/releases/stable/" + v + "/SHA256SUMS");
            }
            // booting 2 for the first time, a canary's report judges its last cycle, which ran 1: that does not count
            String c0 = s.admitted().get(0);
            String c1 = s.admitted().get(1);
            e.ok("POST", "/fleet/machines/" + c0 + "/health", tokens.get(c0),
                    "{\"slot\":\"B\",\"version\":\"2\",\"last_cycle\":\"healthy\",\"last_cycle_version\":\"1\"}");
            e.report(c1, tokens.get(c1), "2", true);
            e.clock().now = e.clock().now.plus(Duration.ofHours(1));
            assertThat(e.fleet().status(id).admitted()).hasSize(2);
            e.report(c0, tokens.get(c0), "2", true);
            assertThat(e.fleet().status(id).admitted()).hasSize(10);
            // the next step waits for every admitted machine to report healthy on the new version
            e.clock().now = e.clock().now.plus(Duration.ofHours(1));
            assertThat(e.fleet().status(id).admitted()).hasSize(10);
            e.clock().now = e.clock().now.minus(Duration.ofMinutes(59));
            for (String m : e.fleet().status(id).admitted()) e.report(m, tokens.get(m), "2", true);
            // ... and for the interval since the last step
            assertThat(e.fleet().status(id).admitted()).hasSize(10);
            e.clock().now = e.clock().now.plus(Duration.ofMinutes(59));
            assertThat(e.fleet().status(id).admitted()).hasSize(20);
            for (String m : tokens.keySet()) e.report(m, tokens.get(m), "2", true);
            e.clock().now = e.clock().now.plus(Duration.ofHours(1));
            assertThat(e.fleet().status(id).rollout().state()).isEqualTo("done");
            assertThat(e.fleet().group("lab").version()).hasValue("2");
            assertThat(e.release("m07", tokens.get("m07"), "x.root.erofs")).isEqualTo("/releases/stable/2/x.root.erofs");
            // a finished rollout does not block the next one
            e.ok("POST", "/fleet/rollouts?group=lab&version=3&canary=10", e.admin(), null);
            HttpResponse<byte[]> twice = e.send("POST", "/fleet/rollouts?group=lab&version=4&canary=10", e.admin(), null);
            assertThat(twice.statusCode()).isEqualTo(409);
        }
    }

    @Test
    void anUnhealthyCanaryHaltsTheRolloutAndNobodyElseIsTouched(@TempDir Path tmp) throws Exception {
        try (Env e = Env.start(tmp.resolve("data"), Map.of("stable", List.of("2", "1")))) {
            e.ok("PUT", "/fleet/groups/lab?channel=stable", e.admin(), null);
            Map<String, String> tokens = register(e, 20);
            String started = e.ok("POST", "/fleet/rollouts?group=lab&version=2&canary=10", e.admin(), null);
            String id = started.replaceAll("(?s).*\"id\" : \"([^\"]+)\".*", "$1");
            List<String> canaries = e.fleet().status(id).admitted();
            assertThat(canaries).hasSize(2);
            e.report(canaries.get(0), tokens.get(canaries.get(0)), "2", true);
            // the controller's own report: a first boot judges nothing, so the rollout neither halts nor advances
            String c1 = canaries.get(1);
            e.ok("POST", "/fleet/machines/" + c1 + "/health", tokens.get(c1),
                    "{\"machine\":\"" + c1 + "\",\"slot\":\"B\",\"version\":\"2\",\"last_cycle\":\"none\",\"errors\":[]}");
            assertThat(e.fleet().status(id).rollout().state()).isEqualTo("running");
            // then it fell back: the old version from the backup slot, the last cycle (on 2) unhealthy
            e.ok("POST", "/fleet/machines/" + c1 + "/health", tokens.get(c1), "{\"machine\":\"" + c1 + "\",\"slot\":\"A\","
                    + "\"version\":\"1\",\"last_cycle\":\"unhealthy: no healthy marker (cycle 2, slot B, version 2, attempt 3 of 3)\","
                    + "\"last_cycle_version\":\"2\","
                    + "\"fallback\":\"slot B (version 2) deprived\",\"errors\":[]}");
            Fleet.RolloutStatus s = e.fleet().status(id);
            assertThat(s.rollout().state()).isEqualTo("halted");
            assertThat(s.rollout().reason()).hasValueSatisfying(r -> assertThat(r).contains(canaries.get(1)).contains("unhealthy cycle on version 2"));
            e.clock().now = e.clock().now.plus(Duration.ofDays(7));
            List<String> sentTo2 = new ArrayList<>();
            for (String m : tokens.keySet()) {
                if (e.release(m, tokens.get(m), "SHA256SUMS").contains("/2/")) sentTo2.add(m);
            }
            assertThat(sentTo2).isEmpty();
            assertThat(e.fleet().group("lab").version()).isEmpty();
            String machines = e.ok("GET", "/fleet/machines", e.admin(), null);
            assertThat(machines).contains("\"healthy\" : false");
            assertThat(e.send("POST", "/fleet/rollouts/" + id + "/halt", e.admin(), null).statusCode()).isEqualTo(409);
        }
    }

    private static Map<String, String> register(Env e, int n) throws Exception {
        Map<String, String> tokens = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            String id = String.format(java.util.Locale.ROOT, "m%02d", i);
            tokens.put(id, e.ok("PUT", "/fleet/machines/" + id + "?group=lab", e.admin(), null).strip());
        }
        return tokens;
    }
}

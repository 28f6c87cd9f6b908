package org.stageforge.server.web;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.server.Services;
import org.stageforge.server.core.Server;
import org.stageforge.server.core.ServerConfig;
import org.stageforge.server.fleet.Fleet;
import org.stageforge.server.releases.Releases;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code /ui/fleet} over plain HTTP: machines with their last reports, rollouts with state and reason, escaping, access. */
class FleetPageTest {
    @Test
    void machinesAndRolloutsAreShownToFleetAdminsOnly(@TempDir Path tmp) throws Exception {
        try (Server s = Services.start(ServerConfig.of(tmp.resolve("data"), "127.0.0.1", 0))) {
            Fleet fleet = new Fleet(s.context(), new Releases(s.context())::versions);
            fleet.setGroup("lab", "stable", "1");
            for (String m : List.of("m1", "m2", "m3", "m4")) fleet.addMachine(m, "lab");
            String rollout = fleet.startRollout("lab", "2", 10, List.of(100), 0).id();
            String canary = fleet.status(rollout).admitted().get(0);
            List<String> others = fleet.status(rollout).waiting();
            fleet.report(others.get(0), "1", "A", Optional.of(true), Optional.of("1"), "{}");
            // what a machine reports is hostile: shown as text
            fleet.report(others.get(1), "<script>alert(1)</script>", "B", Optional.empty(), Optional.empty(), "{}");
            fleet.report(canary, "1", "A", Optional.of(false), Optional.of("2"),
                    "{\"fallback\":\"slot B (version 2) deprived; falling back to backup slot A (version 1)\",\"errors\":[\"<b>x</b>\"]}");

            HttpClient http = HttpClient.newHttpClient();
            assertThat(get(http, s.uri() + "/ui/fleet", null).statusCode()).isEqualTo(401);
            String reader = login(http, s, s.context().tokens().create("reader", List.of("channel:stable:write")).secret());
            assertThat(get(http, s.uri() + "/ui/fleet", reader).statusCode()).isEqualTo(403);

            String admin = login(http, s, s.context().tokens().create("ops", List.of("fleet:admin")).secret());
            HttpResponse<String> page = get(http, s.uri() + "/ui/fleet", admin);
            assertThat(page.statusCode()).isEqualTo(200);
            String body = page.body();
            assertThat(body).contains("<td>" + others.get(0) + "</td><td>lab</td><td>1</td>")
                    .contains("<td>1</td><td>A</td><td class=\"health healthy\">healthy</td>")
                    .contains("&lt;script&gt;alert(1)&lt;/script&gt;").doesNotContain("<script>")
                    .contains("<td class=\"health not-judged\">not judged</td>")
                    .contains("<td class=\"health no-report\">no report</td>")
                    .contains("<td>" + rollout + "</td><td>lab</td><td>2</td><td>1</td><td class=\"state halted\">halted</td>")
                    .contains("<a href=\"/ui/fleet\">Fleet</a>")
                    // the canary is back on 1 after a failed cycle of 2, and its report says why
                    .contains("<td>" + canary + "</td><td>lab</td><td>1</td>")
                    .contains("<td class=\"health unhealthy\">unhealthy</td><td>2</td><td>slot B (version 2) deprived; falling back to backup slot A (version 1)</td>")
                    .contains("<td class=\"health not-judged\">not judged</td><td></td><td></td>");
            assertThat(body.replaceAll("(?s).*<td class=\"state halted\">halted</td><td>([^<]*)</td>.*", "$1"))
                    .contains(canary).contains("unhealthy");
        }
    }

    private static HttpResponse<String> get(HttpClient http, String url, String cookie) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        if (cookie != null) b.header("Cookie", cookie);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String login(HttpClient http, Server s, String token) throws Exception {
        HttpResponse<String> in = http.send(HttpRequest.newBuilder(URI.create(s.uri() + "/ui/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("token=" + token)).build(), HttpResponse.BodyHandlers.ofString());
        String c = in.headers().firstValue("Set-Cookie").orElseThrow();
        return c.substring(0, c.indexOf(';'));
    }
}

package org.stageforge.server.web;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.server.Services;
import org.stageforge.server.core.Server;
import org.stageforge.server.core.ServerConfig;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The dashboard's login and form rules over plain HTTP (runs where chromium is not installed too). */
class WebSessionTest {
    @Test
    void loginCookieRedirectsAndFormRefusals(@TempDir Path tmp) throws Exception {
        try (Server s = Services.start(ServerConfig.of(tmp.resolve("data"), "127.0.0.1", 0))) {
            String token = s.context().tokens().create("ops", List.of("admin")).secret();
            HttpClient http = HttpClient.newHttpClient(); // follows no redirect

            HttpResponse<String> root = http.send(HttpRequest.newBuilder(URI.create(s.uri() + "/")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(root.statusCode()).isEqualTo(303);
            assertThat(root.headers().firstValue("Location")).hasValue("/ui/");

            // a login never redirects off the dashboard, and its cookie is HttpOnly and SameSite=Strict
            HttpResponse<String> in = post(http, s.uri() + "/ui/login", null, "token=" + token + "&next=https://evil.example/");
            assertThat(in.statusCode()).isEqualTo(303);
            assertThat(in.headers().firstValue("Location")).hasValue("/ui/");
            String setCookie = in.headers().firstValue("Set-Cookie").orElseThrow();
            assertThat(setCookie).startsWith(Sessions.COOKIE + "=").contains("HttpOnly").contains("SameSite=Strict").containsIgnoringCase("Path=/;")
                    .doesNotContain(token);
            String cookie = setCookie.substring(0, setCookie.indexOf(';'));
            assertThat(post(http, s.uri() + "/ui/login", null, "token=" + token + "&next=//evil.example/").headers()
                    .firstValue("Location")).hasValue("/ui/");
            assertThat(post(http, s.uri() + "/ui/login", null, "token=" + token + "&next=/ui/releases").headers()
                    .firstValue("Location")).hasValue("/ui/releases");

            // the session shows on pages; the page carries the CSRF token in its forms
            HttpResponse<String> home = http.send(HttpRequest.newBuilder(URI.create(s.uri() + "/ui/")).header("Cookie", cookie).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(home.body()).contains("Logged in with token <b>ops</b>");
            assertThat(home.headers().firstValue("Content-Security-Policy").orElseThrow()).startsWith("default-src 'none'");
            String csrf = home.body().replaceAll("(?s).*name=\"csrf\" value=\"([^\"]+)\".*", "$1");

            // refusals: unknown token 401 (the form again), no CSRF 403, another origin 403, not a form 415
            HttpResponse<String> bad = post(http, s.uri() + "/ui/login", null, "token=sf_nope");
            assertThat(bad.statusCode()).isEqualTo(401);
            assertThat(bad.body()).contains("unknown token").contains("name=\"token\"");
            assertThat(post(http, s.uri() + "/ui/logout", cookie, "").statusCode()).isEqualTo(403);
            assertThat(post(http, s.uri() + "/ui/logout", null, "csrf=" + csrf).statusCode()).isEqualTo(401);
            HttpResponse<String> cross = http.send(HttpRequest.newBuilder(URI.create(s.uri() + "/ui/logout")).header("Cookie", cookie)
                    .header("Origin", "http://evil.example").header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("csrf=" + csrf)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(cross.statusCode()).isEqualTo(403);
            HttpResponse<String> json = http.send(HttpRequest.newBuilder(URI.create(s.uri() + "/ui/logout")).header("Cookie", cookie)
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(json.statusCode()).isEqualTo(415);
            assertThat(http.send(HttpRequest.newBuilder(URI.create(s.uri() + "/ui/")).method("PUT", HttpRequest.BodyPublishers.noBody())
                    .build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(405);

            // logging out ends the session on the server: the old cookie is anonymous again
            HttpResponse<String> out = post(http, s.uri() + "/ui/logout", cookie, "csrf=" + csrf);
            assertThat(out.statusCode()).isEqualTo(303);
            assertThat(http.send(HttpRequest.newBuilder(URI.create(s.uri() + "/ui/")).header("Cookie", cookie).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).doesNotContain("Logged in").contains("Log in");
        }
    }

    private static HttpResponse<String> post(HttpClient http, String url, String cookie, String form) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form));
        if (cookie != null) b.header("Cookie", cookie);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}

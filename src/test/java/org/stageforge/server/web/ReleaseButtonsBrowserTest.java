package org.stageforge.server.web;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;
import org.stageforge.server.core.Server;
import org.stageforge.server.core.ServerConfig;
import org.stageforge.server.core.ServerContext;
import org.stageforge.server.core.Tokens;
import org.stageforge.server.releases.ReleaseResource;
import org.stageforge.server.releases.Releases;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The release channel page in a real headless chromium: logging in with a token through the form, a click on
 * "rollback" and on "promote" change what {@code /releases/CHANNEL/SHA256SUMS} serves; a forged CSRF token, a
 * token without the channel's scope and a cross-origin post are refused and change nothing.
 */
class ReleaseButtonsBrowserTest {
    private static final Map<String, String> V1 = Map.of("os_1.0.raw", "image one\n", "os-1.0.json", "{\"name\":\"os\",\"version\":\"1.0\"}\n");
    private static final Map<String, String> V2 = Map.of("os_2.0.raw", "image two\n", "os-2.0.json", "{\"name\":\"os\",\"version\":\"2.0\"}\n");

    @Test
    void rollbackAndPromoteButtons(@TempDir Path tmp) throws Exception {
        WebTestPackages.Key key = WebTestPackages.key(tmp.resolve("key"), "Releases <r@example.org>");
        ServerContext ctx = ServerContext.open(ServerConfig.of(tmp.resolve("data"), "127.0.0.1", 0), Clock.systemUTC());
        Releases releases = new Releases(ctx);
        releases.createChannel("stable", key.keyring());
        releases.createChannel("testing", key.keyring());
        Tokens.Token admin = ctx.tokens().create("admin", List.of("admin")).token();
        releases.publish("stable", new ByteArrayInputStream(WebTestPackages.release(V1, key.signing())), null, admin);
        releases.publish("stable", new ByteArrayInputStream(WebTestPackages.release(V2, key.signing())), null, admin);
        String writer = ctx.tokens().create("release manager", List.of("channel:stable:write", "channel:testing:write")).secret();
        String testingOnly = ctx.tokens().create("testing only", List.of("channel:testing:write")).secret();
        HttpClient http = HttpClient.newHttpClient();

        try (Server s = Server.start(ctx, List.of(new ReleaseResource(releases), new WebResource(ctx), new WebResource.Root()));
             DashboardBrowserTest.Browser b = new DashboardBrowserTest.Browser(Chromium.start(tmp.resolve("profile")))) {
            String sums = s.uri() + "/releases/stable/SHA256SUMS";
            assertThat(get(http, sums)).isEqualTo(WebTestPackages.sums(V2));
            ChromeDriver d = b.driver();

            // anonymous: the channel is listed, no button
            d.get(s.uri() + "/ui/releases/stable");
            assertThat(d.findElement(By.id("current")).getText()).isEqualTo("2.0");
            assertThat(d.findElements(By.name("rollback"))).isEmpty();
            assertThat(d.findElement(By.tagName("main")).getText()).contains("1.0").contains("os_1.0.raw");
            DashboardBrowserTest.assertRendered(d, tmp.resolve("channel-anonymous.png"));

            // a wrong token: the form says so, no session
            d.findElement(By.id("login-link")).click();
            d.findElement(By.id("token")).sendKeys("sf_not-a-token");
            d.findElement(By.id("login")).click();
            assertThat(b.await(By.className("error")).getText()).isEqualTo("unknown token");
            assertThat(d.manage().getCookieNamed(Sessions.COOKIE)).isNull();

            // log in through the form, then come back to the channel
            d.get(s.uri() + "/ui/login?next=/ui/releases/stable");
            d.findElement(By.id("token")).sendKeys(writer);
            d.findElement(By.id("login")).click();
            b.await(By.id("current"));
            assertThat(d.getCurrentUrl()).isEqualTo(s.uri() + "/ui/releases/stable");
            assertThat(d.findElement(By.tagName("header")).getText()).contains("release manager");
            var cookie = d.manage().getCookieNamed(Sessions.COOKIE);
            assertThat(cookie.isHttpOnly()).isTrue();
            assertThat(cookie.getSameSite()).isEqualTo("Strict");
            assertThat(ctx.db().query("SELECT hash FROM web_sessions", rs -> rs.getString(1))).hasSize(1)
                    .doesNotContain(cookie.getValue());
            DashboardBrowserTest.assertRendered(d, tmp.resolve("channel-logged-in.png"));

            // the real click: stable serves 1.0 again
            d.findElement(By.xpath("//tr[@id='release-1.0']//button[@name='rollback']")).click();
            assertThat(d.findElement(By.id("current")).getText()).isEqualTo("1.0");
            assertThat(get(http, sums)).isEqualTo(WebTestPackages.sums(V1));
            assertThat(get(http, s.uri() + "/releases/stable/os_1.0.raw")).isEqualTo("image one\n");
            String tokenId = ctx.tokens().verify(writer).orElseThrow().id();
            assertThat(Files.readString(ctx.audit().file())).contains("\"token\":\"" + tokenId + "\",\"action\":\"release.rollback\"");

            // a forged CSRF token: 403, nothing changes
            d.executeScript("document.querySelector(\"#release-2\\\\.0 form input[name=csrf]\").value = 'forged'");
            d.findElement(By.xpath("//tr[@id='release-2.0']//button[@name='rollback']")).click();
            assertThat(d.findElement(By.tagName("body")).getText()).contains("bad or missing CSRF token");
            assertThat(get(http, sums)).isEqualTo(WebTestPackages.sums(V1));

            // the session's cookie without the CSRF token, and a post from another origin: refused
            String session = Sessions.COOKIE + "=" + cookie.getValue();
            d.get(s.uri() + "/ui/releases/stable");
            String csrf = d.findElement(By.name("csrf")).getAttribute("value");
            assertThat(post(http, s.uri() + "/ui/releases/stable/rollback", session, null, "version=2.0").statusCode()).isEqualTo(403);
            HttpResponse<String> cross = post(http, s.uri() + "/ui/releases/stable/rollback", session, "http://evil.example",
                    "csrf=" + csrf + "&version=2.0");
            assertThat(cross.statusCode()).isEqualTo(403);
            assertThat(cross.body()).contains("cross-origin");
            assertThat(get(http, sums)).isEqualTo(WebTestPackages.sums(V1));

            // promote 2.0 into testing through its form
            d.findElement(By.xpath("//tr[@id='release-2.0']//select[@name='to']/option[@value='testing']")).click();
            d.findElement(By.xpath("//tr[@id='release-2.0']//button[@name='promote']")).click();
            assertThat(d.getCurrentUrl()).isEqualTo(s.uri() + "/ui/releases/testing");
            assertThat(d.findElement(By.id("current")).getText()).isEqualTo("2.0");
            assertThat(get(http, s.uri() + "/releases/testing/SHA256SUMS")).isEqualTo(WebTestPackages.sums(V2));

            // log out; a token without channel:stable:write sees no button and its post is refused like the API's
            d.get(s.uri() + "/ui/releases/stable");
            d.findElement(By.xpath("//header//button[text()='Log out']")).click();
            assertThat(d.manage().getCookieNamed(Sessions.COOKIE)).isNull();
            assertThat(ctx.db().query("SELECT hash FROM web_sessions", rs -> rs.getString(1))).isEmpty();
            d.get(s.uri() + "/ui/login?next=/ui/releases/stable");
            d.findElement(By.id("token")).sendKeys(testingOnly);
            d.findElement(By.id("login")).click();
            assertThat(d.findElements(By.name("rollback"))).isEmpty();
            assertThat(d.findElement(By.tagName("main")).getText()).contains("lacks channel:stable:write");
            String weakSession = Sessions.COOKIE + "=" + d.manage().getCookieNamed(Sessions.COOKIE).getValue();
            String weakCsrf = d.findElement(By.name("csrf")).getAttribute("value");
            HttpResponse<String> refused = post(http, s.uri() + "/ui/releases/stable/rollback", weakSession, null,
                    "csrf=" + URLEncoder.encode(weakCsrf, StandardCharsets.UTF_8) + "&version=2.0");
            assertThat(refused.statusCode()).isEqualTo(403);
            assertThat(refused.body()).contains("lacks scope channel:stable:write");
            assertThat(get(http, sums)).isEqualTo(WebTestPackages.sums(V1));
        }
    }

    private static String get(HttpClient http, String url) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(url + ": " + r.body()).isEqualTo(200);
        return r.body();
    }

    private static HttpResponse<String> post(HttpClient http, String url, String cookie, String origin, String form) throws Exception {
        HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(url)).header("Cookie", cookie)
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(form));
        if (origin != null) rb.header("Origin", origin);
        return http.send(rb.build(), HttpResponse.BodyHandlers.ofString());
    }
}

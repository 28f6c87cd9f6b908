package org.stageforge.server.web;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.server.Services;
import org.stageforge.server.binhost.Binhosts;
import org.stageforge.server.core.Server;
import org.stageforge.server.core.ServerConfig;
import org.stageforge.server.core.ServerContext;
import org.stageforge.server.snapshots.SnapshotPush;
import org.stageforge.server.snapshots.SnapshotStore;
import org.stageforge.snapshot.Snapshots;
import org.stageforge.snapshot.Webrsync;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard of {@code stageforge serve} (every module mounted) in a real headless chromium: home, snapshot,
 * binhost and package pages render (screenshots decoded and checked, key text in the DOM), signature states,
 * upload history and download links are right, hostile package metadata stays text, private binhosts stay hidden.
 */
class DashboardBrowserTest {
    static final String HOSTILE = "<script>document.title='pwned'</script><img src=x onerror=alert(1)>\"'&";

    @Test
    void binhostAndPackagePagesRenderAndEscapeMetadata(@TempDir Path tmp) throws Exception {
        WebTestPackages.Key key = WebTestPackages.key(tmp.resolve("key"), "Binhost <b@example.org>");
        Path local = tmp.resolve("local");
        Path signed = WebTestPackages.write(local, "app-misc", "hello-1.0", 3, "hello\n".repeat(500),
                Map.of("USE", "amd64 ssl", "RDEPEND", ">=dev-libs/openssl-3:0="), key.signing());
        Path hostile = WebTestPackages.write(local, "app-misc", "evil-2.0", 1, "evil\n",
                Map.of("USE", HOSTILE, "RDEPEND", HOSTILE, "LICENSE", HOSTILE), null);
        // a snapshot as `stageforge snapshot create` makes it, signed by the key the server trusts for snapshots
        Path snapKeys = Webrsync.key(tmp.resolve("snapkeys"), "Snapshots <s@example.org>");
        Snapshots.create(Webrsync.testRepo(tmp.resolve("repo")), null, new Snapshots.Options("gentoo", "20251202", null,
                OpenPgp.SigningKey.load(snapKeys.resolve("secret.asc"), null)), tmp.resolve("snapshots"), m -> {});
        // every module of `stageforge serve`, as Services mounts them
        try (Server s = Services.start(ServerConfig.of(tmp.resolve("data"), "127.0.0.1", 0));
             Browser b = new Browser(Chromium.start(tmp.resolve("profile")))) {
            ServerContext ctx = s.context();
            Binhosts binhosts = new Binhosts(ctx);
            binhosts.create("main", false, key.keyring(), false, 0);
            binhosts.create("secret", false, null, true, 0);
            new SnapshotStore(ctx).configure(snapKeys.resolve("public.asc"));
            assertThat(SnapshotPush.push(tmp.resolve("snapshots"), s.uri(), ctx.tokens().create("snap", List.of("snapshots:write")).secret())
                    .failures()).isEmpty();
            String token = ctx.tokens().create("ci", List.of("binhost:main:write")).secret();
            HttpClient http = HttpClient.newHttpClient();
            for (Path p : List.of(signed, hostile)) {
                String rel = local.relativize(p).toString();
                String cat = rel.substring(0, rel.indexOf('/'));
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(s.uri() + "/binhost/main/upload/" + cat + "/"
                        + p.getFileName())).header("Authorization", "Bearer " + token).PUT(HttpRequest.BodyPublishers.ofFile(p)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            }
            ChromeDriver d = b.driver();

            d.get(s.uri() + "/");
            assertThat(d.getCurrentUrl()).isEqualTo(s.uri() + "/ui/");
            assertThat(d.findElement(By.tagName("h1")).getText()).isEqualTo("Dashboard");
            assertThat(d.findElement(By.tagName("main")).getText()).contains("main").contains("2").contains("1 published snapshot(s)");
            // a private binhost is neither listed nor shown without a session whose token may read it
            assertThat(d.findElements(By.linkText("secret"))).isEmpty();
            assertThat(http.send(HttpRequest.newBuilder(URI.create(s.uri() + "/ui/binhost/secret")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
            assertRendered(d, tmp.resolve("home.png"));

            d.findElement(By.linkText("All snapshots")).click();
            assertThat(d.findElement(By.tagName("main")).getText()).contains("gentoo").contains("gentoo-20251202.tar.xz").contains("(latest)");
            assertThat(http.send(HttpRequest.newBuilder(URI.create(d.findElement(By.linkText("gentoo-20251202.tar.xz")).getAttribute("href")))
                    .build(), HttpResponse.BodyHandlers.ofByteArray()).body()).isEqualTo(java.nio.file.Files.readAllBytes(
                    tmp.resolve("snapshots/gentoo-20251202.tar.xz")));
            assertRendered(d, tmp.resolve("snapshots.png"));
            d.get(s.uri() + "/ui/");

            d.findElement(By.linkText("main")).click();
            assertThat(d.findElement(By.tagName("h1")).getText()).isEqualTo("Binhost main");
            String page = d.findElement(By.tagName("main")).getText();
            assertThat(page).contains("app-misc/hello-1.0").contains("app-misc/evil-2.0");
            // the signed package verifies against the binhost keyring, the other has no signature
            assertThat(d.findElement(By.xpath("//tr[td/a[text()='app-misc/hello-1.0']]")).getText()).contains("verified");
            assertThat(d.findElement(By.xpath("//tr[td/a[text()='app-misc/evil-2.0']]")).getText()).contains("unsigned");
            // upload history from the audit log: both uploads with their token
            assertThat(page).contains("binhost.upload").contains("main/app-misc/hello-1.0-3.gpkg.tar").contains("201 sha256");
            assertRendered(d, tmp.resolve("binhost.png"));

            d.findElement(By.linkText("app-misc/hello-1.0")).click();
            assertThat(d.findElement(By.tagName("h1")).getText()).isEqualTo("app-misc/hello-1.0 (build 3)");
            page = d.findElement(By.tagName("main")).getText();
            assertThat(page).contains("ssl").contains(">=dev-libs/openssl-3:0=").contains(sha256(signed));
            // the signer named once, though each signed member carries a signature
            assertThat(page.split(key.signing().keyId(), -1)).hasSize(2);
            assertThat(page).contains("verified against the binhost keyring: " + key.signing().keyId());
            String download = d.findElement(By.partialLinkText("Download")).getAttribute("href");
            assertThat(download).isEqualTo(s.uri() + "/binhost/main/app-misc/hello/hello-1.0-3.gpkg.tar");
            assertThat(http.send(HttpRequest.newBuilder(URI.create(download)).build(), HttpResponse.BodyHandlers.ofByteArray()).body())
                    .isEqualTo(java.nio.file.Files.readAllBytes(signed));
            assertRendered(d, tmp.resolve("package.png"));

            // hostile metadata is shown as text: no script ran, no element was injected
            d.get(s.uri() + "/ui/binhost/main/pkg/app-misc/evil/evil-2.0-1.gpkg.tar");
            assertThat(d.getTitle()).doesNotContain("pwned").contains("app-misc/evil-2.0");
            assertThat(d.findElements(By.tagName("script"))).isEmpty();
            assertThat(d.findElements(By.xpath("//img"))).isEmpty();
            assertThat(d.findElement(By.tagName("main")).getText()).contains(HOSTILE);
            String html = http.send(HttpRequest.newBuilder(URI.create(s.uri() + "/ui/binhost/main/pkg/app-misc/evil/evil-2.0-1.gpkg.tar"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(html).doesNotContain("<script").doesNotContain("<img")
                    .contains("&lt;script&gt;document.title&#x3D;&#39;pwned&#39;&lt;/script&gt;");
        }
    }

    /** Takes a screenshot (kept in target/dashboard-screenshots for a look) and checks that it shows a page. */
    static void assertRendered(ChromeDriver d, Path png) throws Exception {
        Path keep = java.nio.file.Files.createDirectories(Path.of("target", "dashboard-screenshots")).resolve(png.getFileName());
        Chromium.Ink ink = Chromium.ink(Chromium.screenshot(d, keep));
        assertThat(ink.colours()).as("distinct colours in " + png.getFileName()).isGreaterThan(8);
        assertThat(ink.share()).as("share of non-background pixels in " + png.getFileName()).isGreaterThan(0.01);
    }

    static String sha256(Path f) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(java.nio.file.Files.readAllBytes(f)));
    }

    /** Quits the browser however the test ends. */
    record Browser(ChromeDriver driver) implements AutoCloseable {
        /**
         * The element {@code by} once the page has it: a click that submits a form returns before the next page
         * is there, so what follows such a click waits for it (up to 20 s).
         */
        org.openqa.selenium.WebElement await(org.openqa.selenium.By by) throws InterruptedException {
            for (long end = System.nanoTime() + 20_000_000_000L; ; Thread.sleep(50)) {
                var found = driver.findElements(by);
                if (!found.isEmpty() || System.nanoTime() > end) return found.isEmpty() ? driver.findElement(by) : found.get(0);
            }
        }

        @Override
        public void close() {
            driver.quit();
        }
    }
}

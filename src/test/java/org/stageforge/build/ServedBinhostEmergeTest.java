package org.stageforge.build;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.server.binhost.BinhostPush;
import org.stageforge.server.binhost.BinhostResource;
import org.stageforge.server.binhost.Binhosts;
import org.stageforge.server.core.Server;
import org.stageforge.server.core.ServerConfig;
import org.stageforge.server.core.ServerContext;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real Portage as the binhost client: a package built by emerge is pushed to {@code stageforge serve}, then
 * {@code emerge --getbinpkgonly} in a fresh sandbox, with the server's own {@code binrepos.conf} and wget as
 * its fetch command (Portage's default), installs it from there and runs it.
 */
@Tag("emerge")
class ServedBinhostEmergeTest {
    @Test
    void emergeInstallsAPackagePushedToTheServedBinhost(@TempDir Path tmp) throws Exception {
        SeedRoot seed = TestSeed.root();
        TestEbuildRepo repo = TestEbuildRepo.create(tmp).program("hello", "1.0", "hello from the served binhost");
        Emerge.Result built = Emerge.run(repo.request(seed, tmp, "=app-misc/hello-1.0"), tmp.resolve("scratch"));
        assertThat(built.exit()).as(Files.readString(tmp.resolve("logs/emerge.log"))).isZero();
        Path gpkg = tmp.resolve("pkgdir/app-misc/hello/hello-1.0-1.gpkg.tar");

        ServerContext ctx = ServerContext.open(ServerConfig.of(tmp.resolve("data"), "127.0.0.1", 0), Clock.systemUTC());
        Binhosts binhosts = new Binhosts(ctx);
        binhosts.create("main", false, null, false, 0);
        try (Server server = Server.start(ctx, List.of(new BinhostResource(binhosts)))) {
            String token = ctx.tokens().create("ci", List.of("binhost:main:write")).secret();
            BinhostPush.Result pushed = BinhostPush.push(tmp.resolve("pkgdir"), server.uri(), "main", token, 1);
            assertThat(pushed.failures()).isEmpty();

            // a fresh machine: empty PKGDIR, nothing installed; the server's snippet as Portage's binrepos.conf
            Path base = Files.createDirectories(tmp.resolve("client"));
            Emerge.Request r = new Emerge.Request(seed, repo.dir, TestEbuildRepo.NAME, List.of(), repo.configRoot,
                    java.util.Map.of(), base.resolve("pkgdir"), base.resolve("distfiles"), base.resolve("logs"),
                    List.of("=app-misc/hello-1.0"), 1, false, true, null, List.of(), 1700000000L);
            Sandbox.Spec spec = Emerge.sandbox(r, base.resolve("scratch"));
            String conf = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.uri() + "/binhost/main/binrepos.conf"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(conf).isEqualTo("[main]\npriority = 10\nsync-uri = " + server.uri() + "/binhost/main\nverify-signature = false\n");
            Files.writeString(base.resolve("scratch/etc-portage/binrepos.conf"), conf);
            // the client needs the network (the seed's wget fetches from the server on loopback)
            Sandbox.Spec online = new Sandbox.Spec(spec.seed(), spec.scratch(), spec.binds(), spec.env(), true, spec.files());
            Path log = base.resolve("client.log");
            int exit = Sandbox.run(online, List.of("sh", "-c",
                    "emerge --getbinpkgonly --oneshot --color=n =app-misc/hello-1.0 && echo RUN: $(hello)"
                            + " && echo FETCHED: $(sha256sum < /var/cache/binhost/main/app-misc/hello/hello-1.0-1.gpkg.tar)"), log, false);
            String out = Files.readString(log);
            assertThat(exit).as(out).isZero();
            assertThat(out).contains(server.uri() + "/binhost/main/app-misc/hello/hello-1.0-1.gpkg.tar",
                    "RUN: hello from the served binhost");
            // what Portage downloaded (into its binhost cache) is byte for byte what was pushed
            assertThat(out).contains("FETCHED: " + sha256(gpkg) + " -\n");
        }
    }

    private static String sha256(Path f) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
    }
}

package org.stageforge.server.binhost;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.server.core.HttpRefusal;
import org.stageforge.server.core.ServerConfig;
import org.stageforge.server.core.ServerContext;
import org.stageforge.server.core.Tokens;
import org.stageforge.server.releases.Releases;
import org.stageforge.server.releases.TestReleases;
import org.stageforge.util.Hashes;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A published release's lock keeps the binhost packages it pins through the binhost's retention. */
class ReleaseLockRetentionTest {
    @Test
    void aPackageTheReleasesLockPinsOutlivesRetention(@TempDir Path tmp) throws Exception {
        ServerContext ctx = ServerContext.open(ServerConfig.of(tmp.resolve("data"), "127.0.0.1", 0), Clock.systemUTC());
        Binhosts binhosts = new Binhosts(ctx);
        BinhostSettings main = binhosts.create("main", false, null, false, 1);
        Path local = tmp.resolve("local");
        Path pinned = TestGpkgs.write(local, "app-misc", "p-1.0", 1, "pinned\n", null);
        Path other = TestGpkgs.write(local, "app-misc", "q-1.0", 1, "unpinned\n", null);
        upload(binhosts, main, pinned, "p-1.0-1.gpkg.tar");
        upload(binhosts, main, other, "q-1.0-1.gpkg.tar");
        String sha256 = Hashes.ofFile(pinned, "SHA-256");

        // the lock names p's build 1 on this server's binhost "main" (any host: the path says which binhost)
        String lock = """
                {"format":2,"binhosts":[{"url":"https://mirror.example/binhost/main/","sha512":"x"}],
                 "packages":[{"cpv":"app-misc/p-1.0","binhost":0,"path":"app-misc/p/p-1.0-1.gpkg.tar","size":1,
                              "sha512":"%s","buildId":1}]}
                """.formatted(Hashes.ofFile(pinned, "SHA-512"));
        byte[] lockBytes = lock.getBytes(StandardCharsets.UTF_8);
        TestReleases.Key key = TestReleases.key(tmp.resolve("key"), "signer");
        Releases releases = new Releases(ctx);
        releases.createChannel("stable", key.armored());
        Tokens.Token admin = ctx.tokens().verify(ctx.tokens().create("t", List.of("admin")).secret()).orElseThrow();

        // a lock that is not the one the signed manifest names is refused, nothing stored
        Path out = TestReleases.output(tmp.resolve("out"), "stage", "1.0",
                Map.of("stage-1.0.tar.zst", "root".getBytes(StandardCharsets.UTF_8)), key, TestReleases.sha256(lockBytes));
        String before = TestReleases.state(ctx, tmp.resolve("data"));
        byte[] wrongLock = lock.replace("\"format\":2", "\"format\":2 ").getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> releases.publish("stable", body(out, wrongLock), null, admin))
                .isInstanceOf(HttpRefusal.class).hasMessageContaining("the lock is not the one the manifest names");
        assertThat(TestReleases.state(ctx, tmp.resolve("data"))).isEqualTo(before);

        Releases.Published p = releases.publish("stable", body(out, lockBytes), null, admin);
        assertThat(p.created()).isTrue();
        assertThat(ctx.db().query("SELECT sha256 || ' ' || holder FROM retained_blobs", rs -> rs.getString(1)))
                .containsExactly(sha256 + " release/stable/1.0");
        assertThat(p.release().files()).doesNotContain(".lock");

        // newer builds of both packages: retention (keep 1) drops q's build 1 but keeps the pinned p build 1
        upload(binhosts, main, TestGpkgs.write(local, "app-misc", "p-1.0", 2, "newer\n", null), "p-1.0-2.gpkg.tar");
        upload(binhosts, main, TestGpkgs.write(local, "app-misc", "q-1.0", 2, "newer\n", null), "q-1.0-2.gpkg.tar");
        var files = ctx.views().manifest(ctx.views().current("binhost/main").orElseThrow()).files().keySet();
        assertThat(files).contains("app-misc/p/p-1.0-1.gpkg.tar", "app-misc/p/p-1.0-2.gpkg.tar", "app-misc/q/q-1.0-2.gpkg.tar")
                .doesNotContain("app-misc/q/q-1.0-1.gpkg.tar");

        // promoting the release retains the same blobs for the target channel's copy
        releases.createChannel("lts", key.armored());
        releases.promote("stable", "lts", "1.0", admin);
        assertThat(ctx.db().query("SELECT holder FROM retained_blobs WHERE sha256 = ? ORDER BY holder", rs -> rs.getString(1), sha256))
                .containsExactly("release/lts/1.0", "release/stable/1.0");
    }

    private static InputStream body(Path out, byte[] lock) throws Exception {
        return new ByteArrayInputStream(TestReleases.tar(out, Map.of(".lock", lock)));
    }

    private static void upload(Binhosts b, BinhostSettings s, Path file, String name) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            b.upload(s, Binhosts.uploadName("app-misc", name), in);
        }
    }
}

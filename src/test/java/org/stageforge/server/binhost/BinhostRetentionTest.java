package org.stageforge.server.binhost;

import org.stageforge.server.TestHttp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.index.PackagesEntry;
import org.stageforge.index.PackagesIndex;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.stageforge.server.binhost.BinhostServeTest.TestGpkgsHash.sha256;
import static org.stageforge.server.binhost.BinhostServeTest.assertRefused;
import static org.stageforge.server.TestHttp.curl;

/** Delete, and retention of the newest N builds per package version unless a holder retains the blob. */
class BinhostRetentionTest {
    @Test
    void deleteRemovesAPackageFromTheIndexAtomically(@TempDir Path tmp) throws Exception {
        Path local = tmp.resolve("local");
        Path a = TestGpkgs.write(local, "app-misc", "a-1", 1, "a\n", null);
        TestGpkgs.write(local, "app-misc", "b-1", 1, "b\n", null);
        try (TestServer s = new TestServer(tmp.resolve("data"), 1 << 20)) {
            s.binhosts.create("main", false, null, false, 0);
            String token = s.token("binhost:main:write");
            assertThat(BinhostPush.push(local, s.uri(), "main", token, 1).failures()).isEmpty();
            String url = s.url("/binhost/main/upload/app-misc/a-1-1.gpkg.tar");
            String before = s.state();

            assertRefused(curl(tmp, "-X", "DELETE", url), 401, "authentication required: Authorization: Bearer TOKEN");
            TestHttp.Answer forbidden = curl(tmp, "-X", "DELETE", "-H", "Authorization: Bearer " + s.token("binhost:main:read"), url);
            assertThat(forbidden.status()).isEqualTo(403);
            assertThat(forbidden.text()).endsWith(" lacks scope binhost:main:write\n");
            assertRefused(curl(tmp, "-X", "DELETE", "-H", "Authorization: Bearer " + token,
                    s.url("/binhost/main/upload/app-misc/c-1-1.gpkg.tar")), 404, "no package app-misc/c/c-1-1.gpkg.tar in binhost main");
            assertThat(s.state()).isEqualTo(before);

            TestHttp.Answer ok = curl(tmp, "-X", "DELETE", "-H", "Authorization: Bearer " + token, url);
            assertThat(ok.status()).isEqualTo(200);
            assertThat(ok.text()).isEqualTo("deleted app-misc/a/a-1-1.gpkg.tar\n");
            assertThat(paths(curl(tmp, s.url("/binhost/main/Packages")).body())).containsExactly("app-misc/b/b-1-1.gpkg.tar");
            assertThat(curl(tmp, s.url("/binhost/main/app-misc/a/a-1-1.gpkg.tar")).status()).isEqualTo(404);
            assertThat(Files.readString(s.data.resolve("audit.log"))).contains(
                    "\"action\":\"binhost.delete\",\"object\":\"main/app-misc/a-1-1.gpkg.tar\",\"result\":\"200 generation 4\"");
            // the blob stays: an older generation, or another view, may still name it
            assertThat(s.ctx.blobs().exists(sha256(Files.readAllBytes(a)))).isTrue();
            // and it can come back
            assertThat(curl(tmp, "-H", "Authorization: Bearer " + token, "-T", a.toString(), url).status()).isEqualTo(201);
            assertThat(paths(curl(tmp, s.url("/binhost/main/Packages")).body()))
                    .containsExactly("app-misc/a/a-1-1.gpkg.tar", "app-misc/b/b-1-1.gpkg.tar");
        }
    }

    @Test
    void retentionKeepsTheNewestBuildsAndEveryRetainedBlob(@TempDir Path tmp) throws Exception {
        Path local = tmp.resolve("local");
        Path[] builds = new Path[5];
        for (int i = 1; i <= 4; i++) builds[i] = TestGpkgs.write(local.resolve("b" + i), "app-misc", "hello-1.0", i, "build " + i + "\n", null);
        TestGpkgs.write(local.resolve("other"), "app-misc", "other-2", 7, "other\n", null);
        try (TestServer s = new TestServer(tmp.resolve("data"), 1 << 20)) {
            s.binhosts.create("main", false, null, false, 2);
            String token = s.token("binhost:main:write");
            assertThat(BinhostPush.push(local.resolve("other"), s.uri(), "main", token, 1).failures()).isEmpty();
            push(s, local, token, 1);
            push(s, local, token, 2);
            // a published release's lock holds build 1
            s.ctx.db().update("INSERT INTO retained_blobs (sha256, holder) VALUES (?, ?)",
                    sha256(Files.readAllBytes(builds[1])), "release/stable/1");
            push(s, local, token, 3);
            assertThat(paths(curl(tmp, s.url("/binhost/main/Packages")).body())).containsExactly(
                    "app-misc/hello/hello-1.0-1.gpkg.tar", "app-misc/hello/hello-1.0-2.gpkg.tar",
                    "app-misc/hello/hello-1.0-3.gpkg.tar", "app-misc/other/other-2-7.gpkg.tar");
            push(s, local, token, 4);
            assertThat(paths(curl(tmp, s.url("/binhost/main/Packages")).body())).containsExactly(
                    "app-misc/hello/hello-1.0-1.gpkg.tar", "app-misc/hello/hello-1.0-3.gpkg.tar",
                    "app-misc/hello/hello-1.0-4.gpkg.tar", "app-misc/other/other-2-7.gpkg.tar");
            assertThat(curl(tmp, s.url("/binhost/main/app-misc/hello/hello-1.0-2.gpkg.tar")).status()).isEqualTo(404);
            assertThat(curl(tmp, s.url("/binhost/main/app-misc/hello/hello-1.0-1.gpkg.tar")).body())
                    .isEqualTo(Files.readAllBytes(builds[1]));
            BinhostUploadTest.assertConsistent(s.uri().toString(), s.ctx.views(), 4);
        }
    }

    private static void push(TestServer s, Path local, String token, int build) throws Exception {
        assertThat(BinhostPush.push(local.resolve("b" + build), s.uri(), "main", token, 1).outcomes())
                .extracting(BinhostPush.Outcome::status).containsExactly(201);
    }

    private static List<String> paths(byte[] packages) {
        return PackagesIndex.parse("Packages", packages).entries().stream().map(PackagesEntry::path).sorted().toList();
    }
}

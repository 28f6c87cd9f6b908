package org.stageforge.server.snapshots;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.server.Services;
import org.stageforge.server.core.Server;
import org.stageforge.server.core.ServerConfig;
import org.stageforge.snapshot.Snapshots;
import org.stageforge.snapshot.Webrsync;
import org.stageforge.testutil.SourcePortage;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real client against {@code stageforge serve}: snapshots pushed with {@link SnapshotPush} are fetched and
 * verified by Portage's own {@code emerge-webrsync} (from ../shared/tools), by date ({@code --revert=DATE}) and as the
 * newest one (its date walk, run under faketime); {@code gentoo-latest.tar.xz…} serve the newest date.
 */
class SnapshotServeWebrsyncTest {
    @TempDir
    Path tmp;

    @Test
    void emergeWebrsyncSyncsPushedSnapshotsFromTheServer() throws Exception {
        // emerge-webrsync trusts the key of <infrastructure@gentoo.org> in PORTAGE_GPG_KEY, as it trusts Gentoo's
        Path keys = Webrsync.key(tmp.resolve("keys"), "Test Infra <infrastructure@gentoo.org>");
        Webrsync webrsync = Webrsync.setUp(tmp, keys.resolve("public.asc"));
        Path repo = webrsync.repo();
        OpenPgp.SigningKey key = OpenPgp.SigningKey.load(keys.resolve("secret.asc"), null);
        Path src = Webrsync.testRepo(tmp.resolve("src"));
        Path out = tmp.resolve("out");
        Snapshots.Created first = Snapshots.create(src, null, new Snapshots.Options("gentoo", "20251202", null, key), out, m -> {});
        Files.writeString(src.resolve("app-misc/hello/hello-1.0.ebuild"), "EAPI=8\nSLOT=0\n# the next day\n");
        Snapshots.Created second = Snapshots.create(src, null, new Snapshots.Options("gentoo", "20251203", null, key), out, m -> {});

        try (Server server = Services.start(ServerConfig.of(tmp.resolve("data"), "127.0.0.1", 0))) {
            SnapshotStore store = new SnapshotStore(server.context());
            store.configure(keys.resolve("public.asc"));
            String token = server.context().tokens().create("ci", List.of("snapshots:write")).secret();
            SnapshotPush.Result pushed = SnapshotPush.push(out, server.uri(), token);
            assertThat(pushed.failures()).isEmpty();
            assertThat(pushed.outcomes()).extracting(o -> o.tarball().getFileName().toString(), SnapshotPush.Outcome::status)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("gentoo-20251202.tar.xz", 201),
                            org.assertj.core.groups.Tuple.tuple("gentoo-20251203.tar.xz", 201));
            String mirror = server.uri().toString();

            SourcePortage.Result ok = webrsync.run(mirror, Map.of(), "--revert=20251202");
            assertThat(ok.rc()).as(ok.out()).isZero();
            assertThat(ok.out()).contains("Good signature from \"Test Infra <infrastructure@gentoo.org>\"");
            assertThat(repo.resolve("app-misc/hello/hello-1.0.ebuild")).hasContent("EAPI=8\nSLOT=0\n");
            assertThat(Files.isExecutable(repo.resolve("app-misc/hello/files/run.sh"))).isTrue();
            assertThat(Files.readString(repo.resolve("metadata/timestamp.x"))).startsWith("1764633600 ");

            // without --revert emerge-webrsync walks back from yesterday (by its clock) to the newest snapshot served
            SourcePortage.Result latest = webrsync.runAt("2025-12-05 12:00:00", mirror);
            assertThat(latest.rc()).as(latest.out()).isZero();
            assertThat(latest.out()).contains("Fetching file gentoo-20251203.tar.xz ...")
                    .contains("Good signature from \"Test Infra <infrastructure@gentoo.org>\"");
            assertThat(repo.resolve("app-misc/hello/hello-1.0.ebuild")).hasContent("EAPI=8\nSLOT=0\n# the next day\n");

            // the -latest names are the newest date's files; its .md5sum names the file it sits beside
            HttpClient http = HttpClient.newHttpClient();
            assertThat(get(http, mirror + "/snapshots/gentoo-latest.tar.xz")).isEqualTo(Files.readAllBytes(second.tarball()));
            assertThat(get(http, mirror + "/snapshots/gentoo-latest.tar.xz.gpgsig")).isEqualTo(Files.readAllBytes(second.signature()));
            String md5 = Files.readString(second.md5sum()).split(" ")[0];
            assertThat(new String(get(http, mirror + "/snapshots/gentoo-latest.tar.xz.md5sum"))).isEqualTo(md5 + "  gentoo-latest.tar.xz\n");
            assertThat(get(http, mirror + "/snapshots/gentoo-20251202.tar.xz.md5sum")).isEqualTo(Files.readAllBytes(first.md5sum()));
            assertThat(store.list("gentoo")).extracting(SnapshotStore.Snapshot::date).containsExactly("20251202", "20251203");
            assertThat(store.repos()).containsExactly("gentoo");
        }
    }

    private static byte[] get(HttpClient http, String url) throws Exception {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).as(url).isEqualTo(200);
        return r.body();
    }
}

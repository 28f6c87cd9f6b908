package org.stageforge.snapshot;

import org.stageforge.testutil.SourcePortage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.server.StaticServer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real client: Portage's own {@code emerge-webrsync --revert=DATE} (run from the source tarball in
 * STAGEFORGE_TOOLS, default ../shared/tools) fetches a snapshot made by {@link Snapshots#create} from a loopback HTTP
 * mirror, checks its .md5sum and .gpgsig with GnuPG, and syncs the repository; a signature by another key is refused.
 */
class WebrsyncClientTest {
    @TempDir
    Path tmp;

    @Test
    void emergeWebrsyncRevertSyncsOurSnapshotAndRefusesAnotherKey() throws Exception {
        // emerge-webrsync trusts the key of <infrastructure@gentoo.org> in PORTAGE_GPG_KEY, as it trusts Gentoo's
        Path keys = Webrsync.key(tmp.resolve("keys"), "Test Infra <infrastructure@gentoo.org>");
        Path other = Webrsync.key(tmp.resolve("other"), "Mallory <infrastructure@gentoo.org>");
        Webrsync webrsync = Webrsync.setUp(tmp, keys.resolve("public.asc"));
        Path repo = webrsync.repo();
        Path src = SnapshotsTest.repo(tmp.resolve("src"));
        Path mirror = tmp.resolve("mirror");
        Snapshots.Created c = Snapshots.create(src, null, new Snapshots.Options("gentoo", "20251202", null,
                OpenPgp.SigningKey.load(keys.resolve("secret.asc"), null)), mirror.resolve("snapshots"), m -> {});

        try (StaticServer srv = StaticServer.start(mirror, 0)) {
            SourcePortage.Result ok = webrsync.run(srv.uri().toString(), Map.of(), "--revert=20251202");
            assertThat(ok.rc()).as(ok.out()).isZero();
            assertThat(ok.out()).contains("Good signature from \"Test Infra <infrastructure@gentoo.org>\"");
            assertThat(repo.resolve("app-misc/hello/hello-1.0.ebuild")).hasSameTextualContentAs(src.resolve("app-misc/hello/hello-1.0.ebuild"));
            assertThat(repo.resolve("profiles/repo_name")).hasContent("gentoo");
            assertThat(Files.isExecutable(repo.resolve("app-misc/hello/files/run.sh"))).isTrue();
            assertThat(repo.resolve(".git")).doesNotExist();
            assertThat(Files.readString(repo.resolve("metadata/timestamp.x"))).startsWith(SnapshotsTest.MIDNIGHT + " ");

            // the same tarball signed by another key: emerge-webrsync refuses it and leaves the repository
            Snapshots.Created foreign = Snapshots.create(src, null, new Snapshots.Options("gentoo", "20251202", null,
                    OpenPgp.SigningKey.load(other.resolve("secret.asc"), null)), tmp.resolve("foreign"), m -> {});
            assertThat(Files.readAllBytes(foreign.tarball())).isEqualTo(Files.readAllBytes(c.tarball()));
            Files.copy(foreign.signature(), c.signature(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.writeString(src.resolve("app-misc/hello/hello-1.0.ebuild"), "EAPI=8\nSLOT=0\n# not synced\n");
            SourcePortage.Result bad = webrsync.run(srv.uri().toString(), Map.of(), "--revert=20251202");
            assertThat(bad.rc()).as(bad.out()).isNotZero();
            assertThat(bad.out()).contains("signature verification failed for 'gentoo-20251202.tar.xz'");
            assertThat(Files.readString(repo.resolve("app-misc/hello/hello-1.0.ebuild"))).isEqualTo("EAPI=8\nSLOT=0\n");
        }
    }
}

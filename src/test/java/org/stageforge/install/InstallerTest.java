package org.stageforge.install;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.archive.Compression;
import org.stageforge.binhost.BinhostWriter;
import org.stageforge.binpkg.FileTable;
import org.stageforge.binpkg.GpkgWriter;
import org.stageforge.resolve.ResolveRequest;
import org.stageforge.vdb.Vdb;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Installer on self-made data: the example repository's profile and binhosts built in the test. */
class InstallerTest {
    @TempDir
    Path tmp;

    private void pkg(String cat, String pf, String rdepend, String file) throws Exception {
        Path t = tmp.resolve("src").resolve(cat).resolve(pf);
        Path md = Files.createDirectories(t.resolve("metadata"));
        Map<String, String> m = Map.of("CATEGORY", cat, "PF", pf, "SLOT", "0", "EAPI", "8", "KEYWORDS", "amd64",
                "repository", "example", "USE", "amd64", "BUILD_TIME", "1700000000", "RDEPEND", rdepend);
        for (var e : m.entrySet()) if (!e.getValue().isEmpty()) Files.writeString(md.resolve(e.getKey()), e.getValue() + "\n");
        Path f = t.resolve("image").resolve(file);
        Files.createDirectories(f.getParent());
        Files.writeString(f, pf + "\n");
    }

    private Path config() throws Exception {
        Path etc = Files.createDirectories(tmp.resolve("cfg/etc/portage"));
        Path repo = Path.of("examples/repo").toAbsolutePath();
        Files.createDirectories(etc.resolve("repos.conf"));
        Files.writeString(etc.resolve("repos.conf/example.conf"), "[DEFAULT]\nmain-repo = example\n[example]\nlocation = " + repo + "\n");
        Files.writeString(etc.resolve("make.conf"), "ACCEPT_LICENSE=\"*\"\n");
        Files.createSymbolicLink(etc.resolve("make.profile"), repo.resolve("profiles/default/linux/amd64/example"));
        return tmp.resolve("cfg");
    }

    private Installer.Result install(Path cfg, String target) {
        return Installer.install(new Installer.Request(tmp.resolve("root"), cfg, List.of(tmp.resolve("bh").toString()),
                List.of(target), ResolveRequest.Options.DEFAULT, false, true, null, true,
                Map.of(), tmp.resolve("cache"), null, tmp.resolve("build")));
    }

    @Test
    void softBlockerRemovesTheBlockedInstalledPackageAfterTheMerge() throws Exception {
        pkg("app-misc", "old-1", "", "usr/bin/old");
        pkg("app-misc", "new-1", "!app-misc/old", "usr/bin/new");
        Path cfg = config();
        BinhostWriter.build(tmp.resolve("src"), tmp.resolve("bh"), new GpkgWriter.Options(Compression.ZSTD, 1_700_000_000L, null, FileTable.EMPTY), Map.of());

        install(cfg, "app-misc/old");
        assertThat(tmp.resolve("root/usr/bin/old")).hasContent("old-1");
        Installer.Result r = install(cfg, "app-misc/new");

        assertThat(r.plan().removals()).containsExactly("app-misc/old-1");
        assertThat(new java.util.TreeSet<>(Vdb.open(tmp.resolve("root")).cpvs())).containsExactly("app-misc/new-1");
        assertThat(tmp.resolve("root/usr/bin/old")).doesNotExist();
        assertThat(tmp.resolve("root/usr/bin/new")).hasContent("new-1");
        assertThat(Files.readString(tmp.resolve("root/var/lib/portage/world"))).isEqualTo("app-misc/new\napp-misc/old\n");
    }
}

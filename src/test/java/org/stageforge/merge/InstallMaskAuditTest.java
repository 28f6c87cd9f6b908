package org.stageforge.merge;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.vdb.ContentsEntry;
import org.stageforge.vdb.Vdb;
import org.stageforge.vdb.VdbEntry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class InstallMaskAuditTest {
    @TempDir
    Path tmp;

    @Test
    void checkNamesExactlyThePackagesTouchedByANewMaskAndPurgeMakesRootAndContentsAgree() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("root"));
        Path pkgs = tmp.resolve("pkgs");
        List<Path> files = List.of(
                TestPackages.xpak("sys-apps", "svc-1").dir("usr").dir("usr/lib").dir("usr/lib/systemd")
                        .dir("usr/lib/systemd/system").file("usr/lib/systemd/system/svc.service", "s")
                        .dir("usr/bin").file("usr/bin/svc", "b").write(pkgs),
                TestPackages.xpak("app-doc", "docs-1").dir("usr").dir("usr/share").dir("usr/share/doc")
                        .dir("usr/share/doc/docs-1").file("usr/share/doc/docs-1/README", "r").write(pkgs),
                TestPackages.xpak("app-misc", "plain-1").dir("usr").dir("usr/bin").file("usr/bin/plain", "p").write(pkgs));
        MergeEngine.merge(new MergeRequest(files.stream().map(p -> new MergeRequest.Item(p, null)).toList(),
                MergeOptions.defaults(root).withSync(false).withUnprivileged(true)));

        InstallMask systemd = InstallMask.parse("@systemd", InstallMaskSets.defaults());
        assertThat(InstallMaskAudit.check(root, systemd)).containsExactly(new InstallMaskAudit.Finding("sys-apps/svc-1",
                List.of("/usr/lib/systemd", "/usr/lib/systemd/system", "/usr/lib/systemd/system/svc.service")));
        InstallMask both = InstallMask.parse("@systemd @docs", InstallMaskSets.defaults());
        assertThat(InstallMaskAudit.check(root, both)).extracting(InstallMaskAudit.Finding::cpv)
                .containsExactly("app-doc/docs-1", "sys-apps/svc-1");

        InstallMaskAudit.purge(root, both);
        assertThat(InstallMaskAudit.check(root, both)).isEmpty();
        assertThat(root.resolve("usr/lib/systemd")).doesNotExist();
        assertThat(root.resolve("usr/share/doc")).doesNotExist();
        assertThat(root.resolve("usr/bin/svc")).exists();
        FileTable table = FileTable.load(root);
        assertThat(table.get("usr/lib/systemd/system/svc.service")).isNull();
        // every CONTENTS path exists on disk with its type, and every table entry is on disk
        for (VdbEntry e : Vdb.open(root).installed()) {
            for (ContentsEntry c : e.contents()) {
                Path p = root.resolve(c.path().substring(1));
                assertThat(Files.exists(p, LinkOption.NOFOLLOW_LINKS)).as(c.path()).isTrue();
                if (c.type() == ContentsEntry.Type.DIR) assertThat(p).isDirectory();
            }
        }
        for (Map.Entry<String, FileTable.Entry> t : table.entries().entrySet()) {
            assertThat(Files.exists(root.resolve(t.getKey()), LinkOption.NOFOLLOW_LINKS)).as(t.getKey()).isTrue();
        }
        assertThat(Vdb.open(root).get("app-doc/docs-1").orElseThrow().contents()).extracting(ContentsEntry::line)
                .containsExactly("dir /usr", "dir /usr/share");
        assertThat(Vdb.open(root).get("app-doc/docs-1").orElseThrow().file("metadata")).isPresent();
    }
}

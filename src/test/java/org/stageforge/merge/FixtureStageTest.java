package org.stageforge.merge;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.archive.Compression;
import org.stageforge.archive.TarEntry;
import org.stageforge.archive.TarLimits;
import org.stageforge.archive.TarReader;
import org.stageforge.pack.Packer;
import org.stageforge.testutil.Fixtures;
import org.stageforge.vdb.Vdb;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/** Whole-root scenarios on the real fixture binhost. */
class FixtureStageTest {
    @TempDir
    Path tmp;

    static final List<String[]> DBUS_WITH_DEPS = List.of(
            new String[]{"sys-apps/baselayout-2.13-r1", "1", "sys-apps/baselayout"},
            new String[]{"acct-group/messagebus-0-r2", "1", null},
            new String[]{"acct-user/messagebus-0-r2", "1", null},
            new String[]{"dev-libs/expat-2.5.0", "1", null},
            new String[]{"sys-apps/dbus-1.15.6", "2", "sys-apps/dbus"});

    static List<MergeRequest.Item> items(List<String[]> pkgs) throws IOException {
        Path binhost = Fixtures.require("binhost-xpak-amd64");
        List<MergeRequest.Item> out = new java.util.ArrayList<>();
        for (String[] p : pkgs) out.add(new MergeRequest.Item(XpakFixture.packageFile(binhost, p[0], p[1]), p[2]));
        return out;
    }

    Path install(String name, List<String[]> pkgs, InstallMask mask) throws IOException {
        Path root = Files.createDirectories(tmp.resolve(name));
        MergeEngine.merge(new MergeRequest(items(pkgs), MergeOptions.defaults(root).withSync(false)
                .withUnprivileged(true).withInstallMask(mask)));
        return root;
    }

    static Map<String, TarEntry> archive(Path file) throws IOException {
        Map<String, TarEntry> out = new HashMap<>();
        try (InputStream in = Compression.ZSTD.decompress(Files.newInputStream(file));
             TarReader tar = new TarReader(in, file.toString(), TarLimits.DEFAULT)) {
            TarEntry e;
            while ((e = tar.next()) != null) out.put(e.path(), e);
        }
        return out;
    }

    @Test
    void dbusWithDepsAsNormalUserHasMessagebusAndTheArchiveSaysSo() throws IOException {
        Path root = install("root", DBUS_WITH_DEPS, InstallMask.none());
        String group = Files.readString(root.resolve("etc/group"));
        String passwd = Files.readString(root.resolve("etc/passwd"));
        assertThat(group).containsPattern("(?m)^messagebus:x:101:$");
        assertThat(passwd).containsPattern("(?m)^messagebus:[x!]:101:101:[^:]*:/dev/null:/sbin/nologin$");
        assertThat(Vdb.open(root).cpvs()).hasSize(5);
        Path out = Packer.pack(root, tmp.resolve("stage.tar.zst"), 1_700_000_000L).archive();
        TarEntry helper = archive(out).get("./usr/libexec/dbus-daemon-launch-helper");
        assertThat(helper.gid()).isEqualTo(101);
        assertThat(helper.uid()).isZero();
        assertThat(helper.mode()).isEqualTo(04750);
        assertThat(archive(out)).doesNotContainKey("./var/lib/stageforge/").doesNotContainKey("./var/lib/stageforge/files.tsv");
    }

    @Test
    void twoInstallsPackToIdenticalBytes() throws IOException {
        Path a = install("a", DBUS_WITH_DEPS, InstallMask.none());
        Path b = install("b", DBUS_WITH_DEPS, InstallMask.none());
        long sde = Packer.sourceDateEpoch(a, java.util.OptionalLong.empty(), Map.of());
        assertThat(sde).isEqualTo(Packer.sourceDateEpoch(b, java.util.OptionalLong.empty(), Map.of())).isPositive();
        Path pa = Packer.pack(a, tmp.resolve("pa/stage.tar.zst"), sde).archive();
        Path pb = Packer.pack(b, tmp.resolve("pb/stage.tar.zst"), sde).archive();
        Map<String, TarEntry> ea = archive(pa), eb = archive(pb);
        for (String k : new TreeSet<>(ea.keySet())) assertThat(eb.get(k)).as(k).isEqualTo(ea.get(k));
        assertThat(eb.keySet()).isEqualTo(ea.keySet());
        assertThat(Files.readAllBytes(pa)).isEqualTo(Files.readAllBytes(pb));
    }

    @Test
    void purgeOfDbusMatchesPortagesMaskedInstall() throws IOException {
        Path caseDir = Fixtures.require("portage-expected/install/dbus-mask");
        List<String[]> dbus = List.<String[]>of(new String[]{"sys-apps/dbus-1.15.6", "2", "sys-apps/dbus"});
        Path root = install("root", dbus, InstallMask.none());
        InstallMask mask = InstallMask.parse("/usr/share/doc /usr/lib/systemd", InstallMaskSets.defaults());
        List<InstallMaskAudit.Finding> f = InstallMaskAudit.check(root, mask);
        assertThat(f).extracting(InstallMaskAudit.Finding::cpv).containsExactly("sys-apps/dbus-1.15.6");
        InstallMaskAudit.purge(root, mask);
        Set<String> want = new TreeSet<>(Files.readAllLines(caseDir.resolve("vdb/sys-apps/dbus-1.15.6/CONTENTS")));
        Set<String> got = new TreeSet<>(Files.readAllLines(root.resolve("var/db/pkg/sys-apps/dbus-1.15.6/CONTENTS")));
        assertThat(got).isEqualTo(want);
        assertThat(f.get(0).paths()).hasSize(Files.readAllLines(caseDir.resolve("../config-protect/dbus-mask.diff"))
                .stream().filter(l -> l.startsWith("< ")).toList().size());
        assertThat(InstallMaskAudit.check(root, mask)).isEmpty();
        assertThat(root.resolve("usr/share/doc")).doesNotExist();
        assertThat(root.resolve("usr/lib/systemd")).doesNotExist();
    }

    @Test
    void systemdSetLeavesNothingUnderItsDirectories() throws IOException {
        InstallMask mask = InstallMask.parse("@systemd", InstallMaskSets.defaults());
        Path root = install("root", DBUS_WITH_DEPS, mask);
        List<String> setDirs = InstallMaskSets.defaults().tokens("systemd").orElseThrow();
        assertThat(InstallMaskAudit.check(root, mask)).isEmpty();
        for (String d : setDirs) {
            if (d.contains("*")) continue;
            assertThat(root.resolve(d.substring(1))).as(d).doesNotExist();
        }
        assertThat(Files.readString(root.resolve("var/db/pkg/sys-apps/dbus-1.15.6/CONTENTS"))).doesNotContain("systemd/");
    }
}

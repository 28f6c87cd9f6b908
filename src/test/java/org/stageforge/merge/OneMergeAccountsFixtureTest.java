package org.stageforge.merge;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.stageforge.install.Installer;
import org.stageforge.resolve.PlannedPackage;
import org.stageforge.testutil.Fixtures;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Account packages and baselayout in ONE install with phases: Portage needed a separate {@code USE=build} step for
 * baselayout (its acct-group packages merge first and baselayout's pkg_postinst then skips the existing group file);
 * stageforge must give the same passwd/group as Portage's two-step {@code phases} case in one go.
 */
class OneMergeAccountsFixtureTest {

    private static Installer.Result install(Path tmp, List<String> targets, boolean unprivileged) throws IOException {
        Path caseDir = Fixtures.require("portage-expected/install/phases");
        Path binhost = Fixtures.require("binhost-xpak-amd64");
        Path root = tmp.resolve("root");
        Path cfg = PortageInstallFixtureTest.configRoot(caseDir, tmp.resolve("config-root"));
        return Installer.install(new Installer.Request(root, cfg, List.of(binhost.toString()), targets, null, false,
                false, null, unprivileged, Map.of("SOURCE_DATE_EPOCH", "1700000000"), tmp.resolve("cache"), null,
                tmp.resolve("build")));
    }

    @ParameterizedTest(name = "unprivileged={0}")
    @ValueSource(booleans = {true, false})
    void baselayoutAndMessagebusInOneMergeGivePortagesAccounts(boolean unprivileged, @TempDir Path tmp)
            throws IOException {
        Installer.Result r = install(tmp, List.of("acct-user/messagebus", "sys-apps/baselayout"), unprivileged);
        List<String> order = r.plan().packages().stream().map(PlannedPackage::cpv).map(Object::toString).toList();
        assertThat(order).containsExactly("sys-apps/baselayout-2.13-r1", "acct-group/messagebus-0-r2",
                "acct-user/messagebus-0-r2");
        Map<String, String> want = RootManifest.read(
                Fixtures.require("portage-expected/install/phases").resolve("manifest.tsv"));
        Map<String, String> got = RootManifest.of(tmp.resolve("root"), PortageInstallFixtureTest.MANIFEST_EXCLUDES);
        for (String f : List.of("etc/passwd", "etc/group")) {
            assertThat(got.get(f)).as(f).isEqualTo(want.get(f));
        }
        assertThat(r.merge().skippedPhases()).isEmpty();
    }

    /** acct-user/nobody's home is owned by root: the root account comes from baselayout's pkg_postinst. */
    @Test
    void nobodyFindsRootInPasswd(@TempDir Path tmp) throws IOException {
        install(tmp, List.of("sys-apps/baselayout", "acct-user/nobody"), true);
        String passwd = Files.readString(tmp.resolve("root/etc/passwd"));
        assertThat(passwd).startsWith("root:x:0:0:").contains("\nnobody:x:65534:65534:");
        assertThat(Files.readString(tmp.resolve("root/etc/group"))).containsPattern("(?m)^nobody:[^:]*:65534:");
    }
}

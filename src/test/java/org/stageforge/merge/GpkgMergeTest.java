package org.stageforge.merge;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.testutil.Fixtures;
import org.stageforge.vdb.ContentsEntry;
import org.stageforge.vdb.Vdb;
import org.stageforge.vdb.VdbEntry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * GPKGs that real Portage made with quickpkg from packages installed from the XPAK binhost merge to the same files
 * and CONTENTS (mtimes aside: quickpkg stores the installed files' mtimes) as the XPAKs they came from.
 */
class GpkgMergeTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @CsvSource({"app-arch/zstd-1.5.5,app-arch/zstd/zstd-1.5.5-1.gpkg.tar,1", "dev-libs/expat-2.5.0,dev-libs/expat/expat-2.5.0-1.gpkg.tar,1",
            "sys-libs/zlib-1.2.13-r1,sys-libs/zlib/zlib-1.2.13-r1-1.gpkg.tar,1",
            "app-shells/bash-5.1_p16-r6,app-shells/bash/bash-5.1_p16-r6-1.gpkg.tar,1"})
    void gpkgAndXpakMergeAlike(String cpv, String gpkgPath, String buildId) throws IOException {
        Path gpkg = Fixtures.require("portage-made-gpkg/quickpkg/" + gpkgPath);
        Path xpak = XpakFixture.packageFile(Fixtures.require("binhost-xpak-amd64"), cpv, buildId);
        Path a = install("gpkg", gpkg), b = install("xpak", xpak);
        VdbEntry ea = Vdb.open(a).get(cpv).orElseThrow(), eb = Vdb.open(b).get(cpv).orElseThrow();
        assertThat(lines(ea)).isEqualTo(lines(eb));
        assertThat(RootManifest.of(a, PortageInstallFixtureTest.MANIFEST_EXCLUDES))
                .isEqualTo(RootManifest.of(b, PortageInstallFixtureTest.MANIFEST_EXCLUDES));
        for (ContentsEntry c : ea.contents()) {
            if (c.type() == ContentsEntry.Type.OBJ) {
                assertThat(MergeEngine.md5Hex(a.resolve(c.path().substring(1)))).as(c.path()).isEqualTo(c.md5());
            }
        }
        assertThat(ea.binpkgMd5()).hasValue(MergeEngine.md5Hex(gpkg));
    }

    Path install(String name, Path pkg) throws IOException {
        Path root = Files.createDirectories(tmp.resolve(name));
        MergeEngine.merge(new MergeRequest(List.of(new MergeRequest.Item(pkg, null)),
                MergeOptions.defaults(root).withSync(false).withUnprivileged(true)));
        return root;
    }

    static Set<String> lines(VdbEntry e) {
        Set<String> out = new TreeSet<>();
        for (ContentsEntry c : e.contents()) {
            boolean timed = c.type() == ContentsEntry.Type.OBJ || c.type() == ContentsEntry.Type.SYM;
            out.add(timed ? c.line().replaceFirst(" \\d+$", "") : c.line());
        }
        return out;
    }
}

package org.stageforge.resolve;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.profile.PortageConfig;
import org.stageforge.testutil.Fixtures;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Source resolution over the real md5-cache entries and profiles of fixtures/gentoo-repo, next to the
 * real (2023, profile 17.1) binhost-xpak-amd64.
 */
class SourceResolveFixtureTest {
    @TempDir
    Path tmp;

    private static final List<String> TARGETS = List.of("acct-user/portage", "app-arch/gzip", "sys-apps/baselayout",
            "app-arch/zstd");

    private ResolvePlan resolve(Map<String, String> env) {
        Path repo = Fixtures.require("gentoo-repo");
        PortageConfig config = PortageConfig.forProfile(repo, "default/linux/amd64/23.0", env);
        Binhost bh = Binhost.load(Fixtures.require("binhost-xpak-amd64").toString(), tmp.resolve("cache"));
        return Resolver.resolve(ResolveRequest.of(config, List.of(bh), TARGETS, null)
                .withRepositories(List.of(EbuildRepository.at(repo, 0))));
    }

    private static List<String> plan(ResolvePlan p) {
        return p.packages().stream().map(x -> x.display() + (x.fromSource() ? " ebuild" : " binary")).toList();
    }

    @Test
    void newerEbuildsAreBuiltAndBinariesFillWhatNoVisibleEbuildHas() {
        ResolvePlan p = resolve(Map.of("USE", "-zlib"));
        // the binhost's acct-group/portage-0-r1, acct-user/portage-0-r2 and zstd-1.5.5 are older than the
        // ebuilds; xz-utils-5.8.3 is ~amd64, so the binary 5.4.3 (built with the configured USE) is taken
        assertThat(plan(p)).containsExactly(
                "sys-apps/baselayout-2.17::gentoo ebuild",
                "app-arch/xz-utils-5.4.3::gentoo binary",
                "acct-group/portage-0-r2::gentoo ebuild",
                "acct-group/jobserver-0::gentoo ebuild",
                "acct-user/portage-0-r4::gentoo ebuild",
                "app-arch/zstd-1.5.7-r1::gentoo ebuild",
                "app-arch/gzip-1.14::gentoo ebuild",
                "app-alternatives/gzip-1::gentoo ebuild");
        PlannedPackage zstd = p.packages().get(5);
        // IUSE default +lzma, USE=-zlib from the environment over the profile's zlib, the profile's ABI_X86=64
        assertThat(zstd.use()).contains("lzma", "abi_x86_64").doesNotContain("zlib", "lz4");
        // 23.0 is merged-usr: split-usr is masked for baselayout and the alternatives
        assertThat(p.packages().get(0).use()).doesNotContain("split-usr");
        assertThat(p.packages().get(7).use()).contains("reference").doesNotContain("split-usr", "pigz");
    }

    @Test
    void acceptingTestingKeywordsBuildsTheNewerXzUtils() {
        ResolvePlan p = resolve(Map.of("USE", "-zlib", "ACCEPT_KEYWORDS", "amd64 ~amd64"));
        assertThat(plan(p)).contains("app-arch/xz-utils-5.8.3::gentoo ebuild").allMatch(s -> s.endsWith(" ebuild"));
    }
}

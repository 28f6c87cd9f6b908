package org.stageforge.profile;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.stageforge.atom.Cpv;
import org.stageforge.testutil.Fixtures;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Per-package evaluation of real md5-cache entries under default/linux/amd64/23.0/systemd, with
 * outcomes that follow from the real profile files (cited in each assertion).
 */
class PackageFixtureTest {
    static PortageConfig systemd;
    static Path cache;

    @BeforeAll
    static void load() {
        Path repo = Fixtures.require("gentoo-repo");
        cache = repo.resolve("metadata/md5-cache");
        systemd = PortageConfig.forProfile(repo, "default/linux/amd64/23.0/systemd", Map.of());
    }

    private static Map<String, String> meta(String cpv) throws IOException {
        Map<String, String> m = new HashMap<>();
        for (String l : Files.readAllLines(cache.resolve(cpv))) {
            int eq = l.indexOf('=');
            if (eq > 0) m.put(l.substring(0, eq), l.substring(eq + 1));
        }
        return m;
    }

    private static Set<String> use(String cpv) throws IOException {
        Map<String, String> m = meta(cpv);
        return systemd.effectiveUse(Cpv.parse(cpv), m.get("SLOT").split("/")[0], "gentoo",
                List.of(m.get("IUSE").split(" ")), List.of(m.get("KEYWORDS").split(" ")));
    }

    @Test
    void systemd() throws IOException {
        Cpv p = Cpv.parse("sys-apps/systemd-260.1-r2");
        Map<String, String> m = meta(p.toString());
        List<String> kw = List.of(m.get("KEYWORDS").split(" "));
        assertThat(systemd.isKeywordVisible(p, "0", "gentoo", kw)).isTrue();
        assertThat(systemd.isStable(p, "0", "gentoo", kw)).isTrue();
        Set<String> u = use(p.toString());
        // targets/systemd/package.use: sys-apps/systemd sysv-utils; IUSE defaults +kmod +openssl
        assertThat(u).contains("sysv-utils", "kmod", "openssl", "amd64", "elibc_glibc", "kernel_linux")
                // profile USE has no selinux/test; IUSE without + stays off
                .doesNotContain("selinux", "test", "apparmor");
        // arch/base masks boot/ukify for systemd, arch/amd64 unmasks them again
        assertThat(systemd.useMask(p, "0", "gentoo", kw)).doesNotContain("boot", "ukify").contains("selinux");
        assertThat(systemd.acceptsLicense(p, "0", "gentoo", m.get("LICENSE"), u)).isTrue();
        assertThat(systemd.maskReason(p, "0", "gentoo")).isNull();
    }

    @Test
    void gccAndUtilLinux() throws IOException {
        Cpv gcc = Cpv.parse("sys-devel/gcc-15.3.0");
        Map<String, String> m = meta(gcc.toString());
        List<String> kw = List.of(m.get("KEYWORDS").split(" "));
        // only ~amd64: not visible with ACCEPT_KEYWORDS=amd64, and not "stable" for use.stable.*
        assertThat(systemd.missingKeywords(gcc, "15", "gentoo", kw)).contains("~amd64");
        assertThat(systemd.isStable(gcc, "15", "gentoo", kw)).isFalse();
        // base/package.use.force: sys-devel/gcc cxx
        assertThat(systemd.useForce(gcc, "15", "gentoo", kw)).contains("cxx");
        assertThat(use(gcc.toString())).contains("cxx", "nls", "fortran", "multilib");
        assertThat(systemd.acceptsLicense(gcc, "15", "gentoo", m.get("LICENSE"), Set.of())).isTrue();
        // base/package.use.force: sys-apps/util-linux unicode
        assertThat(use("sys-apps/util-linux-2.42.2")).contains("unicode", "readline", "su");
    }
}

package org.stageforge.profile;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.atom.Cpv;
import org.stageforge.testutil.Fixtures;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The configuration real Portage ran the install cases with (portage-expected/install/nodeps). */
class InstallConfigRootTest {
    @TempDir
    Path tmp;

    @Test
    void nodepsConfigRoot() throws IOException {
        Path install = Fixtures.require("portage-expected/install");
        Path etc = Files.createDirectories(tmp.resolve("etc/portage"));
        Path src = install.resolve("nodeps/config-root/etc/portage");
        try (Stream<Path> s = Files.list(src)) {
            for (Path f : s.toList()) Files.copy(f, etc.resolve(f.getFileName()));
        }
        String target = Files.readString(src.resolve("make.profile.target")).strip();
        Path repo = install.resolve("profile-repo");
        Files.createSymbolicLink(etc.resolve("make.profile"), repo.resolve(target));
        Files.writeString(etc.resolve("repos.conf"), "[DEFAULT]\nmain-repo = gentoo\n[gentoo]\nlocation = " + repo + "\n");

        PortageConfig c = PortageConfig.load(tmp, Map.of());
        assertThat(c.chain()).containsExactly("default/linux/amd64/oracle");
        assertThat(c.use()).containsExactly("abi_x86_64", "amd64", "elibc_glibc", "kernel_linux");
        assertThat(List.of(c.get("FEATURES").split(" "))).contains("preserve-libs", "ipc-sandbox")
                .doesNotContain("sandbox", "usersandbox", "userpriv", "news", "pkgdir-index-trusted");
        assertThat(c.get("ACCEPT_LICENSE")).isEqualTo("*");
        assertThat(c.get("CONFIG_PROTECT")).isEqualTo("/etc /usr/share/gnupg/qualified.txt");
        // package.accept_keywords: sys-apps/systemd ** accepts even empty KEYWORDS
        assertThat(c.isKeywordVisible(Cpv.parse("sys-apps/systemd-257"), "0", "gentoo", List.of())).isTrue();
        assertThat(c.isKeywordVisible(Cpv.parse("sys-apps/dbus-1.16"), "0", "gentoo", List.of("~amd64"))).isFalse();
        assertThat(c.acceptsLicense(Cpv.parse("sys-apps/dbus-1.16"), "0", "gentoo", "|| ( AFL-2.1 GPL-2 )", java.util.Set.of()))
                .isTrue();
    }
}

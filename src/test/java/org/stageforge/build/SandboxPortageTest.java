package org.stageforge.build;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.StageforgeException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The sandbox's /etc/portage as written from a config root (no sandbox run needed). */
class SandboxPortageTest {
    private static Emerge.Request request(Path seed, Path repo, List<SandboxPortage.Repo> overlays, Path cfg, Map<String, String> mc,
                                          Path ccache, List<String> distcc) {
        return new Emerge.Request(new SeedRoot(seed, "test", true), repo, "main", overlays, cfg, mc, Path.of("p"),
                Path.of("d"), Path.of("l"), List.of("=app-misc/a-1"), 2, false, false, ccache, distcc, 0);
    }

    private static Path repo(Path dir, String name) throws Exception {
        Files.createDirectories(dir.resolve("profiles/base"));
        Files.writeString(dir.resolve("profiles/repo_name"), name + "\n");
        return dir;
    }

    @Test
    void profileReposMakeConfAndPackageFiles(@TempDir Path tmp) throws Exception {
        Path main = repo(tmp.resolve("main"), "main");
        Path ovl = Files.createDirectories(tmp.resolve("ovl/metadata"));
        Files.writeString(ovl.resolve("layout.conf"), "masters = main\nrepo-name = extra\n");
        Path cfg = Files.createDirectories(tmp.resolve("cfg/etc/portage/package.use"));
        Files.writeString(cfg.resolve("stageforge"), "app-misc/a foo\n");
        Files.createSymbolicLink(tmp.resolve("cfg/etc/portage/make.profile"), main.resolve("profiles/base"));
        Path seed = Files.createDirectories(tmp.resolve("seed"));
        Path out = tmp.resolve("etc-portage");

        List<Sandbox.Bind> binds = SandboxPortage.write(request(seed, main, List.of(new SandboxPortage.Repo("extra", tmp.resolve("ovl"), 5)), tmp.resolve("cfg"),
                Map.of("CFLAGS", "-O2 \"x\"", "FEATURES", "parallel-install", "ACCEPT_LICENSE", "-* @FREE"),
                tmp.resolve("ccache"), List.of("10.0.0.1", "10.0.0.2/4")), out);

        assertThat(binds).containsExactly(new Sandbox.Bind(main, "/var/db/repos/main", false),
                new Sandbox.Bind(tmp.resolve("ovl"), "/var/db/repos/extra", false),
                new Sandbox.Bind(tmp.resolve("cfg"), "/var/lib/stageforge/config", false));
        assertThat(Files.readSymbolicLink(out.resolve("make.profile")).toString()).isEqualTo("/var/db/repos/main/profiles/base");
        assertThat(Files.readString(out.resolve("repos.conf/stageforge.conf"))).isEqualTo(
                "[DEFAULT]\nmain-repo = main\n\n[main]\nlocation = /var/db/repos/main\n\n[extra]\nlocation = /var/db/repos/extra\npriority = 5\n");
        assertThat(Files.readString(out.resolve("package.use/stageforge"))).isEqualTo("app-misc/a foo\n");
        String mc = Files.readString(out.resolve("make.conf"));
        assertThat(mc).contains("CFLAGS=\"-O2 \\\"x\\\"\"\n", "ACCEPT_LICENSE=\"-* @FREE\"\n",
                "FEATURES=\"parallel-install -userpriv -userfetch -usersync -ipc-sandbox -network-sandbox -pid-sandbox"
                        + " -mount-sandbox -news -compress-build-logs -split-log -sandbox -usersandbox buildpkg"
                        + " binpkg-multi-instance ccache distcc\"\n",
                "CCACHE_DIR=\"/var/cache/ccache\"\n", "DISTCC_HOSTS=\"10.0.0.1 10.0.0.2/4\"\n",
                "PORTAGE_USERNAME=\"root\"\n", "PORTAGE_GRPNAME=\"root\"\n", "BINPKG_FORMAT=\"gpkg\"\n",
                "PKGDIR=\"/var/cache/binpkgs\"\n", "DISTDIR=\"/var/cache/distfiles\"\n", "PORT_LOGDIR=\"/var/log/portage\"\n",
                "PORTAGE_LOGDIR_CLEAN=\"\"\n", "PORTAGE_TMPDIR=\"/var/tmp\"\n");

        // a seed with Gentoo's sandbox keeps it; no ccache/distcc, no license setting: defaults
        Files.createDirectories(seed.resolve("usr/bin"));
        Files.writeString(seed.resolve("usr/bin/sandbox"), "");
        seed.resolve("usr/bin/sandbox").toFile().setExecutable(true);
        SandboxPortage.write(request(seed, main, List.of(), tmp.resolve("cfg"), Map.of(), null, List.of()), out);
        mc = Files.readString(out.resolve("make.conf"));
        assertThat(mc).contains("ACCEPT_LICENSE=\"*\"\n", "FEATURES=\"-userpriv -userfetch -usersync -ipc-sandbox"
                + " -network-sandbox -pid-sandbox -mount-sandbox -news -compress-build-logs -split-log buildpkg"
                + " binpkg-multi-instance\"\n").doesNotContain("CCACHE_DIR", "DISTCC_HOSTS");
    }

    @Test
    void aStageProfileNodeIsCopiedWithItsParentsTranslated(@TempDir Path tmp) throws Exception {
        Path main = repo(tmp.resolve("main"), "main");
        Path cfg = tmp.resolve("cfg");
        Files.createDirectories(cfg.resolve("etc/portage"));
        Files.createDirectories(cfg.resolve("mixins/local"));
        Files.createDirectories(cfg.resolve("stage-profile"));
        Files.writeString(cfg.resolve("stage-profile/parent"), main.resolve("profiles/base") + "\n"
                + cfg.resolve("mixins/local") + "\n");
        Files.writeString(cfg.resolve("stage-profile/eapi"), "8\n");
        Files.createSymbolicLink(cfg.resolve("etc/portage/make.profile"), cfg.resolve("stage-profile"));
        Path out = tmp.resolve("etc-portage");
        SandboxPortage.write(request(Files.createDirectories(tmp.resolve("seed")), main, List.of(), cfg, Map.of(), null,
                List.of()), out);
        assertThat(Files.readString(out.resolve("make.profile/parent")))
                .isEqualTo("/var/db/repos/main/profiles/base\n/var/lib/stageforge/config/mixins/local\n");
        assertThat(Files.readString(out.resolve("make.profile/eapi"))).isEqualTo("8\n");
    }

    @Test
    void badRepositoriesAreRefused(@TempDir Path tmp) throws Exception {
        Path main = repo(tmp.resolve("main"), "main");
        Path twin = repo(tmp.resolve("twin"), "main");
        Path cfg = Files.createDirectories(tmp.resolve("cfg/etc/portage"));
        Files.createSymbolicLink(cfg.resolve("make.profile"), tmp.resolve("elsewhere/profiles/x"));
        Path seed = Files.createDirectories(tmp.resolve("seed"));
        assertThatThrownBy(() -> SandboxPortage.write(request(seed, main, List.of(new SandboxPortage.Repo("main", twin, 0)), tmp.resolve("cfg"), Map.of(), null,
                List.of()), tmp.resolve("o"))).isInstanceOf(StageforgeException.class).hasMessageContaining("both named 'main'");
        assertThatThrownBy(() -> SandboxPortage.write(request(seed, main, List.of(), tmp.resolve("cfg"), Map.of(), null,
                List.of()), tmp.resolve("o"))).isInstanceOf(StageforgeException.class)
                .hasMessageContaining("outside the build's repositories");
        Path other = repo(tmp.resolve("other"), "other");
        assertThatThrownBy(() -> SandboxPortage.write(request(seed, main, List.of(new SandboxPortage.Repo("../x", other, 0)),
                tmp.resolve("cfg"), Map.of(), null, List.of()), tmp.resolve("o"))).isInstanceOf(StageforgeException.class)
                .hasMessageContaining("bad name '../x'");
    }
}

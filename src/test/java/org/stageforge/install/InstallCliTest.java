package org.stageforge.install;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.cli.Main;
import org.stageforge.merge.PortageInstallFixtureTest;
import org.stageforge.testutil.Fixtures;
import org.stageforge.vdb.Vdb;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code stageforge install} as the acceptance drives it: the same config root Portage was run with. */
class InstallCliTest {
    @TempDir
    Path tmp;

    private record Run(int code, String out, String err) {}

    private static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private Path config(String fixtureCase) throws Exception {
        return PortageInstallFixtureTest.configRoot(Fixtures.require("portage-expected/install/" + fixtureCase),
                tmp.resolve("cfg-" + fixtureCase));
    }

    @Test
    void nodepsCaseGivesPortagesPackagesAndWorldFile() throws Exception {
        Path cfg = config("nodeps");
        Path binhost = Fixtures.require("binhost-xpak-amd64");
        Path caseDir = Fixtures.require("portage-expected/install/nodeps");
        String[] targets = Files.readString(caseDir.resolve("emerge-args.txt")).strip()
                .replace("--usepkgonly --nodeps ", "").split(" ");
        Path root = tmp.resolve("root");

        List<String> args = new ArrayList<>(List.of("install", "--root", root.toString(), "--config-root", cfg.toString(),
                "--binhost", binhost.toString(), "--cache-dir", tmp.resolve("cache").toString(), "--pretend", "--nodeps"));
        args.addAll(List.of(targets));
        Run pretend = cli(args.toArray(String[]::new));
        assertThat(pretend.code()).as(pretend.err()).isZero();
        assertThat(pretend.out()).contains("[binary  N     ] sys-apps/baselayout-2.13-r1", "Total: 7 packages");
        assertThat(root).doesNotExist();

        args.remove("--pretend");
        args.add(args.indexOf("--nodeps"), "--build-dir");
        args.add(args.indexOf("--nodeps"), tmp.resolve("build").toString());
        Run run = cli(args.toArray(String[]::new));
        assertThat(run.code()).as(run.err()).isZero();
        TreeSet<String> want = new TreeSet<>();
        try (var cats = Files.list(caseDir.resolve("vdb"))) {
            for (Path c : cats.toList()) {
                try (var pkgs = Files.list(c)) {
                    pkgs.forEach(p -> want.add(c.getFileName() + "/" + p.getFileName()));
                }
            }
        }
        assertThat(new TreeSet<>(Vdb.open(root).cpvs())).isEqualTo(want);
        assertThat(Files.readString(root.resolve("var/lib/portage/world")))
                .isEqualTo(Files.readString(caseDir.resolve("var/lib/portage/world")));
        // phases ran: baselayout's pkg_preinst made the merged-usr layout
        assertThat(Files.readSymbolicLink(root.resolve("lib"))).isEqualTo(Path.of("usr/lib"));
    }

    @Test
    void environmentOverridesMakeConfInstallMask() throws Exception {
        Path cfg = config("dbus-nomask");
        Path root = tmp.resolve("root");
        Installer.install(new Installer.Request(root, cfg, List.of(Fixtures.require("binhost-xpak-amd64").toString()),
                List.of("sys-apps/dbus"), new org.stageforge.resolve.ResolveRequest.Options(true, true, false, false),
                false, true, null, true, Map.of("INSTALL_MASK", "/usr/share/doc /usr/lib/systemd"),
                tmp.resolve("cache"), null, tmp.resolve("build")));
        assertThat(root.resolve("usr/share/doc")).doesNotExist();
        assertThat(root.resolve("usr/lib/systemd")).doesNotExist();
        assertThat(root.resolve("usr/bin/dbus-daemon")).exists();
        String contents = Files.readString(root.resolve("var/db/pkg/sys-apps/dbus-1.15.6/CONTENTS"));
        assertThat(contents).doesNotContain("/usr/share/doc", "/usr/lib/systemd").contains("/usr/bin/dbus-daemon");
        assertThat(root.resolve("var/lib/portage/world")).doesNotExist(); // --oneshot
    }

    @Test
    void unresolvableTargetIsOneLinePerAtomAndNothingIsWritten() throws Exception {
        Path cfg = config("nodeps");
        Path root = tmp.resolve("root");
        Run r = cli("install", "--root", root.toString(), "--config-root", cfg.toString(), "--binhost",
                Fixtures.require("binhost-xpak-amd64").toString(), "--cache-dir", tmp.resolve("cache").toString(),
                "app-misc/does-not-exist");
        assertThat(r.code()).isEqualTo(5);
        assertThat(r.err()).startsWith("stageforge: ").contains("app-misc/does-not-exist");
        assertThat(root).doesNotExist();
    }
}

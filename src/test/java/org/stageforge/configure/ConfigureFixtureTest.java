package org.stageforge.configure;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.archive.ExtractPolicy;
import org.stageforge.binpkg.BinaryPackage;
import org.stageforge.configure.SystemConfig.InitSystem;
import org.stageforge.configure.SystemConfig.Service;
import org.stageforge.configure.SystemConfig.User;
import org.stageforge.merge.Accounts;
import org.stageforge.testutil.Fixtures;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real Gentoo data: the root of the Portage "phases" case (baselayout with USE=build, then acct-user/messagebus),
 * rebuilt from the binhost's packages and checked against Portage's manifest, then configured.
 */
class ConfigureFixtureTest {
    static final long NOW = 1_750_000_000L; // day 20254
    static final String HASH = "$y$j9T$abcdefghijklmnop$0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg";

    @TempDir
    Path root;

    @Test
    void configuresPortagesPhasesRoot() throws IOException {
        Path caseDir = Fixtures.require("portage-expected/install/phases");
        Path binhost = Fixtures.require("binhost-xpak-amd64");
        // the Packages entries with the BUILD_IDs of the case's VDB (baselayout: 1, USE=build) and the packages used
        extract(binhost.resolve("sys-apps/baselayout/baselayout-2.13-r1-3.xpak"));
        extract(binhost.resolve("sys-libs/timezone-data/timezone-data-2023c-2.xpak"));
        extract(binhost.resolve("sys-apps/dbus/dbus-1.15.6-2.xpak"));
        // baselayout's pkg_preinst installs its account files and fstab into etc/
        for (String f : List.of("passwd", "group", "shadow", "fstab")) {
            Files.copy(root.resolve("usr/share/baselayout/" + f), root.resolve("etc/" + f));
        }
        Files.setPosixFilePermissions(root.resolve("etc/shadow"), Set.of(
                java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                java.nio.file.attribute.PosixFilePermission.OWNER_WRITE,
                java.nio.file.attribute.PosixFilePermission.GROUP_READ));
        Accounts acc = Accounts.open(root, NOW);
        acc.addGroup(new Accounts.Group("messagebus", 101, false));
        acc.addUser(new Accounts.User("messagebus", 101, false, false, "System user; messagebus", "/dev/null", "",
                "0755", "/sbin/nologin", List.of("messagebus")));
        Map<String, String> manifest = manifest(caseDir);
        for (String f : List.of("etc/passwd", "etc/group", "etc/fstab"))
            assertThat(sizeSha(root.resolve(f))).as(f + " as Portage left it").isEqualTo(manifest.get(f));
        String passwd0 = Files.readString(root.resolve("etc/passwd"));
        String group0 = Files.readString(root.resolve("etc/group"));
        String shadow0 = Files.readString(root.resolve("etc/shadow"));

        SystemConfig cfg = SystemConfig.empty().withInit(InitSystem.SYSTEMD).withHostname("gentoo")
                .withTimezone("Europe/Berlin").withLocales(List.of("en_US.UTF-8 UTF-8"), "en_US.utf8", null)
                .withAccounts(List.of(), List.of(new User("larry", -1, null, List.of("wheel", "users"), "Larry the Cow",
                        null, null, HASH, false, List.of("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI larry@gentoo"), true)))
                .withRoot(null, true)
                .withServices(List.of(Service.enable("dbus.service"), Service.enable("dbus.socket")));
        ConfigureResult r = Configurator.configure(root, cfg, NOW);

        // only larry's lines are new; every baselayout and messagebus line stays as it was
        assertThat(Files.readString(root.resolve("etc/passwd")))
                .isEqualTo(passwd0 + "larry:x:1000:1000:Larry the Cow:/home/larry:/bin/bash\n");
        assertThat(Files.readString(root.resolve("etc/group"))).isEqualTo(group0
                .replace("\nwheel::10:root\n", "\nwheel::10:root,larry\n")
                .replace("\nusers::100:\n", "\nusers::100:larry\n") + "larry:!:1000:\n");
        assertThat(Files.readString(root.resolve("etc/shadow"))).isEqualTo(shadow0
                .replace("root:*:10770:0:::::\n", "root:!:20254:0:::::\n") + "larry:" + HASH + ":20254::::::\n");
        assertThat(Files.readSymbolicLink(root.resolve("etc/localtime")).toString())
                .isEqualTo("../usr/share/zoneinfo/Europe/Berlin");
        assertThat(Files.readAllBytes(root.resolve("etc/localtime"))).startsWith("TZif".getBytes());
        assertThat(Files.readString(root.resolve("etc/locale.gen"))).isEqualTo("en_US.UTF-8 UTF-8\n");
        assertThat(Files.readString(root.resolve("etc/env.d/02locale"))).endsWith("\nLANG=\"en_US.utf8\"\n");
        assertThat(Files.readString(root.resolve("etc/hostname"))).isEqualTo("gentoo\n");
        assertThat(r.intents()).extracting(ConfigureResult.OwnershipIntent::path)
                .containsExactly("home/larry", "home/larry/.ssh", "home/larry/.ssh/authorized_keys");

        // dbus.service and dbus.socket have no [Install] section: `systemctl --root enable` makes no symlink and
        // says the units have no installation config (the package enables them statically in usr/lib)
        assertThat(root.resolve("etc/systemd")).doesNotExist();
        assertThat(r.warnings()).containsExactly(
                "unit dbus.service has no [Install] section entries (static unit): nothing to enable",
                "unit dbus.socket has no [Install] section entries (static unit): nothing to enable");

        // the real unit, given the [Install] section a distribution could add, links as systemctl would
        Path unit = root.resolve("usr/lib/systemd/system/dbus.service");
        Files.writeString(unit, Files.readString(unit) + "\n[Install]\nWantedBy=multi-user.target\n"
                + "Alias=dbus-org.freedesktop.DBus.service\nAlso=dbus.socket\n");
        Path socket = root.resolve("usr/lib/systemd/system/dbus.socket");
        Files.writeString(socket, Files.readString(socket) + "\n[Install]\nWantedBy=sockets.target\n");
        Configurator.configure(root, cfg, NOW);
        assertThat(links(root.resolve("etc/systemd/system"))).containsExactly(
                "dbus-org.freedesktop.DBus.service -> /usr/lib/systemd/system/dbus.service",
                "multi-user.target.wants/dbus.service -> /usr/lib/systemd/system/dbus.service",
                "sockets.target.wants/dbus.socket -> /usr/lib/systemd/system/dbus.socket");
    }

    private void extract(Path pkg) {
        try (BinaryPackage p = BinaryPackage.open(pkg)) {
            p.extract(root, ExtractPolicy.RECORD_ONLY);
        }
    }

    private static Set<String> links(Path dir) throws IOException {
        Set<String> out = new TreeSet<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isSymbolicLink).toList())
                out.add(dir.relativize(p) + " -> " + Files.readSymbolicLink(p));
        }
        return out;
    }

    private static Map<String, String> manifest(Path caseDir) throws IOException {
        Map<String, String> m = new HashMap<>();
        for (String line : Files.readAllLines(caseDir.resolve("manifest.tsv"))) {
            String[] f = line.split("\t");
            if (f.length > 5 && f[1].equals("f")) m.put(f[0], f[5]);
        }
        return m;
    }

    private static String sizeSha(Path p) throws IOException {
        byte[] b = Files.readAllBytes(p);
        try {
            return b.length + ":" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}

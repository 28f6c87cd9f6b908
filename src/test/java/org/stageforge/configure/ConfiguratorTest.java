package org.stageforge.configure;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ParseException;
import org.stageforge.StageforgeException;
import org.stageforge.configure.ConfigureResult.Kind;
import org.stageforge.configure.ConfigureResult.OwnershipIntent;
import org.stageforge.configure.SystemConfig.FstabEntry;
import org.stageforge.configure.SystemConfig.InitSystem;
import org.stageforge.configure.SystemConfig.Service;
import org.stageforge.configure.SystemConfig.User;
import org.stageforge.merge.FileTable;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfiguratorTest {
    static final long NOW = 1_700_000_000L; // day 19675
    static final String HASH = "$6$salt$0123456789abcdefABCDEF./";

    @TempDir
    Path tmp;
    Path root;

    @BeforeEach
    void setUp() throws IOException {
        root = tmp.resolve("root");
        fakeBaselayout();
    }

    /** The files of baselayout (account files as its pkg_preinst installs them) and the bits the items need. */
    void fakeBaselayout() throws IOException {
        write("etc/passwd", "root:x:0:0:root:/root:/bin/bash\nbin:x:1:1:bin:/bin:/bin/false\n"
                + "nobody:x:65534:65534:nobody:/var/empty:/bin/false\n");
        write("etc/group", "root::0:root\nwheel::10:root\naudio::18:\nusers::100:\nnobody::65534:\n");
        write("etc/shadow", "root:*:10770:0:::::\nbin:*:9797:0:::::\nnobody:*:9797:0:::::\n");
        Files.setPosixFilePermissions(root.resolve("etc/shadow"), PosixFilePermissions.fromString("rw-r-----"));
        write("etc/fstab", "# /etc/fstab: static file system information.\n#\n\n"
                + "/dev/old\t/\text4\tdefaults\t0 1\n#LABEL=swap\t\tnone\t\tswap\t\tsw\t\t0 0\n");
        write("etc/skel/.bashrc", "# bashrc\n");
        write("etc/skel/.config/app.conf", "x=1\n");
        write("etc/locale.gen", "# /etc/locale.gen: list all of the locales\n#en_US ISO-8859-1\n");
        write("usr/share/zoneinfo/Europe/Berlin", "TZif2 fake zone data");
        write("usr/share/zoneinfo/UTC", "TZif2 utc");
        write("usr/share/i18n/SUPPORTED", "SUPPORTED-LOCALES=\\\nen_US.UTF-8/UTF-8 \\\nde_DE.UTF-8/UTF-8 \\\n"
                + "de_DE/ISO-8859-1 \\\n");
    }

    /** A 0644 file (skel modes are copied to homes: they must not depend on the umask of the test run). */
    Path write(String rel, String text) throws IOException {
        Path p = root.resolve(rel);
        Files.createDirectories(root);
        for (Path d = root; !d.equals(p.getParent()); ) {
            d = d.resolve(p.getName(d.getNameCount()));
            if (!Files.isDirectory(d)) {
                Files.createDirectory(d);
                Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        }
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
        return p;
    }

    String read(String rel) throws IOException {
        return Files.readString(root.resolve(rel));
    }

    SystemConfig full(InitSystem init) {
        User alice = new User("alice", -1, null, List.of("wheel", "audio"), "Alice", null, null, HASH, false,
                List.of("ssh-ed25519 AAAAC3Nza alice@laptop"), true);
        User bob = new User("bob", 1500, "users", List.of(), "", "/srv/bob", "/bin/sh", null, false, List.of(), false);
        return SystemConfig.empty().withInit(init).withHostname("tux.example.org")
                .withLocales(List.of("en_US.UTF-8 UTF-8", "de_DE.UTF-8"), "en_US.utf8", "C.UTF-8")
                .withTimezone("Europe/Berlin").withKeymap("de-latin1")
                .withFstab(List.of(new FstabEntry("LABEL=root", "/", "ext4", "noatime", 0, 1),
                        new FstabEntry("/dev/sdb 1", "/mnt/my data", "xfs", "defaults", 0, 2)))
                .withAccounts(List.of(new SystemConfig.Group("devs", -1), new SystemConfig.Group("ops", 2000)),
                        List.of(alice, bob))
                .withRoot(null, true);
    }

    @Test
    void openrcRootGetsEveryItem() throws IOException {
        write("etc/conf.d/hostname", "# Hostname fallback if /etc/hostname does not exist\nhostname=\"localhost\"\n");
        write("etc/conf.d/keymaps", "# keymaps\nkeymap=\"us\"\nwindowkeys=\"YES\"\n");
        ConfigureResult r = Configurator.configure(root, full(InitSystem.OPENRC), NOW);

        assertThat(read("etc/conf.d/hostname"))
                .isEqualTo("# Hostname fallback if /etc/hostname does not exist\nhostname=\"tux.example.org\"\n");
        assertThat(root.resolve("etc/hostname")).doesNotExist();
        assertThat(read("etc/conf.d/keymaps")).isEqualTo("# keymaps\nkeymap=\"de-latin1\"\nwindowkeys=\"YES\"\n");
        assertThat(root.resolve("etc/vconsole.conf")).doesNotExist();
        assertThat(read("etc/locale.gen")).isEqualTo("# /etc/locale.gen: list all of the locales\n"
                + "#en_US ISO-8859-1\n\nde_DE.UTF-8 UTF-8\nen_US.UTF-8 UTF-8\n");
        assertThat(read("etc/env.d/02locale")).isEqualTo("# Configuration file for eselect\n"
                + "# This file has been automatically generated.\nLANG=\"en_US.utf8\"\nLC_COLLATE=\"C.UTF-8\"\n");
        assertThat(root.resolve("etc/locale.conf")).doesNotExist();
        assertThat(r.firstBoot()).singleElement().asString().startsWith("locale-gen");
        assertThat(Files.readSymbolicLink(root.resolve("etc/localtime")).toString())
                .isEqualTo("../usr/share/zoneinfo/Europe/Berlin");
        assertThat(read("etc/timezone")).isEqualTo("Europe/Berlin\n");
        assertThat(read("etc/fstab")).isEqualTo("# /etc/fstab: static file system information.\n#\n\n"
                + "#LABEL=swap\t\tnone\t\tswap\t\tsw\t\t0 0\n\n"
                + "LABEL=root\t/\text4\tnoatime\t0 1\n/dev/sdb\\0401\t/mnt/my\\040data\txfs\tdefaults\t0 2\n");
    }

    /** Account lines cross-checked once against shadow 4.13's groupadd/useradd -U/usermod -p --prefix. */
    @Test
    void accountsAreWrittenLikeShadowTools() throws IOException {
        ConfigureResult r = Configurator.configure(root, full(InitSystem.OPENRC), NOW);
        List<String> passwd = read("etc/passwd").lines().toList();
        // groups come first: devs takes GID 1000, so alice's own group gets the next one above the highest (ops)
        assertThat(passwd).contains("alice:x:1000:2001:Alice:/home/alice:/bin/bash",
                "bob:x:1500:100::/srv/bob:/bin/sh");
        assertThat(read("etc/group").lines().toList()).contains("wheel::10:root,alice", "audio::18:alice",
                "devs:x:1000:", "ops:x:2000:", "alice:!:2001:").noneMatch(l -> l.startsWith("bob:"));
        assertThat(read("etc/shadow").lines().toList()).contains("alice:" + HASH + ":19675::::::",
                "bob:!:19675::::::", "root:!:19675:0:::::");
        assertThat(r.intents()).containsExactly(new OwnershipIntent("home/alice", 'd', 1000, 2001, 0755),
                new OwnershipIntent("home/alice/.bashrc", 'f', 1000, 2001, 0644),
                new OwnershipIntent("home/alice/.config", 'd', 1000, 2001, 0755),
                new OwnershipIntent("home/alice/.config/app.conf", 'f', 1000, 2001, 0644),
                new OwnershipIntent("home/alice/.ssh", 'd', 1000, 2001, 0700),
                new OwnershipIntent("home/alice/.ssh/authorized_keys", 'f', 1000, 2001, 0600));
        assertThat(read("home/alice/.config/app.conf")).isEqualTo("x=1\n");
        assertThat(read("home/alice/.ssh/authorized_keys")).isEqualTo("ssh-ed25519 AAAAC3Nza alice@laptop\n");
        assertThat(Files.getPosixFilePermissions(root.resolve("home/alice/.ssh/authorized_keys")))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(root.resolve("srv/bob")).doesNotExist();

        FileTable table = FileTable.empty();
        r.applyTo(table);
        assertThat(table.get("home/alice/.ssh").uid()).isEqualTo(1000);
        assertThat(table.entries()).hasSize(r.intents().size());
    }

    @Test
    void userPrivateGroupTakesTheUidWhenFree() throws IOException {
        ConfigureResult r = Configurator.configure(root, SystemConfig.empty()
                .withAccounts(List.of(), List.of(User.of("carol"), User.of("dave"))), NOW);
        assertThat(read("etc/passwd")).contains("carol:x:1000:1000::/home/carol:/bin/bash\n",
                "dave:x:1001:1001::/home/dave:/bin/bash\n");
        assertThat(read("etc/group")).contains("carol:!:1000:\n", "dave:!:1001:\n");
        assertThat(read("etc/shadow")).contains("carol:!:19675::::::\n");
        assertThat(r.intents()).extracting(OwnershipIntent::path).contains("home/carol", "home/dave");
    }

    @Test
    void lockedAccountsGetTheBangAndStayIdempotent() throws IOException {
        SystemConfig c = SystemConfig.empty().withAccounts(List.of(), List.of(
                new User("carl", 1200, "users", List.of(), null, null, null, HASH, true, List.of(), false),
                new User("dora", 1201, "users", List.of(), null, null, null, "!" + HASH, true, List.of(), false),
                new User("ed", 1202, "users", List.of(), null, null, null, "*", false, List.of(), false)))
                .withRoot("$y$j9T$salt$hash", true);
        Configurator.configure(root, c, NOW);
        String shadow = read("etc/shadow");
        assertThat(shadow).startsWith("root:!$y$j9T$salt$hash:19675:0:::::\n")
                .contains("carl:!" + HASH + ":19675::::::\n", "dora:!" + HASH + ":19675::::::\n",
                        "ed:*:19675::::::\n");
        assertThat(Configurator.configure(root, c, NOW + 86400).changes()).isEmpty();
        assertThat(read("etc/shadow")).isEqualTo(shadow);
    }

    @Test
    void existingUserKeepsWhatIsNotGiven() throws IOException {
        String passwd = read("etc/passwd");
        Files.createDirectories(root.resolve("root"));
        ConfigureResult r = Configurator.configure(root, SystemConfig.empty().withAccounts(List.of(), List.of(
                new User("root", -1, null, List.of(), null, null, null, null, false, List.of("ssh-ed25519 AAAA r"),
                        false))), NOW);
        assertThat(read("etc/passwd")).isEqualTo(passwd);
        assertThat(read("root/.ssh/authorized_keys")).isEqualTo("ssh-ed25519 AAAA r\n");
        assertThat(r.intents()).containsExactly(new OwnershipIntent("root", 'd', 0, 0, 0755),
                new OwnershipIntent("root/.ssh", 'd', 0, 0, 0700),
                new OwnershipIntent("root/.ssh/authorized_keys", 'f', 0, 0, 0600));
        assertThat(r.changes()).extracting(Object::toString)
                .containsExactly("directory root/.ssh", "created root/.ssh/authorized_keys");
    }

    @Test
    void loginDefsRangesAgingAndHomeModeApply() throws IOException {
        write("etc/login.defs", "UID_MIN 2000\nUID_MAX 2001\nGID_MIN 3000\nPASS_MAX_DAYS 99999\n"
                + "PASS_MIN_DAYS 0\nPASS_WARN_AGE 7\nHOME_MODE 0700\n");
        write("etc/passwd", read("etc/passwd") + "x1:x:2001:100::/:/bin/sh\n");
        write("etc/gshadow", "");
        ConfigureResult r = Configurator.configure(root, SystemConfig.empty()
                .withAccounts(List.of(), List.of(User.of("erin"))), NOW);
        // 2001 is the highest used: wraps to the lowest free one; the UID is below GID_MIN, so the group does not
        // follow it (all lines as shadow 4.13's useradd --prefix -U -m wrote them for this root)
        assertThat(read("etc/passwd")).contains("erin:x:2000:3000::/home/erin:/bin/bash\n");
        assertThat(read("etc/group")).endsWith("erin:x:3000:\n");
        assertThat(read("etc/gshadow")).isEqualTo("erin:!::\n");
        assertThat(read("etc/shadow")).contains("erin:!:19675:0:99999:7:::\n");
        assertThat(r.intents()).contains(new OwnershipIntent("home/erin", 'd', 2000, 3000, 0700));
        assertThat(Files.getPosixFilePermissions(root.resolve("home/erin")))
                .isEqualTo(PosixFilePermissions.fromString("rwx------"));
    }

    @Test
    void systemdRootGetsItsFiles() throws IOException {
        write("usr/lib/systemd/systemd", "");
        write("etc/vconsole.conf", "FONT=lat9w-16\n");
        SystemConfig c = SystemConfig.empty().withHostname("box").withKeymap("us")
                .withLocales(List.of("en_US.UTF-8 UTF-8"), "en_US.UTF-8", null).withTimezone("UTC")
                .withRoot(HASH, false);
        ConfigureResult r = Configurator.configure(root, c, NOW);
        assertThat(read("etc/hostname")).isEqualTo("box\n");
        assertThat(root.resolve("etc/conf.d/hostname")).doesNotExist();
        assertThat(read("etc/vconsole.conf")).isEqualTo("FONT=lat9w-16\nKEYMAP=us\n");
        assertThat(read("etc/locale.conf")).isEqualTo("LANG=en_US.UTF-8\n");
        assertThat(read("etc/shadow")).startsWith("root:" + HASH + ":19675:0:::::\n");
        assertThat(r.changes()).extracting(a -> a.toString()).contains("created etc/hostname",
                "symlinked etc/localtime -> ../usr/share/zoneinfo/UTC", "replaced etc/shadow");
    }

    @Test
    void secondRunChangesNoByte() throws IOException {
        write("usr/lib/systemd/system/sshd.service", "[Install]\nWantedBy=multi-user.target\n");
        write("etc/init.d/sshd", "#!/sbin/openrc-run\n");
        SystemConfig c = full(InitSystem.OPENRC).withServices(List.of(Service.enable("sshd")));
        Configurator.configure(root, c, NOW);
        Map<String, String> first = snapshot(root);
        ConfigureResult again = Configurator.configure(root, c, NOW);
        assertThat(snapshot(root)).isEqualTo(first);
        assertThat(again.changes()).isEmpty();

        // determinism: a fresh copy of the same starting root gives the same bytes
        Path other = tmp.resolve("other");
        root = other;
        fakeBaselayout();
        write("usr/lib/systemd/system/sshd.service", "[Install]\nWantedBy=multi-user.target\n");
        write("etc/init.d/sshd", "#!/sbin/openrc-run\n");
        Configurator.configure(root, c, NOW);
        assertThat(snapshot(other)).isEqualTo(first);
    }

    /** Every path with its content (files), target (links) or mode (directories). */
    static Map<String, String> snapshot(Path base) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(base)) {
            for (Path p : s.toList()) {
                String rel = base.relativize(p).toString();
                if (Files.isSymbolicLink(p)) m.put(rel, "-> " + Files.readSymbolicLink(p));
                else if (Files.isRegularFile(p))
                    m.put(rel, PosixFilePermissions.toString(Files.getPosixFilePermissions(p)) + " "
                            + new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1));
                else m.put(rel, PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
            }
        }
        return m;
    }

    @Test
    void existingModesAreKeptAndOpenrcUpdatesAnExistingHostnameFile() throws IOException {
        Files.setPosixFilePermissions(root.resolve("etc/fstab"), PosixFilePermissions.fromString("rw-------"));
        write("etc/hostname", "old\n");
        Configurator.configure(root, SystemConfig.empty().withInit(InitSystem.OPENRC).withHostname("new")
                .withFstab(List.of(new FstabEntry("/dev/a", "/", "ext4", "defaults", 0, 1))), NOW);
        assertThat(Files.getPosixFilePermissions(root.resolve("etc/fstab")))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(read("etc/hostname")).isEqualTo("new\n");
        assertThat(read("etc/conf.d/hostname")).isEqualTo("hostname=\"new\"\n");
    }

    @Test
    void openrcServicesBecomeRunlevelLinks() throws IOException {
        write("etc/init.d/sshd", "#!/sbin/openrc-run\n");
        write("etc/init.d/udev", "#!/sbin/openrc-run\n");
        write("sbin/openrc", "");
        Configurator.configure(root, SystemConfig.empty().withServices(List.of(Service.enable("sshd"),
                new Service("udev", "sysinit", Service.Action.ENABLE))), NOW);
        assertThat(Files.readSymbolicLink(root.resolve("etc/runlevels/default/sshd")).toString())
                .isEqualTo("/etc/init.d/sshd");
        assertThat(Files.readSymbolicLink(root.resolve("etc/runlevels/sysinit/udev")).toString())
                .isEqualTo("/etc/init.d/udev");
        Configurator.configure(root, SystemConfig.empty().withServices(
                List.of(new Service("sshd", null, Service.Action.DISABLE))), NOW);
        assertThat(root.resolve("etc/runlevels/default/sshd")).doesNotExist();

        assertThatThrownBy(() -> Configurator.configure(root,
                SystemConfig.empty().withServices(List.of(Service.enable("nginx"))), NOW))
                .isInstanceOf(StageforgeException.class)
                .hasMessage("service nginx: no init script etc/init.d/nginx in the root");
    }

    @Test
    void initSystemIsDetectedOrAskedFor() throws IOException {
        SystemConfig c = SystemConfig.empty().withHostname("h");
        assertThatThrownBy(() -> Configurator.configure(root, c, NOW)).isInstanceOf(StageforgeException.class)
                .hasMessageStartingWith("hostname: cannot tell the init system");
        write("lib/systemd/systemd", "");
        Configurator.configure(root, c, NOW);
        assertThat(read("etc/hostname")).isEqualTo("h\n");
        write("sbin/openrc", "");
        assertThatThrownBy(() -> Configurator.configure(root, c, NOW)).hasMessageStartingWith("both OpenRC and systemd");
    }

    @Test
    void badValuesFailBeforeAnyWriteWithOneLine() throws IOException {
        Map<String, String> before = snapshot(root);
        List<SystemConfig> bad = List.of(
                SystemConfig.empty().withHostname("-bad-"),
                SystemConfig.empty().withLocales(List.of("xx_YY.UTF-8 UTF-8"), null, null),
                SystemConfig.empty().withLocales(List.of("en_US"), null, null),
                SystemConfig.empty().withTimezone("../../etc/passwd"),
                SystemConfig.empty().withTimezone("Mars/Olympus"),
                SystemConfig.empty().withKeymap("us\"; rm -rf /"),
                SystemConfig.empty().withFstab(List.of(new FstabEntry("/dev/a", "/", "ext4", "a b", 0, 1))),
                SystemConfig.empty().withRoot("hunter2", false),
                SystemConfig.empty().withAccounts(List.of(), List.of(new User("eve", -1, null, List.of(), "",
                        "/home/../../x", null, null, false, List.of(), true))),
                SystemConfig.empty().withAccounts(List.of(), List.of(new User("eve", -1, null, List.of(), "",
                        "../../x", null, null, false, List.of(), true))),
                SystemConfig.empty().withAccounts(List.of(), List.of(new User("eve", -1, null, List.of(), "",
                        null, null, "$6$x$y\nroot::0:0", false, List.of(), true))),
                SystemConfig.empty().withHostname("ok").withAccounts(List.of(), List.of(new User("eve", -1, null,
                        List.of(), "a:b", null, null, null, false, List.of(), true))),
                SystemConfig.empty().withHostname("ok").withServices(List.of(Service.enable("x/../y"))));
        for (SystemConfig c : bad) {
            assertThatThrownBy(() -> Configurator.configure(root, c, NOW)).isInstanceOf(StageforgeException.class)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        }
        assertThat(snapshot(root)).isEqualTo(before);
        assertThatThrownBy(() -> Configurator.configure(root, bad.get(1), NOW)).isInstanceOf(ParseException.class)
                .hasMessage("locale 'xx_YY.UTF-8 UTF-8': not listed in usr/share/i18n/SUPPORTED of the root");
        assertThatThrownBy(() -> Configurator.configure(root, bad.get(4), NOW))
                .hasMessage("timezone 'Mars/Olympus': no zoneinfo file usr/share/zoneinfo/Mars/Olympus in the root");
    }

    @Test
    void missingZoneinfoIsOnlyAWarning() throws IOException {
        Path z = root.resolve("usr/share/zoneinfo");
        try (Stream<Path> s = Files.walk(z)) {
            s.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        }
        ConfigureResult r = Configurator.configure(root, SystemConfig.empty().withTimezone("America/New_York"), NOW);
        assertThat(r.warnings()).singleElement().asString().contains("no usr/share/zoneinfo");
        assertThat(Files.readSymbolicLink(root.resolve("etc/localtime")).toString())
                .isEqualTo("../usr/share/zoneinfo/America/New_York");
    }

    @Test
    void etcSymlinkedOutOfTheRootIsRefused() throws IOException {
        Path r2 = tmp.resolve("r2");
        Files.createDirectories(r2);
        Files.createSymbolicLink(r2.resolve("etc"), Path.of("/etc"));
        assertThatThrownBy(() -> Configurator.configure(r2, SystemConfig.empty().withTimezone("UTC"), NOW))
                .isInstanceOf(StageforgeException.class).hasMessageContaining("symbolic links");
        // a symlink to an absolute path is read inside the root, never on the host
        Path r3 = tmp.resolve("r3");
        Path outside = tmp.resolve("outside");
        Files.createDirectories(outside);
        Files.createDirectories(r3);
        Files.createSymbolicLink(r3.resolve("etc"), outside.toAbsolutePath());
        Configurator.configure(r3, SystemConfig.empty().withTimezone("UTC").withFstab(
                List.of(new FstabEntry("/dev/a", "/", "ext4", "defaults", 0, 1))), NOW);
        try (Stream<Path> s = Files.list(outside)) {
            assertThat(s.toList()).isEmpty();
        }
        assertThat(r3.resolve(outside.toString().substring(1)).resolve("timezone")).hasContent("UTC");
    }

    @Test
    void homeSymlinkCannotLeadOutOfTheRoot() throws IOException {
        Path outside = tmp.resolve("outside-home");
        Files.createDirectories(outside);
        Files.createDirectories(root.resolve("home"));
        Files.createSymbolicLink(root.resolve("home/mal"), Path.of("../../../../../../" + outside));
        Configurator.configure(root, SystemConfig.empty().withAccounts(List.of(), List.of(new User("mal", -1, null,
                List.of(), "", null, null, null, false, List.of("ssh-rsa AAAA k"), true))), NOW);
        try (Stream<Path> s = Files.list(outside)) {
            assertThat(s.toList()).isEmpty();
        }
    }
}

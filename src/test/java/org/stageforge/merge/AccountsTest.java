package org.stageforge.merge;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ExitCodes;
import org.stageforge.ParseException;
import org.stageforge.StageforgeException;
import org.stageforge.testutil.Fixtures;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Expected file contents of the self-made cases were cross-checked once against real shadow 4.13
 * {@code groupadd/useradd/usermod --prefix} (which differs from 4.14 only in resolving usermod's --gid on the host).
 */
class AccountsTest {
    private static final long DAY = 86400;
    private static final long NOW = 20000 * DAY + 1234;

    private static final String PASSWD = "root:x:0:0:root:/root:/bin/bash\nbin:x:1:1:bin:/bin:/sbin/nologin\n"
            + "nobody:x:65534:65534:nobody:/var/empty:/sbin/nologin\n";
    private static final String GROUP = "root:x:0:root\nbin:x:1:root,bin,daemon\naudio:x:18:\nvideo:x:27:\n"
            + "nobody:x:65534:\n";
    private static final String SHADOW = "root:*:10770:0:::::\nbin:*:10770:0:::::\nnobody:*:10770:0:::::\n";

    private static Path root(Path tmp, boolean shadow, boolean gshadow) throws IOException {
        Path etc = Files.createDirectories(tmp.resolve("etc"));
        Files.writeString(etc.resolve("passwd"), PASSWD);
        Files.writeString(etc.resolve("group"), GROUP);
        RootFiles.setMode(etc.resolve("passwd"), 0644);
        RootFiles.setMode(etc.resolve("group"), 0644);
        if (shadow) {
            Files.writeString(etc.resolve("shadow"), SHADOW);
            RootFiles.setMode(etc.resolve("shadow"), 0640);
        }
        if (gshadow) {
            Files.writeString(etc.resolve("gshadow"), "root:::root\naudio:::\nvideo:!::\n");
            RootFiles.setMode(etc.resolve("gshadow"), 0400);
        }
        return tmp;
    }

    private static String read(Path root, String rel) throws IOException {
        return Files.readString(root.resolve(rel), StandardCharsets.ISO_8859_1);
    }

    private static Accounts.User user(String name, long id, String... groups) {
        return new Accounts.User(name, id, false, false, "System user; " + name, "/dev/null", "", "0755",
                "/sbin/nologin", List.of(groups));
    }

    @Test
    void addsGroupWithWantedIdAndBackup(@TempDir Path tmp) throws IOException {
        Path root = root(tmp, true, false);
        Accounts.Outcome o = Accounts.open(root, NOW).addGroup(new Accounts.Group("messagebus", 101, false));
        assertThat(o.action()).isEqualTo(Accounts.Action.ADDED);
        assertThat(o.id()).isEqualTo(101);
        assertThat(read(root, "etc/group")).isEqualTo(GROUP + "messagebus:x:101:\n");
        assertThat(read(root, "etc/group-")).isEqualTo(GROUP);
        assertThat(root.resolve("etc/gshadow")).doesNotExist();
        assertThat(o.written()).containsExactly(root.resolve("etc/group-").toAbsolutePath(), root.resolve("etc/group").toAbsolutePath());

        Accounts.Outcome again = Accounts.open(root, NOW).addGroup(new Accounts.Group("messagebus", 300, false));
        assertThat(again.action()).isEqualTo(Accounts.Action.UNCHANGED);
        assertThat(again.id()).isEqualTo(101);
        assertThat(again.written()).isEmpty();
    }

    @Test
    void takenOrAnyGidUsesShadowsSystemSearch(@TempDir Path tmp) throws IOException {
        Path root = root(tmp, true, true);
        Accounts acc = Accounts.open(root, NOW);
        // No system GID in 101..999 used yet: the top of the range.
        assertThat(acc.addGroup(new Accounts.Group("a", -1, false)).id()).isEqualTo(999);
        // 18 is taken by audio: below the lowest used system GID.
        assertThat(acc.addGroup(new Accounts.Group("b", 18, false)).id()).isEqualTo(998);
        assertThat(acc.addGroup(new Accounts.Group("c", 500, false)).id()).isEqualTo(500);
        assertThat(acc.addGroup(new Accounts.Group("d", -1, false)).id()).isEqualTo(499);
        assertThat(read(root, "etc/gshadow")).endsWith("video:!::\na:!::\nb:!::\nc:!::\nd:!::\n");
        assertThat(RootFiles.mode(root.resolve("etc/gshadow"))).isEqualTo(0400);
        assertThat(RootFiles.mode(root.resolve("etc/gshadow-"))).isEqualTo(0400);

        // login.defs of the root narrows the range; when its bottom is used, search from the top.
        Files.writeString(root.resolve("etc/login.defs"), "# comment\nSYS_GID_MIN 400\nSYS_GID_MAX\t0x1f4\n");
        assertThat(Accounts.open(root, NOW).addGroup(new Accounts.Group("e", -1, false)).id()).isEqualTo(498);
        Files.writeString(root.resolve("etc/login.defs"), "SYS_GID_MIN 498\nSYS_GID_MAX 0766\n");
        assertThat(Accounts.open(root, NOW).addGroup(new Accounts.Group("f", -1, false)).id()).isEqualTo(502);
    }

    @Test
    void noFreeIdFails(@TempDir Path tmp) throws IOException {
        Path root = root(tmp, false, false);
        Files.writeString(root.resolve("etc/login.defs"), "SYS_GID_MIN 200\nSYS_GID_MAX 201\n");
        Accounts acc = Accounts.open(root, NOW);
        assertThat(acc.addGroup(new Accounts.Group("a", -1, false)).id()).isEqualTo(201);
        assertThat(acc.addGroup(new Accounts.Group("b", -1, false)).id()).isEqualTo(200);
        assertThatThrownBy(() -> acc.addGroup(new Accounts.Group("c", -1, false)))
                .isInstanceOf(StageforgeException.class).hasMessageContaining("no free system ID");
    }

    @Test
    void enforcedIdConflictsFail(@TempDir Path tmp) throws IOException {
        Path root = root(tmp, true, false);
        Accounts acc = Accounts.open(root, NOW);
        assertThatThrownBy(() -> acc.addGroup(new Accounts.Group("mine", 18, true)))
                .isInstanceOf(StageforgeException.class).hasMessageContaining("taken by audio");
        assertThatThrownBy(() -> acc.addGroup(new Accounts.Group("audio", 19, true)))
                .isInstanceOf(StageforgeException.class).hasMessageContaining("another GID");
        assertThat(acc.addGroup(new Accounts.Group("audio", 18, true)).action()).isEqualTo(Accounts.Action.UNCHANGED);
        Accounts.User u = new Accounts.User("bin2", 1, true, false, "", "/dev/null", "", "0755", "/sbin/nologin", List.of("bin"));
        assertThatThrownBy(() -> acc.addUser(u)).isInstanceOf(StageforgeException.class).hasMessageContaining("taken by bin");
    }

    @Test
    void addsUserLikeUseradd(@TempDir Path tmp) throws IOException {
        Path root = root(tmp, true, true);
        Accounts acc = Accounts.open(root, NOW);
        Accounts.Outcome o = acc.addUser(user("portage", 250, "audio", "video", "bin"));
        assertThat(o.action()).isEqualTo(Accounts.Action.ADDED);
        assertThat(read(root, "etc/passwd")).isEqualTo(PASSWD + "portage:x:250:18:System user; portage:/dev/null:/sbin/nologin\n");
        assertThat(read(root, "etc/shadow")).isEqualTo(SHADOW + "portage:!:20000::::::\n");
        assertThat(read(root, "etc/group")).isEqualTo("root:x:0:root\nbin:x:1:root,bin,daemon,portage\naudio:x:18:\n"
                + "video:x:27:portage\nnobody:x:65534:\n");
        assertThat(read(root, "etc/gshadow")).isEqualTo("root:::root\naudio:::\nvideo:!::portage\n");
        assertThat(read(root, "etc/passwd-")).isEqualTo(PASSWD);
        assertThat(read(root, "etc/shadow-")).isEqualTo(SHADOW);
        assertThat(RootFiles.mode(root.resolve("etc/shadow"))).isEqualTo(0640);
        assertThat(RootFiles.mode(root.resolve("etc/shadow-"))).isEqualTo(0640);
        assertThat(o.written()).extracting(p -> root.toAbsolutePath().relativize(p).toString()).containsExactly(
                "etc/passwd-", "etc/passwd", "etc/shadow-", "etc/shadow", "etc/group-", "etc/group",
                "etc/gshadow-", "etc/gshadow");
        assertThat(o.home()).isEmpty();
        // Taken UID: system search in passwd (nobody's 65534 is outside the range).
        assertThat(acc.addUser(user("x", 0, "root")).id()).isEqualTo(249);
    }

    @Test
    void withoutShadowFilesUseraddWritesBangPassword(@TempDir Path tmp) throws IOException {
        Path root = Files.createDirectories(tmp.resolve("r"));
        Accounts acc = Accounts.open(root, 0);
        acc.addGroup(new Accounts.Group("g", 300, false));
        Accounts.Outcome o = acc.addUser(user("u", 300, "g"));
        assertThat(read(root, "etc/group")).isEqualTo("g:x:300:\n");
        assertThat(read(root, "etc/passwd")).isEqualTo("u:!:300:300:System user; u:/dev/null:/sbin/nologin\n");
        assertThat(root.resolve("etc/shadow")).doesNotExist();
        assertThat(root.resolve("etc/passwd-")).doesNotExist();
        assertThat(RootFiles.mode(root.resolve("etc/passwd"))).isEqualTo(0644);
        assertThat(o.written()).hasSize(1);
    }

    @Test
    void existingUserIsUpdatedLikeUsermod(@TempDir Path tmp) throws IOException {
        Path root = root(tmp, true, true);
        Files.writeString(root.resolve("etc/passwd"), PASSWD + "portage:x:250:1:old:/old:/bin/sh\n");
        Files.writeString(root.resolve("etc/group"), GROUP.replace("audio:x:18:", "audio:x:18:portage")
                .replace("video:x:27:", "video:x:027:"));
        Accounts.Outcome o = Accounts.open(root, NOW).addUser(new Accounts.User("portage", 999, false, false,
                "new comment", "/var/lib/portage/home", "", "0755", "/bin/false", List.of("audio", "video")));
        assertThat(o.action()).isEqualTo(Accounts.Action.UPDATED);
        assertThat(o.id()).isEqualTo(250);
        assertThat(read(root, "etc/passwd")).endsWith("portage:x:250:18:new comment:/var/lib/portage/home:/bin/false\n");
        assertThat(read(root, "etc/group")).isEqualTo("root:x:0:root\nbin:x:1:root,bin,daemon\naudio:x:18:\n"
                + "video:x:27:portage\nnobody:x:65534:\n");
        assertThat(read(root, "etc/gshadow")).isEqualTo("root:::root\naudio:::\nvideo:!::portage\n");
        assertThat(root.resolve("etc/shadow-")).doesNotExist();
        assertThat(o.home()).contains(new Accounts.HomeDir("/var/lib/portage/home", 250, 18, 0755));

        // Same again: nothing to change, nothing written.
        Accounts.Outcome same = Accounts.open(root, NOW).addUser(new Accounts.User("portage", 999, false, false,
                "new comment", "/var/lib/portage/home", "root:bin", "0700", "/bin/false", List.of("audio", "video")));
        assertThat(same.action()).isEqualTo(Accounts.Action.UNCHANGED);
        assertThat(same.written()).isEmpty();
        assertThat(same.home()).contains(new Accounts.HomeDir("/var/lib/portage/home", 0, 1, 0700));

        Accounts.Outcome keep = Accounts.open(root, NOW).addUser(new Accounts.User("portage", 999, false, true,
                "other", "/x", "", "0755", "/bin/sh", List.of("root")));
        assertThat(keep.action()).isEqualTo(Accounts.Action.UNCHANGED);
        assertThat(read(root, "etc/passwd")).contains("portage:x:250:18:new comment");
    }

    @Test
    void lockedUserIsUnlocked(@TempDir Path tmp) throws IOException {
        Path root = root(tmp, true, false);
        Files.writeString(root.resolve("etc/passwd"), PASSWD + "old:x:300:18:c; user account removed @ 2020-01-01:/dev/null:/sbin/nologin\n");
        Files.writeString(root.resolve("etc/shadow"), SHADOW + "old:!$6$hash:19000:0:99999:7::1:\nother:!:1::::::\n");
        Accounts.Outcome o = Accounts.open(root, NOW).addUser(user("old", 300, "audio"));
        assertThat(read(root, "etc/shadow")).isEqualTo(SHADOW + "old:$6$hash:19000:0:99999:7:::\nother:!:1::::::\n");
        assertThat(read(root, "etc/passwd")).endsWith("old:x:300:18:System user; old:/dev/null:/sbin/nologin\n");
        assertThat(o.action()).isEqualTo(Accounts.Action.UPDATED);
    }

    @Test
    void unparsableLinesAreKeptVerbatim(@TempDir Path tmp) throws IOException {
        Path root = root(tmp, false, false);
        // Checked against shadow 4.13's useradd --prefix: new entries go before the first NIS line.
        Files.writeString(root.resolve("etc/passwd"), PASSWD + "# a comment\n+::::::\nbroken:line\n\nnumeric:x:abc:1:::\n");
        Accounts.open(root, NOW).addUser(user("new", -1, "audio"));
        assertThat(read(root, "etc/passwd")).isEqualTo(PASSWD + "# a comment\n"
                + "new:!:999:18:System user; new:/dev/null:/sbin/nologin\n+::::::\nbroken:line\n\nnumeric:x:abc:1:::\n");
    }

    @Test
    void missingGroupAndHostileValuesFail(@TempDir Path tmp) throws IOException {
        Path root = root(tmp, false, false);
        Accounts acc = Accounts.open(root, NOW);
        assertThatThrownBy(() -> acc.addUser(user("u", 300, "nosuch")))
                .isInstanceOf(StageforgeException.class).hasMessageContaining("'nosuch' does not exist")
                .extracting(e -> ((StageforgeException) e).exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThatThrownBy(() -> new Accounts.Group("bad:name", 1, false)).isInstanceOf(ParseException.class);
        assertThatThrownBy(() -> new Accounts.Group("123", 1, false)).isInstanceOf(ParseException.class);
        assertThatThrownBy(() -> new Accounts.Group("ok", -2, false)).isInstanceOf(ParseException.class);
        assertThatThrownBy(() -> new Accounts.User("u", 1, false, false, "a:b", "/", "", "0755", "/bin/sh", List.of("g")))
                .isInstanceOf(ParseException.class).hasMessageContaining("comment");
        assertThatThrownBy(() -> new Accounts.User("u", 1, false, false, "", "rel", "", "0755", "/bin/sh", List.of("g")))
                .isInstanceOf(ParseException.class).hasMessageContaining("not absolute");
        assertThatThrownBy(() -> new Accounts.User("u", 1, false, false, "", "/h\n", "", "0755", "/bin/sh", List.of("g")))
                .isInstanceOf(ParseException.class);
        assertThatThrownBy(() -> new Accounts.User("u", 1, false, false, "", "/h", "", "u+rwx", "/bin/sh", List.of("g")))
                .isInstanceOf(ParseException.class).hasMessageContaining("octal");
        assertThatThrownBy(() -> new Accounts.User("u", 1, false, false, "", "/h", "", "0755", "-1", List.of("g")))
                .isInstanceOf(ParseException.class).hasMessageContaining("shell");
    }

    @Test
    void symlinkedAccountFilesStayInsideTheRoot(@TempDir Path tmp) throws IOException {
        Path root = Files.createDirectories(tmp.resolve("root/etc"));
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("group"), "host:x:1:\n");
        Files.createSymbolicLink(root.resolve("group"), outside.resolve("group").toAbsolutePath());
        Accounts.open(root.getParent(), NOW).addGroup(new Accounts.Group("g", 5, false));
        assertThat(Files.readString(outside.resolve("group"))).isEqualTo("host:x:1:\n");
        String inside = outside.resolve("group").toAbsolutePath().toString().substring(1);
        assertThat(Files.readString(root.getParent().resolve(inside))).isEqualTo("g:x:5:\n");
    }

    @Test
    void fromEnvironmentReadsEclassVariables() {
        DeclareDump env = DeclareDump.parse("env", ("""
                declare -- ACCT_USER_NAME="foo"
                declare -- ACCT_USER_ID="-1"
                declare -- _ACCT_USER_ID="123"
                declare -a ACCT_USER_GROUPS=([0]="foo" [1]="audio")
                declare -- _ACCT_USER_GROUPS="foo audio video"
                declare -- _ACCT_USER_HOME="/var/lib/foo"
                declare -- _ACCT_USER_HOME_OWNER="foo:audio"
                declare -- _ACCT_USER_HOME_PERMS="0750"
                declare -- ACCT_USER_ENFORCE_ID="yes"
                declare -- DESCRIPTION="A user: for foo, really=yes"
                """).getBytes(StandardCharsets.UTF_8));
        Accounts.User u = Accounts.User.fromEnvironment("acct-user/foo-0", env);
        assertThat(u).isEqualTo(new Accounts.User("foo", 123, true, false, "A user; for foo; really;yes",
                "/var/lib/foo", "foo:audio", "0750", "/sbin/nologin", List.of("foo", "audio", "video")));
        DeclareDump genv = DeclareDump.parse("env", "declare -- ACCT_GROUP_NAME=\"g\"\ndeclare -- ACCT_GROUP_ID=\"-1\"\n"
                .getBytes(StandardCharsets.UTF_8));
        assertThat(Accounts.Group.fromEnvironment("acct-group/g-0", genv)).isEqualTo(new Accounts.Group("g", -1, false));
        DeclareDump broken = DeclareDump.parse("env", "declare -- ACCT_GROUP_NAME=\"g\"\ndeclare -- ACCT_GROUP_ID=\"x\"\n"
                .getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> Accounts.Group.fromEnvironment("acct-group/g-0", broken))
                .isInstanceOf(ParseException.class).hasMessageStartingWith("acct-group/g-0");
    }

    /**
     * 60 random scenarios (existing system accounts, optional shadow/gshadow/login.defs, NIS line, sequences of
     * acct-group/acct-user merges, existing users) replayed from a run of real shadow 4.13 tools driven by the
     * eclasses' logic (made once; usermod's primary group kept unchanged there, since 4.13 resolves it on the host).
     */
    @Test
    void agreesWithRealShadowOnRandomScenarios(@TempDir Path tmp) throws IOException {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        int n = 0;
        try (var in = getClass().getResourceAsStream("accounts.jsonl")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isEmpty()) continue;
                var c = json.readTree(line);
                Path root = Files.createDirectories(tmp.resolve("r" + n++));
                Path etc = Files.createDirectories(root.resolve("etc"));
                Map<String, Integer> modes = Map.of("passwd", 0644, "group", 0644, "shadow", 0640, "gshadow", 0400, "login.defs", 0644);
                for (var it = c.get("init").fields(); it.hasNext(); ) {
                    var f = it.next();
                    Files.writeString(etc.resolve(f.getKey()), f.getValue().asText(), StandardCharsets.ISO_8859_1);
                    RootFiles.setMode(etc.resolve(f.getKey()), modes.get(f.getKey()));
                }
                Accounts acc = Accounts.open(root, NOW);
                for (var op : c.get("ops")) {
                    String name = op.get("name").asText();
                    long id = op.get("id").asLong();
                    if (op.get("op").asText().equals("group")) {
                        acc.addGroup(new Accounts.Group(name, id, false));
                    } else {
                        List<String> groups = new ArrayList<>();
                        op.get("groups").forEach(g -> groups.add(g.asText()));
                        acc.addUser(new Accounts.User(name, id, false, false, op.get("comment").asText(),
                                op.get("home").asText(), "", "0755", op.get("shell").asText(), groups));
                    }
                }
                Map<String, String> want = new java.util.TreeMap<>(), got = new java.util.TreeMap<>();
                for (var it = c.get("final").fields(); it.hasNext(); ) {
                    var f = it.next();
                    want.put(f.getKey(), f.getValue().get(0).asText() + "|" + f.getValue().get(1).asText().replace("0o", "0"));
                }
                try (var files = Files.list(etc)) {
                    for (Path f : files.toList()) {
                        got.put(f.getFileName().toString(), read(root, "etc/" + f.getFileName())
                                + "|0" + Integer.toOctalString(RootFiles.mode(f)));
                    }
                }
                assertThat(got).as(line).isEqualTo(want);
            }
        }
        assertThat(n).isEqualTo(60);
    }

    /**
     * The phases case: baselayout's account files, then acct-group/messagebus and acct-user/messagebus from their
     * binary packages' environments, against what real Portage produced. etc/shadow holds the day of the run, so
     * that file is compared with the day as the only free value.
     */
    @Test
    void reproducesPortagePhasesCase(@TempDir Path root) throws IOException {
        Path caseDir = Fixtures.require("portage-expected/install/phases");
        Path binhost = Fixtures.require("binhost-xpak-amd64");
        Map<String, String> vdb = XpakFixture.vdbPackages(caseDir);
        installBaselayout(binhost, vdb, root);

        Accounts acc = Accounts.open(root, NOW);
        List<String> order = new ArrayList<>();
        for (var e : vdb.entrySet()) {
            if (!e.getKey().startsWith("acct-group/")) continue;
            Path x = XpakFixture.packageFile(binhost, e.getKey(), e.getValue());
            acc.addGroup(Accounts.Group.fromEnvironment(e.getKey(), DeclareDump.parse(e.getKey(), XpakFixture.environment(x))));
            order.add(e.getKey());
        }
        for (var e : vdb.entrySet()) {
            if (!e.getKey().startsWith("acct-user/")) continue;
            Path x = XpakFixture.packageFile(binhost, e.getKey(), e.getValue());
            Accounts.Outcome o = acc.addUser(Accounts.User.fromEnvironment(e.getKey(), DeclareDump.parse(e.getKey(), XpakFixture.environment(x))));
            assertThat(o.home()).isEmpty();
            order.add(e.getKey());
        }
        assertThat(order).containsExactly("acct-group/messagebus-0-r2", "acct-user/messagebus-0-r2");
        compareAccountFiles(caseDir, root, List.of("etc/passwd", "etc/passwd-", "etc/group", "etc/group-", "etc/shadow-", "etc/gshadow"));

        // etc/shadow: find the day that makes it identical.
        Map<String, String> manifest = XpakFixture.manifestFiles(caseDir);
        String shadow = read(root, "etc/shadow");
        assertThat(shadow).contains("messagebus:!:20000::::::\n");
        Long day = null;
        for (long d = 18000; d < 30000 && day == null; d++) {
            byte[] b = shadow.replace("messagebus:!:20000:", "messagebus:!:" + d + ":").getBytes(StandardCharsets.ISO_8859_1);
            if (XpakFixture.sizeSha(b).equals(manifest.get("etc/shadow"))) day = d;
        }
        assertThat(day).as("a day making etc/shadow identical to Portage's").isNotNull();
        assertThat(Integer.toOctalString(RootFiles.mode(root.resolve("etc/shadow"))))
                .isEqualTo(XpakFixture.modes(caseDir).get("etc/shadow").substring(1));
    }

    /** The nodeps case: acct-group/adm and acct-group/root already exist in baselayout's group file. */
    @Test
    void reproducesPortageNodepsCase(@TempDir Path root) throws IOException {
        Path caseDir = Fixtures.require("portage-expected/install/nodeps");
        Path binhost = Fixtures.require("binhost-xpak-amd64");
        Map<String, String> vdb = XpakFixture.vdbPackages(caseDir);
        installBaselayout(binhost, vdb, root);
        Accounts acc = Accounts.open(root, NOW);
        int groups = 0;
        for (var e : vdb.entrySet()) {
            if (!e.getKey().startsWith("acct-group/")) continue;
            Path x = XpakFixture.packageFile(binhost, e.getKey(), e.getValue());
            Accounts.Outcome o = acc.addGroup(Accounts.Group.fromEnvironment(e.getKey(), DeclareDump.parse(e.getKey(), XpakFixture.environment(x))));
            assertThat(o.action()).isEqualTo(Accounts.Action.UNCHANGED);
            groups++;
        }
        assertThat(groups).isEqualTo(2);
        compareAccountFiles(caseDir, root, List.of("etc/passwd", "etc/passwd-", "etc/group", "etc/group-", "etc/shadow", "etc/shadow-", "etc/gshadow"));
    }

    /** baselayout's pkg_preinst copies usr/share/baselayout/{passwd,group,shadow} to etc/ (shadow 0640). */
    private static void installBaselayout(Path binhost, Map<String, String> vdb, Path root) throws IOException {
        String cpv = vdb.keySet().stream().filter(k -> k.startsWith("sys-apps/baselayout-")).findFirst().orElseThrow();
        Path x = XpakFixture.packageFile(binhost, cpv, vdb.get(cpv));
        Map<String, byte[]> files = XpakFixture.payloadFiles(x, p -> p.matches("usr/share/baselayout/(passwd|group|shadow)"));
        assertThat(files).hasSize(3);
        Files.createDirectories(root.resolve("etc"));
        for (var f : files.entrySet()) {
            String name = f.getKey().substring(f.getKey().lastIndexOf('/') + 1);
            Files.write(root.resolve("etc").resolve(name), f.getValue());
            RootFiles.setMode(root.resolve("etc").resolve(name), name.equals("shadow") ? 0640 : 0644);
        }
    }

    private static void compareAccountFiles(Path caseDir, Path root, List<String> files) throws IOException {
        Map<String, String> manifest = XpakFixture.manifestFiles(caseDir);
        Map<String, String> modes = XpakFixture.modes(caseDir);
        Map<String, String> want = new LinkedHashMap<>(), got = new LinkedHashMap<>();
        for (String f : files) {
            want.put(f, manifest.containsKey(f) ? manifest.get(f) + " " + modes.get(f) : "absent");
            Path p = root.resolve(f);
            got.put(f, Files.exists(p) ? XpakFixture.sizeSha(Files.readAllBytes(p)) + " 0"
                    + Integer.toOctalString(RootFiles.mode(p)) : "absent");
        }
        assertThat(got).isEqualTo(want);
    }
}

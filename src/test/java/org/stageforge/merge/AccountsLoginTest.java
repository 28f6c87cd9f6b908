package org.stageforge.merge;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Accounts for login users (useradd/groupadd without -r, usermod -p), as the configuration part uses them. */
class AccountsLoginTest {
    static final long NOW = 1_700_000_000L; // day 19675

    @TempDir
    Path root;

    void write(String rel, String text) throws IOException {
        Files.createDirectories(root.resolve(rel).getParent());
        Files.writeString(root.resolve(rel), text);
    }

    @Test
    void normalRangeGoesAboveTheHighestThenWraps() throws IOException {
        write("etc/passwd", "root:x:0:0::/root:/bin/bash\nnobody:x:65534:65534::/:/bin/false\n");
        write("etc/group", "root::0:\n");
        Accounts acc = Accounts.open(root, NOW);
        assertThat(acc.freeId(true, false)).isEqualTo(1000);
        assertThat(acc.freeId(true, true)).isEqualTo(999);
        write("etc/passwd", "a:x:1000:0::/:/bin/sh\nb:x:1005:0::/:/bin/sh\n");
        assertThat(acc.freeId(true, false)).isEqualTo(1006);
        write("etc/login.defs", "UID_MIN 1000\nUID_MAX 1005\n");
        assertThat(acc.freeId(true, false)).isEqualTo(1001);
        write("etc/login.defs", "UID_MIN 1000\nUID_MAX 1001\n");
        write("etc/passwd", "a:x:1000:0::/:/bin/sh\nb:x:1001:0::/:/bin/sh\n");
        assertThatThrownBy(() -> acc.freeId(true, false)).isInstanceOf(StageforgeException.class)
                .hasMessageStartingWith("no free UID left for a new user");
        assertThat(acc.addGroup(new Accounts.Group("g", -1, false), false).id()).isEqualTo(1000);
        assertThat(Files.readString(root.resolve("etc/group"))).isEqualTo("root::0:\ng:x:1000:\n");
    }

    @Test
    void setPasswordWritesShadowOrPasswdAndOnlyWhenChanged() throws IOException {
        write("etc/passwd", "root:x:0:0::/root:/bin/bash\n");
        write("etc/shadow", "root:*:10770:0:::::\n");
        Accounts acc = Accounts.open(root, NOW);
        Accounts.Outcome o = acc.setPassword("root", "$6$s$h");
        assertThat(o.action()).isEqualTo(Accounts.Action.UPDATED);
        assertThat(Files.readString(root.resolve("etc/shadow"))).isEqualTo("root:$6$s$h:19675:0:::::\n");
        assertThat(Files.readString(root.resolve("etc/shadow-"))).isEqualTo("root:*:10770:0:::::\n");
        assertThat(Accounts.open(root, NOW + 86400 * 5).setPassword("root", "$6$s$h").action())
                .isEqualTo(Accounts.Action.UNCHANGED);
        assertThat(Files.readString(root.resolve("etc/shadow"))).isEqualTo("root:$6$s$h:19675:0:::::\n");

        Files.delete(root.resolve("etc/shadow"));
        acc.setPassword("root", "!");
        assertThat(Files.readString(root.resolve("etc/passwd"))).isEqualTo("root:!:0:0::/root:/bin/bash\n");
        assertThatThrownBy(() -> acc.setPassword("nobody", "!")).isInstanceOf(StageforgeException.class)
                .satisfies(e -> assertThat(((StageforgeException) e).exitCode()).isEqualTo(ExitCodes.NOT_FOUND));
        assertThatThrownBy(() -> acc.setPassword("root", "a:b")).hasMessageContaining("contains ':'");
    }

    @Test
    void userGroupFollowsTheUidOnlyInsideTheGroupRange() throws IOException {
        write("etc/passwd", "root:x:0:0::/root:/bin/bash\n");
        write("etc/group", "root::0:\ntaken:x:1000:\n");
        Accounts acc = Accounts.open(root, NOW);
        assertThat(acc.addUserGroup("a", 1001).id()).isEqualTo(1001);
        assertThat(acc.addUserGroup("b", 1000).id()).isEqualTo(1002);
        assertThat(acc.addUserGroup("c", 500).id()).isEqualTo(1003);
        assertThat(Files.readString(root.resolve("etc/group")))
                .endsWith("a:!:1001:\nb:!:1002:\nc:!:1003:\n");
        Accounts.Outcome u = acc.addUser(new Accounts.User("a", -1, false, false, "", "/home/a", "", "0700",
                "/bin/bash", List.of("a", "taken")), false);
        assertThat(u.id()).isEqualTo(1000);
        assertThat(u.home()).contains(new Accounts.HomeDir("/home/a", 1000, 1001, 0700));
        assertThat(Files.readString(root.resolve("etc/group"))).contains("taken:x:1000:a\n");
    }
}

package org.stageforge.configure;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ParseException;
import org.stageforge.StageforgeException;
import org.stageforge.configure.SystemConfig.InitSystem;
import org.stageforge.configure.SystemConfig.Service;
import org.stageforge.configure.SystemConfig.Service.Action;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SystemdUnitsTest {
    static final String LIB = "usr/lib/systemd/system/";

    @TempDir
    Path root;

    @BeforeEach
    void units() throws IOException {
        write(LIB + "sshd.service", """
                [Unit]
                Description=OpenSSH ; not a comment here
                [Service]
                ExecStart=/usr/sbin/sshd -D
                # comment
                ; comment too
                [Install]
                WantedBy=multi-user.target \\
                # a comment inside a continuation is skipped
                    graphical.target
                Alias=ssh.service
                Also=sshd.socket
                """);
        write(LIB + "sshd.socket", "[Socket]\nListenStream=22\n[Install]\nWantedBy=sockets.target\n");
        write(LIB + "getty@.service", "[Install]\nWantedBy=getty.target\nDefaultInstance=tty1\n"
                + "Alias=console-getty@%i.service\n");
        write(LIB + "serial@.service", "[Install]\nWantedBy=multi-user.target\nRequiredBy=%N-ready.target\n");
        write(LIB + "static.service", "[Service]\nExecStart=/bin/true\n");
        write(LIB + "reset.service", "[Install]\nWantedBy=a.target\nWantedBy=\nWantedBy=\"b.target\"\n");
    }

    void write(String rel, String text) throws IOException {
        Path p = root.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    ConfigureResult run(Service... s) {
        return Configurator.configure(root, SystemConfig.empty().withInit(InitSystem.SYSTEMD)
                .withServices(List.of(s)), 0);
    }

    /** Every symlink under etc/systemd/system with its target. */
    Map<String, String> links() throws IOException {
        Map<String, String> m = new TreeMap<>();
        Path etc = root.resolve("etc/systemd/system");
        if (!Files.exists(etc)) return m;
        try (Stream<Path> s = Files.walk(etc)) {
            for (Path p : s.filter(Files::isSymbolicLink).toList())
                m.put(etc.relativize(p).toString(), Files.readSymbolicLink(p).toString());
        }
        return m;
    }

    @Test
    void enableCreatesWhatSystemctlWould() throws IOException {
        ConfigureResult r = run(Service.enable("sshd"));
        // systemctl --root enable sshd.service: WantedBy (both, continuation joined), Alias, and Also=sshd.socket
        assertThat(links()).isEqualTo(Map.of(
                "multi-user.target.wants/sshd.service", "/usr/lib/systemd/system/sshd.service",
                "graphical.target.wants/sshd.service", "/usr/lib/systemd/system/sshd.service",
                "ssh.service", "/usr/lib/systemd/system/sshd.service",
                "sockets.target.wants/sshd.socket", "/usr/lib/systemd/system/sshd.socket"));
        assertThat(r.changes()).hasSize(4);
        assertThat(run(Service.enable("sshd.service")).changes()).isEmpty();
    }

    @Test
    void templatesUseTheInstanceOrDefaultInstance() throws IOException {
        run(Service.enable("getty@.service"), Service.enable("getty@ttyS0.service"), Service.enable("serial@ttyS1"));
        assertThat(links()).isEqualTo(Map.of(
                "getty.target.wants/getty@tty1.service", "/usr/lib/systemd/system/getty@.service",
                "console-getty@tty1.service", "/usr/lib/systemd/system/getty@.service",
                "getty.target.wants/getty@ttyS0.service", "/usr/lib/systemd/system/getty@.service",
                "console-getty@ttyS0.service", "/usr/lib/systemd/system/getty@.service",
                "multi-user.target.wants/serial@ttyS1.service", "/usr/lib/systemd/system/serial@.service",
                "serial@ttyS1-ready.target.requires/serial@ttyS1.service", "/usr/lib/systemd/system/serial@.service"));
        assertThatThrownBy(() -> run(Service.enable("serial@.service")))
                .hasMessageStartingWith("service serial@.service: a template unit needs an instance");
    }

    @Test
    void emptyAssignmentResetsAndQuotesAreRemoved() throws IOException {
        run(Service.enable("reset"));
        assertThat(links()).containsOnlyKeys("b.target.wants/reset.service");
    }

    @Test
    void unitInEtcWinsAndLinksPointThere() throws IOException {
        write("etc/systemd/system/sshd.service", "[Install]\nWantedBy=default.target\n");
        run(Service.enable("sshd"));
        assertThat(links()).isEqualTo(Map.of("default.target.wants/sshd.service", "/etc/systemd/system/sshd.service"));
    }

    @Test
    void staticUnitOnlyWarns() throws IOException {
        ConfigureResult r = run(Service.enable("static"));
        assertThat(links()).isEmpty();
        assertThat(r.warnings()).containsExactly(
                "unit static.service has no [Install] section entries (static unit): nothing to enable");
    }

    @Test
    void disableRemovesOnlyTheUnitsLinksAndMaskPointsAtDevNull() throws IOException {
        run(Service.enable("sshd"));
        Files.createSymbolicLink(root.resolve("etc/systemd/system/multi-user.target.wants/other.service"),
                Path.of("/usr/lib/systemd/system/other.service"));
        run(new Service("sshd", null, Action.DISABLE));
        assertThat(links()).isEqualTo(Map.of("multi-user.target.wants/other.service",
                "/usr/lib/systemd/system/other.service"));
        run(new Service("sshd.socket", null, Action.MASK));
        assertThat(links()).containsEntry("sshd.socket", "/dev/null");
        assertThatThrownBy(() -> run(Service.enable("sshd.socket"))).isInstanceOf(StageforgeException.class)
                .hasMessage("service sshd.socket: the unit is masked (etc/systemd/system/sshd.socket -> /dev/null)");
    }

    @Test
    void aliasSymlinkInTheSearchPathLeadsToTheRealUnit() throws IOException {
        Files.createSymbolicLink(root.resolve(LIB + "openssh.service"), Path.of("sshd.service"));
        run(Service.enable("openssh"));
        assertThat(links()).containsEntry("multi-user.target.wants/sshd.service", "/usr/lib/systemd/system/sshd.service")
                .containsEntry("ssh.service", "/usr/lib/systemd/system/sshd.service").hasSize(4);
    }

    /** Random unit files: enabling either works with every link inside etc/systemd/system, or fails with one line. */
    @Test
    void randomUnitFilesNeverEscapeOrCrash() throws IOException {
        String[] parts = {"[Install]", "[Unit]", "[Install", "WantedBy=", "Alias=", "Also=", "RequiredBy=",
                "DefaultInstance=", "x.target", "../y.target", "a b", "\"q.target\"", "'q", "%i", "%N", "%z", "\\",
                "# c", "; c", " ", "=", "rnd.service", "rnd@.service", "/etc/passwd", "\n", "\n", "\n"};
        java.util.Random rnd = new java.util.Random(42);
        Path etc = root.resolve("etc/systemd/system");
        for (int i = 0; i < 300; i++) {
            StringBuilder sb = new StringBuilder("[Install]\n");
            for (int k = rnd.nextInt(30); k > 0; k--) sb.append(parts[rnd.nextInt(parts.length)]);
            write(LIB + "rnd.service", sb.toString());
            try {
                run(Service.enable("rnd"));
            } catch (StageforgeException e) {
                assertThat(e.getMessage()).doesNotContain("\n");
            }
            if (Files.exists(etc)) {
                try (Stream<Path> s = Files.walk(etc)) {
                    for (Path p : s.toList()) assertThat(p.normalize().startsWith(etc)).as(p.toString()).isTrue();
                }
            }
        }
        assertThat(root.resolve("etc/passwd")).doesNotExist();
    }

    @Test
    void hostileOrBrokenUnitsAreRefusedByName() throws IOException {
        write(LIB + "evil.service", "[Install]\nWantedBy=../../../../tmp/x.target\n");
        write(LIB + "evil2.service", "[Install]\nAlias=../evil2.service\n");
        write(LIB + "spec.service", "[Install]\nWantedBy=%H.target\n");
        write(LIB + "broken.service", "[Install]\nWantedBy multi-user.target\n");
        assertThatThrownBy(() -> run(Service.enable("evil"))).isInstanceOf(StageforgeException.class)
                .hasMessage("service evil.service: invalid WantedBy=../../../../tmp/x.target in [Install]");
        assertThatThrownBy(() -> run(Service.enable("evil2")))
                .hasMessage("service evil2.service: invalid Alias=../evil2.service in [Install]");
        assertThatThrownBy(() -> run(Service.enable("spec")))
                .hasMessage("service spec.service: unsupported specifier %H in WantedBy=%H.target");
        assertThatThrownBy(() -> run(Service.enable("broken"))).isInstanceOf(ParseException.class)
                .hasMessage("usr/lib/systemd/system/broken.service:2:1: expected KEY=VALUE in [Install]");
        assertThatThrownBy(() -> run(Service.enable("../../etc/passwd"))).isInstanceOf(StageforgeException.class)
                .hasMessage("service '../../etc/passwd': invalid service name");
        assertThatThrownBy(() -> run(Service.enable("nope")))
                .hasMessageStartingWith("service nope.service: no unit file nope.service in etc/systemd/system");
        assertThat(links()).isEmpty();
        assertThat(root.resolve("tmp")).doesNotExist();
    }
}

package org.stageforge.pipeline;

import org.bouncycastle.bcpg.ArmoredInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ParseException;
import org.stageforge.StageforgeException;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.controller.ControllerConfig;
import org.stageforge.spec.SpecParser;
import org.stageforge.spec.StageSpec;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Date;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code [controller]}: parsing (one-line errors with file:line) and what the configure part installs into a root. */
class ControllerPartTest {
    static final String MINIMAL = """
            profile = "default/linux/amd64/23.0"
            [stage]
            name = "os"
            version = "1"
            [repo]
            path = "repo"
            [[binhost]]
            url = "https://example.org/bin"
            """;
    private static final String CONTROLLER = """
            [controller]
            server = "https://u.example.org/"
            channel = "stable"
            keyring = "release.asc"
            """;

    @TempDir
    Path tmp;

    private StageSpec parse(String text) throws Exception {
        return SpecParser.parse(Files.writeString(tmp.resolve("spec.toml"), text));
    }

    /** An armored public key as release.asc; its binary form. */
    private byte[] keyring() throws Exception {
        OpenPgp.GeneratedKey k = OpenPgp.generate("release <r@example.org>", null, new Date(1_700_000_000_000L));
        Files.write(tmp.resolve("release.asc"), k.publicArmored());
        try (InputStream in = ArmoredInputStream.builder().build(new ByteArrayInputStream(k.publicArmored()))) {
            return in.readAllBytes();
        }
    }

    @Test
    void parseErrorsNameTheFileAndLine() throws Exception {
        Files.writeString(tmp.resolve("release.asc"), "x");
        StageSpec s = parse(MINIMAL + CONTROLLER);
        assertThat(s.controller()).isEqualTo(new StageSpec.Controller("https://u.example.org", "stable", tmp.resolve("release.asc"),
                "channel", "controller", "partition"));
        assertThat(parse(MINIMAL).controller()).isNull();
        assertThatThrownBy(() -> parse(MINIMAL + CONTROLLER + "mode = \"rauc\"\n")).isInstanceOf(ParseException.class)
                .hasMessage("spec.toml:13:1: mode must be \"controller\" or \"sysupdate\", not 'rauc'");
        assertThatThrownBy(() -> parse(MINIMAL + CONTROLLER.replace("release.asc", "missing.gpg")))
                .hasMessageStartingWith("spec.toml:12:1: [controller] keyring ").hasMessageEndingWith("missing.gpg is not a file");
        assertThatThrownBy(() -> parse(MINIMAL + CONTROLLER + "mode = \"sysupdate\"\n"))
                .hasMessage("spec.toml:13:1: mode = \"sysupdate\" needs a root image format (squashfs or erofs) in [output] formats");
        assertThatThrownBy(() -> parse(MINIMAL + CONTROLLER + "sevrer = \"x\"\n")).hasMessageStartingWith("spec.toml:13:1: unknown key 'sevrer' in [controller]");
        assertThatThrownBy(() -> parse(MINIMAL + CONTROLLER.replace("https://u.example.org/", "file:///etc")))
                .hasMessageStartingWith("spec.toml:10:1: [controller] server must be an http(s) URL");
        assertThatThrownBy(() -> parse(MINIMAL + CONTROLLER + "sysupdate_target = \"/var/lib/x\"\n"))
                .hasMessage("spec.toml:13:1: sysupdate_target needs mode = \"sysupdate\"");
    }

    @Test
    void controllerModeInstallsTheControllerAndTheHealthServiceForTheRootsInit() throws Exception {
        byte[] binary = keyring();
        StageSpec spec = parse(MINIMAL + CONTROLLER + "release_source = \"fleet\"\n");
        Path root = tmp.resolve("openrc");
        Files.writeString(Files.createDirectories(root.resolve("sbin")).resolve("openrc-run"), "");
        assertThat(ControllerPart.install(spec, root)).contains("/usr/bin/stageforge-controller", "/usr/lib/stageforge-controller/bundle.sh",
                "/etc/init.d/stageforge-health", "/etc/runlevels/default/stageforge-health -> /etc/init.d/stageforge-health")
                .noneMatch(p -> p.contains("systemd"));
        assertThat(Files.readString(root.resolve("etc/stageforge/config.d/50-spec.conf"))).isEqualTo("""
                # written by stageforge from the spec's [controller]
                server = https://u.example.org
                channel = stable
                keyring = /etc/stageforge/keyring.gpg
                release_source = fleet
                """).isEqualTo(ControllerConfig.configD(spec.controller()));
        assertThat(Files.readAllBytes(root.resolve("etc/stageforge/keyring.gpg"))).isEqualTo(binary);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("usr/bin/stageforge-controller")))).isEqualTo("rwxr-xr-x");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("etc/init.d/stageforge-health")))).isEqualTo("rwxr-xr-x");
        assertThat(Files.readAllBytes(root.resolve("usr/lib/stageforge-controller/slot.sh"))).isEqualTo(Files.readAllBytes(Path.of("controller/lib/slot.sh")));
        assertThat(Files.readSymbolicLink(root.resolve("etc/runlevels/default/stageforge-health"))).isEqualTo(Path.of("/etc/init.d/stageforge-health"));

        Path sroot = tmp.resolve("systemd");
        Files.writeString(Files.createDirectories(sroot.resolve("usr/lib/systemd")).resolve("systemd"), "");
        assertThat(ControllerPart.install(spec, sroot)).contains("/usr/lib/systemd/system/stageforge-healthy.service",
                "/etc/systemd/system/multi-user.target.wants/stageforge-shutdown-ok.service -> /usr/lib/systemd/system/stageforge-shutdown-ok.service")
                .noneMatch(p -> p.contains("init.d"));
        assertThat(Files.readString(sroot.resolve("usr/lib/systemd/system/stageforge-healthy.service"))).contains("mark-healthy");

        // a symbolic link in the root is never written through; a root without an init is refused
        Path hostile = tmp.resolve("hostile");
        Files.writeString(Files.createDirectories(hostile.resolve("sbin")).resolve("openrc-run"), "");
        Files.createSymbolicLink(hostile.resolve("usr"), Path.of("../outside"));
        assertThatThrownBy(() -> ControllerPart.install(spec, hostile)).isInstanceOf(StageforgeException.class)
                .hasMessageContaining("symbolic link usr");
        assertThat(tmp.resolve("outside")).doesNotExist();
        assertThatThrownBy(() -> ControllerPart.install(spec, Files.createDirectories(tmp.resolve("bare"))))
                .hasMessageContaining("needs OpenRC (sbin/openrc) or systemd");
    }

    @Test
    void aBuildWithControllerInstallsItsFiles() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), CONTROLLER.replace("release.asc", "keys/release.gpg"));
        byte[] key = keyring();
        Files.write(Files.createDirectories(tmp.resolve("s/keys")).resolve("release.gpg"), key);
        BuildOptions o = BuildOptions.of(tmp.resolve("b"), tmp.resolve("out"));
        Build.run(SpecParser.parse(t.spec), o, Reporter.silent(o.buildDir().resolve("logs")));
        Path root = tmp.resolve("b/root");
        // the test stage's baselayout ships sbin/openrc: the OpenRC service, enabled
        assertThat(Files.readSymbolicLink(root.resolve("etc/runlevels/default/stageforge-health"))).isEqualTo(Path.of("/etc/init.d/stageforge-health"));
        assertThat(Files.readString(root.resolve("etc/stageforge/config.d/50-spec.conf"))).contains("server = https://u.example.org\n");
        assertThat(Files.readAllBytes(root.resolve("etc/stageforge/keyring.gpg"))).isEqualTo(key);
        assertThat(Files.isExecutable(root.resolve("usr/bin/stageforge-controller"))).isTrue();
    }

    @Test
    void sysupdateModeInstallsTheTransferAndThePullKeyring() throws Exception {
        byte[] binary = keyring();
        StageSpec spec = parse(MINIMAL + CONTROLLER + "mode = \"sysupdate\"\n[output]\nformats = [\"tar.zst\", \"erofs\"]\n");
        Path root = Files.createDirectories(tmp.resolve("root"));
        assertThat(ControllerPart.install(spec, root)).containsExactly(ControllerConfig.SYSUPDATE_KEYRING, ControllerConfig.TRANSFER);
        assertThat(Files.readAllBytes(root.resolve("etc/systemd/import-pubring.gpg"))).isEqualTo(binary);
        assertThat(Files.readString(root.resolve("usr/lib/sysupdate.d/50-stageforge-root.conf"))).isEqualTo("""
                # written by stageforge from the spec's [controller]
                [Transfer]
                Verify=yes

                [Source]
                Type=url-file
                Path=https://u.example.org/releases/stable/
                MatchPattern=os_@v.root.erofs

                [Target]
                Type=partition
                Path=auto
                MatchPattern=os_@v
                MatchPartitionType=root
                ReadOnly=1
                """);
        assertThat(root.resolve("usr/bin/stageforge-controller")).doesNotExist();
    }
}

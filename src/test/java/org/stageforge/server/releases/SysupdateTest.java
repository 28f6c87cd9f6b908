package org.stageforge.server.releases;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.controller.ControllerConfig;
import org.stageforge.image.RootImage;
import org.stageforge.spec.SpecParser;
import org.stageforge.spec.StageSpec;
import org.stageforge.testutil.DebianMirror;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * systemd-sysupdate (Debian's systemd 254 from bookworm-backports, downloaded with {@code apt-get download} and
 * unpacked with {@code dpkg-deb -x} into a temporary directory, never installed) pulls a release from a channel
 * into a directory target with signature verification on.
 *
 * <p>systemd-pull verifies SHA256SUMS.gpg with gpg against a fixed keyring path
 * ({@code /etc/systemd/import-pubring.gpg}, else {@code /lib/systemd/import-pubring.gpg}); no option or
 * {@code --root} changes it. So sysupdate runs in a private user and mount namespace ({@code unshare -Urm}) where a
 * tmpfs over {@code /etc/systemd} holds the test's key as {@code import-pubring.gpg}; the host's files are untouched.
 */
class SysupdateTest {
    @Test
    void sysupdatePullsAndVerifiesTheChannelsReleaseIntoADirectory(@TempDir Path tmp) throws Exception {
        Path root = unpackSysupdate(tmp.resolve("systemd"));
        assumeTrue(Files.isDirectory(Path.of("/etc/systemd")), "no /etc/systemd to mount the test keyring over");
        assumeTrue(TestReleases.run(tmp, "unshare", "-Urm", "true").getKey() == 0, "unshare -Urm (user namespaces) is not available");
        assumeTrue(TestReleases.run(tmp, "sh", "-c", "command -v gpg").getKey() == 0, "gpg is not installed (systemd-pull verifies with it)");

        TestReleases.Key key = TestReleases.key(tmp.resolve("key"), "sysupdate signer");
        TestReleases.Key stranger = TestReleases.key(tmp.resolve("stranger"), "stranger");
        try (TestReleases s = new TestReleases(tmp.resolve("data"), 1 << 24)) {
            s.releases.createChannel("stable", key.armored());
            ReleaseClient client = new ReleaseClient(s.server.uri(), s.token("channel:stable:write"));
            Path v1 = release(tmp, key, "1.0");
            client.publish(v1, "stable", null, null);
            Path target = Files.createDirectories(tmp.resolve("target"));
            Path defs = Files.createDirectories(tmp.resolve("sysupdate.d"));
            Files.writeString(defs.resolve("50-stage.conf"), """
                    [Transfer]
                    Verify=yes

                    [Source]
                    Type=url-file
                    Path=%s/releases/stable/
                    MatchPattern=stage-@v.tar.zst

                    [Target]
                    Type=regular-file
                    Path=%s
                    MatchPattern=stage-@v.tar.zst
                    """.formatted(s.server.uri(), target));

            var first = sysupdate(root, tmp, defs, key.binary(), "update");
            assertThat(first.getKey()).as(first.getValue()).isZero();
            assertThat(first.getValue()).contains("Signature verification succeeded").contains("Successfully installed update '1.0'");
            assertThat(Files.readAllBytes(target.resolve("stage-1.0.tar.zst"))).isEqualTo(Files.readAllBytes(v1.resolve("stage-1.0.tar.zst")));

            // a new release in the channel: sysupdate sees it and installs it beside the old one
            Path v2 = release(tmp, key, "2.0");
            client.publish(v2, "stable", null, null);
            var list = sysupdate(root, tmp, defs, key.binary(), "list");
            assertThat(list.getValue()).contains("2.0");
            var second = sysupdate(root, tmp, defs, key.binary(), "update");
            assertThat(second.getKey()).as(second.getValue()).isZero();
            assertThat(Files.readAllBytes(target.resolve("stage-2.0.tar.zst"))).isEqualTo(Files.readAllBytes(v2.resolve("stage-2.0.tar.zst")));

            // verification is really on: with another key trusted, the manifest is refused and nothing is installed
            Path v3 = release(tmp, key, "3.0");
            client.publish(v3, "stable", null, null);
            var refused = sysupdate(root, tmp, defs, stranger.binary(), "update");
            assertThat(refused.getKey()).as(refused.getValue()).isNotZero();
            assertThat(refused.getValue()).containsIgnoringCase("signature");
            assertThat(listing(target)).containsExactly("stage-1.0.tar.zst", "stage-2.0.tar.zst");

            // the transfer file a build installs for [controller] mode = "sysupdate" (the root image, named as
            // RootImage.fileName names it), with the keyring the build copies, pulls the channel's image
            s.releases.createChannel("os", key.armored());
            Path spec = Files.writeString(tmp.resolve("spec.toml"), """
                    profile = "default/linux/amd64/23.0"
                    [stage]
                    name = "os"
                    version = "1.0"
                    [repo]
                    path = "repo"
                    [[binhost]]
                    url = "https://example.org/bin"
                    [output]
                    formats = ["erofs"]
                    [controller]
                    server = "%s"
                    channel = "os"
                    keyring = "%s"
                    mode = "sysupdate"
                    sysupdate_target = "%s"
                    """.formatted(s.server.uri(), key.armored(), Files.createDirectories(tmp.resolve("images"))));
            StageSpec parsed = SpecParser.parse(spec);
            byte[] image = "erofs image of 1.0\n".repeat(3000).getBytes(StandardCharsets.UTF_8);
            String imageName = RootImage.fileName("os", "1.0", RootImage.Format.EROFS);
            new ReleaseClient(s.server.uri(), s.token("channel:os:write"))
                    .publish(TestReleases.output(tmp.resolve("out-os"), "os", "1.0", Map.of(imageName, image), key, null), "os", null, null);
            Path transfer = Files.createDirectories(tmp.resolve("os.d")).resolve("50-stageforge-root.conf");
            Files.writeString(transfer, ControllerConfig.transfer(parsed));
            var os = sysupdate(root, tmp, transfer.getParent(), key.binary(), "update");
            assertThat(os.getKey()).as(os.getValue()).isZero();
            assertThat(os.getValue()).contains("Signature verification succeeded");
            assertThat(Files.readAllBytes(tmp.resolve("images").resolve(imageName))).isEqualTo(image);
        }
    }

    private static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static Path release(Path tmp, TestReleases.Key key, String version) throws IOException {
        return TestReleases.output(tmp.resolve("out-" + version), "stage", version,
                Map.of("stage-" + version + ".tar.zst", ("root image of " + version + "\n").repeat(5000).getBytes(StandardCharsets.UTF_8)),
                key, null);
    }

    /** Runs systemd-sysupdate from the unpacked package with {@code keyring} as systemd-pull's trusted keys. */
    private static Map.Entry<Integer, String> sysupdate(Path root, Path tmp, Path defs, Path keyring, String verb) throws Exception {
        String script = "set -e; mount -t tmpfs tmpfs /etc/systemd; cp \"$1\" /etc/systemd/import-pubring.gpg; "
                + "export SYSTEMD_PULL_PATH=\"$2/lib/systemd/systemd-pull\" LD_LIBRARY_PATH=\"$2/usr/lib/x86_64-linux-gnu/systemd\"; "
                + "exec \"$2/lib/systemd/systemd-sysupdate\" --no-pager --definitions=\"$3\" \"$4\"";
        return TestReleases.run(tmp, "unshare", "-Urm", "sh", "-c", script, "sysupdate", keyring.toString(), root.toString(),
                defs.toString(), verb);
    }

    /** Downloads systemd, libsystemd-shared and systemd-container from bookworm-backports and unpacks them; skips when that fails. */
    private static Path unpackSysupdate(Path dir) throws Exception {
        Files.createDirectories(dir);
        assumeTrue(TestReleases.run(dir, "sh", "-c", "command -v apt-get && command -v dpkg-deb").getKey() == 0,
                "apt-get or dpkg-deb is not installed (not Debian)");
        String offline = DebianMirror.unreachable();
        assumeTrue(offline == null, () -> "cannot download systemd from bookworm-backports: " + offline);
        var dl = TestReleases.run(dir, "apt-get", "download", "-t", "bookworm-backports", "systemd", "libsystemd-shared", "systemd-container");
        assumeTrue(dl.getKey() == 0, "cannot download systemd from bookworm-backports (apt-get download): " + dl.getValue().strip());
        Path root = dir.resolve("root");
        List<Path> debs = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> p.toString().endsWith(".deb")).sorted().forEach(debs::add);
        }
        for (Path deb : debs) {
            var x = TestReleases.run(dir, "dpkg-deb", "-x", deb.toString(), root.toString());
            assertThat(x.getKey()).as(x.getValue()).isZero();
        }
        Path bin = root.resolve("lib/systemd/systemd-sysupdate");
        assumeTrue(Files.isExecutable(bin) && Files.isExecutable(root.resolve("lib/systemd/systemd-pull")),
                "the downloaded systemd packages hold no systemd-sysupdate/systemd-pull");
        var v = TestReleases.run(dir, "env", "LD_LIBRARY_PATH=" + root.resolve("usr/lib/x86_64-linux-gnu/systemd"), bin.toString(), "--version");
        assertThat(v.getKey()).as(v.getValue()).isZero();
        int major = Integer.parseInt(v.getValue().replaceAll("(?s)^systemd (\\d+).*", "$1"));
        assertThat(major).as("systemd from bookworm-backports").isGreaterThanOrEqualTo(254);
        return root;
    }
}

package org.stageforge.pipeline;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.stageforge.archive.Compression;
import org.stageforge.archive.TarEntry;
import org.stageforge.archive.TarLimits;
import org.stageforge.archive.TarReader;
import org.stageforge.profile.PortageConfig;
import org.stageforge.spec.SpecParser;
import org.stageforge.spec.StageSpec;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's run command: the embedded example stages build from this repository alone, sign
 * with the example key, and rebuild to the same bytes.
 */
class ExampleStageTest {
    @TempDir
    Path tmp;

    private static final Path EXAMPLES = Path.of("examples").toAbsolutePath();

    private Path build(String spec, String dir) {
        StageSpec s = SpecParser.parse(EXAMPLES.resolve(spec));
        Path out = tmp.resolve(dir + "/out");
        Build.run(s, BuildOptions.of(tmp.resolve(dir + "/build"), out).withUnprivileged(true), Reporter.silent(tmp.resolve(dir + "/logs")));
        return out;
    }

    private record Member(TarEntry entry, String text) {}

    private static Map<String, Member> archive(Path file) throws Exception {
        Map<String, Member> out = new TreeMap<>();
        try (InputStream in = Compression.ZSTD.decompress(Files.newInputStream(file));
             TarReader tar = new TarReader(in, file.toString(), TarLimits.DEFAULT)) {
            TarEntry e;
            while ((e = tar.next()) != null) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                if (e.type() == TarEntry.Type.FILE) tar.content().transferTo(b);
                out.put(e.path(), new Member(e, b.toString(StandardCharsets.UTF_8)));
            }
        }
        return out;
    }

    private static String sha256(Path p) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }

    private static int gpg(Path home, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("gpg", "--homedir", home.toString(), "--batch", "--no-autostart"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor();
    }

    @ParameterizedTest
    @ValueSource(strings = {"openrc", "systemd"})
    void exampleStageBuildsSignsAndReproduces(String flavour) throws Exception {
        String name = "example-" + flavour + "-1.0";
        Path out = build("stage-" + flavour + ".toml", "a");
        for (String f : List.of(name + ".tar.zst", name + ".json", name + ".pub.asc", "SHA256SUMS", "SHA512SUMS", "SHA256SUMS.gpg")) {
            assertThat(out.resolve(f)).isRegularFile();
        }
        assertThat(Files.readString(out.resolve("SHA256SUMS"))).contains(sha256(out.resolve(name + ".tar.zst")) + "  " + name + ".tar.zst\n");

        Path home = Files.createDirectories(tmp.resolve("gnupg"));
        Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        assertThat(gpg(home, "--import", out.resolve(name + ".pub.asc").toString())).isZero();
        assertThat(gpg(home, "--verify", out.resolve("SHA256SUMS.gpg").toString(), out.resolve("SHA256SUMS").toString())).isZero();
        // the key shipped in examples/ verifies it too
        Path home2 = Files.createDirectories(tmp.resolve("gnupg2"));
        Files.setPosixFilePermissions(home2, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        assertThat(gpg(home2, "--import", EXAMPLES.resolve("keys/example-signing-key.pub.asc").toString())).isZero();
        assertThat(gpg(home2, "--verify", out.resolve("SHA256SUMS.gpg").toString(), out.resolve("SHA256SUMS").toString())).isZero();

        Map<String, Member> tar = archive(out.resolve(name + ".tar.zst"));
        // root owns everything but the configured user's home and the service user's state dir
        tar.forEach((path, m) -> {
            if (path.startsWith("./home/larry") || path.equals("./var/lib/hello/")) return;
            assertThat(m.entry().uid()).as(path).isZero();
            assertThat(m.entry().gid()).as(path).isZero();
        });
        assertThat(tar.get("./home/larry/").entry().uid()).isEqualTo(1000);
        assertThat(tar.get("./home/larry/.ssh/authorized_keys").entry().mode()).isEqualTo(0600);
        assertThat(tar.get("./var/lib/hello/").entry().uid()).isEqualTo(350);
        assertThat(tar.get("./tmp/").entry().mode()).isEqualTo(01777);
        assertThat(tar.get("./etc/passwd").text()).containsPattern("(?m)^larry:x:1000:1000::/home/larry:/bin/bash$")
                .containsPattern("(?m)^hello:x:350:350:");
        assertThat(tar.get("./etc/group").text()).containsPattern("(?m)^wheel:x:10:root,larry$");
        assertThat(tar.get("./etc/shadow").text()).containsPattern("(?m)^root:!");
        assertThat(tar.get("./etc/localtime").entry().linkTarget()).isEqualTo("../usr/share/zoneinfo/Europe/Berlin");
        assertThat(tar.get("./etc/timezone").text()).isEqualTo("Europe/Berlin\n");
        assertThat(tar.get("./etc/locale.gen").text()).contains("en_US.UTF-8 UTF-8\n", "de_DE.UTF-8 UTF-8\n");
        assertThat(tar.get("./etc/env.d/02locale").text()).contains("LANG=\"en_US.UTF-8\"");
        if (flavour.equals("openrc")) {
            assertThat(tar.get("./etc/runlevels/default/hello").entry().linkTarget()).isEqualTo("/etc/init.d/hello");
            assertThat(tar.get("./etc/conf.d/hostname").text()).contains("hostname=\"example\"");
            assertThat(tar).doesNotContainKey("./usr/lib/systemd/system/hello.service"); // INSTALL_MASK="@systemd"
        } else {
            assertThat(tar.get("./etc/systemd/system/multi-user.target.wants/hello.service").entry().linkTarget())
                    .isEqualTo("/usr/lib/systemd/system/hello.service");
            assertThat(tar.get("./etc/systemd/system/greeter.service").entry().linkTarget())
                    .isEqualTo("/usr/lib/systemd/system/hello.service");
            assertThat(tar.get("./etc/hostname").text()).isEqualTo("example\n");
            assertThat(tar).doesNotContainKey("./usr/share/doc/hello-1.0/README"); // INSTALL_MASK="@docs"
        }

        assertShipsItsPortageConfiguration(tar, flavour);

        // a second build from scratch gives the same bytes, signature included (Ed25519 + fixed time)
        Path again = build("stage-" + flavour + ".toml", "b");
        for (String f : List.of(name + ".tar.zst", "SHA256SUMS", "SHA512SUMS", "SHA256SUMS.gpg", name + ".json")) {
            assertThat(sha256(again.resolve(f))).as(f).isEqualTo(sha256(out.resolve(f)));
        }
    }

    /**
     * The stage is a real stage3: its etc/portage is what the build used, without build-host paths, and the profile
     * loader reads it back from the unpacked archive as the config root of a chroot.
     */
    private void assertShipsItsPortageConfiguration(Map<String, Member> tar, String flavour) throws Exception {
        String profile = "default/linux/amd64/example" + (flavour.equals("systemd") ? "/systemd" : "");
        assertThat(tar.get("./etc/portage/make.profile").entry().linkTarget())
                .isEqualTo("../../var/db/repos/example/profiles/" + profile);
        String makeConf = tar.get("./etc/portage/make.conf").text();
        String repos = tar.get("./etc/portage/repos.conf/example.conf").text();
        assertThat(repos).contains("[DEFAULT]\nmain-repo = example\n", "[example]\nlocation = /var/db/repos/example\n");
        if (flavour.equals("openrc")) {
            assertThat(makeConf).contains("ACCEPT_LICENSE=\"*\"\n",
                    "# INSTALL_MASK=\"@systemd\" with stageforge's install-mask sets expanded",
                    "\nINSTALL_MASK=\"/lib/systemd /usr/lib/systemd /etc/systemd /usr/lib/sysusers.d /usr/share/systemd\"\n");
        } else {
            assertThat(makeConf).contains("\nINSTALL_MASK=\"/usr/share/doc /usr/share/gtk-doc\"\n");
        }
        // the local binhost is a path of the build host: no binrepos.conf
        assertThat(tar).doesNotContainKey("./etc/portage/binrepos.conf/stageforge.conf");
        for (String p : List.of("./etc/portage/make.conf", "./etc/portage/repos.conf/example.conf",
                "./var/db/repos/example/profiles/repo_name", "./var/db/repos/example/metadata/layout.conf")) {
            assertThat(tar.get(p).entry().mode()).as(p).isEqualTo(0644);
        }
        assertThat(tar.get("./etc/portage/").entry().mode()).isEqualTo(0755);
        assertThat(tar.get("./var/db/repos/example/profiles/repo_name").text()).isEqualTo("example\n");
        tar.forEach((path, m) -> {
            if (path.startsWith("./etc/portage/")) assertThat(m.text()).as(path).doesNotContain(tmp.toString(), EXAMPLES.toString());
        });

        Path root = tmp.resolve("unpacked-" + flavour);
        for (Map.Entry<String, Member> e : tar.entrySet()) {
            if (!e.getKey().startsWith("./etc/portage/") && !e.getKey().startsWith("./var/db/repos/")) continue;
            Path p = root.resolve(e.getKey().substring(2));
            switch (e.getValue().entry().type()) {
                case DIR -> Files.createDirectories(p);
                case SYMLINK -> Files.createSymbolicLink(p, Path.of(e.getValue().entry().linkTarget()));
                default -> Files.writeString(p, e.getValue().text());
            }
        }
        PortageConfig c = PortageConfig.loadRoot(root, Map.of());
        Path repo = root.toRealPath().resolve("var/db/repos/example");
        assertThat(c.profile().repos().get("example").location()).isEqualTo(repo);
        assertThat(c.chain()).startsWith("base", "arch/amd64").contains("default/linux/amd64/example").endsWith(profile);
        assertThat(c.get("ACCEPT_LICENSE")).isEqualTo("*");
        if (flavour.equals("openrc")) {
            assertThat(c.get("INSTALL_MASK")).isEqualTo("/lib/systemd /usr/lib/systemd /etc/systemd /usr/lib/sysusers.d /usr/share/systemd");
            assertThat(c.use()).doesNotContain("systemd");
        } else {
            assertThat(c.use()).contains("systemd");
        }
    }

    @org.junit.jupiter.api.Test
    void gentooBinhostExampleIsAValidSpec() {
        StageSpec s = SpecParser.parse(EXAMPLES.resolve("stage-gentoo-binhost.toml"));
        assertThat(s.profile()).isEqualTo("default/linux/amd64/23.0");
        assertThat(s.repo()).isInstanceOf(StageSpec.SnapshotRepo.class);
        assertThat(s.binhosts()).singleElement().satisfies(b -> {
            assertThat(b.url()).startsWith("https://");
            assertThat(b.requireSignatures()).isTrue();
        });
        assertThat(s.output().oci()).isTrue();
    }
}

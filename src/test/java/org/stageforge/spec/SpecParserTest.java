package org.stageforge.spec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.stageforge.ParseException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SpecParserTest {
    @TempDir
    Path tmp;

    static final String MINIMAL = """
            profile = "default/linux/amd64/23.0"
            [stage]
            name = "s"
            version = "1"
            [repo]
            path = "repo"
            [[binhost]]
            url = "https://example.org/bin"
            """;

    private StageSpec parse(String text) throws IOException {
        Path f = tmp.resolve("spec.toml");
        Files.writeString(f, text);
        return SpecParser.parse(f);
    }

    @Test
    void everyKey() throws IOException {
        Files.writeString(tmp.resolve("key.asc"), "x");
        StageSpec s = parse("""
                profile = "default/linux/amd64/23.0"
                package_use = ["app-misc/hello -nls ssl"]
                accept_keywords = ["app-misc/hello ~amd64", "dev-lang/rust"]
                package_mask = [">=sys-libs/glibc-3"]
                package_unmask = ["=sys-libs/glibc-3.0"]
                package_license = ["app-misc/hello MIT"]
                world = ["app-misc/hello", "@extra"]
                mixins = ["no-systemd"]
                phases = false

                [stage]
                name = "stage3"
                version = "2024.1"

                [repo]
                name = "gentoo"
                git = "https://example.org/gentoo.git"
                commit = "0123456789abcdef0123456789abcdef01234567"

                [[binhost]]
                url = "https://example.org/bin"
                keyring = "key.asc"
                require_signatures = true

                [[binhost]]
                url = "local-bin"

                [[binhost]]
                sources = "pkgs"

                [make_conf]
                FEATURES = "-news"
                INSTALL_MASK = "@docs"

                [install_mask_sets]
                extra = ["/usr/share/x", "/opt/y"]

                [system]
                init = "openrc"
                hostname = "box"
                locales = ["en_US.UTF-8 UTF-8", "de_DE.UTF-8"]
                lang = "en_US.UTF-8"
                lc_collate = "C"
                timezone = "Europe/Berlin"
                keymap = "de-latin1"
                root_password = "$6$salt$hash"
                [[system.fstab]]
                device = "LABEL=root"
                mountpoint = "/"
                type = "ext4"
                options = "noatime"
                dump = 0
                pass = 1
                [[system.groups]]
                name = "wheel2"
                gid = 2000
                [[system.users]]
                name = "alice"
                uid = 1000
                group = "users"
                groups = ["wheel"]
                home = "/home/alice"
                shell = "/bin/zsh"
                comment = "Alice"
                password = "$6$x$y"
                authorized_keys = ["ssh-ed25519 AAAA alice"]
                [system.services]
                openrc = ["sshd", "net.eth0:boot"]

                [cleanup]
                paths = ["/usr/share/doc/*", "/var/**.tmp"]
                minimal = true
                headers = true

                [kernel]
                image = "vmlinuz"
                initramfs = "initrd.img"
                version = "6.6.1"

                [output]
                formats = ["tar.zst", "tar.xz"]
                oci = true
                oci_compression = "zstd"
                signing_key = "key.asc"
                passphrase_file = "pass"
                repository = true

                [hooks]
                before-pack = ["echo hi"]
                after-install = ["true", "false"]
                """);
        assertThat(s.name()).isEqualTo("stage3");
        assertThat(s.version()).isEqualTo("2024.1");
        assertThat(s.repo()).isEqualTo(new StageSpec.GitRepo("gentoo", "https://example.org/gentoo.git", "0123456789abcdef0123456789abcdef01234567"));
        assertThat(s.binhosts()).containsExactly(new StageSpec.BinhostSpec("https://example.org/bin", "https://example.org/bin", null, tmp.resolve("key.asc"), true),
                new StageSpec.BinhostSpec(tmp.resolve("local-bin").toString(), "local-bin", null, null, false),
                new StageSpec.BinhostSpec(null, "sources:pkgs", tmp.resolve("pkgs"), null, false));
        assertThat(s.profile()).isEqualTo("default/linux/amd64/23.0");
        assertThat(s.makeConf()).isEqualTo(Map.of("FEATURES", "-news", "INSTALL_MASK", "@docs"));
        assertThat(s.packageUse()).containsExactly("app-misc/hello -nls ssl");
        assertThat(s.acceptKeywords()).hasSize(2);
        assertThat(s.packageMask()).containsExactly(">=sys-libs/glibc-3");
        assertThat(s.packageUnmask()).containsExactly("=sys-libs/glibc-3.0");
        assertThat(s.packageLicense()).containsExactly("app-misc/hello MIT");
        assertThat(s.world()).containsExactly("app-misc/hello", "@extra");
        assertThat(s.mixins()).containsExactly("no-systemd");
        assertThat(s.phases()).isFalse();
        assertThat(s.installMaskSets()).isEqualTo(Map.of("extra", List.of("/usr/share/x", "/opt/y")));
        SystemSpec sys = s.system();
        assertThat(sys.init()).isEqualTo("openrc");
        assertThat(sys.hostname()).isEqualTo("box");
        assertThat(sys.locales()).containsExactly("en_US.UTF-8 UTF-8", "de_DE.UTF-8");
        assertThat(sys.lang()).isEqualTo("en_US.UTF-8");
        assertThat(sys.lcCollate()).isEqualTo("C");
        assertThat(sys.timezone()).isEqualTo("Europe/Berlin");
        assertThat(sys.keymap()).isEqualTo("de-latin1");
        assertThat(sys.rootPassword()).isEqualTo("$6$salt$hash");
        assertThat(sys.fstab()).containsExactly(new SystemSpec.Fstab("LABEL=root", "/", "ext4", "noatime", 0, 1));
        assertThat(sys.groups()).containsExactly(new SystemSpec.Group("wheel2", 2000));
        assertThat(sys.users()).containsExactly(new SystemSpec.User("alice", 1000, "users", List.of("wheel"), "/home/alice",
                "/bin/zsh", "Alice", "$6$x$y", List.of("ssh-ed25519 AAAA alice")));
        assertThat(sys.openrc()).containsExactly("sshd", "net.eth0:boot");
        assertThat(s.cleanup()).isEqualTo(new StageSpec.Cleanup(List.of("/usr/share/doc/*", "/var/**.tmp"), true, true));
        assertThat(s.kernel()).isEqualTo(new StageSpec.Kernel(tmp.resolve("vmlinuz"), tmp.resolve("initrd.img"), "6.6.1", null));
        assertThat(s.output()).isEqualTo(new StageSpec.Output(List.of("tar.zst", "tar.xz"), true, "zstd", tmp.resolve("key.asc"), tmp.resolve("pass"), true, StageSpec.Image.NONE));
        assertThat(s.hooks()).isEqualTo(Map.of("before-pack", List.of("echo hi"), "after-install", List.of("true", "false")));
        assertThat(s.section("world")).isEqualTo("world=[\"app-misc/hello\",\"@extra\"]\n");
    }

    @Test
    void dracutInitramfs() throws IOException {
        StageSpec s = parse(MINIMAL + """
                [kernel]
                package = "sys-kernel/gentoo-kernel-bin"
                initramfs_builder = "dracut"
                initramfs_modules = ["virtio_blk"]
                initramfs_controller = true
                """);
        assertThat(s.kernel().generate()).isEqualTo(new StageSpec.GeneratedInitramfs(null, List.of(), List.of("virtio_blk"),
                new StageSpec.InitramfsController(null, null, null), new StageSpec.Dracut("zstd")));
        assertThat(parse(MINIMAL + "[kernel]\npackage = \"sys-kernel/k\"\ninitramfs_builder = \"dracut\"\ninitramfs_compress = \"none\"\n")
                .kernel().generate().dracut()).isEqualTo(new StageSpec.Dracut("none"));
        assertThat(parse(MINIMAL + "[kernel]\npackage = \"sys-kernel/k\"\ninitramfs_builder = \"stageforge\"\n").kernel().generate()).isNull();
    }

    @Test
    void defaultsAndOtherRepoForms() throws IOException {
        StageSpec s = parse(MINIMAL);
        assertThat(s.repo()).isEqualTo(new StageSpec.DirRepo("gentoo", tmp.resolve("repo"), null));
        assertThat(s.output()).isEqualTo(new StageSpec.Output(List.of("tar.zst"), false, "gzip", null, null, false, StageSpec.Image.NONE));
        assertThat(s.system()).isEqualTo(SystemSpec.EMPTY);
        assertThat(s.phases()).isTrue();
        assertThat(s.kernel().configured()).isFalse();
        assertThat(s.cleanup()).isEqualTo(new StageSpec.Cleanup(List.of(), false, false));
        String digest = "ab".repeat(64);
        s = parse(MINIMAL.replace("path = \"repo\"", "snapshot = \"gentoo.tar.xz\"\nblake2b = \"" + digest + "\""));
        assertThat(s.repo()).isEqualTo(new StageSpec.SnapshotRepo("gentoo", tmp.resolve("gentoo.tar.xz"), null, "BLAKE2B", digest, null));
    }

    static Stream<Arguments> errors() {
        return Stream.of(
                Arguments.of("[system]\nhostnme = \"x\"", "spec.toml:11:1: unknown key 'hostnme' in [system]"),
                Arguments.of("colour = 1", "spec.toml:1:1: unknown key 'colour' in the top level"),
                Arguments.of("[output]\nformats = [\"zip\"]", "spec.toml:11:12: format must be tar.zst, tar.xz, squashfs, erofs, disk or qcow2, not 'zip'"),
                Arguments.of("[output]\noci = \"yes\"", "spec.toml:11:1: [output] oci: expected true or false"),
                Arguments.of("world = [\"app-misc/hello\", \"not an atom\"]", "spec.toml:1:28: bad atom 'not an atom'"),
                Arguments.of("[system]\ntimezone = \"../../etc/shadow\"", "spec.toml:11:1: bad timezone '../../etc/shadow'"),
                Arguments.of("[cleanup]\npaths = [\"/\"]", "spec.toml:11:10: cleanup path must be absolute inside the root and not '/': '/'"),
                Arguments.of("[hooks]\nbefore-bake = [\"x\"]", "spec.toml:11:1: unknown key 'before-bake' in [hooks] (did you mean 'before-pack'?)"),
                Arguments.of("[hooks]\nbefore-everything = [\"x\"]", "spec.toml:11:1: unknown key 'before-everything' in [hooks] (before-PART or after-PART)"),
                Arguments.of("mixins = [\"no-such\"]", "spec.toml:1:11: unknown mix-in 'no-such'"),
                Arguments.of("[[system.users]]\nname = \"Root Kit\"", "spec.toml:11:1: bad account name 'Root Kit'"),
                Arguments.of("[system.services]\nopenrc = [\"a\"]\nsystemd = [\"b.service\"]", "spec.toml:12:1: services.openrc and services.systemd exclude each other"),
                Arguments.of("[kernel]\nimage = \"vmlinuz\"", "spec.toml:11:1: [kernel] image needs a version"),
                Arguments.of("[kernel]\npackage = \"sys-kernel/k\"\ninitramfs_files = [\"/bin\"]", "spec.toml:12:1: initramfs_files and initramfs_modules need initramfs_init"),
                Arguments.of("[kernel]\npackage = \"sys-kernel/k\"\ninitramfs_init = \"init\"", "spec.toml:12:1: 'init' is not an absolute path in the root"),
                Arguments.of("[kernel]\npackage = \"sys-kernel/k\"\ninitramfs_init = \"/init\"\ninitramfs_controller = true", "spec.toml:12:1: [kernel] takes initramfs_init or initramfs_controller, not both"),
                Arguments.of("[kernel]\npackage = \"sys-kernel/k\"\ncontroller_server = \"https://x\"", "spec.toml:12:1: controller_server needs initramfs_controller = true"),
                Arguments.of("[kernel]\npackage = \"sys-kernel/k\"\ninitramfs_controller = true\ncontroller_server = \"https://x\"\ncontroller_channel = \"stable\"", "spec.toml:13:1: controller_server needs controller_keyring"),
                Arguments.of("[kernel]\npackage = \"sys-kernel/k\"\ninitramfs_builder = \"mkinitcpio\"", "spec.toml:12:1: initramfs_builder must be \"stageforge\" or \"dracut\", not 'mkinitcpio'"),
                Arguments.of("[kernel]\npackage = \"sys-kernel/k\"\ninitramfs_compress = \"none\"", "spec.toml:12:1: initramfs_compress needs initramfs_builder = \"dracut\""),
                Arguments.of("[kernel]\npackage = \"sys-kernel/k\"\ninitramfs_builder = \"dracut\"\ninitramfs_compress = \"lz4\"", "spec.toml:13:1: initramfs_compress must be \"zstd\" or \"none\""),
                Arguments.of("[kernel]\npackage = \"sys-kernel/k\"\ninitramfs_builder = \"dracut\"\ninitramfs_init = \"/init\"", "spec.toml:13:1: initramfs_init is for initramfs_builder = \"stageforge\""),
                Arguments.of("[output]\nformats = [\"disk\", \"iso\"]", "spec.toml:11:20: format must be tar.zst, tar.xz, squashfs, erofs, disk or qcow2, not 'iso'"),
                Arguments.of("[output.disk]\nslot_b = \"half\"", "spec.toml:11:1: slot_b must be empty or filled"),
                Arguments.of("[output.disk]\nroot_fs = \"btrfs\"", "spec.toml:11:1: root_fs must be ext4, erofs or squashfs"),
                Arguments.of("[make_conf]\nUSE = 3", "spec.toml:11:1: [make_conf] USE: expected a string"),
                Arguments.of("[stage]\nname = \"x\"", "spec.toml:10:1"));
    }

    @ParameterizedTest
    @MethodSource("errors")
    void errorsNameTheLine(String extra, String message) throws IOException {
        String e = extra;
        // top-level keys go first (after a table they would belong to it), tables after the minimal spec
        String text = e.startsWith("[") ? MINIMAL + "\n" + e + "\n" : e + "\n" + MINIMAL;
        assertThatThrownBy(() -> parse(text))
                .isInstanceOf(ParseException.class).hasMessageStartingWith(message);
    }

    @Test
    void misspelledKeysGetASuggestion() {
        assertThatThrownBy(() -> parse(MINIMAL + "[system]\nhostnme = \"x\"\n"))
                .hasMessage("spec.toml:10:1: unknown key 'hostnme' in [system] (did you mean 'hostname'?)");
        assertThatThrownBy(() -> parse("profle = \"x\"\n" + MINIMAL))
                .hasMessage("spec.toml:1:1: unknown key 'profle' in the top level (did you mean 'profile'?)");
        // a required key that is missing because it is misspelled names the misspelling
        assertThatThrownBy(() -> parse(MINIMAL.replace("[stage]", "[stag]")))
                .hasMessage("spec.toml:2:1: unknown key 'stag' in the top level (did you mean 'stage'?)");
        assertThatThrownBy(() -> parse(MINIMAL.replace("version =", "verison =")))
                .hasMessage("spec.toml:4:1: unknown key 'verison' in [stage] (did you mean 'version'?)");
        assertThatThrownBy(() -> parse(MINIMAL.replace("path = \"repo\"", "pth = \"repo\"")))
                .hasMessage("spec.toml:6:1: unknown key 'pth' in [repo] (did you mean 'path'?)");
        assertThatThrownBy(() -> parse(MINIMAL.replace("url =", "ulr =")))
                .hasMessage("spec.toml:8:1: unknown key 'ulr' in [binhost] (did you mean 'url'?)");
        assertThatThrownBy(() -> parse(MINIMAL + "[hooks]\nafter-instal = [\"x\"]\n"))
                .hasMessage("spec.toml:10:1: unknown key 'after-instal' in [hooks] (did you mean 'after-install'?)");
        assertThatThrownBy(() -> parse(MINIMAL + "[output]\nentrypont = [\"/x\"]\n"))
                .hasMessage("spec.toml:10:1: unknown key 'entrypont' in [output] (did you mean 'entrypoint'?)");
        // nothing close: no suggestion
        assertThatThrownBy(() -> parse(MINIMAL + "[system]\ncolour = \"x\"\n"))
                .hasMessage("spec.toml:10:1: unknown key 'colour' in [system]");
    }

    @Test
    void installMaskSetsOfTheSpecMustExist() throws IOException {
        assertThat(parse(MINIMAL + "[make_conf]\nINSTALL_MASK = \"@docs -@man @mine /x\"\n[install_mask_sets]\nmine = [\"/y\"]\n")
                .makeConf()).containsEntry("INSTALL_MASK", "@docs -@man @mine /x");
        assertThatThrownBy(() -> parse(MINIMAL + "[make_conf]\nINSTALL_MASK = \"/x @doc\"\n"))
                .hasMessage("spec.toml:10:1: unknown install-mask set '@doc' (shipped or in [install_mask_sets]) (did you mean '@docs'?)");
    }

    @Test
    void ociImageConfigAndRespectUse() throws IOException {
        StageSpec s = parse("binpkg_respect_use = true\n" + MINIMAL + """
                [output]
                oci = true
                entrypoint = ["/usr/bin/tini", "--"]
                cmd = ["/bin/sh"]
                env = ["LANG=C.UTF-8", "EMPTY="]
                user = "1000:1000"
                labels = { "org.opencontainers.image.vendor" = "Example", description = "" }
                """);
        assertThat(s.binpkgRespectUse()).isTrue();
        StageSpec.Image i = s.output().image();
        assertThat(i.entrypoint()).containsExactly("/usr/bin/tini", "--");
        assertThat(i.cmd()).containsExactly("/bin/sh");
        assertThat(i.env()).containsExactly(Map.entry("LANG", "C.UTF-8"), Map.entry("EMPTY", ""));
        assertThat(i.user()).isEqualTo("1000:1000");
        assertThat(i.labels()).containsExactly(Map.entry("description", ""), Map.entry("org.opencontainers.image.vendor", "Example"));
        i = parse(MINIMAL + "[output]\nenv = { TERM = \"xterm\", A = \"1\" }\n").output().image();
        assertThat(i.env()).containsExactly(Map.entry("A", "1"), Map.entry("TERM", "xterm"));
        assertThat(i.entrypoint()).isNull();
        assertThat(parse(MINIMAL).output().image()).isEqualTo(StageSpec.Image.NONE);
        assertThat(parse(MINIMAL).binpkgRespectUse()).isFalse();
        assertThatThrownBy(() -> parse(MINIMAL + "[output]\nenv = [\"LANG\"]\n"))
                .hasMessage("spec.toml:10:8: env entries are 'NAME=value', not 'LANG'");
        assertThatThrownBy(() -> parse(MINIMAL + "[output]\nuser = \"a b\"\n"))
                .hasMessage("spec.toml:10:1: user may not contain whitespace: 'a b'");
        assertThatThrownBy(() -> parse(MINIMAL + "[output]\ncmd = \"/bin/sh\"\n"))
                .hasMessage("spec.toml:10:1: [output] cmd: expected an array of strings");
    }

    @Test
    void missingKeysAndRepoForms() {
        assertThatThrownBy(() -> parse(MINIMAL.replace("version = \"1\"\n", ""))).hasMessage("spec.toml: missing key 'version' (a string) in [stage]");
        assertThatThrownBy(() -> parse(MINIMAL.replace("path = \"repo\"", "path = \"repo\"\ngit = \"x\"")))
                .hasMessage("spec.toml:5:1: [repo] needs exactly one of path, git, snapshot");
        assertThatThrownBy(() -> parse(MINIMAL.replace("path = \"repo\"", "snapshot = \"s.tar\"\nsha512 = \"00\"")))
                .hasMessage("spec.toml:7:1: sha512 must be 128 hex digits");
        assertThatThrownBy(() -> parse(MINIMAL.replace("[[binhost]]\nurl = \"https://example.org/bin\"\n", "")))
                .hasMessageContaining("at least one [[binhost]] is required");
    }

    @Test
    void overlaysAndPinnedRepoKeys() throws IOException {
        String tree = "tree:" + "0f".repeat(32);
        StageSpec s = parse(MINIMAL.replace("path = \"repo\"", "path = \"repo\"\ndigest = \"" + tree + "\"") + """
                [[overlay]]
                path = "ov"
                priority = 10
                [[overlay]]
                name = "snap"
                snapshot = "https://example.org/snapshots/snap-20251202.tar.xz"
                keyring = "keys.asc"
                [[overlay]]
                name = "g"
                git = "ov.git"
                commit = "0123456789abcdef"
                """);
        assertThat(s.repo()).isEqualTo(new StageSpec.DirRepo("gentoo", tmp.resolve("repo"), tree));
        assertThat(s.overlays()).containsExactly(
                new StageSpec.Overlay(new StageSpec.DirRepo(null, tmp.resolve("ov"), null), 10),
                new StageSpec.Overlay(new StageSpec.SnapshotRepo("snap", null,
                        java.net.URI.create("https://example.org/snapshots/snap-20251202.tar.xz"), null, null, tmp.resolve("keys.asc")), 0),
                new StageSpec.Overlay(new StageSpec.GitRepo("g", tmp.resolve("ov.git").toString(), "0123456789abcdef"), 0));
        assertThat(parse(MINIMAL).overlays()).isEmpty();
        assertThatThrownBy(() -> parse(MINIMAL.replace("path = \"repo\"", "path = \"repo\"\ndigest = \"sha256:00\"")))
                .hasMessageStartingWith("spec.toml:7:1: digest must be 'tree:' and 64 hex digits");
        assertThatThrownBy(() -> parse(MINIMAL.replace("path = \"repo\"", "snapshot = \"s.tar.xz\"")))
                .hasMessage("spec.toml:6:1: a snapshot needs sha512, blake2b or a keyring (its .gpgsig then pins it)");
        assertThatThrownBy(() -> parse(MINIMAL.replace("path = \"repo\"", "snapshot = \"ftp://x/s.tar.xz\"\nkeyring = \"k\"")))
                .hasMessage("spec.toml:6:1: snapshot URL must be http, https or file: 'ftp://x/s.tar.xz'");
        assertThatThrownBy(() -> parse(MINIMAL + "[[overlay]]\nname = \"gentoo\"\npath = \"ov\"\n"))
                .hasMessageStartingWith("spec.toml:10:1: [[overlay]] name 'gentoo' is used twice");
        assertThatThrownBy(() -> parse(MINIMAL + "[[overlay]]\nname = \"x\"\n"))
                .hasMessageStartingWith("spec.toml:9:1: [[overlay]] needs exactly one of path, git, snapshot");
        assertThatThrownBy(() -> parse(MINIMAL + "[[overlay]]\npath = \"ov\"\npriorty = 3\n"))
                .hasMessageStartingWith("spec.toml:11:1: unknown key 'priorty' in [overlay] (did you mean 'priority'?)");
    }
}

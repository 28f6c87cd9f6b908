package org.stageforge.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.StageforgeException;
import org.stageforge.atom.Cpv;
import org.stageforge.merge.FileTable;
import org.stageforge.merge.InstallMaskSets;
import org.stageforge.profile.Entry;
import org.stageforge.profile.PortageConfig;
import org.stageforge.spec.SpecParser;
import org.stageforge.spec.StageSpec;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The stage's own etc/portage (and repository copy), written by the configure part. */
class RootPortageTest {
    @TempDir
    Path tmp;

    private static final String TOP = """
            world = ["app-misc/hello"]
            mixins = ["no-systemd"]
            package_use = ["app-misc/hello -systemd"]
            accept_keywords = ["app-misc/hello ~amd64"]
            package_mask = [">=app-misc/hello-2"]
            package_unmask = ["=app-misc/hello-1.0"]
            package_license = ["app-misc/hello MIT"]
            """;

    private static final String SPEC = """
            [make_conf]
            FEATURES = "-news binpkg-request-signature"
            INSTALL_MASK = "${INSTALL_MASK} @docs @extra -/usr/share/doc/keep"
            PKG_INSTALL_MASK = "-@man"

            [install_mask_sets]
            extra = ["/opt/extra"]
            """;

    private Path build(TestStage t, String dir, StringWriter console) {
        BuildOptions o = BuildOptions.of(tmp.resolve(dir), tmp.resolve(dir + "-out"));
        try (Reporter rep = new Reporter(new PrintWriter(console), Reporter.Mode.NORMAL, o.buildDir().resolve("logs"),
                false, true, Part.values().length)) {
            Build.run(SpecParser.parse(t.spec), o, rep);
        }
        return tmp.resolve(dir + "/root");
    }

    @Test
    void rootCarriesTheBuildsPortageConfigurationAndTheLoaderReadsItBack() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), SPEC + "\n[output]\nrepository = true\n");
        Files.writeString(t.spec, Files.readString(t.spec).replace("world = [\"app-misc/hello\"]\n", TOP));
        Path root = build(t, "b", new StringWriter());
        Path etc = root.resolve("etc/portage");

        assertThat(Files.readSymbolicLink(etc.resolve("make.profile")).toString()).isEqualTo("../../var/db/repos/gentoo/profiles/test");
        assertThat(etc.resolve("make.conf")).hasContent("""
                # Written by stageforge: the [make_conf] of spec.toml, which built this stage.
                FEATURES="-news binpkg-request-signature"
                # INSTALL_MASK="${INSTALL_MASK} @docs @extra -/usr/share/doc/keep" with stageforge's install-mask sets expanded (Portage has no sets)
                INSTALL_MASK="${INSTALL_MASK} /usr/share/doc /usr/share/gtk-doc /opt/extra -/usr/share/doc/keep"
                # PKG_INSTALL_MASK="-@man" with stageforge's install-mask sets expanded (Portage has no sets)
                PKG_INSTALL_MASK="-/usr/share/man"
                """);
        assertThat(Files.readString(etc.resolve("repos.conf/gentoo.conf"))).endsWith("""
                [DEFAULT]
                main-repo = gentoo

                [gentoo]
                location = /var/db/repos/gentoo
                """).startsWith("# Written by stageforge: the repository this stage was built from (tree:");
        assertThat(etc.resolve("package.use/stageforge")).hasContent("app-misc/hello -systemd");
        assertThat(etc.resolve("package.accept_keywords/stageforge")).hasContent("app-misc/hello ~amd64");
        assertThat(etc.resolve("package.mask/stageforge")).hasContent(">=app-misc/hello-2");
        assertThat(etc.resolve("package.unmask/stageforge")).hasContent("=app-misc/hello-1.0");
        assertThat(etc.resolve("package.license/stageforge")).hasContent("app-misc/hello MIT");
        // the mix-in, stacked by Portage as etc/portage/profile, with its set expanded
        assertThat(Files.readString(etc.resolve("profile/make.defaults")))
                .contains("INSTALL_MASK=\"${INSTALL_MASK} /lib/systemd /usr/lib/systemd /etc/systemd /usr/lib/sysusers.d /usr/share/systemd\"")
                .doesNotContain("@systemd");
        assertThat(Files.readString(etc.resolve("profile/package.mask"))).startsWith("# mix-in no-systemd\n").contains("\nsys-apps/systemd\n");
        assertThat(etc.resolve("profile/eapi")).hasContent("8");
        assertThat(etc.resolve("binrepos.conf")).doesNotExist();
        assertThat(root.resolve("var/db/repos/gentoo/profiles/test/make.defaults"))
                .hasSameTextualContentAs(t.dir.resolve("repo/profiles/test/make.defaults"));

        FileTable table = FileTable.load(root);
        for (String f : List.of("etc/portage/make.conf", "etc/portage/package.use/stageforge", "etc/portage/profile/package.mask")) {
            assertThat(table.get(f)).as(f).isEqualTo(new FileTable.Entry('f', 0644, 0, 0, 0, 0, null));
        }
        assertThat(table.get("etc/portage/package.use")).isEqualTo(new FileTable.Entry('d', 0755, 0, 0, 0, 0, null));
        assertThat(table.get("etc/portage/make.profile").type()).isEqualTo('l');

        // emerge in the stage sees what the build used: profile, masks, INSTALL_MASK, package.* entries
        PortageConfig stage = PortageConfig.loadRoot(root, Map.of());
        PortageConfig build = PortageConfig.load(tmp.resolve("b/config"), Map.of());
        assertThat(stage.chain()).containsExactly("test", root.resolve("etc/portage/profile").toString());
        assertThat(InstallMaskSets.empty().expand(stage.get("INSTALL_MASK")))
                .isEqualTo(InstallMaskSets.defaults().withAll(Map.of("extra", List.of("/opt/extra"))).expand(build.get("INSTALL_MASK")))
                .isEqualTo("/lib/systemd /usr/lib/systemd /etc/systemd /usr/lib/sysusers.d /usr/share/systemd /usr/share/doc "
                        + "/usr/share/gtk-doc /opt/extra -/usr/share/doc/keep");
        assertThat(stage.get("FEATURES").split(" ")).contains("binpkg-request-signature");
        assertThat(stage.useMask()).contains("systemd");
        assertThat(stage.maskReason(Cpv.parse("sys-apps/systemd-255"), "0", "gentoo")).isNotNull();
        assertThat(stage.maskReason(Cpv.parse("app-misc/hello-2"), "0", "gentoo")).isNotNull();
        assertThat(stage.user().packageUse()).extracting(Entry::value).containsExactly("app-misc/hello");
        assertThat(stage.user().packageUse().get(0).values()).containsExactly("-systemd");
        assertThat(stage.user().packageAcceptKeywords()).extracting(Entry::values).containsExactly(List.of("~amd64"));
        assertThat(stage.user().packageLicense()).extracting(Entry::values).containsExactly(List.of("MIT"));
        assertThat(stage.user().packageUnmask()).extracting(Entry::value).containsExactly("=app-misc/hello-1.0");
    }

    @Test
    void withoutRepositoryTheProfileLinkWaitsForASyncAndLocaleGenIsAConsoleNote() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "[system]\nlocales = [\"en_US.UTF-8 UTF-8\"]\n");
        StringWriter console = new StringWriter();
        Path root = build(t, "b", console);
        assertThat(Files.readSymbolicLink(root.resolve("etc/portage/make.profile")).toString())
                .isEqualTo("../../var/db/repos/gentoo/profiles/test");
        assertThat(root.resolve("var/db/repos")).doesNotExist();
        assertThat(root.resolve("etc/portage/profile")).doesNotExist();
        // no [make_conf]: the file says where it came from and sets nothing
        assertThat(root.resolve("etc/portage/make.conf")).hasContent("# Written by stageforge: the [make_conf] of spec.toml, which built this stage.");
        // the root has no localedef: the step is left for first boot, and said so on the console
        assertThat(console.toString()).contains("warning: first boot: locale-gen: build the locales of /etc/locale.gen");
        assertThat(root.resolve("usr/lib/locale/locale-archive")).doesNotExist();
    }

    @Test
    void binreposHoldTheUrlBinhostsInPriorityOrderAndGitReposTheirSyncUri() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), """
                [[binhost]]
                url = "https://binhost.example.org/amd64/"
                keyring = "keys.asc"
                require_signatures = true
                [[binhost]]
                url = "http://mirror.example.org/b"
                """);
        StageSpec spec = SpecParser.parse(t.spec);
        Reporter rep = Reporter.silent(tmp.resolve("logs"));
        // the first binhost (a directory) is a path of the build host
        assertThat(RootPortage.binreposConf(spec, rep)).isEqualTo("""
                # Written by stageforge: the binhosts this stage was built from

                [binhost-2]
                priority = 2
                sync-uri = https://binhost.example.org/amd64/
                verify-signature = true

                [binhost-3]
                priority = 1
                sync-uri = http://mirror.example.org/b
                """);
        Files.writeString(t.spec, Files.readString(t.spec).replace("path = \"repo\"",
                "name = \"mine\"\ngit = \"https://git.example.org/repo.git\"\ncommit = \"0123abcd\""));
        assertThat(RootPortage.reposConf(SpecParser.parse(t.spec), "git:0123abcd")).isEqualTo("""
                # Written by stageforge: the repository this stage was built from (git:0123abcd)
                [DEFAULT]
                main-repo = mine

                [mine]
                location = /var/db/repos/mine
                sync-type = git
                sync-uri = https://git.example.org/repo.git
                """);
        Files.writeString(t.spec, Files.readString(t.spec).replace("https://git.example.org/repo.git", "/srv/repo.git"));
        assertThat(RootPortage.reposConf(SpecParser.parse(t.spec), "git:0123abcd")).doesNotContain("sync-");
    }

    @Test
    void aSymlinkedEtcPortageInTheRootIsRefusedAndNothingIsWrittenOutside() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        Path root = Files.createDirectories(tmp.resolve("root/etc"));
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.createSymbolicLink(root.resolve("portage"), outside);
        StageSpec spec = SpecParser.parse(t.spec);
        assertThatThrownBy(() -> RootPortage.write(spec, tmp.resolve("root"), t.dir.resolve("repo"), "tree:x", List.of(),
                tmp.resolve("scratch"), Reporter.silent(tmp.resolve("logs"))))
                .isInstanceOf(StageforgeException.class).hasMessageContaining("refusing to write through symbolic link etc/portage");
        try (var s = Files.list(outside)) {
            assertThat(s).isEmpty();
        }
        // a symlink a package left at the temporary name is replaced, not written through
        Files.delete(root.resolve("portage"));
        Files.createDirectories(root.resolve("portage"));
        Path victim = Files.writeString(outside.resolve("victim"), "keep\n");
        Files.createSymbolicLink(root.resolve("portage/.make.conf.tmp"), victim);
        RootPortage.write(spec, tmp.resolve("root"), t.dir.resolve("repo"), "tree:x", List.of(), tmp.resolve("scratch"),
                Reporter.silent(tmp.resolve("logs")));
        assertThat(victim).hasContent("keep");
        assertThat(root.resolve("portage/make.conf")).content().startsWith("# Written by stageforge");
        assertThat(root.resolve("portage/.make.conf.tmp")).doesNotExist();
    }
}

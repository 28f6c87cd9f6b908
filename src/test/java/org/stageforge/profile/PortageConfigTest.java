package org.stageforge.profile;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.atom.Cpv;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PortageConfigTest {
    @TempDir
    Path tmp;
    TestRepo repo;

    @BeforeEach
    void repo() {
        repo = new TestRepo(tmp.resolve("repo"), "test");
        repo.write("profiles/eapi", "5\n");
        repo.profile("base", "eapi", "5\n");
        repo.profile("base", "make.defaults", String.join("\n",
                "ARCH=\"amd64\"",
                "ACCEPT_KEYWORDS=\"amd64\"",
                "USE=\"a b c\"",
                "FEATURES=\"-sandbox extra\"",
                "USE_EXPAND=\"PYTHON_TARGETS ELIBC\"",
                "USE_EXPAND_UNPREFIXED=\"ARCH\"",
                "USE_EXPAND_IMPLICIT=\"ARCH ELIBC\"",
                "USE_EXPAND_VALUES_ARCH=\"amd64 x86\"",
                "USE_EXPAND_VALUES_ELIBC=\"glibc musl\"",
                "IUSE_IMPLICIT=\"prefix\"",
                "PROFILE_ONLY_VARIABLES=\"ARCH ELIBC\"",
                "ELIBC=\"glibc\"",
                "PYTHON_TARGETS=\"py1 py2\"",
                "ACCEPT_LICENSE=\"-* @FREE\"",
                "CHOST=\"x86_64-pc-linux-gnu\"",
                ""));
        repo.profile("base", "use.mask", "masked\nx86\n");
        repo.profile("base", "use.force", "forced\n");
        repo.profile("base", "packages", "*sys-apps/keep\n*sys-apps/drop\n>=sys-libs/lib-2\n");
        repo.profile("base", "package.mask", "# Someone (2026-01-01)\n# Broken.\ncat/masked\n=cat/ver-1\n\ncat/unmasked-later\n");
        repo.write("profiles/package.mask", "# repo wide\ncat/repomask\ncat/removed\n");
        repo.write("profiles/license_groups", "FREE GPL-2 MIT @OSI\nOSI BSD\nEULA ugly\n");
        repo.profile("child", "eapi", "5\n");
        repo.profile("child", "parent", "../base\n");
        repo.profile("child", "make.defaults", String.join("\n",
                "USE=\"-b d\"",
                "FEATURES=\"more\"",
                "PYTHON_TARGETS=\"-py1 py3\"",
                "ACCEPT_KEYWORDS=\"-amd64 amd64\"",
                "LIST=\"${CHOST} x\"",
                ""));
        repo.profile("child", "use.mask", "-masked\nchildmask\n");
        repo.profile("child", "packages", "-*sys-apps/drop\n");
        repo.profile("child", "package.mask", "-cat/unmasked-later\n-cat/removed\n");
        repo.profile("child", "package.use", "cat/pkg p1\n>=cat/pkg-2 -p1 p2\n");
        repo.profile("child", "use.stable.mask", "stablemasked\n");
        repo.profile("child", "package.use.force", "cat/pkg pforced\n");
        repo.profile("child", "package.use.stable.force", "cat/pkg stableforced\n");
    }

    private PortageConfig child(Map<String, String> env) {
        return PortageConfig.forProfile(repo.root, "child", env);
    }

    @Test
    void incrementalVariablesStackAndSort() {
        PortageConfig c = child(Map.of());
        assertThat(c.get("FEATURES").split(" ")).contains("extra", "more", "ipc-sandbox").doesNotContain("sandbox")
                .isSorted();
        assertThat(c.get("ACCEPT_KEYWORDS")).isEqualTo("amd64");
        assertThat(c.get("ACCEPT_LICENSE")).isEqualTo("@FREE");
        assertThat(c.get("LIST")).isEqualTo("x86_64-pc-linux-gnu x");
        assertThat(c.get("CONFIG_PROTECT")).isEqualTo("/etc");
        assertThat(c.chain()).containsExactly("base", "child");
    }

    @Test
    void useFromStackWithExpandForceAndMask() {
        PortageConfig c = child(Map.of());
        assertThat(c.use()).containsExactly("a", "amd64", "c", "d", "elibc_glibc", "forced",
                "python_targets_py2", "python_targets_py3");
        assertThat(c.useMask()).containsExactly("childmask", "x86");
        assertThat(c.useForce()).containsExactly("forced");
        assertThat(c.get("PYTHON_TARGETS")).isEqualTo("py3 py2");
        assertThat(c.get("ARCH")).isEqualTo("amd64");
    }

    @Test
    void minusStarClearsEarlierUse() {
        repo.profile("child", "make.defaults", "USE=\"-* only\"\n");
        assertThat(child(Map.of()).use()).containsExactly("amd64", "forced", "only");
    }

    @Test
    void systemSetWithRemoval() {
        assertThat(child(Map.of()).systemSet()).extracting(Entry::value).containsExactly("sys-apps/keep");
    }

    @Test
    void packageMaskStackingRepoSuffixAndOrigins() throws IOException {
        PortageConfig c = child(Map.of());
        assertThat(c.packageMask()).extracting(Entry::value)
                .containsExactlyInAnyOrder("cat/repomask::test", "cat/removed::test", "cat/masked", "=cat/ver-1");
        Entry masked = c.packageMask().stream().filter(e -> e.value().equals("cat/masked")).findFirst().orElseThrow();
        assertThat(masked.file()).isEqualTo(repo.profileDir("base").resolve("package.mask").toRealPath());
        assertThat(masked.line()).isEqualTo(3);

        MaskReason why = c.maskReason(Cpv.parse("cat/ver-1"), "0", "test");
        assertThat(why).isNotNull();
        assertThat(why.entry().line()).isEqualTo(4);
        assertThat(why.comment()).isEqualTo("# Someone (2026-01-01)\n# Broken.\n");
        assertThat(c.maskReason(Cpv.parse("cat/ver-2"), "0", "test")).isNull();
        assertThat(c.maskReason(Cpv.parse("cat/unmasked-later-1"), "0", "test")).isNull();
        // as in Portage, a profile's -atom only cancels profile package.mask lines, not the repository's
        assertThat(c.maskReason(Cpv.parse("cat/removed-1"), "0", "test")).isNotNull();
        assertThat(c.maskReason(Cpv.parse("cat/repomask-1"), "0", "test").comment()).isEqualTo("# repo wide\n");
        assertThat(c.maskReason(Cpv.parse("cat/repomask-1"), "0", "other")).isNull();
    }

    @Test
    void perPackageUsePrecedence() {
        Cpv v1 = Cpv.parse("cat/pkg-1");
        Cpv v2 = Cpv.parse("cat/pkg-2");
        List<String> iuse = List.of("+a", "b", "p1", "p2", "d", "masked", "childmask", "forced", "pforced", "prefix",
                "stablemasked", "stableforced", "-z");
        // testing keyword: no stable variants apply
        Set<String> u1 = child(Map.of()).effectiveUse(v1, "0", "test", iuse, List.of("~amd64"));
        assertThat(u1).containsExactly("a", "amd64", "d", "elibc_glibc", "forced", "p1", "pforced");
        // the more specific >=cat/pkg-2 line wins; stable keyword brings use.stable.* in
        Set<String> u2 = child(Map.of()).effectiveUse(v2, "0", "test", iuse, List.of("amd64"));
        assertThat(u2).containsExactly("a", "amd64", "d", "elibc_glibc", "forced", "p2", "pforced", "stableforced");
        // the environment's USE comes last
        Set<String> env = child(Map.of("USE", "-d z stablemasked")).effectiveUse(v2, "0", "test", iuse, List.of("amd64"));
        assertThat(env).contains("z").doesNotContain("d", "stablemasked");
        Set<String> envTesting = child(Map.of("USE", "stablemasked")).effectiveUse(v2, "0", "test", iuse, List.of("~amd64"));
        assertThat(envTesting).contains("stablemasked");
        assertThat(child(Map.of()).isStable(v2, "0", "test", List.of("amd64", "~x86"))).isTrue();
        assertThat(child(Map.of()).isStable(v2, "0", "test", List.of("~amd64"))).isFalse();
    }

    @Test
    void keywordVisibility() {
        PortageConfig c = child(Map.of());
        Cpv p = Cpv.parse("cat/pkg-1");
        assertThat(c.isKeywordVisible(p, "0", "test", List.of("amd64", "~x86"))).isTrue();
        assertThat(c.isKeywordVisible(p, "0", "test", List.of("~amd64"))).isFalse();
        assertThat(c.missingKeywords(p, "0", "test", List.of("~amd64"))).containsExactly("~amd64");
        assertThat(c.missingKeywords(p, "0", "test", List.of())).containsExactly("**");
        assertThat(c.isKeywordVisible(p, "0", "test", List.of("*"))).isTrue();
        assertThat(child(Map.of("ACCEPT_KEYWORDS", "~amd64")).isKeywordVisible(p, "0", "test", List.of("~amd64"))).isTrue();
        assertThat(child(Map.of("ACCEPT_KEYWORDS", "**")).isKeywordVisible(p, "0", "test", List.of())).isTrue();
        assertThat(child(Map.of("ACCEPT_KEYWORDS", "~*")).isKeywordVisible(p, "0", "test", List.of("~arm"))).isTrue();
        assertThat(child(Map.of("ACCEPT_KEYWORDS", "*")).isKeywordVisible(p, "0", "test", List.of("~arm"))).isFalse();
        assertThat(child(Map.of("ACCEPT_KEYWORDS", "*")).isKeywordVisible(p, "0", "test", List.of("arm"))).isTrue();
    }

    @Test
    void licensesWithGroups() {
        PortageConfig c = child(Map.of());
        Cpv p = Cpv.parse("cat/pkg-1");
        assertThat(c.acceptsLicense(p, "0", "test", "GPL-2", Set.of())).isTrue();
        assertThat(c.acceptsLicense(p, "0", "test", "BSD MIT", Set.of())).isTrue();
        assertThat(c.missingLicenses(p, "0", "test", "GPL-2 ugly", Set.of())).containsExactly("ugly");
        assertThat(c.acceptsLicense(p, "0", "test", "|| ( ugly MIT )", Set.of())).isTrue();
        assertThat(c.acceptsLicense(p, "0", "test", "bin? ( ugly )", Set.of())).isTrue();
        assertThat(c.acceptsLicense(p, "0", "test", "bin? ( ugly )", Set.of("bin"))).isFalse();
        assertThat(c.acceptsLicense(p, "0", "test", "|| ( bin? ( MIT ) ugly )", Set.of())).isFalse();
        assertThat(child(Map.of("ACCEPT_LICENSE", "* -@EULA")).acceptsLicense(p, "0", "test", "weird", Set.of())).isTrue();
        assertThat(child(Map.of("ACCEPT_LICENSE", "* -@EULA")).acceptsLicense(p, "0", "test", "ugly", Set.of())).isFalse();
    }

    @Test
    void userLayerOnTopOfProfile() throws IOException {
        Path root = tmp.resolve("root");
        Path etc = Files.createDirectories(root.resolve("etc/portage"));
        Files.createSymbolicLink(etc.resolve("make.profile"), repo.profileDir("child"));
        Files.writeString(etc.resolve("repos.conf"), "[DEFAULT]\nmain-repo = test\n[test]\nlocation = " + repo.root + "\n");
        Files.createDirectories(etc.resolve("make.conf"));
        Files.writeString(etc.resolve("make.conf/00-main"), "USE=\"user1 -a\"\nACCEPT_KEYWORDS=\"~amd64\"\n"
                + "ARCH=\"x86\"\nPYTHON_TARGETS=\"py9\"\nFEATURES=\"-extra\"\nACCEPT_LICENSE=\"-* ugly\"\n");
        Files.writeString(etc.resolve("make.conf/10-more"), "USE=\"${USE} user2\"\n");
        Files.writeString(etc.resolve("package.use"), "cat/pkg -p1 u3 PYTHON_TARGETS: py7\n*/* glob\ncat/pkg -u3 u4\n");
        Files.writeString(etc.resolve("package.mask"), "# mine\ncat/mine\n-cat/masked\n");
        Files.writeString(etc.resolve("package.unmask"), "=cat/ver-1\n");
        Files.writeString(etc.resolve("package.accept_keywords"), "cat/kw\nwild-*/* ~x86\n");
        Files.writeString(etc.resolve("package.license"), "cat/lic MIT\n");
        Files.createDirectories(etc.resolve("profile"));
        Files.writeString(etc.resolve("profile/use.force"), "userforced\n");

        PortageConfig c = PortageConfig.load(root, Map.of("USE", "fromenv"));
        assertThat(c.chain()).hasSize(3).startsWith("base", "child");
        assertThat(c.profile().name()).isEqualTo("child");
        assertThat(c.use()).contains("user1", "user2", "glob", "fromenv", "userforced", "python_targets_py9")
                .doesNotContain("a", "python_targets_py3", "x86");
        assertThat(c.get("ARCH")).isEqualTo("amd64"); // profile-only: make.conf cannot change it
        assertThat(c.get("FEATURES")).doesNotContain("extra");
        assertThat(c.get("ACCEPT_KEYWORDS")).isEqualTo("amd64 ~amd64");
        assertThat(c.packageMask()).extracting(Entry::value).contains("cat/mine").doesNotContain("cat/masked");
        MaskReason mine = c.maskReason(Cpv.parse("cat/mine-1"), "0", "test");
        assertThat(mine.comment()).isEqualTo("# mine\n");
        assertThat(c.maskReason(Cpv.parse("cat/ver-1"), "0", "test")).isNull();

        Set<String> u = c.effectiveUse(Cpv.parse("cat/pkg-1"), "0", "test",
                List.of("p1", "u3", "u4", "user1", "fromenv"), List.of("amd64"));
        // a later line for the same atom adds to it and wins (-u3), as Portage joins them
        assertThat(u).containsExactlyInAnyOrder("u4", "user1", "fromenv", "amd64", "elibc_glibc");
        Cpv kw = Cpv.parse("cat/kw-1");
        assertThat(c.isKeywordVisible(kw, "0", "test", List.of("~amd64"))).isTrue();
        assertThat(c.isKeywordVisible(Cpv.parse("wild-cat/any-1"), "0", "test", List.of("~x86"))).isTrue();
        assertThat(c.isKeywordVisible(Cpv.parse("tame-cat/any-1"), "0", "test", List.of("~x86"))).isFalse();
        // as in Portage, ACCEPT_KEYWORDS from the environment is applied after package.accept_keywords
        assertThat(stableOnlyVisible(root, Cpv.parse("wild-cat/any-1"))).isFalse();
        assertThat(PortageConfig.load(root, Map.of("ACCEPT_KEYWORDS", "-~amd64"))
                .isKeywordVisible(Cpv.parse("wild-cat/any-1"), "0", "test", List.of("~x86"))).isTrue();
        assertThat(stableOnlyVisible(root, Cpv.parse("cat/kw-1"))).isFalse();
        PortageConfig envStable = PortageConfig.load(root, Map.of("ACCEPT_KEYWORDS", "-~amd64"));
        assertThat(envStable.isKeywordVisible(Cpv.parse("wild-cat/any-1"), "0", "test", List.of("amd64"))).isTrue();
        PortageConfig stableOnly = PortageConfig.load(root, Map.of("ACCEPT_KEYWORDS", "-~amd64"));
        assertThat(stableOnly.get("ACCEPT_KEYWORDS")).isEqualTo("amd64");
        assertThat(c.acceptsLicense(Cpv.parse("cat/lic-1"), "0", "test", "MIT ugly", Set.of())).isTrue();
        assertThat(c.acceptsLicense(Cpv.parse("cat/other-1"), "0", "test", "MIT", Set.of())).isFalse();
    }

    @Test
    void repositoryLevelUseSitsBelowTheProfile() {
        repo.write("profiles/make.defaults", "USE=\"repoflag b\"\n");
        repo.write("profiles/package.use", "cat/pkg repopkg\n");
        Set<String> u = child(Map.of()).effectiveUse(Cpv.parse("cat/pkg-1"), "0", "test",
                List.of("repoflag", "repopkg", "b"), List.of("amd64"));
        assertThat(u).contains("repoflag", "repopkg").doesNotContain("b"); // the child profile's -b wins
        Set<String> other = child(Map.of()).effectiveUse(Cpv.parse("cat/other-1"), "0", "test",
                List.of("repoflag", "repopkg"), List.of("amd64"));
        assertThat(other).contains("repoflag").doesNotContain("repopkg");
        assertThat(child(Map.of()).use()).doesNotContain("repoflag"); // only applies per package
    }

    @Test
    void featuresTestEnablesTheTestFlagBelowUserUse() {
        assertThat(child(Map.of()).use()).doesNotContain("test");
        assertThat(child(Map.of("FEATURES", "test")).use()).contains("test");
        assertThat(child(Map.of("FEATURES", "test", "USE", "-test")).use()).doesNotContain("test");
    }

    private static boolean stableOnlyVisible(Path root, Cpv cpv) {
        return PortageConfig.load(root, Map.of("ACCEPT_KEYWORDS", "-~amd64")).isKeywordVisible(cpv, "0", "test",
                List.of("~amd64"));
    }

    @Test
    void configRootWithoutProfileIsNotFound() throws IOException {
        Path root = tmp.resolve("empty-root");
        Files.createDirectories(root.resolve("etc/portage"));
        assertThatThrownBy(() -> PortageConfig.load(root, Map.of()))
                .isInstanceOf(org.stageforge.StageforgeException.class)
                .hasMessageContaining("make.profile")
                .satisfies(e -> assertThat(((org.stageforge.StageforgeException) e).exitCode())
                        .isEqualTo(org.stageforge.ExitCodes.NOT_FOUND));
        Files.writeString(root.resolve("etc/portage/make.conf"), "USE=\"a\"\nBROKEN\n");
        Files.createSymbolicLink(root.resolve("etc/portage/make.profile"), repo.profileDir("child"));
        assertThatThrownBy(() -> PortageConfig.load(root, Map.of()))
                .isInstanceOf(org.stageforge.ParseException.class)
                .hasMessageContaining(root.resolve("etc/portage/make.conf") + ":2");
    }

    @Test
    void environmentOverridesMakeConf() {
        PortageConfig c = child(Map.of("CHOST", "aarch64-unknown-linux-gnu", "FEATURES", "-more", "ELIBC", "musl"));
        assertThat(c.get("CHOST")).isEqualTo("aarch64-unknown-linux-gnu");
        assertThat(c.get("FEATURES")).doesNotContain("more");
        assertThat(c.use()).contains("elibc_glibc"); // ELIBC is profile-only
    }
}

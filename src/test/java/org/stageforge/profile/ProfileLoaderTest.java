package org.stageforge.profile;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ParseException;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProfileLoaderTest {
    @TempDir
    Path tmp;

    @Test
    void parentsDepthFirstInFileOrder() {
        TestRepo r = new TestRepo(tmp.resolve("repo"), "test");
        r.profile("base", "eapi", "5\n");
        r.profile("a", "parent", "../base\n");
        r.profile("b", "parent", "../base\n");
        r.profile("top", "parent", "# first a\n../a\n../b\n");
        Profile p = ProfileLoader.load(r.profileDir("top"), RepoMap.of(r.root));
        // Portage does not de-duplicate a node reached twice
        assertThat(p.chainNames()).containsExactly("base", "a", "base", "b", "top");
        assertThat(p.chain().get(0).eapi()).isEqualTo("5");
        assertThat(p.chain().get(1).eapi()).isEqualTo("0");
    }

    @Test
    void repoColonParents() {
        TestRepo main = new TestRepo(tmp.resolve("main"), "gentoo");
        main.profile("base", "make.defaults", "X=1\n");
        TestRepo ov = new TestRepo(tmp.resolve("ov"), "overlay");
        ov.profile("mine", "parent", "gentoo:base\n:local\n");
        ov.profile("local", "make.defaults", "Y=2\n");
        Map<String, Path> locs = new LinkedHashMap<>();
        locs.put("gentoo", main.root);
        locs.put("overlay", ov.root);
        RepoMap repos = RepoMap.of(locs, "gentoo");
        Profile p = ProfileLoader.load(ov.profileDir("mine"), repos);
        assertThat(p.chainNames()).containsExactly("base", "local", "mine");
        assertThat(p.chain().get(0).repo().name()).isEqualTo("gentoo");
        assertThat(p.chain().get(1).repo().name()).isEqualTo("overlay");

        ov.profile("bad", "parent", "nosuch:base\n");
        assertThatThrownBy(() -> ProfileLoader.load(ov.profileDir("bad"), repos)).isInstanceOf(ParseException.class)
                .hasMessageContaining("bad/parent:1").hasMessageContaining("nosuch");
    }

    @Test
    void missingParentEmptyParentAndCyclesAreErrors() {
        TestRepo r = new TestRepo(tmp.resolve("repo"), "test");
        r.profile("p", "parent", "../base\n../gone\n");
        r.profile("base", "make.defaults", "");
        assertThatThrownBy(() -> ProfileLoader.load(r.profileDir("p"), RepoMap.of(r.root)))
                .isInstanceOf(ParseException.class).hasMessageContaining("p/parent:2").hasMessageContaining("not found");
        r.profile("e", "parent", "# nothing\n");
        assertThatThrownBy(() -> ProfileLoader.load(r.profileDir("e"), RepoMap.of(r.root)))
                .isInstanceOf(ParseException.class).hasMessageContaining("empty parent file");
        r.profile("c1", "parent", "../c2\n");
        r.profile("c2", "parent", "../c1\n");
        assertThatThrownBy(() -> ProfileLoader.load(r.profileDir("c1"), RepoMap.of(r.root)))
                .isInstanceOf(ParseException.class).hasMessageContaining("cycle");
    }

    @Test
    void unsupportedEapiIsAnError() {
        TestRepo r = new TestRepo(tmp.resolve("repo"), "test");
        r.profile("p", "eapi", "99\n");
        assertThatThrownBy(() -> ProfileLoader.load(r.profileDir("p"), RepoMap.of(r.root)))
                .isInstanceOf(ParseException.class).hasMessageContaining("p/eapi:1").hasMessageContaining("'99'");
    }

    @Test
    void deprecatedAndInvalidEntriesAreWarnings() {
        TestRepo r = new TestRepo(tmp.resolve("repo"), "test");
        r.profile("p", "deprecated", "other/profile\n");
        r.profile("p", "package.mask", "cat/ok\nnot-an-atom\n>=cat/bad\n");
        r.profile("p", "use.mask", "good\n-also_good\nba!d\n");
        Profile p = ProfileLoader.load(r.profileDir("p"), RepoMap.of(r.root));
        assertThat(p.chain().get(0).deprecated()).isEqualTo("other/profile\n");
        assertThat(p.nodes().get(0).packageMask()).extracting(Entry::value).containsExactly("cat/ok");
        assertThat(p.nodes().get(0).useMask()).extracting(Entry::value).containsExactly("good", "-also_good");
        assertThat(p.warnings()).hasSize(4).contains("profile p is deprecated and not supported anymore; upgrade to other/profile")
                .anyMatch(w -> w.contains("not-an-atom")).anyMatch(w -> w.contains("ba!d"));
    }

    @Test
    void atomsMustFitTheNodeEapi() {
        TestRepo r = new TestRepo(tmp.resolve("repo"), "test");
        r.profile("old", "package.mask", "cat/a:1\ncat/b\ncat/c:1/2\n");
        r.profile("new", "eapi", "5\n");
        r.profile("new", "package.mask", "cat/a:1\ncat/c:1/2\n");
        r.profile("new", "parent", "../old\n");
        Profile p = ProfileLoader.load(r.profileDir("new"), RepoMap.of(r.root));
        assertThat(p.nodes().get(0).packageMask()).extracting(Entry::value).containsExactly("cat/b");
        assertThat(p.nodes().get(1).packageMask()).extracting(Entry::value).containsExactly("cat/a:1", "cat/c:1/2");
        assertThat(p.warnings()).hasSize(2).allMatch(w -> w.contains("EAPI 0"));

        r.write("metadata/layout.conf", "profile-formats = portage-2 profile-default-eapi\nprofile_eapi_when_unspecified = 5\n");
        Profile q = ProfileLoader.load(r.profileDir("old"), RepoMap.of(r.root));
        assertThat(q.chain().get(0).eapi()).isEqualTo("5");
        assertThat(q.nodes().get(0).packageMask()).hasSize(3);
    }

    @Test
    @org.junit.jupiter.api.Timeout(20)
    void fifosAreNeverRead() throws Exception {
        TestRepo r = new TestRepo(tmp.resolve("repo"), "test");
        r.profile("p", "package.mask/10-ok", "cat/ok\n");
        Path dir = r.profileDir("p");
        for (Path f : List.of(dir.resolve("make.defaults"), dir.resolve("package.mask/20-fifo"), dir.resolve("use.mask"),
                r.root.resolve("profiles/license_groups"))) {
            Process mk;
            try {
                mk = new ProcessBuilder("mkfifo", f.toString()).start();
            } catch (java.io.IOException e) {
                org.junit.jupiter.api.Assumptions.abort("mkfifo not available");
                return;
            }
            assertThat(mk.waitFor()).isZero();
        }
        PortageConfig c = PortageConfig.forProfile(ProfileLoader.load(dir, RepoMap.of(r.root)), Map.of());
        assertThat(c.packageMask()).extracting(Entry::value).containsExactly("cat/ok");
        assertThat(c.acceptsLicense(org.stageforge.atom.Cpv.parse("cat/ok-1"), "0", "test", "GPL-2", java.util.Set.of()))
                .isFalse();
    }

    @Test
    void profileFilesMayBeDirectories() {
        TestRepo r = new TestRepo(tmp.resolve("repo"), "test");
        r.profile("p", "package.mask/20-second", "cat/two\n");
        r.profile("p", "package.mask/10-first", "cat/one\n");
        r.profile("p", "package.mask/10-first~", "cat/backup\n");
        Profile p = ProfileLoader.load(r.profileDir("p"), RepoMap.of(r.root));
        assertThat(p.nodes().get(0).packageMask()).extracting(Entry::value).containsExactly("cat/one", "cat/two");
    }
}

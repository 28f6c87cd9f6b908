package org.stageforge.resolve;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ExitCodes;
import org.stageforge.profile.PortageConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.stageforge.resolve.TestEnv.pkg;

/** Resolution over ebuild repositories (md5-cache) next to binhosts: what is built from source and why. */
class SourceResolveTest {
    @TempDir
    Path tmp;

    PortageConfig config;
    Path repo;

    @BeforeEach
    void setUp() {
        config = TestEnv.config(tmp);
        repo = tmp.resolve("repo");
    }

    /** Writes an md5-cache entry: EAPI 8, SLOT 0, KEYWORDS amd64, LICENSE MIT unless given. */
    static void ebuild(Path repoDir, String cpv, String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("EAPI", "8");
        m.put("KEYWORDS", "amd64");
        m.put("LICENSE", "MIT");
        m.put("SLOT", "0");
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        StringBuilder sb = new StringBuilder();
        m.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        sb.append("_md5_=0123456789abcdef0123456789abcdef\n");
        TestEnv.write(repoDir.resolve("metadata/md5-cache").resolve(cpv), sb.toString());
    }

    private EbuildRepository gentoo() {
        return EbuildRepository.at(repo, 0);
    }

    private ResolvePlan resolve(List<Binhost> hosts, List<String> targets, ResolveRequest.Options o,
                                ResolveRequest.BinaryFilter filter, EbuildRepository... repos) {
        return Resolver.resolve(ResolveRequest.of(config, hosts, targets, o).withRepositories(List.of(repos))
                .withBinaryFilter(filter));
    }

    private ResolvePlan resolve(List<Binhost> hosts, List<String> targets, ResolveRequest.Options o) {
        return resolve(hosts, targets, o, null, gentoo());
    }

    /** cpv, then "source" or the binhost. */
    private static List<String> plan(ResolvePlan p) {
        List<String> out = new ArrayList<>();
        for (PlannedPackage x : p.packages()) out.add(x.cpv() + (x.fromSource() ? " source" : " " + x.binhost()));
        return out;
    }

    @Test
    void aPackageNoBinhostHasIsBuiltFromItsEbuild() {
        ebuild(repo, "app-misc/app-1", "RDEPEND", "dev-libs/lib");
        ebuild(repo, "dev-libs/lib-1", "IUSE", "+static gtk ssl", "DEPEND", "dev-libs/headers",
                "BDEPEND", "dev-util/tool", "REQUIRED_USE", "|| ( static ssl )");
        Binhost bh = TestEnv.binhost("bh", pkg("app-misc/app-1", "RDEPEND", "dev-libs/lib"));
        ResolvePlan p = resolve(List.of(bh), List.of("app-misc/app"), null);
        assertThat(plan(p)).containsExactly("dev-libs/lib-1 source", "app-misc/app-1 bh");
        PlannedPackage lib = p.packages().get(0);
        assertThat(lib.binhost()).isNull();
        assertThat(lib.path()).isNull();
        assertThat(lib.size()).isEqualTo(-1);
        assertThat(lib.repo()).isEqualTo("gentoo");
        assertThat(lib.buildAtom()).isEqualTo("=dev-libs/lib-1::gentoo");
        // IUSE default +static, profile USE=ssl, gtk off; plus the profile's implicit flags
        assertThat(lib.use()).contains("static", "ssl").doesNotContain("gtk");
        assertThat(lib.iuse()).containsExactlyInAnyOrder("static", "gtk", "ssl");
        assertThat(lib.entry().use()).isEqualTo(lib.use());
        // the build part reads what building needs from the entry; none of it is in the plan
        assertThat(lib.entry().depend()).isEqualTo("dev-libs/headers");
        assertThat(lib.entry().bdepend()).isEqualTo("dev-util/tool");
        assertThat(lib.reason()).isEqualTo("required by app-misc/app-1 RDEPEND");
        assertThat(PlanFormat.pretend(p, config))
                .contains("[ebuild  N     ] dev-libs/lib-1::gentoo  USE=\"ssl static -gtk\" 0 KiB\n")
                .contains("[binary  N     ] app-misc/app-1::gentoo 2 KiB\n")
                .contains("Total: 2 packages (2 new, 1 binary)");
        assertThat(PlanFormat.json(p)).contains("\"fromSource\" : true").contains("\"fromSource\" : false");
    }

    @Test
    void aBinaryWithOtherUseIsRebuiltAndOneWithTheConfiguredUseIsTaken() {
        ebuild(repo, "app-misc/foo-1", "IUSE", "gtk ssl");
        Binhost other = TestEnv.binhost("other", pkg("app-misc/foo-1", "IUSE", "gtk ssl", "USE", "gtk ssl"));
        ResolvePlan p = resolve(List.of(other), List.of("app-misc/foo"), null);
        assertThat(plan(p)).containsExactly("app-misc/foo-1 source");
        assertThat(p.packages().get(0).use()).contains("ssl").doesNotContain("gtk");

        Binhost same = TestEnv.binhost("same", pkg("app-misc/foo-1", "IUSE", "gtk ssl", "USE", "amd64 ssl"));
        assertThat(plan(resolve(List.of(other, same), List.of("app-misc/foo"), null))).containsExactly("app-misc/foo-1 same");
        // as emerge compares a binary with the ebuild of its version: a flag the ebuild added to IUSE counts,
        // even when off (depgraph._reinstall_for_flags)
        Binhost older = TestEnv.binhost("older", pkg("app-misc/foo-1", "IUSE", "ssl", "USE", "ssl"));
        assertThat(plan(resolve(List.of(older), List.of("app-misc/foo"), null))).containsExactly("app-misc/foo-1 source");
        // package.use changes the configured USE: the "other" instance fits now
        config = TestEnv.config(tmp.resolve("gtk"), "ACCEPT_LICENSE=\"-* @FREE\"\n", Map.of("package.use", "app-misc/foo gtk\n"));
        repo = tmp.resolve("gtk/repo");
        ebuild(repo, "app-misc/foo-1", "IUSE", "gtk ssl");
        assertThat(plan(resolve(List.of(same, other), List.of("app-misc/foo"), null))).containsExactly("app-misc/foo-1 other");
    }

    @Test
    void theBuildKeyFilterSendsRejectedBinariesToSource() {
        ebuild(repo, "app-misc/foo-1");
        ebuild(repo, "app-misc/bar-1");
        Binhost local = TestEnv.binhost("local", pkg("app-misc/foo-1", "BUILD_KEY", "old"), pkg("app-misc/bar-1", "BUILD_KEY", "new"));
        List<String> asked = new ArrayList<>();
        ResolvePlan p = resolve(List.of(local), List.of("app-misc/foo", "app-misc/bar"), null, (bh, e) -> {
            asked.add(bh.name() + " " + e.cpv());
            return e.get("BUILD_KEY").equals("new");
        }, gentoo());
        assertThat(plan(p)).containsExactlyInAnyOrder("app-misc/foo-1 source", "app-misc/bar-1 local");
        // once per package, however often the resolution looks at it
        assertThat(asked).containsExactlyInAnyOrder("local app-misc/foo-1", "local app-misc/bar-1");
        // without an ebuild, the rejected binary leaves nothing to take
        assertThatThrownBy(() -> Resolver.resolve(ResolveRequest.of(config, List.of(local), List.of("app-misc/foo"), null)
                .withBinaryFilter((bh, e) -> false)))
                .hasMessageContaining("app-misc/foo-1 from local: not used: its build key is not the current one");
    }

    @Test
    void fromSourceAllAndAList() {
        ebuild(repo, "app-misc/foo-1", "RDEPEND", "app-misc/bar");
        ebuild(repo, "app-misc/bar-1");
        ebuild(repo, "app-misc/baz-1");
        Binhost bh = TestEnv.binhost("bh", pkg("app-misc/foo-1", "RDEPEND", "app-misc/bar"), pkg("app-misc/bar-1"),
                pkg("app-misc/baz-1"));
        List<String> targets = List.of("app-misc/foo", "app-misc/baz");
        assertThat(plan(resolve(List.of(bh), targets, null)))
                .containsExactlyInAnyOrder("app-misc/bar-1 bh", "app-misc/foo-1 bh", "app-misc/baz-1 bh");
        ResolveRequest.Options all = ResolveRequest.Options.DEFAULT.withFromSource(ResolveRequest.FromSource.ALL);
        assertThat(plan(resolve(List.of(bh), targets, all)))
                .containsExactlyInAnyOrder("app-misc/bar-1 source", "app-misc/foo-1 source", "app-misc/baz-1 source");
        ResolveRequest.Options listed = ResolveRequest.Options.DEFAULT
                .withFromSource(ResolveRequest.FromSource.listed(List.of("app-misc/bar", "=app-misc/baz-2")));
        assertThat(plan(resolve(List.of(bh), targets, listed)))
                .containsExactlyInAnyOrder("app-misc/bar-1 source", "app-misc/foo-1 bh", "app-misc/baz-1 bh");
        assertThatThrownBy(() -> resolve(List.of(bh), targets, ResolveRequest.Options.DEFAULT
                .withFromSource(ResolveRequest.FromSource.listed(List.of("app-misc/"))))).hasMessageStartingWith("from_source: ");
    }

    @Test
    void unmetRequiredUseNamesThePackageAndTheConstraint() {
        ebuild(repo, "app-misc/app-1", "RDEPEND", "dev-libs/lib");
        ebuild(repo, "dev-libs/lib-1", "IUSE", "+a +b", "REQUIRED_USE", "^^ ( a b )");
        ebuild(repo, "dev-libs/lib-0.9", "IUSE", "a");
        assertThatThrownBy(() -> resolve(List.of(), List.of("app-misc/app"), null))
                .satisfies(e -> assertThat(((ResolveException) e).exitCode()).isEqualTo(ExitCodes.RESOLVE))
                .hasMessage("dev-libs/lib (required by app-misc/app-1 RDEPEND): dev-libs/lib-1::gentoo (ebuild):"
                        + " REQUIRED_USE \"^^ ( a b )\" is not met by the configured USE=\"a b\" (change USE in package.use);"
                        + " dev-libs/lib-0.9::gentoo (ebuild): not used: dev-libs/lib-1::gentoo (ebuild) is the best visible ebuild");
    }

    @Test
    void anUnmetUseDependencyDoesNotFallBackToAnOlderEbuild() {
        ebuild(repo, "app-misc/app-1", "RDEPEND", "dev-libs/lib[gtk]");
        ebuild(repo, "dev-libs/lib-2", "IUSE", "gtk");
        ebuild(repo, "dev-libs/lib-1", "IUSE", "+gtk");
        assertThatThrownBy(() -> resolve(List.of(), List.of("app-misc/app"), null))
                .hasMessageContaining("dev-libs/lib-2::gentoo (ebuild): USE dependency [gtk] not met (configured USE=\"-gtk\")");
    }

    @Test
    void binariesAndEbuildsInOneClosureMergeInDependencyOrder() {
        // app (binary) -> lib (source) -> base (binary); lib's PDEPEND plugin (source) after it; lib's
        // BDEPEND tool exists nowhere and is not needed in the stage
        ebuild(repo, "app-misc/app-1", "RDEPEND", "dev-libs/lib");
        ebuild(repo, "dev-libs/lib-1", "RDEPEND", "sys-libs/base", "PDEPEND", "dev-libs/plugin",
                "BDEPEND", "dev-util/tool", "DEPEND", "sys-libs/base");
        ebuild(repo, "dev-libs/plugin-1", "RDEPEND", "dev-libs/lib");
        ebuild(repo, "sys-libs/base-1");
        Binhost bh = TestEnv.binhost("bh", pkg("app-misc/app-1", "RDEPEND", "dev-libs/lib"), pkg("sys-libs/base-1"));
        ResolvePlan p = resolve(List.of(bh), List.of("app-misc/app"), null);
        assertThat(plan(p)).containsExactly("sys-libs/base-1 bh", "dev-libs/lib-1 source", "dev-libs/plugin-1 source",
                "app-misc/app-1 bh");
        assertThat(plan(resolve(List.of(bh), List.of("app-misc/app"), null))).isEqualTo(plan(p));
        // the same graph all binary merges in the same order: MergeOrder does not care where a package comes from
        Binhost allBinary = TestEnv.binhost("all", pkg("app-misc/app-1", "RDEPEND", "dev-libs/lib"),
                pkg("dev-libs/lib-1", "RDEPEND", "sys-libs/base", "PDEPEND", "dev-libs/plugin"),
                pkg("dev-libs/plugin-1", "RDEPEND", "dev-libs/lib"), pkg("sys-libs/base-1"));
        ResolvePlan binary = Resolver.resolve(ResolveRequest.of(config, List.of(allBinary), List.of("app-misc/app"), null));
        assertThat(binary.packages()).extracting(x -> x.cpv().toString())
                .containsExactlyElementsOf(p.packages().stream().map(x -> x.cpv().toString()).toList());
    }

    @Test
    void versionsFollowEmergeUsepkg() {
        ebuild(repo, "app-misc/foo-2");
        ebuild(repo, "app-misc/foo-3", "KEYWORDS", "~amd64");
        // an older binary is not used when a newer ebuild is visible
        Binhost old = TestEnv.binhost("old", pkg("app-misc/foo-1"));
        assertThat(plan(resolve(List.of(old), List.of("app-misc/foo"), null))).containsExactly("app-misc/foo-2 source");
        // a binary of the best ebuild's version is
        Binhost same = TestEnv.binhost("same", pkg("app-misc/foo-1"), pkg("app-misc/foo-2"));
        assertThat(plan(resolve(List.of(same), List.of("app-misc/foo"), null))).containsExactly("app-misc/foo-2 same");
        // a binary newer than every visible ebuild is not (its ebuild is masked by keyword, or gone)
        Binhost newer = TestEnv.binhost("newer", pkg("app-misc/foo-3"), pkg("app-misc/foo-4"));
        assertThat(plan(resolve(List.of(newer), List.of("app-misc/foo"), null))).containsExactly("app-misc/foo-2 source");
        // but an atom only a binary satisfies still takes it when no ebuild matches
        assertThat(plan(resolve(List.of(newer), List.of(">=app-misc/foo-4"), null))).containsExactly("app-misc/foo-4 newer");
        // an ebuild of an EAPI Portage does not know is masked
        ebuild(repo, "app-misc/bar-1", "EAPI", "10");
        assertThatThrownBy(() -> resolve(List.of(), List.of("app-misc/bar"), null))
                .hasMessageContaining("app-misc/bar-1::gentoo (ebuild): masked by EAPI: EAPI 10 is not supported");
    }

    @Test
    void anOverlayWithAHigherPriorityOverridesTheMainRepository() {
        Path overlay = tmp.resolve("overlay");
        TestEnv.write(overlay.resolve("profiles/repo_name"), "mine\n");
        ebuild(repo, "app-misc/foo-1", "RDEPEND", "app-misc/main-dep");
        ebuild(repo, "app-misc/main-dep-1");
        ebuild(overlay, "app-misc/foo-1", "RDEPEND", "app-misc/overlay-dep");
        ebuild(overlay, "app-misc/overlay-dep-1");
        ResolvePlan p = resolve(List.of(), List.of("foo"), null, null, gentoo(), EbuildRepository.at(overlay, 10));
        assertThat(p.packages()).extracting(PlannedPackage::display)
                .containsExactly("app-misc/overlay-dep-1::mine", "app-misc/foo-1::mine");
        ResolvePlan low = resolve(List.of(), List.of("foo"), null, null, gentoo(), EbuildRepository.at(overlay, -1));
        assertThat(low.packages()).extracting(PlannedPackage::display)
                .containsExactly("app-misc/main-dep-1::gentoo", "app-misc/foo-1::gentoo");
        // equal priority: the later repository wins, as a later PORTDIR_OVERLAY did
        ResolvePlan tie = resolve(List.of(), List.of("foo"), null, null, EbuildRepository.at(overlay, 0), gentoo());
        assertThat(tie.packages()).extracting(PlannedPackage::display).endsWith("app-misc/foo-1::gentoo");
        // a higher version in the main repository beats the overlay's
        ebuild(repo, "app-misc/foo-2");
        ResolvePlan higher = resolve(List.of(), List.of("foo"), null, null, gentoo(), EbuildRepository.at(overlay, 10));
        assertThat(higher.packages()).extracting(PlannedPackage::display).containsExactly("app-misc/foo-2::gentoo");
    }

    @Test
    void withoutRepositoriesNothingChanges() {
        Binhost bh = TestEnv.binhost("bh", pkg("app-misc/foo-1", "IUSE", "gtk", "USE", "gtk"));
        ResolvePlan p = Resolver.resolve(ResolveRequest.of(config, List.of(bh), List.of("app-misc/foo"), null));
        assertThat(plan(p)).containsExactly("app-misc/foo-1 bh");
        assertThat(PlanFormat.pretend(p, config)).contains("[binary  N     ] app-misc/foo-1::gentoo");
    }
}

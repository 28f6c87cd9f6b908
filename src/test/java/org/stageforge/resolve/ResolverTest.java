package org.stageforge.resolve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ExitCodes;
import org.stageforge.profile.PortageConfig;
import org.stageforge.vdb.VdbEntry;
import org.stageforge.vdb.WorldFile;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.stageforge.resolve.TestEnv.pkg;

/** Each resolution rule on indexes and configurations made here. */
class ResolverTest {
    @TempDir
    Path tmp;

    PortageConfig config;

    @BeforeEach
    void setUp() {
        config = TestEnv.config(tmp);
    }

    @SafeVarargs
    private ResolvePlan resolve(ResolveRequest.Options o, List<String> targets, Map<String, String>... pkgs) {
        return Resolver.resolve(ResolveRequest.of(config, List.of(TestEnv.binhost("bh", pkgs)), targets, o));
    }

    @SafeVarargs
    private ResolvePlan resolve(List<String> targets, Map<String, String>... pkgs) {
        return resolve(ResolveRequest.Options.DEFAULT, targets, pkgs);
    }

    private static List<String> cpvs(ResolvePlan p) {
        return p.packages().stream().map(x -> x.cpv().toString()).toList();
    }

    private static List<String> labels(ResolvePlan p) {
        return p.packages().stream().map(x -> x.cpv() + "#" + x.buildId()).toList();
    }

    @Test
    void highestVisibleVersionWins() {
        ResolvePlan p = resolve(List.of("app-misc/foo"),
                pkg("app-misc/foo-1"), pkg("app-misc/foo-2"), pkg("app-misc/foo-3", "KEYWORDS", "~amd64"));
        assertThat(cpvs(p)).containsExactly("app-misc/foo-2");
        assertThat(p.packages().get(0).action()).isEqualTo(PlannedPackage.Action.NEW);
        assertThat(p.packages().get(0).reason()).isEqualTo("argument app-misc/foo");
        assertThat(p.worldAdditions()).containsExactly("app-misc/foo");
    }

    @Test
    void versionOperatorsAndBareNames() {
        ResolvePlan p = resolve(List.of("<app-misc/foo-2", "bar"),
                pkg("app-misc/foo-1"), pkg("app-misc/foo-2"), pkg("dev-libs/bar-1"));
        assertThat(cpvs(p)).containsExactly("app-misc/foo-1", "dev-libs/bar-1");
        assertThatThrownBy(() -> resolve(List.of("nosuch"), pkg("app-misc/foo-1")))
                .hasMessageContaining("nosuch: no package of that name");
    }

    @Test
    void misspelledTargetsGetASuggestion() {
        assertThatThrownBy(() -> resolve(List.of("app-misc/fooo"), pkg("app-misc/foo-1"), pkg("dev-libs/bar-1")))
                .hasMessage("app-misc/fooo (argument app-misc/fooo): no package app-misc/fooo in any binhost index"
                        + " (did you mean 'app-misc/foo'?)");
        assertThatThrownBy(() -> resolve(List.of("app-mics/foo"), pkg("app-misc/foo-1")))
                .hasMessageEndingWith(" (did you mean 'app-misc/foo'?)");
        assertThatThrownBy(() -> resolve(List.of("baar"), pkg("app-misc/foo-1"), pkg("dev-libs/bar-1")))
                .hasMessage("baar: no package of that name in any binhost index (did you mean 'dev-libs/bar'?)");
        assertThatThrownBy(() -> resolve(List.of("@sytem"), pkg("app-misc/foo-1")))
                .hasMessage("@sytem: no such package set (did you mean 'system'?)");
        assertThatThrownBy(() -> resolve(List.of("dev-libs/quux"), pkg("app-misc/foo-1")))
                .hasMessage("dev-libs/quux (argument dev-libs/quux): no package dev-libs/quux in any binhost index");
    }

    @Test
    void slotsAreIndependent() {
        ResolvePlan p = resolve(List.of("app-misc/user"),
                pkg("app-misc/user-1", "RDEPEND", "dev-lang/py:3.11 dev-lang/py:3.12"),
                pkg("dev-lang/py-3.11.4", "SLOT", "3.11"), pkg("dev-lang/py-3.11.5", "SLOT", "3.11"),
                pkg("dev-lang/py-3.12.1", "SLOT", "3.12"));
        assertThat(cpvs(p)).containsExactly("dev-lang/py-3.11.5", "dev-lang/py-3.12.1", "app-misc/user-1");
        assertThat(p.packages().get(0).slot()).isEqualTo("3.11");
        assertThat(p.packages().get(2).world()).isTrue();
        assertThat(p.packages().get(0).world()).isFalse();
        assertThat(p.packages().get(0).reason()).isEqualTo("required by app-misc/user-1 RDEPEND");
    }

    @Test
    void packageMaskIsReportedWithFileAndLine() {
        config = TestEnv.config(tmp.resolve("m"), "ACCEPT_LICENSE=\"-* @FREE\"\n",
                Map.of("package.mask", "# broken\n\n# really broken\n>=app-misc/foo-2\n"));
        ResolvePlan p = resolve(List.of("app-misc/foo"), pkg("app-misc/foo-1"), pkg("app-misc/foo-2"));
        assertThat(cpvs(p)).containsExactly("app-misc/foo-1");
        assertThatThrownBy(() -> resolve(List.of(">=app-misc/foo-2"), pkg("app-misc/foo-1"), pkg("app-misc/foo-2")))
                .isInstanceOf(ResolveException.class)
                .satisfies(e -> assertThat(((ResolveException) e).exitCode()).isEqualTo(ExitCodes.RESOLVE))
                .hasMessageContaining(">=app-misc/foo-2 (argument >=app-misc/foo-2)")
                .hasMessageContaining("masked by package.mask: >=app-misc/foo-2")
                .hasMessageContaining("package.mask:4)");
    }

    @Test
    void keywordsAndAcceptKeywords() {
        Map<String, String> testing = pkg("app-misc/foo-1", "KEYWORDS", "~amd64 x86");
        assertThatThrownBy(() -> resolve(List.of("app-misc/foo"), testing))
                .hasMessageContaining("app-misc/foo-1 from bh: masked by keyword: needs ~amd64 x86 accepted");
        config = TestEnv.config(tmp.resolve("k"), "", Map.of("package.accept_keywords", "app-misc/foo ~amd64\n"));
        assertThat(cpvs(resolve(List.of("app-misc/foo"), testing))).containsExactly("app-misc/foo-1");
    }

    @Test
    void licenses() {
        Map<String, String> eula = pkg("app-misc/foo-1", "LICENSE", "EULA-x");
        assertThatThrownBy(() -> resolve(List.of("app-misc/foo"), eula))
                .hasMessageContaining("masked by license: EULA-x not accepted");
        config = TestEnv.config(tmp.resolve("l"), "ACCEPT_LICENSE=\"-* @FREE\"\n",
                Map.of("package.license", "app-misc/foo EULA-x\n"));
        assertThat(cpvs(resolve(List.of("app-misc/foo"), eula))).containsExactly("app-misc/foo-1");
    }

    @Test
    void instanceChoiceFollowsBuildTimeOrConfiguredUse() {
        Map<String, String> withSsl = pkg("app-misc/foo-1", "BUILD_ID", "1", "BUILD_TIME", "100", "IUSE", "ssl gui", "USE", "ssl amd64");
        Map<String, String> without = pkg("app-misc/foo-1", "BUILD_ID", "2", "BUILD_TIME", "200", "IUSE", "ssl gui", "USE", "amd64");
        // Portage's default with --usepkgonly: USE is not compared, the newest build wins
        assertThat(labels(resolve(List.of("app-misc/foo"), withSsl, without))).containsExactly("app-misc/foo-1#2");
        // --binpkg-respect-use: the profile enables ssl, so the older build matches
        ResolveRequest.Options respect = ResolveRequest.Options.DEFAULT.withBinpkgRespectUse(true);
        assertThat(labels(resolve(respect, List.of("app-misc/foo"), without, withSsl))).containsExactly("app-misc/foo-1#1");
        // none matches: every instance's USE against the wanted USE
        Map<String, String> gui = pkg("app-misc/foo-1", "BUILD_ID", "3", "IUSE", "ssl gui", "USE", "gui ssl");
        assertThatThrownBy(() -> resolve(respect, List.of("app-misc/foo"), without, gui))
                .hasMessageContaining("no binary instance's USE matches the configuration")
                .hasMessageContaining("app-misc/foo-1 (build 2) from bh: USE mismatch: built with USE=\"-gui -ssl\", configuration wants USE=\"-gui ssl\"")
                .hasMessageContaining("app-misc/foo-1 (build 3) from bh: USE mismatch: built with USE=\"gui ssl\"");
    }

    @Test
    void laterBuildIdBreaksBuildTimeTiesAndFirstBinhostWinsTies() {
        Map<String, String> a = pkg("app-misc/foo-1", "BUILD_ID", "1", "BUILD_TIME", "100");
        Map<String, String> b = pkg("app-misc/foo-1", "BUILD_ID", "4", "BUILD_TIME", "100");
        assertThat(labels(resolve(List.of("app-misc/foo"), b, a))).containsExactly("app-misc/foo-1#4");
        ResolvePlan p = Resolver.resolve(ResolveRequest.of(config,
                List.of(TestEnv.binhost("first", a), TestEnv.binhost("second", a)), List.of("app-misc/foo"),
                ResolveRequest.Options.DEFAULT));
        assertThat(p.packages().get(0).binhost()).isEqualTo("first");
    }

    @Test
    void useDependencies() {
        ResolvePlan p = resolve(List.of("app-misc/app"),
                pkg("app-misc/app-1", "IUSE", "ssl", "USE", "ssl", "RDEPEND", "dev-libs/lib[ssl] dev-libs/opt[ssl?,-gui(-)]"),
                pkg("dev-libs/lib-1", "IUSE", "ssl", "USE", "ssl"), pkg("dev-libs/lib-2", "IUSE", "ssl", "USE", ""),
                pkg("dev-libs/opt-1", "IUSE", "ssl", "USE", "ssl"), pkg("dev-libs/opt-2", "IUSE", "ssl gui", "USE", "ssl gui"));
        assertThat(cpvs(p)).containsExactly("dev-libs/lib-1", "dev-libs/opt-1", "app-misc/app-1");
        assertThatThrownBy(() -> resolve(List.of("app-misc/app"),
                pkg("app-misc/app-1", "RDEPEND", "dev-libs/lib[ssl]"), pkg("dev-libs/lib-2", "IUSE", "ssl", "USE", "")))
                .hasMessageContaining("dev-libs/lib[ssl] (required by app-misc/app-1 RDEPEND)")
                .hasMessageContaining("USE dependency [ssl] not met (built with USE=\"-ssl\")");
    }

    @Test
    void anyOfPrefersGraphThenInstalledThenFirstAvailable() {
        Map<String, String> app = pkg("app-misc/app-1", "RDEPEND", "|| ( dev-libs/a dev-libs/b )");
        Map<String, String> other = pkg("app-misc/other-1", "RDEPEND", "dev-libs/b");
        Map<String, String> a = pkg("dev-libs/a-1");
        Map<String, String> b = pkg("dev-libs/b-1");
        assertThat(cpvs(resolve(List.of("app-misc/app"), app, a, b))).containsExactly("dev-libs/a-1", "app-misc/app-1");
        // b is pulled in by another package (even one queued later): the group takes it
        assertThat(cpvs(resolve(List.of("app-misc/app", "app-misc/other"), app, other, a, b)))
                .containsExactly("dev-libs/b-1", "app-misc/app-1", "app-misc/other-1");
        // b is installed: nothing new
        ResolvePlan p = Resolver.resolve(new ResolveRequest(config, List.of(TestEnv.binhost("bh", app, a, b)),
                List.of(TestEnv.installed("dev-libs/b-1")), null, List.of("app-misc/app"), null));
        assertThat(cpvs(p)).containsExactly("app-misc/app-1");
        // a is not visible: b
        assertThat(cpvs(resolve(List.of("app-misc/app"), app, pkg("dev-libs/a-1", "KEYWORDS", "~amd64"), b)))
                .containsExactly("dev-libs/b-1", "app-misc/app-1");
        assertThatThrownBy(() -> resolve(List.of("app-misc/app"), app))
                .hasMessageContaining("|| ( dev-libs/a dev-libs/b ) (required by app-misc/app-1 RDEPEND): no alternative can be satisfied");
    }

    @Test
    void slotOperatorsMatchSubslots() {
        Map<String, String> old = pkg("dev-libs/ssl-1.1.1", "SLOT", "0/1.1");
        Map<String, String> cur = pkg("dev-libs/ssl-3.0.9", "SLOT", "0/3");
        assertThat(cpvs(resolve(List.of("app-misc/app"), pkg("app-misc/app-1", "RDEPEND", "dev-libs/ssl:0/1.1="), old, cur)))
                .containsExactly("dev-libs/ssl-1.1.1", "app-misc/app-1");
        assertThat(cpvs(resolve(List.of("app-misc/app"), pkg("app-misc/app-1", "RDEPEND", "dev-libs/ssl:*"), old, cur)))
                .containsExactly("dev-libs/ssl-3.0.9", "app-misc/app-1");
        assertThatThrownBy(() -> resolve(List.of("app-misc/app"), pkg("app-misc/app-1", "RDEPEND", "dev-libs/ssl:0/2="), old, cur))
                .hasMessageContaining("dev-libs/ssl-3.0.9 from bh: SLOT 0/3 does not match");
    }

    @Test
    void slotConflictRestartsWithBothConstraints() {
        // the first atom alone would take foo-3, the second needs <3: one package must satisfy both
        ResolvePlan p = resolve(List.of("app-misc/a", "app-misc/b"),
                pkg("app-misc/a-1", "RDEPEND", "dev-libs/foo"), pkg("app-misc/b-1", "RDEPEND", "<dev-libs/foo-3"),
                pkg("dev-libs/foo-2"), pkg("dev-libs/foo-3"));
        assertThat(cpvs(p)).containsExactly("dev-libs/foo-2", "app-misc/a-1", "app-misc/b-1");
        assertThatThrownBy(() -> resolve(List.of("app-misc/a", "app-misc/b"),
                pkg("app-misc/a-1", "RDEPEND", ">=dev-libs/foo-3"), pkg("app-misc/b-1", "RDEPEND", "<dev-libs/foo-3"),
                pkg("dev-libs/foo-2"), pkg("dev-libs/foo-3")))
                .isInstanceOf(ResolveException.class)
                .hasMessageContaining("conflicts with >=dev-libs/foo-3 in slot 0");
    }

    @Test
    void softBlockerUnmergesInstalledPackage() {
        ResolvePlan p = Resolver.resolve(new ResolveRequest(config,
                List.of(TestEnv.binhost("bh", pkg("app-misc/new-1", "RDEPEND", "!app-misc/old"))),
                List.of(TestEnv.installed("app-misc/old-1")), null, List.of("app-misc/new"), null));
        assertThat(cpvs(p)).containsExactly("app-misc/new-1");
        assertThat(p.removals()).containsExactly("app-misc/old-1");
    }

    @Test
    void blockerOnReplacedPackageOrdersTheReplacementFirst() {
        // installed foo-1 is blocked by zzz; foo-2 replaces it and must merge before zzz
        ResolvePlan p = Resolver.resolve(new ResolveRequest(config,
                List.of(TestEnv.binhost("bh", pkg("aaa/zzz-1", "RDEPEND", "!!<zzz/foo-2"), pkg("zzz/foo-2"))),
                List.of(TestEnv.installed("zzz/foo-1")), null, List.of("aaa/zzz", "zzz/foo"), null));
        assertThat(cpvs(p)).containsExactly("zzz/foo-2", "aaa/zzz-1");
        assertThat(p.packages().get(0).action()).isEqualTo(PlannedPackage.Action.UPGRADE);
        assertThat(p.packages().get(0).replaces()).isEqualTo("zzz/foo-1");
        assertThat(p.removals()).isEmpty();
    }

    @Test
    void hardBlockersAndBlockedPlanPackagesAreRefused() {
        assertThatThrownBy(() -> Resolver.resolve(new ResolveRequest(config,
                List.of(TestEnv.binhost("bh", pkg("app-misc/new-1", "RDEPEND", "!!app-misc/old"))),
                List.of(TestEnv.installed("app-misc/old-1")), null, List.of("app-misc/new"), null)))
                .isInstanceOf(ResolveException.class)
                .hasMessage("!!app-misc/old (hard blocker in app-misc/new-1 RDEPEND): blocks installed app-misc/old-1; unmerge it first");
        assertThatThrownBy(() -> resolve(List.of("app-misc/new", "app-misc/old"),
                pkg("app-misc/new-1", "RDEPEND", "!app-misc/old"), pkg("app-misc/old-1")))
                .hasMessageContaining("blocks app-misc/old-1, which is in the plan (argument app-misc/old)");
    }

    @Test
    void cyclesArePdependLaterAndRuntimeCyclesBrokenWithAWarning() {
        // b's PDEPEND on a is runtime-post: a needs b first, then a
        ResolvePlan p = resolve(List.of("app-misc/b"),
                pkg("app-misc/a-1", "RDEPEND", "app-misc/b"), pkg("app-misc/b-1", "PDEPEND", "app-misc/a"));
        assertThat(cpvs(p)).containsExactly("app-misc/b-1", "app-misc/a-1");
        assertThat(p.warnings()).isEmpty();
        // a pure runtime cycle: as Portage, the cycle's nodes in graph order (the argument first), and said so
        ResolvePlan c = resolve(List.of("app-misc/y"),
                pkg("app-misc/x-1", "RDEPEND", "app-misc/y"), pkg("app-misc/y-1", "RDEPEND", "app-misc/x"),
                pkg("app-misc/w-1"), pkg("app-misc/z-1", "RDEPEND", "app-misc/x"));
        assertThat(cpvs(c)).containsExactly("app-misc/y-1", "app-misc/x-1");
        assertThat(c.warnings()).containsExactly(
                "dependency cycle: app-misc/y-1 is merged before its RDEPEND dependency app-misc/x-1");
        // IDEPEND is a runtime edge too (ROOT is not /): the cycle is broken in graph order
        ResolvePlan i = resolve(ResolveRequest.Options.DEFAULT.withIdependInRoot(true), List.of("app-misc/a"),
                pkg("app-misc/a-1", "IDEPEND", "app-misc/b"), pkg("app-misc/b-1", "RDEPEND", "app-misc/a"));
        assertThat(cpvs(i)).containsExactly("app-misc/a-1", "app-misc/b-1");
        assertThat(i.warnings()).containsExactly(
                "dependency cycle: app-misc/a-1 is merged before its IDEPEND dependency app-misc/b-1");
    }

    @Test
    void idependBelongsToTheHostUnlessAskedForInRoot() {
        Map<String, String> glibc = pkg("sys-libs/libc-2", "IDEPEND", "sys-apps/locale-gen || ( app-misc/x app-misc/tool )");
        Map<String, String> app = pkg("app-misc/app-1", "RDEPEND", "sys-libs/libc app-misc/tool");
        Map<String, String> tool = pkg("app-misc/tool-1", "RDEPEND", "app-misc/zlib");
        ResolvePlan p = resolve(List.of("app-misc/app"), app, glibc, tool, pkg("app-misc/zlib-1"));
        // tool is in the plan anyway: libc's IDEPEND on it orders it first
        assertThat(cpvs(p)).containsExactly("app-misc/zlib-1", "app-misc/tool-1", "sys-libs/libc-2", "app-misc/app-1");
        assertThat(p.warnings()).containsExactly("IDEPEND sys-apps/locale-gen of sys-libs/libc-2 is for the host running "
                + "the install phases (Portage resolves it in the running root); not merged");
        assertThatThrownBy(() -> resolve(ResolveRequest.Options.DEFAULT.withIdependInRoot(true), List.of("app-misc/app"),
                app, glibc, tool, pkg("app-misc/zlib-1")))
                .hasMessage("sys-apps/locale-gen (required by sys-libs/libc-2 IDEPEND): no package sys-apps/locale-gen in any binhost index");
    }

    @Test
    void orderIsIndependentOfIndexOrder() {
        Random r = new Random(7);
        List<Map<String, String>> pkgs = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            StringBuilder dep = new StringBuilder();
            for (int j = 0; j < i; j++) if (r.nextInt(6) == 0) dep.append("cat-").append(j % 3).append("/p").append(j).append(' ');
            if (i > 3 && r.nextBoolean()) {
                int x = r.nextInt(i);
                int y = r.nextInt(i);
                dep.append("|| ( cat-").append(x % 3).append("/p").append(x).append(" cat-").append(y % 3).append("/p").append(y).append(" )");
            }
            pkgs.add(pkg("cat-" + (i % 3) + "/p" + i + "-1." + r.nextInt(3), "RDEPEND", dep.toString().strip()));
            if (r.nextInt(4) == 0) pkgs.add(pkg("cat-" + (i % 3) + "/p" + i + "-0.1"));
        }
        List<String> targets = List.of("cat-0/p39", "cat-1/p37", "cat-2/p38");
        List<String> first = null;
        for (int round = 0; round < 5; round++) {
            Collections.shuffle(pkgs, r);
            List<String> got = cpvs(Resolver.resolve(ResolveRequest.of(config, List.of(TestEnv.binhost("bh", pkgs)),
                    targets, ResolveRequest.Options.DEFAULT)));
            if (first == null) first = got;
            assertThat(got).isEqualTo(first);
        }
        assertThat(first).hasSizeGreaterThan(5);
    }

    @Test
    void baselayoutGoesFirstExceptForItsOwnPrerequisites() {
        ResolvePlan p = resolve(List.of("acct-group/root", "sys-apps/baselayout", "app-misc/foo"),
                pkg("acct-group/root-0"), pkg("app-misc/foo-1", "RDEPEND", "acct-group/root"),
                pkg("sys-apps/baselayout-2", "RDEPEND", "app-alternatives/sh"), pkg("app-alternatives/sh-0"));
        assertThat(cpvs(p)).containsExactly("app-alternatives/sh-0", "sys-apps/baselayout-2", "acct-group/root-0",
                "app-misc/foo-1");
    }

    @Test
    void noreplaceSkipsInstalledTargetsAndActionsCompareWithInstalled() {
        List<VdbEntry> inst = List.of(TestEnv.installed("app-misc/foo-1", "BUILD_ID", "1"),
                TestEnv.installed("app-misc/bar-2"), TestEnv.installed("app-misc/baz-3"));
        Binhost bh = TestEnv.binhost("bh", pkg("app-misc/foo-1", "BUILD_ID", "1"), pkg("app-misc/bar-3"), pkg("app-misc/baz-1"),
                pkg("app-misc/qux-1", "BUILD_ID", "7"));
        List<String> t = List.of("app-misc/foo", "app-misc/bar", "<app-misc/baz-2");
        ResolvePlan p = Resolver.resolve(new ResolveRequest(config, List.of(bh), inst, null, t, null));
        assertThat(p.packages()).extracting(PlannedPackage::action).containsExactly(
                PlannedPackage.Action.REINSTALL, PlannedPackage.Action.UPGRADE, PlannedPackage.Action.DOWNGRADE);
        ResolvePlan n = Resolver.resolve(new ResolveRequest(config, List.of(bh), inst, null, t,
                ResolveRequest.Options.DEFAULT.withNoreplace(true)));
        assertThat(cpvs(n)).containsExactly("app-misc/baz-1");
        // emerge -n still records the installed targets in the world file
        assertThat(n.worldAdditions()).containsExactly("app-misc/bar", "app-misc/baz", "app-misc/foo");
        ResolvePlan r = Resolver.resolve(new ResolveRequest(config,
                List.of(TestEnv.binhost("bh", pkg("app-misc/foo-1", "BUILD_ID", "2"))), inst, null, List.of("app-misc/foo"), null));
        assertThat(r.packages().get(0).action()).isEqualTo(PlannedPackage.Action.REPLACE);
    }

    @Test
    void installedDependenciesAreKept() {
        ResolvePlan p = Resolver.resolve(new ResolveRequest(config,
                List.of(TestEnv.binhost("bh", pkg("app-misc/app-1", "RDEPEND", ">=dev-libs/lib-1"), pkg("dev-libs/lib-2"))),
                List.of(TestEnv.installed("dev-libs/lib-1")), null, List.of("app-misc/app"), null));
        assertThat(cpvs(p)).containsExactly("app-misc/app-1");
        // an installed version too old for the new dependency is upgraded
        ResolvePlan u = Resolver.resolve(new ResolveRequest(config,
                List.of(TestEnv.binhost("bh", pkg("app-misc/app-1", "RDEPEND", ">=dev-libs/lib-2"), pkg("dev-libs/lib-2"))),
                List.of(TestEnv.installed("dev-libs/lib-1")), null, List.of("app-misc/app"), null));
        assertThat(cpvs(u)).containsExactly("dev-libs/lib-2", "app-misc/app-1");
    }

    @Test
    void setsWorldSelectedAndSystem() {
        Binhost bh = TestEnv.binhost("bh", pkg("sys-apps/baselayout-2"), pkg("app-misc/foo-1"), pkg("app-misc/bar-1"),
                pkg("app-misc/baz-1"));
        WorldFile world = new WorldFile(List.of("app-misc/foo"), List.of("@mine"));
        config = TestEnv.config(tmp.resolve("s"), "", Map.of("sets/mine", "app-misc/bar\n"));
        ResolvePlan sel = Resolver.resolve(new ResolveRequest(config, List.of(bh), List.of(), world, List.of("@selected"), null));
        assertThat(cpvs(sel)).containsExactly("app-misc/foo-1", "app-misc/bar-1");
        assertThat(sel.worldAdditions()).isEmpty();
        ResolvePlan mine = Resolver.resolve(new ResolveRequest(config, List.of(bh), List.of(), null, List.of("@mine"), null));
        assertThat(cpvs(mine)).containsExactly("app-misc/bar-1");
        assertThat(mine.worldAdditions()).containsExactly("@mine");
        assertThat(mine.packages().get(0).world()).isFalse();
        ResolvePlan all = Resolver.resolve(new ResolveRequest(config, List.of(bh), List.of(), world, List.of("@world"), null));
        assertThat(cpvs(all)).containsExactly("sys-apps/baselayout-2", "app-misc/foo-1", "app-misc/bar-1");
        assertThat(cpvs(Resolver.resolve(new ResolveRequest(config, List.of(bh), List.of(), world, List.of("@system"), null))))
                .containsExactly("sys-apps/baselayout-2");
        assertThatThrownBy(() -> Resolver.resolve(new ResolveRequest(config, List.of(bh), List.of(), world, List.of("@nope"), null)))
                .hasMessage("@nope: no such package set");
    }

    @Test
    void nodepsAndOneshot() {
        Map<String, String> app = pkg("app-misc/app-1", "RDEPEND", "dev-libs/missing !app-misc/x", "PDEPEND", "dev-libs/also-missing");
        ResolvePlan p = resolve(ResolveRequest.Options.DEFAULT.withNodeps(true).withOneshot(true), List.of("app-misc/app"), app);
        assertThat(cpvs(p)).containsExactly("app-misc/app-1");
        assertThat(p.worldAdditions()).isEmpty();
        assertThat(p.packages().get(0).world()).isFalse();
        assertThatThrownBy(() -> resolve(List.of("app-misc/app"), app))
                .hasMessage("dev-libs/missing (required by app-misc/app-1 RDEPEND): no package dev-libs/missing in any binhost index\n"
                        + "dev-libs/also-missing (required by app-misc/app-1 PDEPEND): no package dev-libs/also-missing in any binhost index");
    }

    @Test
    void badDependencyStringIsAParseErrorNamingThePackage() {
        assertThatThrownBy(() -> resolve(List.of("app-misc/app"), pkg("app-misc/app-1", "RDEPEND", "|| ( dev-libs/a")))
                .isInstanceOf(org.stageforge.ParseException.class)
                .hasMessageContaining("app-misc/app-1 RDEPEND");
    }

    @Test
    void pretendListsLikeEmergeAndJsonCarriesThePlan() throws Exception {
        ResolvePlan p = resolve(List.of("app-misc/app"),
                pkg("app-misc/app-1", "IUSE", "ssl +gui masked-flag forced-flag abi_x86_32 abi_x86_64 kernel_linux",
                        "USE", "ssl forced-flag abi_x86_64 kernel_linux", "SIZE", "1048577", "BUILD_ID", "3"));
        String text = PlanFormat.pretend(p, config);
        assertThat(text).contains("[binary  N     ] app-misc/app-1::gentoo (build 3)  "
                + "USE=\"(forced-flag) ssl -gui (-masked-flag)\" ABI_X86=\"64 -32\" 1,025 KiB\n");
        assertThat(text).endsWith("\nTotal: 1 package (1 new, 1 binary), Size of downloads: 1,025 KiB\n");
        JsonNode j = new ObjectMapper().readTree(PlanFormat.json(p));
        assertThat(j.get("packages").get(0).get("cpv").asText()).isEqualTo("app-misc/app-1");
        assertThat(j.get("packages").get(0).get("buildId").asLong()).isEqualTo(3);
        assertThat(j.get("packages").get(0).get("action").asText()).isEqualTo("NEW");
        assertThat(j.get("worldAdditions").get(0).asText()).isEqualTo("app-misc/app");
        assertThat(PlanFormat.flags(PlannedPackage.Action.DOWNGRADE)).isEqualTo("    UD ");
        assertThat(PlanFormat.kib(0)).isEqualTo("0 KiB");
    }

    @Test
    void packageProvidedSatisfiesMatchingVersionsAndIsNeverMerged() {
        PortageConfig c = TestEnv.config(tmp.resolve("prov"), "", Map.of("profile/package.provided", "dev-libs/lib-2\n"));
        Binhost bh = TestEnv.binhost("bh", pkg("app-misc/app-1", "RDEPEND", ">=dev-libs/lib-2"),
                pkg("app-misc/new-1", "RDEPEND", ">=dev-libs/lib-3"), pkg("app-misc/any-1", "RDEPEND", "|| ( app-misc/x dev-libs/lib )"),
                pkg("app-misc/x-1"), pkg("dev-libs/lib-3"));
        assertThat(cpvs(Resolver.resolve(ResolveRequest.of(c, List.of(bh), List.of("app-misc/app"), null))))
                .containsExactly("app-misc/app-1");
        assertThat(cpvs(Resolver.resolve(ResolveRequest.of(c, List.of(bh), List.of("app-misc/any"), null))))
                .containsExactly("app-misc/any-1");
        // the provided version does not match >=3: the real package is merged, as Portage does
        assertThat(cpvs(Resolver.resolve(ResolveRequest.of(c, List.of(bh), List.of("app-misc/new"), null))))
                .containsExactly("dev-libs/lib-3", "app-misc/new-1");
        ResolvePlan t = Resolver.resolve(ResolveRequest.of(c, List.of(bh), List.of("=dev-libs/lib-2"), null));
        assertThat(t.packages()).isEmpty();
        assertThat(t.warnings()).containsExactly("=dev-libs/lib-2 (argument =dev-libs/lib-2): dev-libs/lib-2 is in package.provided; not merged");
        // without package.provided the dependency is merged
        assertThat(cpvs(Resolver.resolve(ResolveRequest.of(config, List.of(bh), List.of("app-misc/app"), null))))
                .containsExactly("dev-libs/lib-3", "app-misc/app-1");
    }

    @Test
    void profilePackageProvidedCountsInEapi6ProfilesOnly() throws Exception {
        TestEnv.config(tmp.resolve("base"), "", Map.of());
        Path profiles = tmp.resolve("base/repo/profiles");
        for (String eapi : List.of("6", "7")) {
            Path p = profiles.resolve("eapi" + eapi);
            TestEnv.write(p.resolve("eapi"), eapi + "\n");
            TestEnv.write(p.resolve("parent"), "../test\n");
            TestEnv.write(p.resolve("package.provided"), "dev-libs/lib-1\ndev-libs/gone-1\n");
            TestEnv.write(p.resolve("sub/eapi"), "5\n");
            TestEnv.write(p.resolve("sub/parent"), "..\n");
            TestEnv.write(p.resolve("sub/package.provided"), "-dev-libs/gone-1\n");
        }
        Binhost bh = TestEnv.binhost("bh", pkg("app-misc/app-1", "RDEPEND", "dev-libs/lib dev-libs/gone"),
                pkg("dev-libs/lib-1"), pkg("dev-libs/gone-1"));
        PortageConfig six = PortageConfig.load(TestEnv.configRoot(tmp.resolve("c6"), tmp.resolve("base/repo"),
                profiles.resolve("eapi6/sub"), Map.of("make.conf", "")), Map.of());
        assertThat(six.packageProvided()).extracting(Object::toString).containsExactly("dev-libs/lib-1");
        assertThat(cpvs(Resolver.resolve(ResolveRequest.of(six, List.of(bh), List.of("app-misc/app"), null))))
                .containsExactly("dev-libs/gone-1", "app-misc/app-1");
        PortageConfig seven = PortageConfig.load(TestEnv.configRoot(tmp.resolve("c7"), tmp.resolve("base/repo"),
                profiles.resolve("eapi7"), Map.of("make.conf", "")), Map.of());
        assertThat(seven.packageProvided()).isEmpty();
    }
}

package org.stageforge.resolve;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.atom.Atom;
import org.stageforge.index.PackagesIndex;
import org.stageforge.profile.PortageConfig;
import org.stageforge.testutil.Fixtures;
import org.stageforge.vdb.VdbEntry;
import org.stageforge.vdb.WorldFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Resolves what real Portage installed in portage-expected/install/* (same arguments, same
 * config, same binhost) and compares the packages with the VDB Portage wrote.
 */
public class ResolveFixtureTest {
    @TempDir
    Path tmp;

    /** One emerge run of a case: environment assignments, options and targets. */
    public record Step(Map<String, String> env, ResolveRequest.Options options, List<String> targets) {}

    @TestFactory
    Stream<DynamicTest> installCasesGiveTheVdbPortageWrote() throws IOException {
        Path install = Fixtures.require("portage-expected/install");
        Binhost binhost = Binhost.load(Fixtures.require("binhost-xpak-amd64").toString(), tmp.resolve("cache"));
        List<Path> cases;
        try (Stream<Path> s = Files.list(install)) {
            cases = s.filter(p -> Files.isRegularFile(p.resolve("emerge-args.txt"))).sorted().toList();
        }
        assertThat(cases).hasSizeGreaterThanOrEqualTo(4);
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.getFileName().toString(), () -> runCase(install, c, binhost)));
    }

    /** What stageforge resolves for a case's emerge runs: the packages in merge order, the VDB and the world file. */
    public record CaseResult(List<PlannedPackage> merged, Map<String, VdbEntry> installed, Set<String> world) {}

    private void runCase(Path install, Path caseDir, Binhost binhost) throws IOException {
        Map<String, VdbEntry> expectedVdb = readVdb(caseDir.resolve("vdb"));
        CaseResult r = resolveCase(install, caseDir, binhost, Files.createTempDirectory(tmp, caseDir.getFileName().toString()));
        Map<String, Long> got = new TreeMap<>();
        r.installed().forEach((k, v) -> got.put(k, buildId(v)));
        Map<String, Long> want = new TreeMap<>();
        expectedVdb.forEach((k, v) -> want.put(k, buildId(v)));
        assertThat(got).isEqualTo(want);
        // the merge order is Portage's: its COUNTERs
        TreeMap<Long, String> byCounter = new TreeMap<>();
        expectedVdb.forEach((k, v) -> byCounter.put(v.counter().orElseThrow(), k));
        assertThat(r.merged()).extracting(p -> p.cpv().toString()).containsExactlyElementsOf(byCounter.values());
        Path worldFile = caseDir.resolve("var/lib/portage/world");
        if (Files.exists(worldFile)) assertThat(r.world()).containsExactlyInAnyOrderElementsOf(WorldFile.readList(worldFile));
    }

    /** Resolves a case's emerge runs one after the other, each against the VDB Portage wrote for the earlier ones. */
    public static CaseResult resolveCase(Path install, Path caseDir, Binhost binhost, Path cfg) throws IOException {
        Path etc = caseDir.resolve("config-root/etc/portage");
        Map<String, String> files = new HashMap<>();
        try (Stream<Path> s = Files.list(etc)) {
            for (Path f : s.toList()) {
                String name = f.getFileName().toString();
                if (!name.equals("make.profile.target")) files.put(name, Files.readString(f));
            }
        }
        Path profileRepo = install.resolve("profile-repo");
        Path profile = profileRepo.resolve(Files.readString(etc.resolve("make.profile.target")).strip());
        TestEnv.configRoot(cfg, profileRepo, profile, files);

        Map<String, VdbEntry> expectedVdb = readVdb(caseDir.resolve("vdb"));
        Map<String, VdbEntry> installed = new TreeMap<>();
        Set<String> world = new TreeSet<>();
        List<PlannedPackage> merged = new ArrayList<>();
        for (Step step : parse(Files.readString(caseDir.resolve("emerge-args.txt")))) {
            PortageConfig config = PortageConfig.load(cfg, step.env());
            ResolvePlan plan = Resolver.resolve(new ResolveRequest(config, List.of(binhost),
                    new ArrayList<>(installed.values()), new WorldFile(new ArrayList<>(world), List.of()),
                    step.targets(), step.options()));
            merged.addAll(plan.packages());
            for (PlannedPackage p : plan.packages()) {
                installed.keySet().removeIf(k -> samePackageSlot(installed.get(k), p));
                // the VDB entry Portage wrote for this package, when the instance agrees
                VdbEntry v = expectedVdb.get(p.cpv().toString());
                installed.put(p.cpv().toString(), v != null && buildId(v) == p.buildId() ? v
                        : TestEnv.installed(p.cpv().toString(), "BUILD_ID", Long.toString(p.buildId()), "SLOT", p.slot()));
            }
            world.addAll(plan.worldAdditions());
        }
        return new CaseResult(merged, installed, world);
    }

    private static boolean samePackageSlot(VdbEntry v, PlannedPackage p) {
        return v.cpv().startsWith(p.cpv().cp() + "-") && v.slotName().equals(p.slot())
                && org.stageforge.atom.Cpv.parse(v.cpv()).cp().equals(p.cpv().cp());
    }

    private static long buildId(VdbEntry v) {
        return v.buildId().orElse(0);
    }

    static Map<String, VdbEntry> readVdb(Path vdb) throws IOException {
        Map<String, VdbEntry> out = new TreeMap<>();
        try (Stream<Path> cats = Files.list(vdb)) {
            for (Path cat : cats.sorted().toList()) {
                try (Stream<Path> pkgs = Files.list(cat)) {
                    for (Path pkg : pkgs.sorted().toList()) {
                        TreeMap<String, byte[]> f = new TreeMap<>();
                        try (Stream<Path> fs = Files.list(pkg)) {
                            for (Path x : fs.toList()) if (Files.isRegularFile(x)) f.put(x.getFileName().toString(), Files.readAllBytes(x));
                        }
                        VdbEntry e = new VdbEntry(cat.getFileName().toString(), pkg.getFileName().toString(), f);
                        out.put(e.cpv(), e);
                    }
                }
            }
        }
        return out;
    }

    /**
     * emerge-args.txt: either plain emerge arguments, or {@code step 1: ... ; step 2: ...}; each
     * step may start with VAR=value assignments and the word {@code emerge}.
     */
    public static List<Step> parse(String text) {
        List<Step> out = new ArrayList<>();
        for (String part : text.strip().split("\\s*;\\s*(?=step \\d+:)")) {
            String s = part.replaceFirst("^step \\d+:\\s*", "");
            Map<String, String> env = new LinkedHashMap<>();
            ResolveRequest.Options o = ResolveRequest.Options.DEFAULT;
            List<String> targets = new ArrayList<>();
            for (String w : shellWords(s)) {
                if (targets.isEmpty() && w.matches("[A-Z_]+=.*")) {
                    env.put(w.substring(0, w.indexOf('=')), w.substring(w.indexOf('=') + 1));
                } else if (w.equals("emerge") || w.equals("--usepkgonly") || w.equals("-K")) {
                    continue;
                } else if (w.equals("--nodeps")) {
                    o = o.withNodeps(true);
                } else if (w.equals("--oneshot") || w.equals("-1")) {
                    o = o.withOneshot(true);
                } else if (w.equals("--noreplace") || w.equals("-n")) {
                    o = o.withNoreplace(true);
                } else if (w.startsWith("--binpkg-respect-use")) {
                    o = o.withBinpkgRespectUse(!w.endsWith("=n"));
                } else if (w.startsWith("-")) {
                    throw new IllegalArgumentException("unknown emerge option in fixture: " + w);
                } else {
                    targets.add(w);
                }
            }
            out.add(new Step(env, o, targets));
        }
        return out;
    }

    private static List<String> shellWords(String s) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean any = false;
        char quote = 0;
        for (char c : s.toCharArray()) {
            if (quote != 0) {
                if (c == quote) quote = 0;
                else cur.append(c);
            } else if (c == '\'' || c == '"') {
                quote = c;
                any = true;
            } else if (Character.isWhitespace(c)) {
                if (any || cur.length() > 0) out.add(cur.toString());
                cur.setLength(0);
                any = false;
            } else {
                cur.append(c);
            }
        }
        if (any || cur.length() > 0) out.add(cur.toString());
        return out;
    }

    @Test
    void argumentParserReadsStepsAssignmentsAndOptions() {
        List<Step> steps = parse("step 1: USE=build emerge --usepkgonly --binpkg-respect-use=y sys-apps/baselayout ;"
                + " step 2: INSTALL_MASK='/a /b' emerge --usepkgonly --nodeps acct-user/messagebus");
        assertThat(steps).hasSize(2);
        assertThat(steps.get(0).env()).containsEntry("USE", "build");
        assertThat(steps.get(0).options().binpkgRespectUse()).isTrue();
        assertThat(steps.get(1).env()).containsEntry("INSTALL_MASK", "/a /b");
        assertThat(steps.get(1).options().nodeps()).isTrue();
        assertThat(steps.get(1).targets()).containsExactly("acct-user/messagebus");
    }

    /**
     * sys-apps/dbus with its dependencies from the real binhost (the issue's messagebus case):
     * every runtime dependency in the plan, account groups before their users, baselayout first,
     * glibc's IDEPEND left to the host.
     */
    @Test
    void dbusWithDependenciesFromTheRealBinhost() throws IOException {
        Path install = Fixtures.require("portage-expected/install");
        Binhost binhost = new Binhost("xpak", PackagesIndex.read(Fixtures.require("binhost-xpak-amd64")));
        Path etc = install.resolve("dbus-nomask/config-root/etc/portage");
        Path profileRepo = install.resolve("profile-repo");
        TestEnv.configRoot(tmp.resolve("cfg"), profileRepo,
                profileRepo.resolve(Files.readString(etc.resolve("make.profile.target")).strip()),
                Map.of("make.conf", Files.readString(etc.resolve("make.conf")),
                        "package.accept_keywords", Files.readString(etc.resolve("package.accept_keywords"))));
        PortageConfig config = PortageConfig.load(tmp.resolve("cfg"), Map.of());
        ResolvePlan plan = Resolver.resolve(ResolveRequest.of(config, List.of(binhost), List.of("sys-apps/dbus"),
                ResolveRequest.Options.DEFAULT));
        List<String> cpvs = plan.packages().stream().map(p -> p.cpv().toString()).toList();
        assertThat(cpvs.get(0)).isEqualTo("sys-apps/baselayout-2.13-r1");
        assertThat(cpvs).contains("sys-apps/dbus-1.15.6", "sys-libs/glibc-2.37-r3");
        assertThat(cpvs.indexOf("acct-group/messagebus-0-r2")).isLessThan(cpvs.indexOf("acct-user/messagebus-0-r2"));
        assertThat(plan.packages().stream().filter(p -> p.cpv().toString().equals("acct-user/messagebus-0-r2")))
                .singleElement().extracting(PlannedPackage::buildId).isEqualTo(2L);
        assertThat(plan.warnings()).anyMatch(w -> w.startsWith("IDEPEND sys-apps/locale-gen of sys-libs/glibc-2.37-r3"));
        assertThat(plan.worldAdditions()).containsExactly("sys-apps/dbus");
        for (PlannedPackage p : plan.packages()) {
            for (var d : org.stageforge.atom.DepString.reduce(org.stageforge.atom.DepString.parse(
                    p.entry().rdepend(), org.stageforge.atom.DepString.Kind.DEPEND), p.use()).children()) {
                if (!(d instanceof org.stageforge.atom.DepNode.AtomLeaf l) || l.atom().isBlocker()) continue;
                assertThat(plan.packages()).as(l.atom() + " of " + p.cpv()).anyMatch(q -> l.atom().matches(q.cpv(),
                        q.slot(), q.subslot(), q.repo(), q.use(), null));
            }
        }
    }

    /**
     * The cases' config has FEATURES=-pkgdir-index-trusted, so Portage re-scans the binhost directory:
     * packages without their file (systemd, glibc, ...) are not available, and dbus cannot get its
     * dependencies (which is why the fixture installed it with --nodeps).
     */
    @Test
    void untrustedLocalIndexIgnoresEntriesWithoutFile() throws IOException {
        Path install = Fixtures.require("portage-expected/install");
        Binhost binhost = Binhost.load(Fixtures.require("binhost-xpak-amd64").toString(), tmp.resolve("cache"));
        Path etc = install.resolve("dbus-nomask/config-root/etc/portage");
        Path profileRepo = install.resolve("profile-repo");
        TestEnv.configRoot(tmp.resolve("cfg"), profileRepo,
                profileRepo.resolve(Files.readString(etc.resolve("make.profile.target")).strip()),
                Map.of("make.conf", Files.readString(etc.resolve("make.conf")),
                        "package.accept_keywords", Files.readString(etc.resolve("package.accept_keywords"))));
        PortageConfig config = PortageConfig.load(tmp.resolve("cfg"), Map.of());
        assertThatThrownBy(() -> Resolver.resolve(ResolveRequest.of(config, List.of(binhost), List.of("sys-apps/dbus"),
                ResolveRequest.Options.DEFAULT)))
                .isInstanceOf(ResolveException.class)
                .hasMessageContaining("sys-apps/systemd-9999 (build 6) from " + binhost.name()
                        + ": file sys-apps/systemd/systemd-9999-6.xpak is not in the binhost directory (FEATURES=-pkgdir-index-trusted)");
        // Portage's default FEATURES trust the index
        ResolvePlan trusted = Resolver.resolve(ResolveRequest.of(PortageConfig.load(tmp.resolve("cfg"),
                Map.of("FEATURES", "pkgdir-index-trusted")), List.of(binhost), List.of("sys-apps/dbus"), ResolveRequest.Options.DEFAULT));
        assertThat(trusted.packages()).anyMatch(p -> p.cpv().toString().equals("sys-apps/systemd-9999"));
    }

    /** All 200 synthetic packages, and every dag.json edge honoured by the merge order. */
    @Test
    @SuppressWarnings("unchecked")
    void syntheticBinhostResolvesAllTargetsInDependencyOrder() throws IOException {
        Path synth = Fixtures.require("binhost-synth-gpkg");
        Path install = Fixtures.require("portage-expected/install");
        Path profileRepo = install.resolve("profile-repo");
        TestEnv.configRoot(tmp.resolve("cfg"), profileRepo, profileRepo.resolve("profiles/default/linux/amd64/oracle"),
                Map.of("make.conf", "ACCEPT_LICENSE=\"*\"\n"));
        PortageConfig config = PortageConfig.load(tmp.resolve("cfg"), Map.of());
        List<String> targets = Files.readAllLines(synth.resolve("targets.txt")).stream()
                .map(String::strip).filter(l -> !l.isEmpty()).toList();
        ResolvePlan plan = Resolver.resolve(ResolveRequest.of(config,
                List.of(new Binhost("synth", PackagesIndex.read(synth))), targets, ResolveRequest.Options.DEFAULT));
        assertThat(plan.packages()).hasSize(200);
        assertThat(plan.warnings()).isEmpty();
        Map<String, Integer> pos = new HashMap<>();
        for (int i = 0; i < plan.packages().size(); i++) pos.put(plan.packages().get(i).cpv().toString(), i);
        Map<String, List<String>> dag = new ObjectMapper().readValue(synth.resolve("dag.json").toFile(), Map.class);
        int edges = 0;
        for (var e : dag.entrySet()) {
            assertThat(pos).containsKey(e.getKey());
            for (String dep : e.getValue()) {
                Atom a = Atom.parse(dep);
                PlannedPackage chosen = plan.packages().stream().filter(p -> a.matchesCpv(p.cpv())).findFirst().orElseThrow();
                assertThat(pos.get(chosen.cpv().toString())).as(dep + " before " + e.getKey()).isLessThan(pos.get(e.getKey()));
                edges++;
            }
        }
        assertThat(edges).isEqualTo(408);
    }
}

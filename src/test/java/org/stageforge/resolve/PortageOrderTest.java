package org.stageforge.resolve;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.stageforge.profile.PortageConfig;
import org.stageforge.testutil.Fixtures;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The merge order equals the one real Portage printed for the same request (test resources
 * portage-order/, see its README): graphs with runtime cycles, slot operators, || groups,
 * virtuals and PDEPENDs, and the real xpak binhost.
 */
class PortageOrderTest {
    @TempDir
    Path tmp;

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(PortageOrderTest.class.getResource("/portage-order/" + name).toURI());
    }

    private static List<String> cpvs(ResolvePlan p) {
        return p.packages().stream().map(x -> x.cpv().toString()).toList();
    }

    @ParameterizedTest
    @ValueSource(strings = {"synth-8", "synth-25"})
    void synthesizedGraphsMergeInPortagesOrder(String name) throws Exception {
        Path dir = resource(name);
        PortageConfig config = TestEnv.config(tmp);
        Binhost bh = Binhost.load(dir.toString(), tmp.resolve("cache"));
        ResolvePlan plan = Resolver.resolve(ResolveRequest.of(config, List.of(bh),
                List.of(Files.readString(dir.resolve("targets.txt")).strip().split("\\s+")), null));
        assertThat(cpvs(plan)).containsExactlyElementsOf(Files.readAllLines(dir.resolve("portage-order.txt")));
        assertThat(plan.warnings()).anyMatch(w -> w.startsWith("dependency cycle: "));
    }

    /**
     * A root where most of the graph is installed (a VDB made from the same index entries): installed
     * packages satisfy dependencies, and an || group is decided before a virtual's dependencies
     * reach the graph, as in Portage's depgraph.
     */
    @Test
    void installedRootMergesInPortagesOrder() throws Exception {
        Path dir = resource("synth-33-installed");
        Binhost bh = Binhost.load(dir.toString(), tmp.resolve("cache"));
        Map<String, Map<String, String>> byCpv = new java.util.HashMap<>();
        for (var e : bh.index().entries()) byCpv.put(e.fields().get("CPV"), e.fields());
        List<org.stageforge.vdb.VdbEntry> installed = new ArrayList<>();
        for (String cpv : Files.readAllLines(dir.resolve("installed.txt"))) {
            Map<String, String> f = byCpv.get(cpv);
            installed.add(TestEnv.installed(cpv, "RDEPEND", f.getOrDefault("RDEPEND", ""),
                    "PDEPEND", f.getOrDefault("PDEPEND", ""), "BUILD_ID", "1", "KEYWORDS", "amd64"));
        }
        ResolvePlan plan = Resolver.resolve(new ResolveRequest(TestEnv.config(tmp), List.of(bh), installed, null,
                List.of(Files.readString(dir.resolve("targets.txt")).strip().split("\\s+")), null));
        assertThat(cpvs(plan)).containsExactlyElementsOf(Files.readAllLines(dir.resolve("portage-order.txt")));
    }

    /** Portage's order, except that baselayout comes first (Portage would lose the accounts of acct-* merged before it). */
    @Test
    void realBinhostMergesInPortagesOrder() throws Exception {
        Path install = Fixtures.require("portage-expected/install");
        Path binhost = Fixtures.require("binhost-xpak-amd64");
        Path dir = resource("xpak-binhost");
        Path pkgdir = Files.createDirectories(tmp.resolve("pkgdir"));
        Files.writeString(pkgdir.resolve("Packages"), Files.readAllLines(binhost.resolve("Packages")).stream()
                .filter(l -> !l.startsWith("IDEPEND:")).collect(Collectors.joining("\n", "", "\n")));
        Path etc = install.resolve("nodeps/config-root/etc/portage");
        Path profileRepo = install.resolve("profile-repo");
        Path profile = profileRepo.resolve(Files.readString(etc.resolve("make.profile.target")).strip());
        // the index alone, as Portage was run (pkgdir-index-trusted): the copy has no package files
        Map<String, String> files = Map.of("make.conf", Files.readString(etc.resolve("make.conf"))
                        .replace("-pkgdir-index-trusted", "pkgdir-index-trusted"),
                "package.accept_keywords", Files.readString(etc.resolve("package.accept_keywords")));
        PortageConfig config = PortageConfig.load(TestEnv.configRoot(tmp.resolve("cfg"), profileRepo, profile, files), Map.of());
        ResolvePlan plan = Resolver.resolve(ResolveRequest.of(config, List.of(Binhost.load(pkgdir.toString(), tmp.resolve("c"))),
                List.of(Files.readString(dir.resolve("targets.txt")).strip().split("\\s+")), null));
        List<String> want = new ArrayList<>(Files.readAllLines(dir.resolve("portage-order.txt")));
        assertThat(want).hasSize(118);
        assertThat(want.indexOf("sys-apps/baselayout-2.13-r1")).isGreaterThan(0);
        want.remove("sys-apps/baselayout-2.13-r1");
        want.add(0, "sys-apps/baselayout-2.13-r1");
        assertThat(cpvs(plan)).containsExactlyElementsOf(want);
    }
}

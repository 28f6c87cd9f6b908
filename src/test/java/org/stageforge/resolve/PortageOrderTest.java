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

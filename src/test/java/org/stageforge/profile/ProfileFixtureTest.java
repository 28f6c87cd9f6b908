package org.stageforge.profile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.stageforge.testutil.Fixtures;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Every profile Portage evaluated (portage-expected/profiles/*.json) must come out the same here. */
class ProfileFixtureTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Variables compared; INSTALL_MASK is unset in every fixture (JSON null). */
    private static final List<String> VARS = List.of("ABI", "ACCEPT_KEYWORDS", "ACCEPT_LICENSE", "ARCH",
            "BOOTSTRAP_USE", "CFLAGS", "CHOST", "CONFIG_PROTECT", "CONFIG_PROTECT_MASK", "DEFAULT_ABI", "ELIBC",
            "FEATURES", "INSTALL_MASK", "IUSE_IMPLICIT", "KERNEL", "LDFLAGS", "LIBDIR_amd64", "MULTILIB_ABIS",
            "PROFILE_ONLY_VARIABLES", "PYTHON_SINGLE_TARGET", "PYTHON_TARGETS", "USE_EXPAND", "USE_EXPAND_HIDDEN",
            "USE_EXPAND_IMPLICIT", "USE_EXPAND_UNPREFIXED");

    @TestFactory
    Stream<DynamicTest> everyFixtureProfile() throws IOException {
        Path expected = Fixtures.require("portage-expected/profiles");
        Path repo = Fixtures.require("gentoo-repo");
        List<Path> files;
        try (Stream<Path> s = Files.list(expected)) {
            files = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        assertThat(files).isNotEmpty();
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> check(repo, f)));
    }

    private static void check(Path repo, Path file) throws IOException {
        JsonNode want = JSON.readTree(file.toFile());
        PortageConfig c = PortageConfig.forProfile(repo, want.get("profile").asText(), Map.of());
        assertThat(c.chain()).as("profile_chain").isEqualTo(strings(want.get("profile_chain")));
        assertThat(new ArrayList<>(c.use())).as("USE").isEqualTo(strings(want.get("USE")));
        assertThat(new ArrayList<>(c.useMask())).as("use_mask").isEqualTo(strings(want.get("use_mask")));
        assertThat(new ArrayList<>(c.useForce())).as("use_force").isEqualTo(strings(want.get("use_force")));
        assertThat(sorted(c.systemSet())).as("system_set").isEqualTo(strings(want.get("system_set")));
        assertThat(sorted(c.packageMask())).as("package_mask").isEqualTo(strings(want.get("package_mask")));
        JsonNode vars = want.get("vars");
        for (String k : VARS) {
            JsonNode v = vars.get(k);
            assertThat(c.get(k)).as("vars." + k).isEqualTo(v == null || v.isNull() ? null : v.asText());
        }
    }

    private static List<String> sorted(List<Entry> entries) {
        TreeSet<String> s = new TreeSet<>();
        for (Entry e : entries) s.add(e.value());
        return new ArrayList<>(s);
    }

    private static List<String> strings(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.forEach(x -> out.add(x.asText()));
        return out;
    }
}

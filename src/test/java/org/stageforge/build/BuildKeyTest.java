package org.stageforge.build;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class BuildKeyTest {
    @TempDir
    Path tmp;

    static final Map<String, String> VARS = Map.of("CHOST", "x86_64-pc-linux-gnu", "CFLAGS", "-O2 -pipe",
            "CXXFLAGS", "-O2 -pipe", "LDFLAGS", "-Wl,-O1");
    static final Map<String, String> TOOLS = Map.of("compiler", "gcc 12.2.0", "libc", "ldd (Debian GLIBC 2.36-9) 2.36",
            "binutils", "GNU ld (GNU Binutils for Debian) 2.40");

    @Test
    void eachInputChangesTheKeyAndOrderDoesNot() {
        String k = BuildKey.of(VARS, Set.of("loud", "ssl"), TOOLS);
        assertThat(k).matches("[0-9a-f]{64}");
        assertThat(BuildKey.of(new java.util.TreeMap<>(VARS), new java.util.LinkedHashSet<>(java.util.List.of("ssl", "loud")), TOOLS)).isEqualTo(k);
        // whitespace in flags is not a different build
        Map<String, String> spaced = new java.util.HashMap<>(VARS);
        spaced.put("CFLAGS", "  -O2   -pipe ");
        assertThat(BuildKey.of(spaced, Set.of("loud", "ssl"), TOOLS)).isEqualTo(k);
        // variables outside the key do not matter
        Map<String, String> other = new java.util.HashMap<>(VARS);
        other.put("MAKEOPTS", "-j9");
        assertThat(BuildKey.of(other, Set.of("loud", "ssl"), TOOLS)).isEqualTo(k);
        for (String v : BuildKey.VARS) {
            Map<String, String> m = new java.util.HashMap<>(VARS);
            m.put(v, m.get(v) + " -g");
            assertThat(BuildKey.of(m, Set.of("loud", "ssl"), TOOLS)).as(v).isNotEqualTo(k);
        }
        assertThat(BuildKey.of(VARS, Set.of("loud"), TOOLS)).isNotEqualTo(k);
        for (String t : BuildKey.TOOLS) {
            Map<String, String> m = new java.util.HashMap<>(TOOLS);
            m.put(t, m.get(t) + "1");
            assertThat(BuildKey.of(VARS, Set.of("loud", "ssl"), m)).as(t).isNotEqualTo(k);
        }
    }

    /** The probe is real shell run against this machine's toolchain, and its result is kept per seed. */
    @Test
    void probeMeasuresTheToolchainOnceAndKeepsIt() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        Path cache = tmp.resolve("seed-digest/toolchain.tsv");
        java.util.function.Supplier<String> probe = () -> {
            runs.incrementAndGet();
            try {
                Process p = new ProcessBuilder("/bin/sh", "-c", BuildKey.PROBE).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(p.waitFor()).isZero();
                return out;
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        };
        Map<String, String> t = BuildKey.toolchain(cache, probe);
        assertThat(t.keySet()).containsExactlyInAnyOrderElementsOf(BuildKey.TOOLS);
        if (Files.isExecutable(Path.of("/usr/bin/gcc"))) assertThat(t.get("compiler")).matches("gcc \\d+(\\.\\d+)*");
        if (Files.isExecutable(Path.of("/usr/bin/ld"))) assertThat(t.get("binutils")).startsWith("GNU ld");
        assertThat(BuildKey.toolchain(cache, probe)).isEqualTo(t);
        assertThat(runs).hasValue(1);
        assertThat(Files.readString(cache)).startsWith("binutils\t");
    }
}

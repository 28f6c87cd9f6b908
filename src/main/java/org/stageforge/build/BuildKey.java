package org.stageforge.build;

import org.stageforge.StageforgeException;
import org.stageforge.profile.PortageConfig;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The build key (F22): what decides whether a binpkg built here may stand in for a fresh build. A sha256 over
 * CHOST, CFLAGS, CXXFLAGS, LDFLAGS (whitespace-normalized, so {@code "-O2  -pipe"} and {@code "-O2 -pipe"} agree),
 * the package's USE (sorted) and the seed's toolchain versions (compiler, libc, binutils). A binpkg whose key
 * differs is not reused: changing CFLAGS rebuilds everything, changing one package's USE rebuilds that package.
 */
public final class BuildKey {
    /** The make.conf variables the key covers, in the order they are hashed. */
    public static final List<String> VARS = List.of("CHOST", "CFLAGS", "CXXFLAGS", "LDFLAGS");
    /** The toolchain keys {@link #PROBE} measures. */
    public static final List<String> TOOLS = List.of("compiler", "libc", "binutils");
    /**
     * Run with {@code /bin/sh -c} inside the seed: one {@code key=first line of the version} per tool. The compiler
     * is {@code gcc -dumpfullversion} where gcc exists (else {@code cc --version}), libc {@code ldd --version},
     * binutils {@code ld --version}; a missing tool gives an empty value (the key still differs from a seed that
     * has it).
     */
    public static final String PROBE = "v() { \"$@\" 2>/dev/null | head -n 1; }; "
            + "printf 'compiler=%s\\n' \"$(if command -v gcc >/dev/null 2>&1; then echo \"gcc $(v gcc -dumpfullversion)\"; else v cc --version; fi)\"; "
            + "printf 'libc=%s\\n' \"$(v ldd --version)\"; "
            + "printf 'binutils=%s\\n' \"$(v ld --version)\"";

    private BuildKey() {}

    /** The key of a package built with these make.conf values, USE flags and toolchain. */
    public static String of(Map<String, String> makeConfVars, Set<String> use, Map<String, String> toolchain) {
        StringBuilder sb = new StringBuilder("stageforge-build-key-1\n");
        for (String v : VARS) sb.append(v).append('=').append(normalize(makeConfVars.getOrDefault(v, ""))).append('\n');
        sb.append("USE=").append(String.join(" ", new TreeSet<>(use))).append('\n');
        for (Map.Entry<String, String> e : new TreeMap<>(toolchain).entrySet()) {
            sb.append("tool.").append(e.getKey()).append('=').append(e.getValue().strip()).append('\n');
        }
        return HexFormat.of().formatHex(org.stageforge.util.Hashes.of("SHA-256").digest(sb.toString().getBytes(StandardCharsets.UTF_8)));
    }

    /** CHOST, CFLAGS, CXXFLAGS and LDFLAGS as the config root's profile and make.conf evaluate them. */
    public static Map<String, String> vars(PortageConfig config) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String v : VARS) m.put(v, config.getOrDefault(v, ""));
        return m;
    }

    /** Parses {@link #PROBE}'s output; every tool of {@link #TOOLS} must be named. */
    public static Map<String, String> parseProbe(String out) {
        Map<String, String> m = new TreeMap<>();
        for (String line : out.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0 && TOOLS.contains(line.substring(0, eq))) m.put(line.substring(0, eq), line.substring(eq + 1).strip());
        }
        if (!m.keySet().containsAll(TOOLS)) throw new StageforgeException("toolchain probe printed no " + TOOLS + " lines: " + out.strip());
        return m;
    }

    /**
     * The seed's toolchain, measured once per seed digest by {@code probe} (which runs {@link #PROBE} in the
     * sandbox and returns its output) and kept in {@code cacheFile} (tab-separated, written atomically), so later
     * builds with the same seed do not start a sandbox for it.
     */
    public static Map<String, String> toolchain(Path cacheFile, java.util.function.Supplier<String> probe) {
        try {
            if (Files.isRegularFile(cacheFile)) {
                Map<String, String> m = new TreeMap<>();
                for (String l : Files.readAllLines(cacheFile, StandardCharsets.UTF_8)) {
                    int t = l.indexOf('\t');
                    if (t > 0) m.put(l.substring(0, t), l.substring(t + 1));
                }
                if (m.keySet().containsAll(TOOLS)) return m;
            }
            Map<String, String> m = parseProbe(probe.get());
            StringBuilder sb = new StringBuilder();
            m.forEach((k, v) -> sb.append(k).append('\t').append(v).append('\n'));
            Files.createDirectories(cacheFile.getParent());
            org.stageforge.index.AtomicFiles.write(cacheFile, sb.toString().getBytes(StandardCharsets.UTF_8));
            return m;
        } catch (IOException e) {
            throw new StageforgeException("cannot keep the seed's toolchain versions in " + cacheFile + ": " + e.getMessage(), e);
        }
    }

    private static String normalize(String flags) {
        return String.join(" ", flags.strip().split("\\s+"));
    }
}

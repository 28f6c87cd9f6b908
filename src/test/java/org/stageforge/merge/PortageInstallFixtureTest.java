package org.stageforge.merge;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.stageforge.profile.PortageConfig;
import org.stageforge.testutil.Fixtures;
import org.stageforge.vdb.Vdb;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Repeats the installs real Portage made (portage-expected/install/CASE) with the merge engine and compares every
 * path of the root and every VDB file; the only differences allowed are those in portage-allowed-differences.tsv.
 */
public class PortageInstallFixtureTest {
    static final List<String> MANIFEST_EXCLUDES = List.of("var/lib/stageforge", "var/db/pkg", "var/cache", "var/log",
            "var/tmp", "tmp");

    /**
     * With phases (the real comparison) and, cheaply, without them: the rules for the latter are under the case name
     * suffixed {@code -nophases}.
     */
    @ParameterizedTest(name = "{0} unprivileged={1} phases={2}")
    @CsvSource({"nodeps,true,true", "nodeps,false,true", "nodeps,false,false", "phases,true,true",
            "phases,false,true", "phases,false,false", "dbus-nomask,true,true", "dbus-nomask,false,true",
            "dbus-nomask,false,false", "dbus-mask,true,true", "dbus-mask,false,true", "dbus-mask,false,false"})
    void sameRootAsPortage(String caseName, boolean unprivileged, boolean phases,
                           @org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        Path caseDir = Fixtures.require("portage-expected/install/" + caseName);
        Path binhost = Fixtures.require("binhost-xpak-amd64");
        Path root = Files.createDirectory(tmp.resolve("root"));
        MergeOptions o = options(caseDir, root, unprivileged);
        if (phases) o = withPhases(o, tmp.resolve("build"));
        MergeEngine.merge(new MergeRequest(items(caseDir, binhost, tmp.resolve("resolve")), o));
        compare(phases ? caseName : caseName + "-nophases", caseDir, root);
    }

    /**
     * Phases run by the bash runner (namespaces), build directory outside the root, SOURCE_DATE_EPOCH at noon of the
     * day Portage made the fixtures (2026-11-22, day 20779: its useradd wrote that day into etc/shadow).
     */
    static MergeOptions withPhases(MergeOptions o, Path build) {
        return o.withPhases(false, new org.stageforge.install.BashPhases(build, Long.toString(FIXTURE_DAY_NOON)))
                .withBuildDir(build).withSourceDateEpoch(java.util.OptionalLong.of(FIXTURE_DAY_NOON));
    }

    static final long FIXTURE_DAY_NOON = 20779L * 86400 + 43200;

    /** Compares a root with the case's manifest, VDB and world file; fails listing every difference not allowed. */
    static void compare(String name, Path caseDir, Path root) throws IOException {
        AllowedDifferences allowed = AllowedDifferences.load();
        List<String> diffs = new ArrayList<>();
        Map<String, String> want = RootManifest.read(caseDir.resolve("manifest.tsv"));
        Map<String, String> got = RootManifest.of(root, MANIFEST_EXCLUDES);
        String[] fields = {"type", "mode", "uid", "gid", "detail", "xattrs"};
        for (String p : new TreeSet<>(union(want.keySet(), got.keySet()))) {
            String w = want.get(p), g = got.get(p);
            if (w == null) {
                if (!allowed.allows(name, p, "extra")) diffs.add(p + ": extra (" + g + ")");
                continue;
            }
            if (g == null) {
                if (!allowed.allows(name, p, "missing")) diffs.add(p + ": missing (" + w + ")");
                continue;
            }
            String[] wf = w.split("\t"), gf = g.split("\t");
            for (int i = 0; i < fields.length; i++) {
                if (!wf[i].equals(gf[i]) && !allowed.allows(name, p, fields[i]))
                    diffs.add(p + ": " + fields[i] + " " + gf[i] + ", Portage " + wf[i]);
            }
        }
        compareVdb(name, caseDir.resolve("vdb"), root.resolve(Vdb.VDB_PATH), allowed, diffs);
        compareFile(name, caseDir, root, "var/lib/portage/world", allowed, diffs);
        compareFile(name, caseDir, root, "var/lib/portage/world_sets", allowed, diffs);
        assertThat(diffs).as("differences from Portage's root in case " + name).isEmpty();
    }

    static void compareVdb(String name, Path want, Path got, AllowedDifferences allowed, List<String> diffs)
            throws IOException {
        Set<String> rels = new TreeSet<>();
        for (Path base : List.of(want, got)) {
            if (!Files.isDirectory(base)) continue;
            try (Stream<Path> s = Files.walk(base)) {
                s.filter(Files::isRegularFile).forEach(p -> rels.add(base.relativize(p).toString()));
            }
        }
        for (String rel : rels) {
            String p = Vdb.VDB_PATH + "/" + rel;
            Path w = want.resolve(rel), g = got.resolve(rel);
            if (!Files.exists(w)) {
                if (!allowed.allows(name, p, "extra")) diffs.add(p + ": extra");
            } else if (!Files.exists(g)) {
                if (!allowed.allows(name, p, "missing")) diffs.add(p + ": missing");
            } else if (rel.endsWith("/CONTENTS")) {
                Set<String> wl = new TreeSet<>(Files.readAllLines(w)), gl = new TreeSet<>(Files.readAllLines(g));
                if (!wl.equals(gl) && !allowed.allows(name, p, "content")) {
                    Set<String> a = new TreeSet<>(wl);
                    a.removeAll(gl);
                    Set<String> b = new TreeSet<>(gl);
                    b.removeAll(wl);
                    diffs.add(p + ": CONTENTS lacks " + a + ", has extra " + b);
                }
            } else if (rel.endsWith("/metadata")) {
                // the stamp is the entry directory's mtime in nanoseconds: it can never match
                String a = Files.readString(w).replaceAll("(?m)^#dir_mtime=\\d+\n", "");
                String b = Files.readString(g).replaceAll("(?m)^#dir_mtime=\\d+\n", "");
                if (!a.equals(b) && !allowed.allows(name, p, "content")) diffs.add(p + ": differs:\n" + b + "\nPortage:\n" + a);
            } else if (!Arrays.equals(Files.readAllBytes(w), Files.readAllBytes(g))
                    && !allowed.allows(name, p, "content")) {
                diffs.add(p + ": content " + Files.readString(g, StandardCharsets.ISO_8859_1).strip()
                        + ", Portage " + Files.readString(w, StandardCharsets.ISO_8859_1).strip());
            }
        }
    }

    static void compareFile(String name, Path caseDir, Path root, String rel, AllowedDifferences allowed,
                            List<String> diffs) throws IOException {
        Path w = caseDir.resolve(rel), g = root.resolve(rel);
        if (!Files.exists(w)) return;
        if (!Files.exists(g) || !Arrays.equals(Files.readAllBytes(w), Files.readAllBytes(g))) {
            if (!allowed.allows(name, rel, "content")) diffs.add(rel + ": differs");
        }
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> s = new HashSet<>(a);
        s.addAll(b);
        return s;
    }

    /**
     * The case's packages in the order stageforge's resolver gives for the case's emerge arguments (so the COUNTERs
     * and the account files compared are the resolver's doing), world atoms from Portage's world file.
     */
    static List<MergeRequest.Item> items(Path caseDir, Path binhost, Path work) throws IOException {
        Set<String> world = new HashSet<>(Files.readAllLines(caseDir.resolve("var/lib/portage/world")));
        var r = org.stageforge.resolve.ResolveFixtureTest.resolveCase(caseDir.getParent(), caseDir,
                org.stageforge.resolve.Binhost.load(binhost.toString(), work.resolve("cache")), work.resolve("cfg"));
        List<MergeRequest.Item> out = new ArrayList<>();
        for (var p : r.merged()) {
            String cp = p.cpv().cp();
            out.add(new MergeRequest.Item(XpakFixture.packageFile(binhost, p.cpv().toString(), Long.toString(p.buildId())),
                    world.contains(cp) ? cp : null));
        }
        return out;
    }

    /**
     * Options from the case's own Portage configuration (config-root with make.profile pointing into profile-repo),
     * with INSTALL_MASK from the environment as emerge-args.txt gives it: the way the acceptance drives both tools.
     */
    static MergeOptions options(Path caseDir, Path root, boolean unprivileged) throws IOException {
        String args = Files.readString(caseDir.resolve("emerge-args.txt"));
        Matcher m = Pattern.compile("INSTALL_MASK='([^']*)'").matcher(args);
        Map<String, String> env = m.find() ? Map.of("INSTALL_MASK", m.group(1)) : Map.of();
        Path cfg = configRoot(caseDir, root.resolveSibling("config-root"));
        MergeOptions o = MergeOptions.fromConfig(root, PortageConfig.load(cfg, env), InstallMaskSets.defaults());
        return o.withUnprivileged(unprivileged).withSync(false);
    }

    public static Path configRoot(Path caseDir, Path cfg) throws IOException {
        Path etc = Files.createDirectories(cfg.resolve("etc/portage"));
        Path src = caseDir.resolve("config-root/etc/portage");
        Path repo = caseDir.resolveSibling("profile-repo").toAbsolutePath();
        try (Stream<Path> s = Files.list(src)) {
            for (Path f : s.toList()) {
                if (!f.getFileName().toString().equals("make.profile.target")) Files.copy(f, etc.resolve(f.getFileName()));
            }
        }
        String target = Files.readString(src.resolve("make.profile.target")).strip();
        Files.createSymbolicLink(etc.resolve("make.profile"), repo.resolve(target));
        Files.writeString(etc.resolve("repos.conf"), "[DEFAULT]\nmain-repo = gentoo\n\n[gentoo]\nlocation = " + repo + "\n");
        return cfg;
    }

    /** portage-allowed-differences.tsv: case globs (comma-separated), path glob, what, reason. */
    record AllowedDifferences(List<String[]> rules) {
        static AllowedDifferences load() throws IOException {
            List<String[]> rules = new ArrayList<>();
            try (var in = PortageInstallFixtureTest.class.getResourceAsStream("/portage-allowed-differences.tsv")) {
                for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                    if (line.isBlank() || line.startsWith("#")) continue;
                    String[] f = line.split("\t");
                    if (f.length != 4 || f[3].isBlank()) throw new IllegalStateException("bad rule: " + line);
                    rules.add(f);
                }
            }
            rules.sort(Comparator.comparing(r -> r[1]));
            return new AllowedDifferences(rules);
        }

        boolean allows(String caseName, String path, String what) {
            for (String[] r : rules) {
                boolean caseMatches = Arrays.stream(r[0].split(",")).anyMatch(c -> new FnGlob(c).matches(caseName));
                if (caseMatches && new FnGlob(r[1]).matches(path)
                        && (r[2].equals("*") || Arrays.asList(r[2].split(",")).contains(what))) return true;
            }
            return false;
        }
    }
}

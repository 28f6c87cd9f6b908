package org.stageforge.merge;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ParseException;
import org.stageforge.testutil.Fixtures;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

class InstallMaskTest {
    private static final InstallMaskSets SETS = InstallMaskSets.defaults();

    private static boolean masked(String mask, String path) {
        return InstallMask.parse(mask, SETS).isMasked(path);
    }

    @Test
    void anchoredTokenMasksPathAndEverythingBelow() {
        assertThat(masked("/usr/share/doc", "/usr/share/doc")).isTrue();
        assertThat(masked("/usr/share/doc", "/usr/share/doc/")).isTrue();
        assertThat(masked("/usr/share/doc", "/usr/share/doc/pkg-1/README.bz2")).isTrue();
        assertThat(masked("/usr/share/doc", "usr/share/doc/pkg-1/README.bz2")).isTrue();
        assertThat(masked("/usr/share/doc", "/usr/share/docs/x")).isFalse();
        assertThat(masked("/usr/share/doc", "/usr/share/")).isFalse();
        assertThat(masked("/usr/share/doc/", "/usr/share/doc/x")).isTrue();
        assertThat(masked("/usr/share/doc/", "/usr/share/doc/")).isTrue();
    }

    @Test
    void starCrossesSlashesLikePythonFnmatch() {
        assertThat(masked("/usr/lib*/*.a", "/usr/lib64/libz.a")).isTrue();
        assertThat(masked("/usr/lib*/*.a", "/usr/lib64/deep/dir/libz.a")).isTrue();
        assertThat(masked("/usr/lib*/*.a", "/usr/lib64/libz.so")).isFalse();
        assertThat(masked("/usr/*/doc", "/usr/share/doc/x")).isTrue();
    }

    @Test
    void unanchoredTokenMatchesBaseNameOnly() {
        assertThat(masked("*.la", "/usr/lib64/libfoo.la")).isTrue();
        assertThat(masked("doc", "/usr/share/doc/x")).isFalse();
        assertThat(masked("doc", "/usr/share/doc")).isTrue();
        assertThat(masked("doc", "/usr/share/doc/")).isFalse();
        assertThat(masked("usr/share/doc", "/usr/share/doc")).isFalse();
        assertThat(masked("*", "/usr/share/doc/")).isTrue();
    }

    @Test
    void laterTokensOverrideEarlierOnes() {
        String m = "/usr/share/doc -/usr/share/doc/keep /usr/share/doc/keep/drop";
        assertThat(masked(m, "/usr/share/doc/other")).isTrue();
        assertThat(masked(m, "/usr/share/doc/keep/x")).isFalse();
        assertThat(masked(m, "/usr/share/doc/keep/drop")).isTrue();
        assertThat(masked("-/usr/share/doc/keep /usr/share/doc", "/usr/share/doc/keep/x")).isTrue();
        assertThat(masked("/usr/share/locale -*.mo", "/usr/share/locale/de/LC_MESSAGES/x.mo")).isFalse();
        assertThat(masked("-*.mo /usr/share/locale", "/usr/share/locale/de/LC_MESSAGES/x.mo")).isTrue();
    }

    @Test
    void portageQuirksAreReproduced() {
        // '?' / '[..]' in a leading component are compared literally by Portage's pre-selection index.
        assertThat(masked("/usr/sh?re/doc", "/usr/share/doc/x")).isFalse();
        assertThat(masked("/u*/sh?re/doc", "/usr/share/doc/x")).isTrue();
        // A bare "/" masks nothing; doubled slashes never match.
        assertThat(masked("/", "/usr/bin/x")).isFalse();
        assertThat(masked("/usr//share", "/usr/share/x")).isFalse();
    }

    @Test
    void namedSetsExpandInPlace() {
        assertThat(masked("@docs", "/usr/share/gtk-doc/html/x")).isTrue();
        assertThat(masked("@docs -@docs", "/usr/share/doc/x")).isFalse();
        assertThat(masked("@systemd", "/usr/lib/systemd/system/dbus.service")).isTrue();
        assertThat(masked("@systemd", "/lib/systemd/")).isTrue();
        assertThat(masked("@systemd", "/usr/lib/tmpfiles.d/x.conf")).isFalse();
        assertThat(masked("@static-libs", "/usr/lib64/libz.a")).isTrue();
        assertThat(masked("@static-libs", "/usr/lib64/libz.la")).isTrue();
        assertThat(masked("@static-libs", "/usr/lib64/libz.so.1")).isFalse();
        assertThat(masked("@locale", "/usr/share/locale/de/LC_MESSAGES/x.mo")).isTrue();
        assertThat(masked("@locale", "/usr/lib/locale/locale-archive")).isFalse();
        assertThat(masked("@man @info", "/usr/share/info/dir")).isTrue();
        assertThat(SETS.names()).containsExactly("docs", "info", "locale", "man", "static-libs", "systemd");
    }

    @Test
    void explainNamesMatchingTokensInOrder() {
        InstallMask m = InstallMask.parse("@docs -/usr/share/doc/keep /usr/bin/x", SETS);
        assertThat(m.explain("/usr/share/doc/keep/a")).containsExactly("/usr/share/doc (@docs)", "-/usr/share/doc/keep");
        assertThat(m.isMasked("/usr/share/doc/keep/a")).isFalse();
        assertThat(m.explain("/usr/share/doc/a")).containsExactly("/usr/share/doc (@docs)");
        assertThat(m.explain("/usr/bin/y")).isEmpty();
        assertThat(InstallMask.none().isMasked("/usr/share/doc")).isFalse();
    }

    @Test
    void unknownSetIsAParseErrorNamingTheToken() {
        assertThatThrownBy(() -> InstallMask.parse("/usr/share/doc -@nope", SETS))
                .isInstanceOf(ParseException.class)
                .hasMessageContaining("-@nope")
                .hasMessageContaining("position 16");
    }

    @Test
    void userSetsFromMapAndDirectory(@TempDir Path root) throws IOException {
        InstallMaskSets sets = SETS.with("mine", List.of("/opt/junk", "*.pyc  *.pyo"));
        assertThat(InstallMask.parse("@mine", sets).isMasked("/usr/lib/python/x.pyo")).isTrue();
        assertThatThrownBy(() -> SETS.with("bad name", List.of("/x"))).isInstanceOf(ParseException.class);
        assertThatThrownBy(() -> SETS.with("nest", List.of("@docs"))).isInstanceOf(ParseException.class);

        Path dir = Files.createDirectories(root.resolve("etc/stageforge/install-mask-sets"));
        Files.writeString(dir.resolve("junk"), "# my junk\n/opt/junk\n\n/var/cache/x\n");
        Files.writeString(dir.resolve("docs"), "/usr/share/doc\n");
        Files.writeString(dir.resolve(".hidden"), "-broken\n");
        InstallMaskSets fromDir = SETS.withDirectory(root);
        assertThat(fromDir.tokens("junk")).contains(List.of("/opt/junk", "/var/cache/x"));
        assertThat(fromDir.tokens("docs")).contains(List.of("/usr/share/doc"));
        assertThat(InstallMask.parse("@docs", fromDir).isMasked("/usr/share/gtk-doc/x")).isFalse();
        Files.writeString(dir.resolve("bad"), "/ok\n-/not-ok\n");
        assertThatThrownBy(() -> SETS.withDirectory(root))
                .isInstanceOf(ParseException.class).hasMessageContaining("bad:2");
    }

    /** Pattern/string pairs with the answer of Python's fnmatch.fnmatchcase (made once with CPython 3.11). */
    @Test
    void globAgreesWithPythonFnmatch() throws IOException {
        List<String> bad = new ArrayList<>();
        int n = 0;
        for (String line : resourceLines("fnmatch.tsv")) {
            String[] f = line.split("\t", -1);
            boolean expect = f[2].equals("1");
            if (new FnGlob(f[0]).matches(f[1]) != expect) bad.add(line);
            n++;
        }
        assertThat(n).isGreaterThan(8000);
        assertThat(bad).isEmpty();
    }

    /** Random masks and paths with the answer of Portage's own InstallMask.match (3.0.x). */
    @Test
    void maskAgreesWithPortage() throws IOException {
        List<String> bad = new ArrayList<>();
        int n = 0;
        for (String line : resourceLines("installmask.tsv")) {
            String[] f = line.split("\t", -1);
            boolean expect = f[2].equals("1");
            if (InstallMask.parse(f[0], InstallMaskSets.empty()).isMasked(f[1]) != expect) bad.add(line);
            n++;
        }
        assertThat(n).isGreaterThan(4000);
        assertThat(bad).isEmpty();
    }

    /**
     * Real Portage merged sys-apps/dbus with and without INSTALL_MASK="/usr/share/doc /usr/lib/systemd":
     * applying the mask to the unmasked CONTENTS the way install_mask_dir does (masked files go, then masked
     * directories that are left empty) must give the masked CONTENTS.
     */
    @Test
    void reproducesPortageDbusMaskCase() throws IOException {
        Path install = Fixtures.require("portage-expected/install");
        Path nomask = install.resolve("dbus-nomask/vdb/sys-apps/dbus-1.15.6/CONTENTS");
        Path withMask = install.resolve("dbus-mask/vdb/sys-apps/dbus-1.15.6/CONTENTS");
        String mask = Files.readString(install.resolve("dbus-mask/emerge-args.txt"));
        mask = mask.substring(mask.indexOf("INSTALL_MASK='") + 14);
        mask = mask.substring(0, mask.indexOf('\''));
        InstallMask m = InstallMask.parse(mask, SETS);

        TreeSet<String> dirs = new TreeSet<>();
        TreeSet<String> kept = new TreeSet<>();
        for (String line : Files.readAllLines(nomask)) {
            String type = line.substring(0, line.indexOf(' '));
            String path = contentsPath(line);
            if (type.equals("dir")) dirs.add(path);
            else if (!m.isMasked(path)) kept.add(type + " " + path);
        }
        // Deepest first, as install_mask_dir pops its directory stack.
        List<String> byDepth = new ArrayList<>(dirs);
        byDepth.sort(Comparator.comparingInt((String d) -> d.split("/").length).reversed());
        for (String d : byDepth) {
            boolean hasChild = kept.stream().anyMatch(e -> e.substring(e.indexOf(' ') + 1).startsWith(d + "/"));
            if (m.isMasked(d + "/") && !hasChild) continue;
            kept.add("dir " + d);
        }
        Set<String> expected = Files.readAllLines(withMask).stream()
                .map(l -> l.substring(0, l.indexOf(' ')) + " " + contentsPath(l))
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(kept).isEqualTo(expected);
        assertThat(kept.size()).isLessThan(dirs.size() + 100);
    }

    private static String contentsPath(String line) {
        String[] f = line.split(" ");
        return switch (f[0]) {
            case "obj" -> line.substring(4, line.lastIndexOf(' ', line.lastIndexOf(' ') - 1));
            case "sym" -> line.substring(4, line.indexOf(" -> "));
            default -> line.substring(line.indexOf(' ') + 1);
        };
    }

    /** Hostile token strings: parsing either works or throws ParseException, matching never throws. */
    @Test
    void fuzzParseAndMatch() {
        Random rnd = new Random(42);
        String alphabet = "/-@*?[]!ab .\t\n\u00e9\ud83d\ude00\\";
        InstallMaskSets sets = SETS.with("ab", List.of("/a", "*b"));
        for (int i = 0; i < 20000; i++) {
            String mask = randomString(rnd, alphabet, 12);
            try {
                InstallMask m = InstallMask.parse(mask, sets);
                for (int k = 0; k < 3; k++) {
                    String p = randomString(rnd, alphabet, 10);
                    List<String> why = new ArrayList<>(m.explain(p));
                    boolean lastMasks = !why.isEmpty() && !why.get(why.size() - 1).startsWith("-");
                    assertThat(m.isMasked(p)).as("%s / %s", mask, p).isEqualTo(lastMasks);
                }
            } catch (ParseException e) {
                assertThat(e.getMessage()).contains("INSTALL_MASK");
            } catch (RuntimeException e) {
                fail("mask '" + mask + "' threw " + e);
            }
        }
    }

    @Test
    void expandingSetsForPortageKeepsWhatIsMasked() {
        InstallMaskSets sets = InstallMaskSets.defaults().with("extra", List.of("/opt/x", "*.la"));
        String value = "${INSTALL_MASK}  @docs -@man /usr/share/man/man1 @extra -/usr/share/doc/keep";
        String expanded = sets.expand(value);
        assertThat(expanded).isEqualTo("${INSTALL_MASK} /usr/share/doc /usr/share/gtk-doc -/usr/share/man "
                + "/usr/share/man/man1 /opt/x *.la -/usr/share/doc/keep");
        assertThat(InstallMaskSets.refersToSets(value)).isTrue();
        assertThat(InstallMaskSets.refersToSets(expanded)).isFalse();
        InstallMask withSets = InstallMask.parse(value.replace("${INSTALL_MASK}", ""), sets);
        InstallMask plain = InstallMask.parse(expanded.replace("${INSTALL_MASK}", ""), InstallMaskSets.empty());
        for (String p : List.of("/usr/share/doc/a/README", "/usr/share/doc/keep", "/usr/share/man/man1/x.1",
                "/usr/share/man/man8/y.8", "/opt/x/bin", "/usr/lib64/libz.la", "/usr/share/gtk-doc/", "/usr/bin/z")) {
            assertThat(plain.isMasked(p)).as(p).isEqualTo(withSets.isMasked(p));
        }
        assertThat(plain.isMasked("/usr/share/man/man1/x.1")).isTrue();
        assertThat(plain.isMasked("/usr/share/man/man8/y.8")).isFalse();
        assertThatThrownBy(() -> sets.expand("/a @nope")).isInstanceOf(ParseException.class)
                .hasMessageContaining("unknown install-mask set '@nope'");
    }

    @Test
    void veryDeepTokensDoNotOverflow() {
        String deep = "/a".repeat(200_000);
        InstallMask m = InstallMask.parse(deep + " -" + deep + "/b", SETS);
        assertThat(m.isMasked(deep + "/c")).isTrue();
        assertThat(m.isMasked(deep + "/b/c")).isFalse();
    }

    static String randomString(Random rnd, String alphabet, int maxLen) {
        int len = rnd.nextInt(maxLen + 1);
        int[] cps = alphabet.codePoints().toArray();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < len; i++) sb.appendCodePoint(cps[rnd.nextInt(cps.length)]);
        return sb.toString();
    }

    private static List<String> resourceLines(String name) throws IOException {
        try (InputStream in = InstallMaskTest.class.getResourceAsStream(name)) {
            assertThat(in).as(name).isNotNull();
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return text.lines().filter(l -> !l.isEmpty()).toList();
        }
    }
}

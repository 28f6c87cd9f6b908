package org.stageforge.atom;

import org.junit.jupiter.api.Test;
import org.stageforge.ParseException;
import org.stageforge.testutil.Fixtures;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random and mutated input for every parser: the only acceptable failure is a
 * {@link ParseException}; accepted input must print back to itself.
 */
class ParserFuzzTest {
    private static final String ALPHABET = "0123456789abcdefprz_.-/:!=<>~*[](),?+@|^ \tABXY\n\u00a0\u00e9\u0661";
    private static final List<String> SEEDS = List.of(
            "1.2.3b_alpha1_pre2_rc3_p4-r5", "0001.02.0_p-r00", "!!>=dev-libs/foo-bar-1.2_rc1-r3:2/2.1=::gentoo[a,-b,c=,!d=,e?,!f?,g(+),h(-)]",
            "=cat/pkg-1.0*:0::repo", "~a/b-1", "cat/pkg:*", "cat/pkg:=", "sys-apps/portage-3.0.49-r1",
            "|| ( a/b foo? ( >=c/d-1[x?] ) !bar? ( e/f ) ) ( g/h !!i/j )", "^^ ( a b ) ?? ( c !d ) e? ( || ( f g ) )",
            "GPL-2+ || ( MIT ( BSD @FREE ) ) ssl? ( openssl )", "https://x.org/a.tar.gz -> a.tar.gz doc? ( mirror://b/c )",
            "GROUP a b @OTHER\nOTHER c -d # note\n");

    private final Random random = new Random(20260522L);

    @Test
    void parsersOnlyEverThrowParseException() throws Exception {
        List<String> seeds = new ArrayList<>(SEEDS);
        Path fx = Fixtures.root().resolve("portage-expected");
        for (String f : List.of("vercmp.tsv", "atoms.tsv", "depreduce.tsv")) {
            Path p = fx.resolve(f);
            if (!Files.exists(p)) continue;
            List<String> lines = Files.readAllLines(p);
            for (int i = 0; i < 400; i++) {
                String l = lines.get(random.nextInt(lines.size()));
                if (!l.startsWith("#")) seeds.add(l.split("\t", -1)[0]);
            }
        }
        int inputs = 0;
        for (String s : seeds.subList(0, SEEDS.size())) feed(s.repeat(300));
        feed("-".repeat(5000));
        feed("cat/pkg[" + "a,".repeat(2000) + "a(+),a(-)]");
        for (int i = 0; i < 8_000; i++) {
            feed(randomString());
            inputs++;
        }
        // enough mutations that the bound below holds on the built-in seeds alone (without the fixtures)
        for (int i = 0; i < 17_500; i++) {
            feed(mutate(seeds.get(random.nextInt(seeds.size()))));
            inputs++;
        }
        for (int k = 0; k < seeds.size(); k += 3) {
            String s = seeds.get(k);
            for (int cut = 0; cut <= s.length(); cut += 1 + s.length() / 8) {
                feed(s.substring(0, cut));
                feed(s.substring(cut));
                inputs += 2;
            }
        }
        assertThat(inputs).isGreaterThan(25_000);
    }

    private String randomString() {
        int len = random.nextInt(40);
        StringBuilder sb = new StringBuilder(len);
        for (int i = 0; i < len; i++) sb.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        return sb.toString();
    }

    private String mutate(String s) {
        StringBuilder sb = new StringBuilder(s);
        int edits = 1 + random.nextInt(4);
        for (int e = 0; e < edits; e++) {
            int pos = sb.length() == 0 ? 0 : random.nextInt(sb.length() + 1);
            char c = ALPHABET.charAt(random.nextInt(ALPHABET.length()));
            switch (random.nextInt(5)) {
                case 0 -> sb.insert(pos, c);
                case 1 -> { if (pos < sb.length()) sb.deleteCharAt(pos); }
                case 2 -> { if (pos < sb.length()) sb.setCharAt(pos, c); }
                case 3 -> sb.setLength(Math.min(sb.length(), pos));
                default -> {
                    int from = random.nextInt(sb.length() + 1);
                    sb.insert(pos, sb.substring(Math.min(from, sb.length()), Math.min(sb.length(), from + 1 + random.nextInt(8))));
                }
            }
        }
        return sb.toString();
    }

    private void feed(String s) {
        try {
            boolean valid = Version.isValid(s);
            Version v = attempt(() -> Version.parse(s));
            if ((v != null) != valid) throw new AssertionError("isValid disagrees with parse");
            if (v != null) {
                if (!v.toString().equals(s)) throw new AssertionError("version text changed");
                v.compareTo(Version.parse("1.0_p1-r1"));
                v.matchesGlob(v);
            }
            Version.vercmp(s, "1");
            Atom a = attempt(() -> Atom.parse(s));
            if (a != null) {
                if (!a.toString().equals(s)) throw new AssertionError("atom text changed: " + a);
                a.toPortageJson();
                Atom e = a.evaluateConditionals(Set.of("a", "x"));
                Atom.parse(e.toString());
                a.matches(Cpv.parse("cat/pkg-1"), "0", null, "gentoo", Set.of("a"), Set.of("a", "b"));
            }
            attempt(() -> Atom.parse(s, false));
            Cpv c = attempt(() -> Cpv.parse(s));
            if (c != null && !c.toString().equals(s)) throw new AssertionError("cpv text changed");
            for (DepString.Kind kind : DepString.Kind.values()) {
                DepNode.AllOf t = attempt(() -> DepString.parse(s, kind));
                if (t == null) continue;
                DepString.reduceFlat(t, Set.of("a", "foo", "x"));
                DepNode.AllOf r = DepString.reduce(t, Set.of("foo"));
                String canon = DepString.format(t);
                if (!DepString.parse(canon, kind).equals(t)) throw new AssertionError("canonical form reparses differently: " + canon);
                DepString.format(r);
                if (kind == DepString.Kind.REQUIRED_USE) DepString.satisfied(t, Set.of("a"));
                if (kind == DepString.Kind.LICENSE) LicenseGroups.empty().acceptLicense(List.of("*", "-a")).missing(t, Set.of("x"));
            }
            LicenseGroups g = LicenseGroups.parse(s);
            for (String name : g.groupNames()) g.licenses(name);
            g.expand(List.of(s.split(" ")));
        } catch (Throwable t) {
            throw new AssertionError("input " + quote(s) + " failed with " + t, t);
        }
    }

    private interface Parser<T> {
        T parse();
    }

    private static <T> T attempt(Parser<T> p) {
        try {
            return p.parse();
        } catch (ParseException e) {
            if (e.getMessage() == null || e.getMessage().contains("\n")) throw new AssertionError("message must be one line: " + e.getMessage());
            if (e.getMessage().length() > 600) throw new AssertionError("message too long: " + e.getMessage());
            return null;
        }
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') sb.append(c);
            else sb.append(String.format("\\u%04x", (int) c));
        }
        return sb.append('"').toString();
    }
}

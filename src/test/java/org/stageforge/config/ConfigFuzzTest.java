package org.stageforge.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ParseException;
import org.stageforge.atom.Cpv;
import org.stageforge.profile.PortageConfig;
import org.stageforge.profile.ProfileLoader;
import org.stageforge.profile.RepoMap;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/** Random and truncated configuration input: the only acceptable failure is a ParseException. */
class ConfigFuzzTest {
    private static final String ALPHABET = "\"'\\${}#\n\t =:-*()|?!/<>~@abcXYZ_019.é\r";
    private static final String MAKE_CONF = """
            # comment
            export CFLAGS="-O2 -pipe"
            CXXFLAGS="${CFLAGS}"
            USE='a b -c'
            FEATURES="$FEATURES x \\
              y"
            PYTHON_TARGETS=python3_12
            """;
    private static final Map<String, String> PROFILE_FILES = Map.of(
            "parent", "../base\n",
            "packages", "*sys-apps/a\n-*sys-apps/b\n>=sys-libs/c-1\n-*\n",
            "package.mask", "# c\n>=cat/pkg-1.0:2\n-cat/other\n=cat/x-1*\n",
            "use.mask", "flag\n-other\n",
            "package.use", "cat/pkg a -b\n>=cat/pkg-2 c\n",
            "make.defaults", "USE=\"a ${USE}\"\nARCH=amd64\nUSE_EXPAND=\"PYTHON_TARGETS\"\nPYTHON_TARGETS=\"x -y\"\n",
            "eapi", "5\n",
            "package.accept_keywords", "cat/pkg ~amd64 **\n");

    @TempDir
    Path tmp;

    static String mutate(Random r, String seed) {
        StringBuilder sb = new StringBuilder(seed);
        int ops = 1 + r.nextInt(6);
        for (int i = 0; i < ops; i++) {
            int kind = r.nextInt(4);
            int pos = sb.length() == 0 ? 0 : r.nextInt(sb.length() + 1);
            switch (kind) {
                case 0 -> sb.setLength(pos); // truncation
                case 1 -> sb.insert(pos, ALPHABET.charAt(r.nextInt(ALPHABET.length())));
                case 2 -> {
                    if (pos < sb.length()) sb.deleteCharAt(pos);
                }
                default -> {
                    int n = r.nextInt(12);
                    StringBuilder junk = new StringBuilder();
                    for (int k = 0; k < n; k++) junk.append(ALPHABET.charAt(r.nextInt(ALPHABET.length())));
                    sb.insert(pos, junk);
                }
            }
        }
        return sb.toString();
    }

    @Test
    void makeConfParserOnlyThrowsParseException() {
        Random r = new Random(20260101L);
        int parsed = 0;
        for (int i = 0; i < 3000; i++) {
            String input = i % 5 == 0 ? random(r, r.nextInt(80)) : mutate(r, MAKE_CONF);
            try {
                ShellConfig.parse(input, "fuzz.conf", tmp, new HashMap<>(), true);
                parsed++;
            } catch (ParseException e) {
                assertThat(e.getMessage()).startsWith("fuzz.conf");
            } catch (RuntimeException e) {
                fail("input " + escape(input) + " threw " + e, e);
            }
        }
        assertThat(parsed).isGreaterThan(60); // the corpus is not all rejected
    }

    @Test
    void profileFilesOnlyThrowParseException() throws IOException {
        Random r = new Random(7L);
        Path repo = tmp.resolve("repo");
        Files.createDirectories(repo.resolve("profiles/base"));
        Files.writeString(repo.resolve("profiles/repo_name"), "fuzz\n");
        Files.writeString(repo.resolve("profiles/base/make.defaults"), "ARCH=amd64\nACCEPT_KEYWORDS=amd64\n");
        Path prof = Files.createDirectories(repo.resolve("profiles/p"));
        List<String> names = PROFILE_FILES.keySet().stream().sorted().toList();
        for (int i = 0; i < 150; i++) {
            for (String n : names) Files.writeString(prof.resolve(n), PROFILE_FILES.get(n));
            String victim = names.get(r.nextInt(names.size()));
            String content = mutate(r, PROFILE_FILES.get(victim));
            Files.writeString(prof.resolve(victim), content);
            try {
                PortageConfig c = PortageConfig.forProfile(ProfileLoader.load(prof, RepoMap.of(repo)), Map.of());
                c.effectiveUse(Cpv.parse("cat/pkg-2"), "0", "fuzz", List.of("a", "+b", "c"), List.of("amd64"));
                c.isKeywordVisible(Cpv.parse("cat/pkg-2"), "0", "fuzz", List.of("~amd64"));
                c.maskReason(Cpv.parse("cat/pkg-1.5"), "2", "fuzz");
                c.acceptsLicense(Cpv.parse("cat/pkg-2"), "0", "fuzz", mutate(r, "|| ( GPL-2 a? ( MIT ) )"), Set.of("a"));
            } catch (ParseException e) {
                assertThat(e.getMessage()).isNotBlank();
            } catch (RuntimeException e) {
                fail(victim + " = " + escape(content) + " threw " + e, e);
            }
        }
    }

    private static String random(Random r, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append(ALPHABET.charAt(r.nextInt(ALPHABET.length())));
        return sb.toString();
    }

    private static String escape(String s) {
        return "'" + s.replace("\n", "\\n") + "'";
    }
}

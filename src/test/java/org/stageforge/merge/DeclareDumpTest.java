package org.stageforge.merge;

import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.stageforge.ParseException;
import org.stageforge.testutil.Fixtures;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

class DeclareDumpTest {
    private static DeclareDump parse(String text) {
        return DeclareDump.parse("test", text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsScalarsWithEveryQuoting() {
        DeclareDump d = parse("""
                declare -- A="plain"
                declare -x B="with \\"quotes\\" \\$HOME \\\\ \\` and \\n kept"
                declare -r C='single $x "y"'
                declare -- D=$'tab\\there\\nnl\\E\\x41\\101\\u00e9\\'q\\cA\\z'
                declare -- E="multi
                line"
                declare F=""
                declare -i G="42"
                declare -x H
                declare -- I=unquoted\\ word
                declare -- J="caf\u00e9"
                declare -- A="again"
                """);
        assertThat(d.scalar("A")).contains("again");
        assertThat(d.scalar("B")).contains("with \"quotes\" $HOME \\ ` and \\n kept");
        assertThat(d.scalar("C")).contains("single $x \"y\"");
        assertThat(d.scalar("D")).contains("tab\there\nnl\u001bAA\u00e9'q\u0001\\z");
        assertThat(d.scalar("E")).contains("multi\nline");
        assertThat(d.scalar("F")).contains("");
        assertThat(d.scalar("G")).contains("42");
        assertThat(d.get("H").orElseThrow().kind()).isEqualTo(DeclareDump.Kind.NO_VALUE);
        assertThat(d.scalar("H")).isEmpty();
        assertThat(d.scalar("I")).contains("unquoted word");
        assertThat(d.scalar("J")).contains("caf\u00e9");
        assertThat(d.scalar("NOPE")).isEmpty();
        assertThat(d.get("B").orElseThrow().attributes()).isEqualTo("x");
        assertThat(d.get("A").orElseThrow().attributes()).isEmpty();
        assertThat(d.names()).startsWith("A", "B", "C");
    }

    @Test
    void readsArrays() {
        DeclareDump d = parse("""
                declare -a G=([0]="messagebus" [1]="audio video" [5]=$'x\\ny' [6]=)
                declare -a E=()
                declare -A M=([key]="v" ["with space"]="w" [k2]=plain )
                declare -ax OLD='([0]="a" [1]="b")'
                declare -a P=(one "two three")
                """);
        assertThat(d.array("G")).containsExactly("messagebus", "audio video", "x\ny", "");
        assertThat(d.get("G").orElseThrow().indexed()).containsKeys(0L, 1L, 5L, 6L);
        assertThat(d.scalar("G")).contains("messagebus");
        assertThat(d.array("E")).isEmpty();
        assertThat(d.get("M").orElseThrow().assoc()).isEqualTo(Map.of("key", "v", "with space", "w", "k2", "plain"));
        assertThat(d.array("OLD")).containsExactly("a", "b");
        assertThat(d.array("P")).containsExactly("one", "two three");
        assertThat(d.array("NOPE")).isEmpty();
    }

    @Test
    void skipsFunctions() {
        DeclareDump d = parse("""
                declare -- A="1"
                foo ()\s
                {\s
                    local x="}";
                    if true; then
                        echo ${x};
                    fi
                }
                function bar-baz () {
                }
                _heredoc ()\s
                {\s
                    cat <<-EOF > "${T}/x.c"
                int main(void) {
                return 0;
                }
                EOF
                    cat <<'END' | sed 's/a/b/'
                }
                END
                    echo "not a <<heredoc" $(( 1 << 2 ))
                }
                declare -- B="2"
                """);
        assertThat(d.names()).containsExactly("A", "B");
    }

    @Test
    void rejectsWhatWouldBeEvaluatedOrIsNotADump() {
        for (String bad : List.of(
                "declare -- A=\"$(rm -rf /)\"\n",
                "declare -- A=\"${X}\"\n",
                "declare -- A=\"`id`\"\n",
                "declare -- A=$X\n",
                "declare -- A=x;rm\n",
                "declare -- A=\"unterminated\n",
                "declare -- A='unterminated\n",
                "declare -- A=$'unterminated\n",
                "declare -- A=\"x\" trailing\n",
                "declare -f foo\n",
                "declare -- 1A=\"x\"\n",
                "declare -a A=([x]=\"y\")\n",
                "declare -a A=([0]=\"y\"\n",
                "declare -A A=(nokey)\n",
                "echo hi\n",
                "foo ()\n{\n  echo never closed\n")) {
            assertThatThrownBy(() -> parse(bad)).as(bad).isInstanceOf(ParseException.class)
                    .hasMessageStartingWith("test:");
        }
    }

    @Test
    void bzip2AndSizeCap() throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (BZip2CompressorOutputStream out = new BZip2CompressorOutputStream(bos)) {
            out.write("declare -- X=\"1\"\n".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(DeclareDump.parseBzip2("env", new ByteArrayInputStream(bos.toByteArray())).scalar("X")).contains("1");
        assertThatThrownBy(() -> DeclareDump.parseBzip2("env", new ByteArrayInputStream(new byte[]{1, 2, 3})))
                .isInstanceOf(ParseException.class).hasMessageStartingWith("env:");
    }

    @Test
    void readsRealPortageEnvironment() throws IOException {
        Path binhost = Fixtures.require("binhost-xpak-amd64");
        byte[] env = XpakFixture.environment(binhost.resolve("acct-user/messagebus/messagebus-0-r2-1.xpak"));
        DeclareDump d = DeclareDump.parse("messagebus environment", env);
        assertThat(d.scalar("ACCT_USER_ID")).contains("101");
        assertThat(d.array("ACCT_USER_GROUPS")).containsExactly("messagebus");
        assertThat(d.scalar("_ACCT_USER_COMMENT")).contains("System user; messagebus");
        assertThat(d.scalar("_ACCT_USER_SHELL")).contains("/sbin/nologin");
        assertThat(d.scalar("EAPI")).contains("7");
        assertThat(d.names()).hasSize((int) new String(env, StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("declare ")).count());
        // Every environment of the binhost parses.
        int n = 0;
        try (var pkgs = java.nio.file.Files.walk(binhost)) {
            for (Path x : pkgs.filter(p -> p.toString().endsWith(".xpak")).toList()) {
                byte[] e = XpakFixture.environment(x);
                long declares = new String(e, StandardCharsets.ISO_8859_1).lines().filter(l -> l.startsWith("declare ")).count();
                assertThat(DeclareDump.parse(x.toString(), e).names().size()).as(x.toString()).isLessThanOrEqualTo((int) declares);
                n++;
            }
        }
        assertThat(n).isGreaterThan(140);
    }

    @Test
    void fuzzOnlyParseExceptions() {
        Random rnd = new Random(17);
        String alphabet = "declare -ax A=([0]\"'$\\`{}();\n #éb";
        String[] seeds = {"declare -- A=\"x\"\n", "declare -a A=([0]=\"x\" [1]=$'\\ny')\n", "f ()\n{\n}\n"};
        for (int i = 0; i < 30000; i++) {
            String s;
            if (i % 2 == 0) {
                s = InstallMaskTest.randomString(rnd, alphabet, 40);
            } else {
                StringBuilder sb = new StringBuilder(seeds[rnd.nextInt(seeds.length)]);
                for (int k = 0; k < 3; k++) {
                    int at = rnd.nextInt(sb.length() + 1);
                    sb.insert(at, alphabet.charAt(rnd.nextInt(alphabet.length())));
                }
                s = sb.toString();
            }
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            if (i % 5 == 0 && b.length > 0) b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
            try {
                DeclareDump.parse("fuzz", b);
            } catch (ParseException e) {
                assertThat(e.getMessage()).startsWith("fuzz");
            } catch (RuntimeException e) {
                fail("input " + s + " threw " + e);
            }
        }
    }
}

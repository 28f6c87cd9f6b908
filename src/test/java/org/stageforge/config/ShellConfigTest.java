package org.stageforge.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ParseException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

class ShellConfigTest {
    @TempDir
    Path dir;

    private static Map<String, String> parse(String text) {
        return ShellConfig.parse(text, "make.conf", null, new HashMap<>(), false);
    }

    @Test
    void quotingStyles() {
        Map<String, String> m = parse("A=\"x y\"\nB='p q'\nC=plain\nexport D=\"d\"\nE=a\"b c\"d\nF=\"\"\n");
        assertThat(m).containsExactly(entry("A", "x y"), entry("B", "p q"), entry("C", "plain"), entry("D", "d"),
                entry("E", "ab cd"), entry("F", ""));
    }

    @Test
    void expansionAgainstEarlierVariablesAndBase() {
        Map<String, String> base = new HashMap<>(Map.of("BASE", "b"));
        Map<String, String> m = ShellConfig.parse("X=\"${BASE} 1\"\nY=\"$X 2\"\nZ=\"${UNSET}z\"\n", "f", null, base, false);
        assertThat(m).containsEntry("X", "b 1").containsEntry("Y", "b 1 2").containsEntry("Z", "z");
        assertThat(base).containsEntry("Y", "b 1 2"); // the expansion map is updated as Portage does
    }

    @Test
    void portageExpandsInsideSingleQuotesButNotAfterALiteralQuote() {
        Map<String, String> m = parse("A=a\nB='$A'\nC=\"it's $A\"\nD=\"\\$A\"\n");
        assertThat(m).containsEntry("B", "a").containsEntry("C", "it's $A").containsEntry("D", "$A");
    }

    @Test
    void multiLineValuesAndContinuations() {
        Map<String, String> m = parse("A=\"one\ntwo\"\nB=\"x \\\ny\"\nC=p\\\nq\n");
        assertThat(m).containsEntry("A", "one two").containsEntry("B", "x y").containsEntry("C", "p q");
    }

    @Test
    void commentsAnywhereOutsideQuotes() {
        Map<String, String> m = parse("# comment\nA=\"x # not a comment\" # trailing\nB=c#d\n");
        assertThat(m).containsExactly(entry("A", "x # not a comment"), entry("B", "c"));
    }

    @Test
    void sourceRelativeFile() throws IOException {
        Files.writeString(dir.resolve("inc.conf"), "INC=\"from inc $OUTER\"\n");
        Files.writeString(dir.resolve("make.conf"), "OUTER=o\nsource inc.conf\nAFTER=\"$INC\"\n");
        Map<String, String> m = ShellConfig.parse(dir.resolve("make.conf"), new HashMap<>(), true, false);
        assertThat(m).containsEntry("INC", "from inc o").containsEntry("AFTER", "from inc o");
    }

    @Test
    void sourceLoopIsAnError() throws IOException {
        Files.writeString(dir.resolve("a.conf"), "source b.conf\n");
        Files.writeString(dir.resolve("b.conf"), "source a.conf\n");
        assertThatThrownBy(() -> ShellConfig.parse(dir.resolve("a.conf"), new HashMap<>(), true, false))
                .isInstanceOf(ParseException.class).hasMessageContaining("nested too deeply");
    }

    @Test
    void missingSourcedFileNamesFileAndLine() throws IOException {
        Files.writeString(dir.resolve("m.conf"), "A=1\n\nsource nope.conf\n");
        assertThatThrownBy(() -> ShellConfig.parse(dir.resolve("m.conf"), new HashMap<>(), true, false))
                .isInstanceOf(ParseException.class)
                .hasMessageContaining(dir.resolve("m.conf") + ":3").hasMessageContaining("nope.conf");
    }

    @Test
    void dotIsNotSourceInPortage() {
        assertThatThrownBy(() -> ShellConfig.parse("A=1\n. other.conf\n", "make.conf", dir, new HashMap<>(), true))
                .isInstanceOf(ParseException.class).hasMessageStartingWith("make.conf:2")
                .hasMessageContaining("use 'source FILE'");
    }

    @Test
    void sourceIsOnlyAKeywordWhereAllowed() {
        assertThatThrownBy(() -> parse("source x\n")).isInstanceOf(ParseException.class)
                .hasMessageContaining("not '='");
    }

    @Test
    void errorsNameFileAndLine() {
        assertThatThrownBy(() -> parse("A=1\nB\n")).isInstanceOf(ParseException.class)
                .hasMessageStartingWith("make.conf:").hasMessageContaining("'B'");
        assertThatThrownBy(() -> parse("A=\"open\n\n")).isInstanceOf(ParseException.class)
                .hasMessageContaining("no closing quotation");
        assertThatThrownBy(() -> parse("1A=x\n")).isInstanceOf(ParseException.class)
                .hasMessageContaining("invalid variable name");
        assertThatThrownBy(() -> parse("A=${B\n")).isInstanceOf(ParseException.class);
        // Portage's tokenizer takes the next line's word as the value of an empty unquoted assignment
        assertThatThrownBy(() -> parse("A=\nB=1\n")).isInstanceOf(ParseException.class)
                .hasMessageContaining("make.conf:2");
    }

    @Test
    void directoryReadInSortedOrderSkippingHiddenAndBackupFiles() throws IOException {
        Path d = Files.createDirectories(dir.resolve("make.conf"));
        Files.writeString(d.resolve("20-b"), "X=\"$X b\"\n");
        Files.writeString(d.resolve("10-a"), "X=a\n");
        Files.writeString(d.resolve("30-c~"), "X=backup\n");
        Files.writeString(d.resolve(".hidden"), "X=hidden\n");
        Map<String, String> m = ShellConfig.parse(d, new HashMap<>(), true, true);
        assertThat(m).containsEntry("X", "a b");
    }

    @Test
    void missingFileIsNull() {
        assertThat(ShellConfig.parse(dir.resolve("none"), new HashMap<>(), false, true)).isNull();
    }
}

package org.stageforge.spec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ParseException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The top-level {@code system} switch and {@code package_provided}. */
class SystemSetSpecTest {
    @TempDir
    Path tmp;

    private StageSpec parse(String text) throws IOException {
        Path f = tmp.resolve("spec.toml");
        Files.writeString(f, text);
        return SpecParser.parse(f);
    }

    @Test
    void systemDefaultsToTrueAndATableKeepsIt() throws IOException {
        StageSpec s = parse(SpecParserTest.MINIMAL);
        assertThat(s.systemSet()).isTrue();
        assertThat(s.packageProvided()).isEmpty();
        assertThat(parse(SpecParserTest.MINIMAL + "[system]\nhostname = \"h\"\n").systemSet()).isTrue();
    }

    @Test
    void systemFalseAndPackageProvided() throws IOException {
        StageSpec s = parse("system = false\npackage_provided = [\"sys-libs/glibc-2.39\", \"dev-lang/perl-5.40.0-r1\"]\n"
                + SpecParserTest.MINIMAL);
        assertThat(s.systemSet()).isFalse();
        assertThat(s.system().hostname()).isNull();
        assertThat(s.packageProvided()).containsExactly("sys-libs/glibc-2.39", "dev-lang/perl-5.40.0-r1");
    }

    @Test
    void badValuesAreRefusedWithTheirLine() {
        assertThatThrownBy(() -> parse("package_provided = [\"sys-libs/glibc-2.39\", \">=dev-lang/perl-5\"]\n"
                + SpecParserTest.MINIMAL)).isInstanceOf(ParseException.class)
                .hasMessageStartingWith("spec.toml:1:")
                .hasMessageEndingWith(": package_provided: '>=dev-lang/perl-5' is not a category/name-version "
                        + "(no operator, as in Portage's package.provided)");
        assertThatThrownBy(() -> parse("package_provided = [\"sys-libs/glibc\"]\n" + SpecParserTest.MINIMAL))
                .hasMessageContaining(": package_provided: 'sys-libs/glibc' is not");
        assertThatThrownBy(() -> parse("system = \"no\"\n" + SpecParserTest.MINIMAL))
                .hasMessageStartingWith("spec.toml:1:1: the top level system: expected a table");
    }
}

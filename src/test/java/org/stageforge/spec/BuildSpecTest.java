package org.stageforge.spec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ParseException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code [build]} table: every key, its defaults, and one-line errors for bad values. */
class BuildSpecTest {
    @TempDir
    Path tmp;

    private StageSpec parse(String extra) throws IOException {
        Path f = tmp.resolve("spec.toml");
        Files.writeString(f, SpecParserTest.MINIMAL + extra);
        return SpecParser.parse(f);
    }

    @Test
    void defaultsWithoutTheTable() throws IOException {
        StageSpec.BuildSettings b = parse("").build();
        assertThat(b.fromSource()).isEqualTo(StageSpec.BuildSettings.FromSource.MISSING);
        assertThat(b.jobs()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(b.keepGoing()).isFalse();
        assertThat(b.network()).isTrue();
        assertThat(b.ccache()).isNull();
        assertThat(b.distfiles()).isNull();
        assertThat(b.distccHosts()).isEmpty();
    }

    @Test
    void everyKey() throws IOException {
        StageSpec s = parse("""
                [build]
                from_source = ["app-misc/a", ">=app-misc/b-2"]
                jobs = 3
                keep_going = true
                ccache = "cc"
                distcc_hosts = ["10.0.0.2/4", "localhost"]
                network = false
                distfiles = "/srv/distfiles"
                """);
        StageSpec.BuildSettings b = s.build();
        assertThat(b.fromSource()).isEqualTo(StageSpec.BuildSettings.FromSource.LIST);
        assertThat(b.atoms()).containsExactly("app-misc/a", ">=app-misc/b-2");
        assertThat(b.jobs()).isEqualTo(3);
        assertThat(b.keepGoing()).isTrue();
        assertThat(b.ccache()).isEqualTo(tmp.resolve("cc"));
        assertThat(b.distccHosts()).containsExactly("10.0.0.2/4", "localhost");
        assertThat(b.network()).isFalse();
        assertThat(b.distfiles()).isEqualTo(Path.of("/srv/distfiles"));
        assertThat(s.section("build")).contains("\"jobs\":3");
        assertThat(parse("[build]\nfrom_source = \"all\"\n").build().fromSource()).isEqualTo(StageSpec.BuildSettings.FromSource.ALL);
        assertThat(parse("[build]\nfrom_source = \"missing\"\n").build().fromSource()).isEqualTo(StageSpec.BuildSettings.FromSource.MISSING);
    }

    @Test
    void badValuesNameTheLine() {
        for (List<String> c : List.of(
                List.of("from_source = \"some\"", "spec.toml:10:1: from_source must be \"missing\", \"all\" or an array of atoms, not 'some'"),
                List.of("from_source = [\"not an atom!\"]", "spec.toml:10:16: bad atom 'not an atom!'"),
                List.of("jobs = 0", "spec.toml:10:1: [build] jobs: expected an integer 1..1024"),
                List.of("jobs = \"2\"", "spec.toml:10:1: [build] jobs: expected an integer 1..1024"),
                List.of("keep_going = 1", "spec.toml:10:1: [build] keep_going: expected true or false"),
                List.of("distcc_hosts = [\"a b\"]", "spec.toml:10:17: distcc host may not contain whitespace: 'a b'"),
                List.of("netwrok = true", "spec.toml:10:1: unknown key 'netwrok' in [build] (did you mean 'network'?)"))) {
            assertThatThrownBy(() -> parse("[build]\n" + c.get(0) + "\n"))
                    .as(c.get(0)).isInstanceOf(ParseException.class).hasMessageStartingWith(c.get(1));
        }
    }
}

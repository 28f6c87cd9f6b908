package org.stageforge.build;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Reading emerge's output and PKGDIR without running emerge (the real runs are in EmergeTest). */
class EmergeParseTest {
    @Test
    void failuresAreReadFromPortagesDieLinesInOrder() {
        String out = String.join("\n",
                ">>> Compiling source in /var/tmp/portage/app-misc/a-1.0/work ...",
                " * ERROR: app-misc/a-1.0-r1::sbx failed (compile phase):",
                " *   a fails",
                " * ERROR: dev-libs/b-2::other failed:",
                " * ERROR: app-misc/a-1.0-r1::sbx failed (compile phase):",
                " * ERROR: app-misc/c-1 failed (no repository: not Portage's format)",
                "");
        assertThat(Emerge.failures(out)).containsExactly("app-misc/a-1.0-r1", "dev-libs/b-2");
        assertThat(Emerge.failures("emerge: there are no ebuilds to satisfy \"=app-misc/x-1\".\n")).isEmpty();
    }

    @Test
    void builtCpvsComeFromNewOrRewrittenBinpkgs() {
        Map<String, String> before = Map.of("app-misc/old/old-1-1.gpkg.tar", "10@t1", "app-misc/same/same-2-1.gpkg.tar", "5@t");
        Map<String, String> after = Map.of("app-misc/old/old-1-1.gpkg.tar", "12@t2", "app-misc/same/same-2-1.gpkg.tar", "5@t",
                "app-misc/new/new-1.0-r2-3.gpkg.tar", "1@t", "dev-libs/flat-2.1.gpkg.tar", "1@t");
        assertThat(Emerge.built(before, after)).containsExactly("app-misc/new-1.0-r2", "app-misc/old-1", "dev-libs/flat-2.1");
    }

    @Test
    void tailKeepsTheLastLines() {
        assertThat(Emerge.tail("a\nb\nc\nd\n", 2)).isEqualTo("c\nd\n");
        assertThat(Emerge.tail("a\nb", 5)).isEqualTo("a\nb\n");
    }

    @Test
    void theNewestBuildLogOfThePackageIsChosen(@TempDir Path logs) throws Exception {
        Files.writeString(logs.resolve("app-misc:a-1:20261201-100000.log"), "old");
        Files.writeString(logs.resolve("app-misc:a-1:20261202-090000.log"), "new");
        Files.writeString(logs.resolve("app-misc:a-1.5:20261203-090000.log"), "other version");
        Files.writeString(logs.resolve("emerge.log"), "");
        assertThat(Emerge.buildLog(logs, "app-misc/a-1").getFileName().toString()).isEqualTo("app-misc:a-1:20261202-090000.log");
        assertThat(Emerge.buildLog(logs, "app-misc/zz-1")).isNull();
    }

    @Test
    void requestsRefuseWhatIsNotAnExactAtom() {
        for (String bad : List.of("app-misc/a", "--root=/", "=app-misc/a-1 --foo", "=../x-1")) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Emerge.Request(null, Path.of("r"), "r", List.of(),
                    Path.of("c"), Map.of(), Path.of("p"), Path.of("d"), Path.of("l"), List.of(bad), 1, false, false, null,
                    List.of(), 0)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}

package org.stageforge.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ParseException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReposConfTest {
    @TempDir
    Path dir;

    @Test
    void sectionsLocationsAndMainRepo() {
        ReposConf rc = ReposConf.parse("[DEFAULT]\nmain-repo = gentoo\n\n# c\n[gentoo]\nlocation = /var/db/repos/gentoo\n"
                + "sync-type: rsync\n[nolocation]\npriority = 1\n", "repos.conf");
        assertThat(rc.mainRepo()).isEqualTo("gentoo");
        assertThat(rc.locations()).containsOnlyKeys("gentoo");
        assertThat(rc.locations().get("gentoo")).isEqualTo(Path.of("/var/db/repos/gentoo"));
        assertThat(rc.option("gentoo", "sync-type")).isEqualTo("rsync");
        assertThat(rc.option("nolocation", "main-repo")).isEqualTo("gentoo");
    }

    @Test
    void directoryOfFilesInOrder() throws IOException {
        Path d = Files.createDirectories(dir.resolve("repos.conf"));
        Files.writeString(d.resolve("gentoo.conf"), "[gentoo]\nlocation = /a\n");
        Files.writeString(d.resolve("local.conf"), "[local]\nlocation = /b\n[gentoo]\nlocation = /c\n");
        Files.writeString(d.resolve("zz.conf~"), "[gentoo]\nlocation = /backup\n");
        ReposConf rc = ReposConf.load(d);
        assertThat(rc.locations()).containsOnlyKeys("gentoo", "local");
        assertThat(rc.locations().get("gentoo")).isEqualTo(Path.of("/c"));
    }

    @Test
    void badLinesNameFileAndLine() {
        assertThatThrownBy(() -> ReposConf.parse("[a]\nnonsense\n", "r.conf")).isInstanceOf(ParseException.class)
                .hasMessageStartingWith("r.conf:2");
        assertThatThrownBy(() -> ReposConf.parse("location = /x\n", "r.conf")).isInstanceOf(ParseException.class)
                .hasMessageStartingWith("r.conf:1");
        assertThatThrownBy(() -> ReposConf.parse("[a\n", "r.conf")).isInstanceOf(ParseException.class);
    }
}

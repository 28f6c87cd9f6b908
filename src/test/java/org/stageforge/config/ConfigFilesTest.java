package org.stageforge.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ConfigFilesTest {
    @TempDir
    Path dir;

    @Test
    void recursiveListIsSortedAndSkipsHiddenBackupAndVcs() throws IOException {
        Path d = Files.createDirectories(dir.resolve("package.use"));
        Files.writeString(d.resolve("b"), "");
        Files.writeString(d.resolve("a~"), "");
        Files.writeString(d.resolve(".a"), "");
        Files.createDirectories(d.resolve("a/sub"));
        Files.writeString(d.resolve("a/sub/z"), "");
        Files.writeString(d.resolve("a/y"), "");
        Files.createDirectories(d.resolve(".git"));
        Files.writeString(d.resolve(".git/x"), "");
        Files.createDirectories(d.resolve("CVS"));
        Files.writeString(d.resolve("CVS/x"), "");
        assertThat(ConfigFiles.fileList(d)).containsExactly(d.resolve("a/sub/z"), d.resolve("a/y"), d.resolve("b"));
    }

    @Test
    void linesDropCommentsAndCollapseWhitespace() throws IOException {
        Path f = dir.resolve("package.mask");
        Files.writeString(f, "# header\n\n  cat/a   # why\ncat/b\tfoo #x\n#x cat/c\n");
        List<ConfigFiles.Line> lines = ConfigFiles.lines(f, false);
        assertThat(lines).extracting(ConfigFiles.Line::text).containsExactly("cat/a", "cat/b foo");
        assertThat(lines).extracting(ConfigFiles.Line::number).containsExactly(3, 4);
    }

    @Test
    void commentBlockAboveCoversConsecutiveEntriesUntilBlankLine() throws IOException {
        Path f = dir.resolve("package.mask");
        Files.writeString(f, "# Dev (2020-01-01)\n# broken\ncat/a\ncat/b\n\ncat/c\n# other\n\ncat/d\n");
        assertThat(ConfigFiles.commentAbove(f, 3)).isEqualTo("# Dev (2020-01-01)\n# broken\n");
        assertThat(ConfigFiles.commentAbove(f, 4)).isEqualTo("# Dev (2020-01-01)\n# broken\n");
        assertThat(ConfigFiles.commentAbove(f, 6)).isEmpty();
        assertThat(ConfigFiles.commentAbove(f, 9)).isEmpty();
    }
}

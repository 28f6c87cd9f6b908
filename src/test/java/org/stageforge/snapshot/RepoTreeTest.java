package org.stageforge.snapshot;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;

class RepoTreeTest {
    @Test
    void timestampIsReadAsGentooTreesRecordIt(@TempDir Path tmp) throws Exception {
        Path meta = Files.createDirectories(tmp.resolve("metadata"));
        assertThat(RepoTree.timestamp(tmp)).isEmpty();
        // rsync mirror and git mirror trees
        Files.writeString(meta.resolve("timestamp.chk"), "Wed, 02 Dec 2026 00:45:01 +0000\n");
        assertThat(RepoTree.timestamp(tmp)).isEqualTo(OptionalLong.of(1796172301L));
        // a webrsync snapshot's stamp wins
        Files.writeString(meta.resolve("timestamp.x"), "1796083200 Tue 01 Dec 2026 00:00:00 AM UTC\n");
        assertThat(RepoTree.timestamp(tmp)).isEqualTo(OptionalLong.of(1796083200L));
        // unreadable stamps are no stamp
        Files.writeString(meta.resolve("timestamp.x"), "garbage\n");
        Files.writeString(meta.resolve("timestamp.chk"), "yesterday\n");
        assertThat(RepoTree.timestamp(tmp)).isEmpty();
    }
}

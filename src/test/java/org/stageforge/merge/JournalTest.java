package org.stageforge.merge;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The on-disk journal alone: what a process killed mid-step leaves is undone by the next {@link Journal#recover}. */
class JournalTest {
    @TempDir
    Path root;

    @Test
    void recoverUndoesAnAbandonedStepIncludingACutRecordAndStaleTemporaries() throws IOException {
        Files.createDirectories(root.resolve("usr/bin"));
        Files.writeString(root.resolve("usr/bin/tool"), "v1");
        Files.writeString(root.resolve("etc-file"), "in place v1");
        Files.createDirectories(root.resolve("var/lib/stageforge"));
        Files.writeString(root.resolve(FileTable.PATH), "#stageforge-files v1\n");
        Files.createDirectories(root.resolve("var/db/pkg/cat/old-1"));
        Files.writeString(root.resolve("var/db/pkg/cat/old-1/COUNTER"), "0");
        Files.createDirectories(root.resolve("usr/share/empty"));
        // the mode the merge records for it below, whatever the umask of the test run
        Files.setAttribute(root.resolve("usr/share/empty"), "unix:mode", 0755);
        Files.writeString(root.resolve(FileTable.DELTA), "+a\td\t0755\t0\t0\t-\t-\n");
        Map<String, String> before = TreeSnapshot.of(root);

        // a step as the merge does it, abandoned without commit or rollback (what SIGKILL leaves)
        Journal j = new Journal(root);
        j.moveAway(root.resolve("usr/bin/tool"));
        j.creating(root.resolve("usr/bin/tool"));
        Files.writeString(root.resolve("usr/bin/tool"), "v2, half writ");
        j.creating(root.resolve("usr/lib"));
        Files.createDirectory(root.resolve("usr/lib"));
        j.creating(root.resolve("usr/lib/new"));
        Files.writeString(root.resolve("usr/lib/new"), "new");
        j.saveCopy(root.resolve("etc-file"));
        Files.writeString(root.resolve("etc-file"), "in place v2");
        j.saveCopy(root.resolve(FileTable.PATH));
        Files.writeString(root.resolve("var/lib/stageforge/.files.tsv.123.tmp"), "half a table");
        j.appending(root.resolve(FileTable.DELTA));
        Files.writeString(root.resolve(FileTable.DELTA), "-a\n+b\tf\t0644\t0\t0\t-\t-\n", StandardOpenOption.APPEND);
        Path spooled = j.spool();
        Files.writeString(spooled, "content planned, not yet in place");
        j.removingDir(root.resolve("usr/share/empty"), 0755);
        Files.delete(root.resolve("usr/share/empty"));
        j.moveAway(root.resolve("var/db/pkg/cat/old-1"));
        j.creatingTree(root.resolve("var/db/pkg/cat/new-1"));
        Files.createDirectories(root.resolve("var/db/pkg/cat/.new-new-1-42"));
        Files.createDirectories(root.resolve("var/db/pkg/cat/new-1"));
        Files.writeString(root.resolve("var/db/pkg/cat/new-1/COUNTER"), "1");
        // the kill cut the next record short: it was never acted on
        Files.writeString(root.resolve(Journal.DIR).resolve(Journal.LOG), "C\tusr/bin/to", StandardOpenOption.APPEND);
        assertThat(TreeSnapshot.of(root)).isNotEqualTo(before);

        Journal.recover(root);

        assertThat(TreeSnapshot.of(root)).isEqualTo(before);
        assertThat(root.resolve(Journal.DIR)).doesNotExist();
    }

    @Test
    void aCommittedStepLeavesNoJournalAndRecoverKeepsItsChanges() throws IOException {
        Files.createDirectories(root.resolve("usr"));
        Journal j = new Journal(root);
        j.creating(root.resolve("usr/x"));
        Files.writeString(root.resolve("usr/x"), "x");
        j.commit();
        assertThat(root.resolve(Journal.DIR)).doesNotExist();
        Journal.recover(root);
        assertThat(root.resolve("usr/x")).hasContent("x");
    }
}

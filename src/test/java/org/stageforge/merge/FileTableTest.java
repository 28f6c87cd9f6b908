package org.stageforge.merge;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ParseException;
import org.stageforge.StageforgeException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FileTableTest {
    @TempDir
    Path tmp;

    @Test
    void roundTripsOddNamesSortedAndDeterministic() throws IOException {
        FileTable t = FileTable.empty();
        t.put("usr/b\tin/x\\y\nz", new FileTable.Entry('f', 04755, 0, 0, 0, 0, Map.of("security.capability", new byte[]{1, 2})));
        t.put("dev/sda", new FileTable.Entry('b', 0660, 0, 6, 8, 0, null));
        t.put("a", new FileTable.Entry('d', 01777, 0, 0, 0, 0, null));
        String text = t.render();
        assertThat(text).isEqualTo("#stageforge-files v1\n"
                + "a\td\t1777\t0\t0\t-\t-\n"
                + "dev/sda\tb\t0660\t0\t6\t8,0\t-\n"
                + "usr/b\\tin/x\\\\y\\nz\tf\t4755\t0\t0\t-\tsecurity.capability=0102\n");
        t.save(tmp);
        assertThat(FileTable.load(tmp).entries()).isEqualTo(t.entries());
        assertThat(Files.readString(tmp.resolve(FileTable.PATH))).isEqualTo(text);
    }

    @Test
    void changesAreAppendedAsADeltaThatLoadAppliesAndSaveFoldsIn() throws IOException {
        FileTable t = FileTable.empty();
        FileTable.Entry dir = new FileTable.Entry('d', 0755, 0, 0, 0, 0, null);
        FileTable.Entry suid = new FileTable.Entry('f', 04755, 0, 0, 0, 0, null);
        t.put("usr", dir);
        t.put("usr/bin/su", suid);
        t.save(tmp);
        String saved = Files.readString(tmp.resolve(FileTable.PATH));

        t.put("usr/bin/x\ty", suid);
        t.remove("usr/bin/su");
        t.appendChanges(tmp);
        t.appendChanges(tmp); // nothing new: nothing appended twice
        assertThat(Files.readString(tmp.resolve(FileTable.DELTA)))
                .isEqualTo("+usr/bin/x\\ty\tf\t4755\t0\t0\t-\t-\n-usr/bin/su\n");
        assertThat(Files.readString(tmp.resolve(FileTable.PATH))).isEqualTo(saved); // the table itself is untouched
        // a kill in the middle of an append leaves half a line: ignored, and cut before the next append
        Files.writeString(tmp.resolve(FileTable.DELTA), "+usr/lib\td", java.nio.file.StandardOpenOption.APPEND);
        assertThat(FileTable.load(tmp).entries()).isEqualTo(t.entries());
        FileTable.repairDelta(tmp);
        t.commitChanges();

        t.put("usr/lib", dir);
        t.rollbackChanges(); // a failed package: the table is as it was after the last commit
        assertThat(t.get("usr/lib")).isNull();
        assertThat(t.entries()).containsOnlyKeys("usr", "usr/bin/x\ty");

        FileTable loaded = FileTable.load(tmp);
        assertThat(loaded.entries()).isEqualTo(t.entries());
        loaded.save(tmp);
        assertThat(tmp.resolve(FileTable.DELTA)).doesNotExist();
        assertThat(Files.readString(tmp.resolve(FileTable.PATH))).isEqualTo(t.render());
    }

    @Test
    void aDeltaWithoutTheTableItselfIsTheWholeTable() throws IOException {
        FileTable t = FileTable.empty();
        t.put("tmp", new FileTable.Entry('d', 01777, 0, 0, 0, 0, null));
        t.appendChanges(tmp);
        assertThat(FileTable.exists(tmp)).isTrue();
        assertThat(FileTable.load(tmp).get("tmp").mode()).isEqualTo(01777);
    }

    @Test
    void refusesMalformedLinesAndSymlinkedTables() throws IOException {
        assertThatThrownBy(() -> FileTable.parse("t", "a\tf\t0644\n")).isInstanceOf(ParseException.class)
                .hasMessageContaining("t:1");
        Files.createDirectories(tmp.resolve("var/lib"));
        Files.createSymbolicLink(tmp.resolve("var/lib/stageforge"), Path.of("/tmp"));
        assertThatThrownBy(() -> FileTable.empty().save(tmp)).isInstanceOf(StageforgeException.class)
                .hasMessageContaining("symlink");
    }
}

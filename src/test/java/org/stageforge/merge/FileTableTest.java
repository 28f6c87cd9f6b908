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
    void refusesMalformedLinesAndSymlinkedTables() throws IOException {
        assertThatThrownBy(() -> FileTable.parse("t", "a\tf\t0644\n")).isInstanceOf(ParseException.class)
                .hasMessageContaining("t:1");
        Files.createDirectories(tmp.resolve("var/lib"));
        Files.createSymbolicLink(tmp.resolve("var/lib/stageforge"), Path.of("/tmp"));
        assertThatThrownBy(() -> FileTable.empty().save(tmp)).isInstanceOf(StageforgeException.class)
                .hasMessageContaining("symlink");
    }
}

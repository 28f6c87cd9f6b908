package org.stageforge.vdb;

import org.junit.jupiter.api.Test;
import org.stageforge.ParseException;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ContentsTest {

    @Test
    void parsesEveryKindAndQuirk() {
        String text = """
                dir /usr/share/my dir
                obj /usr/share/my dir/a file.txt d41d8cd98f00b204e9800998ecf8427e 1689961395
                sym /usr/lib/link with space -> ../target with space 1689961396
                sym /usr/lib/a -> b -> c 12
                sym /usr/lib/old -> x (1689961397, 0)
                sym /usr/lib/arrow -> -> t 5
                fif /var/spool/fifo
                dev /dev/null
                """;
        List<ContentsEntry> l = Contents.parse("CONTENTS", text);
        assertThat(l).containsExactly(
                ContentsEntry.dir("/usr/share/my dir"),
                ContentsEntry.obj("/usr/share/my dir/a file.txt", "d41d8cd98f00b204e9800998ecf8427e", 1689961395L),
                ContentsEntry.sym("/usr/lib/link with space", "../target with space", 1689961396L),
                // Portage's greedy path: the split is at the last " -> "
                ContentsEntry.sym("/usr/lib/a -> b", "c", 12L),
                ContentsEntry.sym("/usr/lib/old", "x", 1689961397L),
                ContentsEntry.sym("/usr/lib/arrow ->", "t", 5L),
                ContentsEntry.fif("/var/spool/fifo"),
                ContentsEntry.dev("/dev/null"));
        assertThat(Contents.format(l)).isEqualTo(text.replace("x (1689961397, 0)", "x 1689961397"));
        assertThat(Contents.parse("CONTENTS", "")).isEmpty();
        assertThat(Contents.parse("C", "dir /a")).containsExactly(ContentsEntry.dir("/a"));
        // a target ending in " -> " is kept whole when the path would otherwise be empty-targeted
        assertThat(Contents.parse("C", "sym /a -> b ->  7\n")).containsExactly(ContentsEntry.sym("/a", "b -> ", 7L));
    }

    @Test
    void errorsNameFileAndLine() {
        assertError("dir /a\nfoo /b\n", "C:2: unrecognized CONTENTS entry 'foo /b'");
        assertError("dir /a\n\n", "C:2: unrecognized CONTENTS entry ''");
        assertError("obj /a b\n", "C:1: unrecognized CONTENTS entry 'obj /a b'");
        assertError("obj /a md5 12x\n", "C:1: unrecognized CONTENTS entry 'obj /a md5 12x'");
        assertError("sym /a b 12\n", "C:1: unrecognized CONTENTS entry 'sym /a b 12'");
        assertError("sym /a -> b\n", "C:1: unrecognized CONTENTS entry 'sym /a -> b'");
        assertError("dir relative\n", "C:1: CONTENTS path is not absolute: 'relative'");
        assertError("dir /\n", "C:1: CONTENTS path is not absolute: '/'");
        assertError("obj /usr/../etc/shadow m 1\n", "C:1: unsafe CONTENTS path '/usr/../etc/shadow'");
        assertError("dir /usr//lib\n", "C:1: unsafe CONTENTS path '/usr//lib'");
        assertError("dir /a\0b\n", "C:1: NUL byte in CONTENTS entry");
        assertError("obj /a m 99999999999999999999\n", "C:1: mtime out of range: 99999999999999999999");
    }

    @Test
    void entryInvariants() {
        assertThatThrownBy(() -> new ContentsEntry(ContentsEntry.Type.DIR, "/a", "m", java.util.OptionalLong.empty(), null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ContentsEntry(ContentsEntry.Type.OBJ, "/a", "m", java.util.OptionalLong.empty(), null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static void assertError(String text, String message) {
        assertThatThrownBy(() -> Contents.parse("C", text)).isInstanceOf(ParseException.class).hasMessage(message);
    }
}

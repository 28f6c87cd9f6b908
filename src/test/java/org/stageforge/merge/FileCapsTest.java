package org.stageforge.merge;

import org.junit.jupiter.api.Test;
import org.stageforge.ParseException;

import java.util.HexFormat;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FileCapsTest {
    private static String hex(String text) {
        byte[] b = FileCaps.encode(text);
        return b == null ? null : HexFormat.of().formatHex(b);
    }

    @Test
    void encodesSetcapTextAsVfsCapDataRevision2() {
        // what `setcap cap_net_raw+ep` stores (ping); effective flag in the magic word
        assertThat(hex("cap_net_raw+ep")).isEqualTo("0100000200200000000000000000000000000000");
        assertThat(hex("cap_net_raw=p")).isEqualTo("0000000200200000000000000000000000000000");
        // bit 0 and bit 10 permitted and inheritable; bit 38 (perfmon) lands in the second words
        assertThat(hex("cap_chown,cap_net_bind_service=eip")).isEqualTo("0100000201040000010400000000000000000000");
        assertThat(hex("cap_perfmon+p")).isEqualTo("0000000200000000000000004000000000000000");
        assertThat(hex("cap_chown,cap_kill+ep cap_kill-p")).isEqualTo("0100000201000000000000000000000000000000");
    }

    @Test
    void removalAndErrors() {
        assertThat(hex("")).isNull();
        assertThat(FileCaps.with(Map.of("security.capability", new byte[20], "user.x", new byte[1]), ""))
                .containsOnlyKeys("user.x");
        assertThatThrownBy(() -> FileCaps.encode("cap_bogus+ep")).isInstanceOf(ParseException.class)
                .hasMessageContaining("cap_bogus");
        assertThatThrownBy(() -> FileCaps.encode("cap_chown")).isInstanceOf(ParseException.class);
    }
}

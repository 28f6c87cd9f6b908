package org.stageforge.archive;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pins the exact bytes {@link TarWriter} writes at the edges of the ustar header (names and link targets of 100 and
 * 101 bytes, control characters, ids and mtimes just inside and outside octal fields, negative mtimes, every member
 * type, contents around the block size): binary packages, snapshots, images and stage tarballs all depend on them.
 */
class TarWriterBytesTest {
    private static final String SHA512_CLAMPED =
            "a6fac6a7c054d8ef6dd7804d3664ed88c2f772f06f49dc8ed1f4feb3211d77601e925b1a2e4614f34b5d2031749fddc9f0fb002e8bc23f785ddd453727700033";
    private static final String SHA512_UNCLAMPED =
            "f4baaef88f016b3523d79acf764d1a6e769cea1ee70af37d7215f4387082a32e069fe4d25ffbf1c9a18067762dfa817260df61a9fbcf5d3ee7e51c853d725701";

    private static List<TarEntry> entries() {
        String n100 = "./" + "n".repeat(98);
        String l100 = "l".repeat(100);
        return List.of(
                TarEntry.of(".", TarEntry.Type.DIR, 0755, 0, 0, 0, 10, ""),
                TarEntry.of("./d", TarEntry.Type.DIR, 01777, 0, 0, 0, 1_700_000_000L, ""),
                TarEntry.of(n100, TarEntry.Type.FILE, 0644, 0, 0, 512, 5, ""),
                TarEntry.of(n100 + "x", TarEntry.Type.FILE, 0644, 0, 0, 513, 5, ""),
                TarEntry.of("./tab\there", TarEntry.Type.FILE, 0600, 07777777, 07777777, 1, 5, ""),
                TarEntry.of("./big-ids", TarEntry.Type.FILE, 0600, 010000000, 4_294_967_295L, 0, 5, ""),
                TarEntry.of("./negative", TarEntry.Type.FILE, 0644, 0, 0, 3, -5, ""),
                TarEntry.of("./far-future", TarEntry.Type.FILE, 0644, 0, 0, 2, 077777777777L + 1, ""),
                TarEntry.of("./edge-future", TarEntry.Type.FILE, 0644, 0, 0, 2, 077777777777L, ""),
                TarEntry.of("./s100", TarEntry.Type.SYMLINK, 0777, 0, 0, 0, 5, l100),
                TarEntry.of("./s101", TarEntry.Type.SYMLINK, 0777, 0, 0, 0, 5, l100 + "l"),
                TarEntry.of("./s\u00e9", TarEntry.Type.SYMLINK, 0777, 0, 0, 0, 5, "\u00e9"),
                TarEntry.of("./h", TarEntry.Type.HARDLINK, 04755, 0, 0, 0, 5, "./tab\there"),
                new TarEntry("./c", TarEntry.Type.CHAR, 0620, 0, 5, "", "", 0, 5, 0, "", 136, 2_097_151, null),
                new TarEntry("./b", TarEntry.Type.BLOCK, 0660, 0, 6, "", "", 0, 5, 0, "", 2_097_152, 0, null),
                new TarEntry("./p", TarEntry.Type.FIFO, 0600, 0, 0, "", "", 0, 5, 0, "", 0, 0,
                        new java.util.TreeMap<>(Map.of("user.b", new byte[0], "security.capability", new byte[]{1, 0, '\n', '='}))),
                TarEntry.of("./after-pax", TarEntry.Type.FILE, 0644, 0, 0, 65_537, 5, ""));
    }

    private static byte[] write(long epoch) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarWriter tw = new TarWriter(out, epoch)) {
            for (TarEntry e : entries()) {
                byte[] content = new byte[(int) (e.type() == TarEntry.Type.FILE ? e.size() : 0)];
                for (int i = 0; i < content.length; i++) content[i] = (byte) (i * 31 + e.path().length());
                InputStream in = new ByteArrayInputStream(content);
                tw.add(e, in);
            }
        }
        return out.toByteArray();
    }

    @Test
    void bytesArePinned() throws Exception {
        assertThat(sha512(write(1_650_000_000L))).isEqualTo(SHA512_CLAMPED);
        assertThat(sha512(write(-1))).isEqualTo(SHA512_UNCLAMPED);
    }

    @Test
    void fileHeaderIsPinned() throws Exception {
        byte[] h = TarWriter.fileHeader("gpkg-1/metadata.tar.zst", 0644, 123_456, 1_700_000_000L);
        assertThat(h).hasSize(512);
        assertThat(new String(h, 0, 23, StandardCharsets.US_ASCII)).isEqualTo("gpkg-1/metadata.tar.zst");
        assertThat(sha512(h)).isEqualTo(SHA512_HEADER);
    }

    private static final String SHA512_HEADER =
            "fe9f1aa6c541443080662c0f52131bd926fc814e530d4b556673ef93b779340e12d4bfb4766808763a055660fc358f3f4bf976ad1750a2dfea2f249b1a14c5e6";

    private static String sha512(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-512").digest(b));
    }
}

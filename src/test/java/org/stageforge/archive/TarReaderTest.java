package org.stageforge.archive;

import org.stageforge.testutil.ZeroStream;
import org.junit.jupiter.api.Test;
import org.stageforge.ParseException;
import org.stageforge.StageforgeException;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reading what our writer and other tar dialects produce, byte-exact xattrs, truncation and bombs. */
class TarReaderTest {

    static List<TarEntry> readAll(byte[] tar) throws IOException {
        TarReader r = new TarReader(new ByteArrayInputStream(tar), "t.tar", TarLimits.DEFAULT);
        List<TarEntry> out = new ArrayList<>();
        TarEntry e;
        while ((e = r.next()) != null) out.add(e);
        return out;
    }

    @Test
    void roundTripsEveryTypeAndBinaryXattrsExactly() throws IOException {
        byte[] cap = {1, 0, 0, 2, 0x20, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xc3, 0x28, 0, 0, 0, 0, 0};
        TarEntry f = new TarEntry("usr/bin/ping", TarEntry.Type.FILE, 04711, 1000, 2000000, "", "", 4, 1_700_000_000, 0,
                "", 0, 0, new java.util.TreeMap<>(Map.of("security.capability", cap, "user.x", "v".getBytes())));
        TarEntry longName = TarEntry.of("d/" + "x".repeat(300), TarEntry.Type.FILE, 0644, 0, 0, 0, 1, "");
        TarEntry sym = TarEntry.of("l", TarEntry.Type.SYMLINK, 0777, 0, 0, 0, 1, "t/".repeat(80));
        TarEntry dev = new TarEntry("dev/sda", TarEntry.Type.BLOCK, 0660, 0, 6, "", "", 0, 1, 0, "", 8, 1, null);
        TarEntry utf = TarEntry.of("usr/share/ünïcödé", TarEntry.Type.DIR, 01777, 0, 0, 0, 1, "");
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (TarWriter w = new TarWriter(bos, 1_650_000_000L)) {
            w.add(f, new ByteArrayInputStream("ping".getBytes()));
            w.add(longName, InputStream0.EMPTY);
            w.add(sym, InputStream0.EMPTY);
            w.add(dev, InputStream0.EMPTY);
            w.add(utf, InputStream0.EMPTY);
        }
        List<TarEntry> got = readAll(bos.toByteArray());
        assertThat(got).hasSize(5);
        assertThat(got.get(0).xattrs().get("security.capability")).isEqualTo(cap);
        assertThat(got.get(0).mtime()).as("clamped to SOURCE_DATE_EPOCH").isEqualTo(1_650_000_000L);
        assertThat(got.get(0).withPath("usr/bin/ping")).isEqualTo(new TarEntry("usr/bin/ping", TarEntry.Type.FILE, 04711,
                1000, 2000000, "", "", 4, 1_650_000_000L, 0, "", 0, 0, f.xattrs()));
        assertThat(got.get(1).path()).isEqualTo(longName.path());
        assertThat(got.get(2).linkTarget()).isEqualTo(sym.linkTarget());
        assertThat(got.get(3).devMajor()).isEqualTo(8);
        assertThat(got.get(3).devMinor()).isEqualTo(1);
        assertThat(got.get(4).path()).isEqualTo("usr/share/ünïcödé/");
        assertThat(got.get(4).modeString()).isEqualTo("drwxrwxrwt");
    }

    @Test
    void readsGnuLongNamesLibarchiveXattrsGlobalPaxAndBase256() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(raw("././@LongLink", 'L', ("gnu/" + "n".repeat(200) + "\0").getBytes(), false));
        out.writeBytes(raw("short", '0', new byte[0], false));
        out.writeBytes(raw("pax_global_header", 'g', pax("comment", "hello") , true));
        byte[] v = {(byte) 0xde, (byte) 0xad, 0, (byte) 0xbe};
        out.writeBytes(raw("PaxHeaders/x", 'x', concat(pax("LIBARCHIVE.xattr.user.a%3Db",
                java.util.Base64.getEncoder().encodeToString(v)), pax("mtime", "1688130906.9477"), pax("uname", "")), true));
        byte[] h = raw("x", '0', new byte[0], true);
        out.writeBytes(h);
        out.writeBytes(new byte[1024]);
        List<TarEntry> got = readAll(out.toByteArray());
        assertThat(got.get(0).path()).isEqualTo("gnu/" + "n".repeat(200));
        assertThat(got.get(1).xattrs().get("user.a=b")).isEqualTo(v);
        assertThat(got.get(1).mtime()).isEqualTo(1688130906L);
        assertThat(got.get(1).mtimeNanos()).isEqualTo(947_700_000);

        byte[] b256 = raw("big", '0', new byte[0], true);
        Arrays.fill(b256, 108, 116, (byte) 0);
        b256[108] = (byte) 0x80;
        b256[115] = 0x10; // uid 16 in base-256
        fixChecksum(b256);
        ByteArrayOutputStream o2 = new ByteArrayOutputStream();
        o2.writeBytes(b256);
        o2.writeBytes(new byte[1024]);
        assertThat(readAll(o2.toByteArray()).get(0).uid()).isEqualTo(16);
    }

    @Test
    void corruptOrTruncatedArchivesFailCleanly() throws IOException {
        byte[] t = TarTestSupport.tar(List.of(TarTestSupport.file("a", "x".repeat(3000)), TarTestSupport.file("b", "y")));
        for (int cut = 1; cut < 5000; cut += 97) {
            byte[] part = Arrays.copyOf(t, cut);
            assertThatThrownBy(() -> readAll(part)).as("cut at " + cut).isInstanceOf(ParseException.class);
        }
        byte[] bad = t.clone();
        bad[10] ^= 1;
        assertThatThrownBy(() -> readAll(bad)).isInstanceOf(ParseException.class).hasMessageContaining("checksum");
        byte[] z = TarTestSupport.compress(Compression.ZSTD, t);
        for (int cut = 1; cut < z.length; cut += 7) {
            byte[] part = Arrays.copyOf(z, cut);
            assertThatThrownBy(() -> readAll(Compression.ZSTD.decompress(new ByteArrayInputStream(part)).readAllBytes()))
                    .isInstanceOfAny(IOException.class, ParseException.class);
        }
    }

    @Test
    void decompressionBombIsStopped() throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        long size = 300L << 20;
        try (var z = Compression.ZSTD.compress(bos); TarWriter w = new TarWriter(z, -1)) {
            w.add(TarEntry.of("zeros", TarEntry.Type.FILE, 0644, 0, 0, size, 1, ""), new ZeroStream(size));
        }
        byte[] bomb = bos.toByteArray();
        assertThat(bomb.length).isLessThan(100_000);
        long budget = TarLimits.DEFAULT.uncompressedBudget(bomb.length);
        assertThat(budget).isLessThan(size);
        assertThatThrownBy(() -> {
            var in = new LimitedInputStream(Compression.ZSTD.decompress(new ByteArrayInputStream(bomb)), budget, "bomb");
            TarReader r = new TarReader(in, "bomb", TarLimits.DEFAULT);
            while (r.next() != null) { }
        }).isInstanceOf(StageforgeException.class).hasMessageContaining("decompression bomb");
    }

    @Test
    void detectsCompressionByMagic() throws IOException {
        byte[] data = "hello".getBytes(StandardCharsets.UTF_8);
        for (Compression c : Compression.values()) {
            byte[] z = TarTestSupport.compress(c, data);
            if (c != Compression.NONE) assertThat(Compression.detect(z, z.length)).isEqualTo(c);
            assertThat(c.decompress(new ByteArrayInputStream(z)).readAllBytes()).isEqualTo(data);
        }
    }

    // --- helpers building raw headers the way other tar programs do

    static final class InputStream0 {
        static final java.io.InputStream EMPTY = java.io.InputStream.nullInputStream();
    }

    static byte[] pax(String key, String value) {
        byte[] v = value.getBytes(StandardCharsets.UTF_8);
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        int body = k.length + v.length + 3;
        int len = body + 1;
        while (Integer.toString(len).length() + body != len) len = Integer.toString(len).length() + body;
        return (len + " " + key + "=" + value + "\n").getBytes(StandardCharsets.UTF_8);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }

    /** A header (GNU magic unless posix) followed by its data blocks. */
    static byte[] raw(String name, char type, byte[] data, boolean posix) {
        byte[] h = new byte[512];
        System.arraycopy(name.getBytes(StandardCharsets.UTF_8), 0, h, 0, name.length());
        put(h, 100, "0000644");
        put(h, 108, "0000000");
        put(h, 116, "0000000");
        put(h, 124, String.format("%011o", data.length));
        put(h, 136, String.format("%011o", 1_000_000));
        h[156] = (byte) type;
        put(h, 257, posix ? "ustar\u000000" : "ustar  ");
        fixChecksum(h);
        int padded = (data.length + 511) / 512 * 512;
        byte[] out = new byte[512 + padded];
        System.arraycopy(h, 0, out, 0, 512);
        System.arraycopy(data, 0, out, 512, data.length);
        return out;
    }

    static void put(byte[] h, int off, String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(b, 0, h, off, b.length);
    }

    static void fixChecksum(byte[] h) {
        Arrays.fill(h, 148, 156, (byte) ' ');
        long sum = 0;
        for (int i = 0; i < 512; i++) sum += h[i] & 0xFF;
        put(h, 148, String.format("%06o\0", sum));
    }
}

package org.stageforge.archive;

import org.stageforge.ParseException;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Streaming reader of ustar, GNU (long names/links, base-256 numbers) and PAX (global and per-file)
 * archives. PAX records are parsed as bytes so binary extended attribute values survive exactly.
 * Every size, count and length from the archive is checked against {@link TarLimits}.
 */
public final class TarReader implements Closeable {
    private static final int BLOCK = 512;

    private final InputStream in;
    private final String source;
    private final TarLimits limits;
    private final byte[] header = new byte[BLOCK];
    private final Map<String, byte[]> globalPax = new HashMap<>();
    private long position;
    private long remaining;
    private long padding;
    private long members;
    private long dataOffset;
    private boolean ended;
    private final EntryStream entryStream = new EntryStream();

    public TarReader(InputStream in, String source, TarLimits limits) {
        this.in = in;
        this.source = source;
        this.limits = limits;
    }

    /** The next member, or null at the end of the archive. Skips the rest of the previous member. */
    public TarEntry next() throws IOException {
        if (ended) return null;
        skipRest();
        Map<String, byte[]> pax = null;
        byte[] longName = null;
        byte[] longLink = null;
        while (true) {
            if (!readHeader()) {
                throw new ParseException(source, 0, 0, "truncated archive: end of data at byte " + position
                        + " without end-of-archive marker");
            }
            if (isZero(header)) {
                // end-of-archive: the second zero block and record padding are optional in practice
                ended = true;
                return null;
            }
            verifyChecksum();
            byte flag = header[156];
            long size = number(124, 12, "size");
            if (size < 0) throw error("negative size");
            switch (flag) {
                case 'x', 'X' -> {
                    if (pax == null) pax = new HashMap<>();
                    parsePax(readSpecial(size, "PAX header"), pax);
                    continue;
                }
                case 'g' -> {
                    parsePax(readSpecial(size, "PAX global header"), globalPax);
                    continue;
                }
                case 'L' -> {
                    longName = cString(readSpecial(size, "GNU long name"));
                    continue;
                }
                case 'K' -> {
                    longLink = cString(readSpecial(size, "GNU long link"));
                    continue;
                }
                default -> { }
            }
            if (++members > limits.maxMembers()) {
                throw error("more than " + limits.maxMembers() + " members");
            }
            return build(flag, size, pax, longName, longLink);
        }
    }

    /** Content of the current member (regular files; empty for others), valid until {@link #next()}. */
    public InputStream content() {
        return entryStream;
    }

    /** Offset of the current member's data from the start of the stream. */
    public long dataOffset() {
        return dataOffset;
    }

    /** Bytes consumed from the underlying stream so far. */
    public long position() {
        return position;
    }

    private TarEntry build(byte flag, long size, Map<String, byte[]> pax, byte[] longName, byte[] longLink) {
        Map<String, byte[]> p = new HashMap<>(globalPax);
        if (pax != null) pax.forEach((k, v) -> {
            if (v.length == 0) p.remove(k); else p.put(k, v);
        });
        boolean ustar = header[257] == 'u' && header[258] == 's' && header[259] == 't' && header[260] == 'a'
                && header[261] == 'r';
        boolean posix = ustar && header[262] == 0;
        String name;
        if (p.containsKey("path")) name = utf8(p.get("path"));
        else if (longName != null) name = utf8(longName);
        else {
            name = field(0, 100);
            if (posix && header[345] != 0) name = field(345, 155) + "/" + name;
        }
        String link = p.containsKey("linkpath") ? utf8(p.get("linkpath"))
                : longLink != null ? utf8(longLink) : field(157, 100);
        if (name.isEmpty()) throw error("member with an empty name");
        if (name.length() > limits.maxPathLength() || link.length() > limits.maxPathLength()) {
            throw error("path longer than " + limits.maxPathLength() + " bytes");
        }
        if (p.containsKey("size")) size = paxNumber(p, "size");
        TarEntry.Type type = switch (flag) {
            case '0', 0, '7' -> name.endsWith("/") ? TarEntry.Type.DIR : TarEntry.Type.FILE;
            case '1' -> TarEntry.Type.HARDLINK;
            case '2' -> TarEntry.Type.SYMLINK;
            case '3' -> TarEntry.Type.CHAR;
            case '4' -> TarEntry.Type.BLOCK;
            case '5' -> TarEntry.Type.DIR;
            case '6' -> TarEntry.Type.FIFO;
            case 'S' -> throw error("GNU sparse member " + name + " is not supported");
            default -> throw error("member " + name + " has unsupported type '" + (char) flag + "'");
        };
        for (String k : p.keySet()) {
            if (k.startsWith("GNU.sparse.")) throw error("sparse member " + name + " is not supported");
        }
        int mode = (int) (number(100, 8, "mode") & 07777);
        long uid = p.containsKey("uid") ? paxNumber(p, "uid") : number(108, 8, "uid");
        long gid = p.containsKey("gid") ? paxNumber(p, "gid") : number(116, 8, "gid");
        String uname = p.containsKey("uname") ? utf8(p.get("uname")) : ustar ? field(265, 32) : "";
        String gname = p.containsKey("gname") ? utf8(p.get("gname")) : ustar ? field(297, 32) : "";
        long mtime = number(136, 12, "mtime");
        int nanos = 0;
        if (p.containsKey("mtime")) {
            long[] t = paxTime(p.get("mtime"));
            mtime = t[0];
            nanos = (int) t[1];
        }
        int major = 0;
        int minor = 0;
        if (type == TarEntry.Type.CHAR || type == TarEntry.Type.BLOCK) {
            major = (int) (p.containsKey("SCHILY.devmajor") ? paxNumber(p, "SCHILY.devmajor") : number(329, 8, "devmajor"));
            minor = (int) (p.containsKey("SCHILY.devminor") ? paxNumber(p, "SCHILY.devminor") : number(337, 8, "devminor"));
        }
        TreeMap<String, byte[]> xattrs = new TreeMap<>();
        for (Map.Entry<String, byte[]> e : p.entrySet()) {
            String k = e.getKey();
            if (k.startsWith("SCHILY.xattr.")) {
                xattrs.put(k.substring("SCHILY.xattr.".length()), e.getValue());
            } else if (k.startsWith("LIBARCHIVE.xattr.")) {
                String xn = java.net.URLDecoder.decode(k.substring("LIBARCHIVE.xattr.".length()), StandardCharsets.UTF_8);
                try {
                    xattrs.putIfAbsent(xn, Base64.getDecoder().decode(trimB64(e.getValue())));
                } catch (IllegalArgumentException ex) {
                    throw error("bad base64 in PAX record " + k);
                }
            }
        }
        // only regular files (and, rarely, hard links) carry data blocks
        long dataSize = type == TarEntry.Type.FILE || type == TarEntry.Type.HARDLINK ? size : 0;
        remaining = dataSize;
        padding = (BLOCK - (dataSize % BLOCK)) % BLOCK;
        dataOffset = position;
        return new TarEntry(name, type, mode, uid, gid, uname, gname, dataSize, mtime, nanos, link, major, minor,
                xattrs);
    }

    private static byte[] trimB64(byte[] v) {
        int n = v.length;
        while (n > 0 && (v[n - 1] == '\n' || v[n - 1] == ' ')) n--;
        return java.util.Arrays.copyOf(v, n);
    }

    private boolean readHeader() throws IOException {
        int n = in.readNBytes(header, 0, BLOCK);
        position += n;
        if (n == 0) return false;
        if (n < BLOCK) throw error("truncated header at byte " + (position - n));
        return true;
    }

    private byte[] readSpecial(long size, String what) throws IOException {
        if (size > limits.maxHeaderBytes()) {
            throw error(what + " of " + size + " bytes exceeds the limit of " + limits.maxHeaderBytes());
        }
        byte[] data = new byte[(int) size];
        int n = in.readNBytes(data, 0, data.length);
        position += n;
        if (n < size) throw error("truncated " + what);
        long pad = (BLOCK - (size % BLOCK)) % BLOCK;
        skipFully(pad);
        return data;
    }

    private void parsePax(byte[] data, Map<String, byte[]> into) {
        int pos = 0;
        while (pos < data.length) {
            if (data[pos] == 0) break; // some writers pad the header data with NULs
            int i = pos;
            long len = 0;
            while (i < data.length && data[i] >= '0' && data[i] <= '9' && i - pos < 10) {
                len = len * 10 + (data[i] - '0');
                i++;
            }
            if (i == pos || i >= data.length || data[i] != ' ' || len <= i - pos + 1 || pos + len > data.length
                    || data[(int) (pos + len - 1)] != '\n') {
                throw error("malformed PAX record at offset " + pos);
            }
            int end = (int) (pos + len - 1);
            int eq = -1;
            for (int j = i + 1; j < end; j++) {
                if (data[j] == '=') {
                    eq = j;
                    break;
                }
            }
            if (eq < 0 || eq == i + 1) throw error("malformed PAX record at offset " + pos);
            String key = new String(data, i + 1, eq - i - 1, StandardCharsets.UTF_8);
            byte[] value = java.util.Arrays.copyOfRange(data, eq + 1, end);
            into.put(key, value);
            pos = (int) (pos + len);
        }
    }

    private long paxNumber(Map<String, byte[]> p, String key) {
        String s = utf8(p.get(key));
        try {
            long v = Long.parseLong(s);
            if (v < 0) throw error("negative PAX " + key);
            return v;
        } catch (NumberFormatException e) {
            throw error("bad PAX " + key + " '" + s + "'");
        }
    }

    private long[] paxTime(byte[] v) {
        String s = utf8(v);
        try {
            int dot = s.indexOf('.');
            if (dot < 0) return new long[] {Long.parseLong(s), 0};
            long sec = Long.parseLong(s.substring(0, dot).isEmpty() ? "0" : s.substring(0, dot));
            String frac = s.substring(dot + 1);
            if (!frac.chars().allMatch(Character::isDigit)) throw new NumberFormatException();
            frac = (frac + "000000000").substring(0, 9);
            long nanos = Long.parseLong(frac);
            if (s.startsWith("-") && nanos > 0) {
                sec -= 1;
                nanos = 1_000_000_000 - nanos;
            }
            return new long[] {sec, nanos};
        } catch (NumberFormatException e) {
            throw error("bad PAX mtime '" + s + "'");
        }
    }

    private void verifyChecksum() {
        long stored = number(148, 8, "checksum");
        // the checksum field itself (bytes 148-155) counts as eight spaces
        long unsigned = 8 * ' ';
        long signed = 8 * ' ';
        for (int i = 0; i < BLOCK; i = i == 147 ? 156 : i + 1) {
            unsigned += header[i] & 0xFF;
            signed += header[i];
        }
        if (stored != unsigned && stored != signed) {
            throw error("header checksum mismatch at byte " + (position - BLOCK));
        }
    }

    private long number(int off, int len, String what) {
        if ((header[off] & 0x80) != 0) {
            // GNU base-256: 0x80 positive, 0xFF negative (two's complement)
            boolean negative = (header[off] & 0xFF) == 0xFF;
            long v = negative ? -1 : 0;
            for (int i = 0; i < len; i++) {
                int b = header[off + i] & 0xFF;
                if (i == 0) b &= 0x7F;
                if (!negative && i < len - 8 && b != 0 || !negative && i == len - 8 && (b & 0x80) != 0) {
                    throw error(what + " too large");
                }
                v = (v << 8) | (i == 0 && negative ? 0xFF : b);
            }
            return v;
        }
        int i = off;
        int end = off + len;
        while (i < end && (header[i] == ' ' || header[i] == 0)) i++;
        long v = 0;
        int digits = 0;
        while (i < end && header[i] >= '0' && header[i] <= '7') {
            v = (v << 3) | (header[i] - '0');
            i++;
            if (++digits > 21) throw error(what + " too large");
        }
        while (i < end) {
            if (header[i] != ' ' && header[i] != 0) {
                throw error("bad octal " + what + " field in header at byte " + (position - BLOCK));
            }
            i++;
        }
        return v;
    }

    private String field(int off, int len) {
        int n = 0;
        while (n < len && header[off + n] != 0) n++;
        return new String(header, off, n, StandardCharsets.UTF_8);
    }

    private static byte[] cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return n == b.length ? b : java.util.Arrays.copyOf(b, n);
    }

    private static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) if (x != 0) return false;
        return true;
    }

    private void skipRest() throws IOException {
        if (remaining > 0) skipFully(remaining);
        remaining = 0;
        if (padding > 0) skipFully(padding);
        padding = 0;
    }

    private void skipFully(long n) throws IOException {
        long left = n;
        byte[] scratch = null;
        while (left > 0) {
            long s = in.skip(left);
            if (s <= 0) {
                if (scratch == null) scratch = new byte[(int) Math.min(65536, left)];
                int r = in.read(scratch, 0, (int) Math.min(scratch.length, left));
                if (r < 0) throw error("truncated archive: data ends at byte " + position);
                s = r;
            }
            left -= s;
            position += s;
        }
    }

    private ParseException error(String reason) {
        return new ParseException(source, 0, 0, reason);
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    private final class EntryStream extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (remaining <= 0) return -1;
            if (len == 0) return 0;
            int n = in.read(b, off, (int) Math.min(len, remaining));
            if (n < 0) throw error("truncated archive: member data ends at byte " + position);
            remaining -= n;
            position += n;
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long s = Math.min(n, remaining);
            if (s <= 0) return 0;
            skipFully(s);
            remaining -= s;
            return s;
        }

        @Override
        public int available() throws IOException {
            return (int) Math.min(Integer.MAX_VALUE, Math.min(remaining, in.available()));
        }
    }
}

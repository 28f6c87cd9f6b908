package org.stageforge.archive;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Deterministic PAX archive writer: entries in the order given (callers sort), numeric owners
 * only (uname/gname empty), whole-second mtimes clamped to SOURCE_DATE_EPOCH, no atime/ctime,
 * binary extended attributes as {@code SCHILY.xattr.*} records. The same entries and contents
 * always give the same bytes.
 *
 * <p>Headers, padding and contents are gathered in one buffer and handed to the stream below in large writes: a
 * compressing stream makes a native call per write. Writes to that stream from elsewhere while the writer is open
 * would land out of order.
 */
public final class TarWriter implements Closeable {
    private static final int BLOCK = 512;
    private static final int RECORD = 20 * BLOCK;
    private static final byte[] PAX_NAME = ascii("././@PaxHeader");
    private static final byte[] MAGIC = ascii("ustar\0" + "00");
    private static final byte[] NONE = new byte[0];
    private static final long MAX_OCTAL7 = 07777777L;
    private static final long MAX_OCTAL11 = 077777777777L;
    private static final int BUFFER = 1 << 20;

    private final OutputStream out;
    private final long clampEpoch;
    private final byte[] buf = new byte[BUFFER];
    private final ByteBuffer view = ByteBuffer.wrap(buf);
    private int fill;
    private byte[] pax = new byte[BLOCK];
    private int paxLength;
    private long written;
    private boolean finished;

    /** @param sourceDateEpoch mtimes later than this are clamped to it; negative to keep mtimes */
    public TarWriter(OutputStream out, long sourceDateEpoch) {
        this.out = out;
        this.clampEpoch = sourceDateEpoch;
    }

    /** Adds one member; {@code content} supplies exactly {@code e.size()} bytes for regular files. */
    public void add(TarEntry e, InputStream content) throws IOException {
        long left = headers(e);
        while (left > 0) {
            if (fill == BUFFER) drain();
            int n = content.read(buf, fill, (int) Math.min(BUFFER - fill, left));
            if (n < 0) throw shorter(e);
            fill += n;
            left -= n;
        }
        pad(e);
    }

    /** Adds one member; {@code content} supplies exactly {@code e.size()} bytes for regular files (read into the buffer). */
    public void add(TarEntry e, ReadableByteChannel content) throws IOException {
        long left = headers(e);
        while (left > 0) {
            if (fill == BUFFER) drain();
            view.limit((int) Math.min(BUFFER, fill + left)).position(fill);
            int n = content.read(view);
            if (n < 0) throw shorter(e);
            fill += n;
            left -= n;
        }
        pad(e);
    }

    private static IOException shorter(TarEntry e) {
        return new IOException(e.path() + ": content shorter than its size " + e.size());
    }

    /** Writes the PAX and ustar headers of {@code e}; returns the content size that must follow. */
    private long headers(TarEntry e) throws IOException {
        String path = e.path();
        if (e.type() == TarEntry.Type.DIR && !path.endsWith("/")) path += "/";
        long mtime = clampEpoch >= 0 ? Math.min(e.mtime(), clampEpoch) : e.mtime();
        long size = e.type() == TarEntry.Type.FILE ? e.size() : 0;
        byte[] pathBytes = path.getBytes(StandardCharsets.UTF_8);
        byte[] linkBytes = e.linkTarget().isEmpty() ? NONE : e.linkTarget().getBytes(StandardCharsets.UTF_8);

        paxLength = 0;
        if (pathBytes.length > 100 || !isAscii(pathBytes)) record("path", pathBytes);
        if (linkBytes.length > 100 || !isAscii(linkBytes)) record("linkpath", linkBytes);
        if (e.uid() > MAX_OCTAL7) record("uid", ascii(Long.toString(e.uid())));
        if (e.gid() > MAX_OCTAL7) record("gid", ascii(Long.toString(e.gid())));
        if (size > MAX_OCTAL11) record("size", ascii(Long.toString(size)));
        if (mtime < 0 || mtime > MAX_OCTAL11) record("mtime", ascii(Long.toString(mtime)));
        if (e.devMajor() > MAX_OCTAL7) record("SCHILY.devmajor", ascii(Integer.toString(e.devMajor())));
        if (e.devMinor() > MAX_OCTAL7) record("SCHILY.devminor", ascii(Integer.toString(e.devMinor())));
        for (Map.Entry<String, byte[]> x : e.xattrs().entrySet()) {
            record("SCHILY.xattr." + x.getKey(), x.getValue());
        }
        long headerMtime = Math.max(0, Math.min(mtime, MAX_OCTAL11));
        if (paxLength > 0) {
            header(PAX_NAME, 0644, 0, 0, paxLength, headerMtime, (byte) 'x', NONE, 0, 0);
            put(pax, 0, paxLength); // not counted in written: the end padding has always been computed so
            pad(paxLength);
        }
        byte flag = switch (e.type()) {
            case FILE -> '0';
            case HARDLINK -> '1';
            case SYMLINK -> '2';
            case CHAR -> '3';
            case BLOCK -> '4';
            case DIR -> '5';
            case FIFO -> '6';
        };
        header(pathBytes, e.mode() & 07777, e.uid(), e.gid(), size, headerMtime, flag, linkBytes, e.devMajor(),
                e.devMinor());
        written += size;
        return size;
    }

    private void pad(TarEntry e) throws IOException {
        if (e.type() == TarEntry.Type.FILE) pad(e.size());
    }

    /**
     * A plain ustar header for a regular file of a short ASCII name (at most 100 bytes), for writers
     * that patch the header in once the size is known.
     */
    public static byte[] fileHeader(String name, int mode, long size, long mtime) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        if (n.length > 100 || !isAscii(n) || size > MAX_OCTAL11) throw new IllegalArgumentException("not a plain ustar member: " + name);
        byte[] h = new byte[BLOCK];
        header(h, 0, n, mode, 0, 0, size, mtime, (byte) '0', NONE, 0, 0);
        return h;
    }

    private void header(byte[] name, int mode, long uid, long gid, long size, long mtime, byte flag,
                        byte[] link, int major, int minor) throws IOException {
        if (BUFFER - fill < BLOCK) drain();
        java.util.Arrays.fill(buf, fill, fill + BLOCK, (byte) 0);
        header(buf, fill, name, mode, uid, gid, size, mtime, flag, link, major, minor);
        fill += BLOCK;
        written += BLOCK;
    }

    /** Fills the zeroed block at {@code h[o..o+512)}. */
    private static void header(byte[] h, int o, byte[] name, int mode, long uid, long gid, long size, long mtime,
                               byte flag, byte[] link, int major, int minor) {
        System.arraycopy(name, 0, h, o, Math.min(100, name.length));
        octal(h, o + 100, 8, mode);
        octal(h, o + 108, 8, Math.min(uid, MAX_OCTAL7));
        octal(h, o + 116, 8, Math.min(gid, MAX_OCTAL7));
        octal(h, o + 124, 12, Math.min(size, MAX_OCTAL11));
        octal(h, o + 136, 12, mtime);
        h[o + 156] = flag;
        System.arraycopy(link, 0, h, o + 157, Math.min(100, link.length));
        System.arraycopy(MAGIC, 0, h, o + 257, 8);
        octal(h, o + 329, 8, Math.min(major, MAX_OCTAL7));
        octal(h, o + 337, 8, Math.min(minor, MAX_OCTAL7));
        for (int i = 148; i < 156; i++) h[o + i] = ' ';
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) sum += h[o + i] & 0xFF;
        // at most 512 * 255, six octal digits
        for (int i = 5; i >= 0; i--, sum >>>= 3) h[o + 148 + i] = (byte) ('0' + (sum & 7));
        h[o + 154] = 0;
        h[o + 155] = ' ';
    }

    /** {@code len - 1} zero-padded octal digits and a NUL; of a longer number, its first digits. */
    private static void octal(byte[] h, int off, int len, long v) {
        int digits = len - 1;
        if (v >= 0 && v >>> (3 * digits) == 0) {
            for (int i = digits - 1; i >= 0; i--, v >>>= 3) h[off + i] = (byte) ('0' + (v & 7));
        } else {
            System.arraycopy(ascii(Long.toOctalString(v)), 0, h, off, digits); // negative: 22 digits
        }
        h[off + digits] = 0;
    }

    /** A PAX record "LEN key=value\n" where LEN counts the whole record including itself. */
    private void record(String key, byte[] value) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        int body = 1 + k.length + 1 + value.length + 1;
        int len = body + 1;
        while (Integer.toString(len).length() + body != len) len = Integer.toString(len).length() + body;
        byte[] l = ascii(Integer.toString(len));
        if (pax.length - paxLength < len) pax = java.util.Arrays.copyOf(pax, Math.max(2 * pax.length, paxLength + len));
        System.arraycopy(l, 0, pax, paxLength, l.length);
        int p = paxLength + l.length;
        pax[p++] = ' ';
        System.arraycopy(k, 0, pax, p, k.length);
        p += k.length;
        pax[p++] = '=';
        System.arraycopy(value, 0, pax, p, value.length);
        p += value.length;
        pax[p++] = '\n';
        paxLength = p;
    }

    private void put(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            if (fill == BUFFER) drain();
            int n = Math.min(len, BUFFER - fill);
            System.arraycopy(b, off, buf, fill, n);
            fill += n;
            off += n;
            len -= n;
        }
    }

    /** Zeros up to the next block boundary after {@code size} bytes. */
    private void pad(long size) throws IOException {
        zeros((int) ((BLOCK - size % BLOCK) % BLOCK));
    }

    private void zeros(int n) throws IOException {
        written += n;
        while (n > 0) {
            if (fill == BUFFER) drain();
            int k = Math.min(n, BUFFER - fill);
            java.util.Arrays.fill(buf, fill, fill + k, (byte) 0);
            fill += k;
            n -= k;
        }
    }

    /** Hands the buffer to the stream below. */
    private void drain() throws IOException {
        if (fill == 0) return;
        out.write(buf, 0, fill);
        fill = 0;
    }

    private static boolean isAscii(byte[] b) {
        for (byte x : b) if (x < 0x20) return false;
        return true;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** Writes the end-of-archive marker and pads to a whole record, as GNU tar does. */
    public void finish() throws IOException {
        if (finished) return;
        finished = true;
        zeros(2 * BLOCK);
        zeros((int) ((RECORD - written % RECORD) % RECORD));
        drain();
        out.flush();
    }

    @Override
    public void close() throws IOException {
        finish();
        out.close();
    }
}

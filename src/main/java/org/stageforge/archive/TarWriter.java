package org.stageforge.archive;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Deterministic PAX archive writer: entries in the order given (callers sort), numeric owners
 * only (uname/gname empty), whole-second mtimes clamped to SOURCE_DATE_EPOCH, no atime/ctime,
 * binary extended attributes as {@code SCHILY.xattr.*} records. The same entries and contents
 * always give the same bytes.
 */
public final class TarWriter implements Closeable {
    private static final int BLOCK = 512;
    private static final int RECORD = 20 * BLOCK;
    private static final String PAX_NAME = "././@PaxHeader";
    private static final long MAX_OCTAL7 = 07777777L;
    private static final long MAX_OCTAL11 = 077777777777L;

    private final OutputStream out;
    private final long clampEpoch;
    private final byte[] copyBuffer = new byte[1 << 16];
    private long written;
    private boolean finished;

    /** @param sourceDateEpoch mtimes later than this are clamped to it; negative to keep mtimes */
    public TarWriter(OutputStream out, long sourceDateEpoch) {
        this.out = out;
        this.clampEpoch = sourceDateEpoch;
    }

    /** Adds one member; {@code content} supplies exactly {@code e.size()} bytes for regular files. */
    public void add(TarEntry e, InputStream content) throws IOException {
        String path = e.path();
        if (e.type() == TarEntry.Type.DIR && !path.endsWith("/")) path += "/";
        long mtime = clampEpoch >= 0 ? Math.min(e.mtime(), clampEpoch) : e.mtime();
        long size = e.type() == TarEntry.Type.FILE ? e.size() : 0;
        byte[] pathBytes = path.getBytes(StandardCharsets.UTF_8);
        byte[] linkBytes = e.linkTarget().getBytes(StandardCharsets.UTF_8);

        ByteArrayOutputStream pax = new ByteArrayOutputStream();
        if (pathBytes.length > 100 || !isAscii(pathBytes)) record(pax, "path", pathBytes);
        if (linkBytes.length > 100 || !isAscii(linkBytes)) record(pax, "linkpath", linkBytes);
        if (e.uid() > MAX_OCTAL7) record(pax, "uid", ascii(Long.toString(e.uid())));
        if (e.gid() > MAX_OCTAL7) record(pax, "gid", ascii(Long.toString(e.gid())));
        if (size > MAX_OCTAL11) record(pax, "size", ascii(Long.toString(size)));
        if (mtime < 0 || mtime > MAX_OCTAL11) record(pax, "mtime", ascii(Long.toString(mtime)));
        if (e.devMajor() > MAX_OCTAL7) record(pax, "SCHILY.devmajor", ascii(Integer.toString(e.devMajor())));
        if (e.devMinor() > MAX_OCTAL7) record(pax, "SCHILY.devminor", ascii(Integer.toString(e.devMinor())));
        for (Map.Entry<String, byte[]> x : e.xattrs().entrySet()) {
            record(pax, "SCHILY.xattr." + x.getKey(), x.getValue());
        }
        if (pax.size() > 0) {
            byte[] data = pax.toByteArray();
            writeHeader(ascii(PAX_NAME), 0644, 0, 0, data.length, Math.max(0, Math.min(mtime, MAX_OCTAL11)), (byte) 'x',
                    new byte[0], 0, 0);
            out.write(data);
            pad(data.length);
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
        writeHeader(pathBytes, e.mode() & 07777, e.uid(), e.gid(), size, Math.max(0, Math.min(mtime, MAX_OCTAL11)), flag,
                linkBytes, e.devMajor(), e.devMinor());
        if (size > 0) {
            long left = size;
            while (left > 0) {
                int n = content.read(copyBuffer, 0, (int) Math.min(copyBuffer.length, left));
                if (n < 0) throw new IOException(e.path() + ": content shorter than its size " + size);
                out.write(copyBuffer, 0, n);
                left -= n;
            }
            written += size;
            pad(size);
        }
    }

    /**
     * A plain ustar header for a regular file of a short ASCII name (at most 100 bytes), for writers
     * that patch the header in once the size is known.
     */
    public static byte[] fileHeader(String name, int mode, long size, long mtime) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        if (n.length > 100 || !isAscii(n) || size > MAX_OCTAL11) throw new IllegalArgumentException("not a plain ustar member: " + name);
        return header(n, mode, 0, 0, size, mtime, (byte) '0', new byte[0], 0, 0);
    }

    private void writeHeader(byte[] name, int mode, long uid, long gid, long size, long mtime, byte flag,
                             byte[] link, int major, int minor) throws IOException {
        out.write(header(name, mode, uid, gid, size, mtime, flag, link, major, minor));
        written += BLOCK;
    }

    private static byte[] header(byte[] name, int mode, long uid, long gid, long size, long mtime, byte flag,
                                 byte[] link, int major, int minor) {
        byte[] h = new byte[BLOCK];
        System.arraycopy(name, 0, h, 0, Math.min(100, name.length));
        octal(h, 100, 8, mode);
        octal(h, 108, 8, Math.min(uid, MAX_OCTAL7));
        octal(h, 116, 8, Math.min(gid, MAX_OCTAL7));
        octal(h, 124, 12, Math.min(size, MAX_OCTAL11));
        octal(h, 136, 12, mtime);
        h[156] = flag;
        System.arraycopy(link, 0, h, 157, Math.min(100, link.length));
        System.arraycopy(ascii("ustar\0" + "00"), 0, h, 257, 8);
        octal(h, 329, 8, Math.min(major, MAX_OCTAL7));
        octal(h, 337, 8, Math.min(minor, MAX_OCTAL7));
        for (int i = 148; i < 156; i++) h[i] = ' ';
        long sum = 0;
        for (byte b : h) sum += b & 0xFF;
        String ck = String.format("%06o", sum);
        System.arraycopy(ascii(ck), 0, h, 148, 6);
        h[154] = 0;
        h[155] = ' ';
        return h;
    }

    private static void octal(byte[] h, int off, int len, long v) {
        String s = Long.toOctalString(v);
        int digits = len - 1;
        StringBuilder sb = new StringBuilder(digits);
        for (int i = s.length(); i < digits; i++) sb.append('0');
        sb.append(s);
        System.arraycopy(ascii(sb.toString()), 0, h, off, digits);
        h[off + digits] = 0;
    }

    /** A PAX record "LEN key=value\n" where LEN counts the whole record including itself. */
    private static void record(ByteArrayOutputStream pax, String key, byte[] value) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        int body = 1 + k.length + 1 + value.length + 1;
        int len = body + 1;
        while (Integer.toString(len).length() + body != len) len = Integer.toString(len).length() + body;
        pax.writeBytes(ascii(len + " "));
        pax.writeBytes(k);
        pax.write('=');
        pax.writeBytes(value);
        pax.write('\n');
    }

    private void pad(long size) throws IOException {
        int p = (int) ((BLOCK - size % BLOCK) % BLOCK);
        if (p > 0) out.write(new byte[p]);
        written += p;
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
        out.write(new byte[2 * BLOCK]);
        written += 2 * BLOCK;
        int p = (int) ((RECORD - written % RECORD) % RECORD);
        out.write(new byte[p]);
        out.flush();
    }

    @Override
    public void close() throws IOException {
        finish();
        out.close();
    }
}

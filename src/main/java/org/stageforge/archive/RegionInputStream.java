package org.stageforge.archive;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * A byte range of a file read with positional reads, so several regions of one open channel can
 * be streamed independently and skipping costs nothing. Ends early only if the file shrank.
 */
public final class RegionInputStream extends InputStream {
    private final FileChannel channel;
    private final long end;
    private long pos;

    public RegionInputStream(FileChannel channel, long offset, long length) {
        this.channel = channel;
        this.pos = offset;
        this.end = offset + length;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (pos >= end) return -1;
        if (len == 0) return 0;
        int n = channel.read(ByteBuffer.wrap(b, off, (int) Math.min(len, end - pos)), pos);
        if (n <= 0) return -1;
        pos += n;
        return n;
    }

    @Override
    public long skip(long n) {
        long s = Math.max(0, Math.min(n, end - pos));
        pos += s;
        return s;
    }

    @Override
    public int available() {
        return (int) Math.min(Integer.MAX_VALUE, end - pos);
    }

    /** The first {@code n} bytes of the region (fewer if it is shorter), without consuming them. */
    public static byte[] head(FileChannel channel, long offset, long length, int n) throws IOException {
        int want = (int) Math.min(n, length);
        ByteBuffer buf = ByteBuffer.allocate(want);
        while (buf.hasRemaining()) {
            if (channel.read(buf, offset + buf.position()) <= 0) break;
        }
        byte[] out = new byte[buf.position()];
        buf.flip().get(out);
        return out;
    }
}

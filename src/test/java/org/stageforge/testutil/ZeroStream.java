package org.stageforge.testutil;

import java.io.InputStream;
import java.util.Arrays;

/** {@code n} zero bytes without allocating them: content for decompression-bomb and large-member tests. */
public final class ZeroStream extends InputStream {
    private long left;

    public ZeroStream(long n) {
        left = n;
    }

    @Override
    public int read() {
        return left-- > 0 ? 0 : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (left <= 0) return -1;
        int n = (int) Math.min(len, left);
        Arrays.fill(b, off, off + n, (byte) 0);
        left -= n;
        return n;
    }
}

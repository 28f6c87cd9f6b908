package org.stageforge.archive;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Fails once more than a budget of bytes was read: the guard against decompression bombs. */
public final class LimitedInputStream extends FilterInputStream {
    private final long budget;
    private final String what;
    private long count;

    public LimitedInputStream(InputStream in, long budget, String what) {
        super(in);
        this.budget = budget;
        this.what = what;
    }

    @Override
    public int read() throws IOException {
        int b = in.read();
        if (b >= 0) add(1);
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0) add(n);
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long s = in.skip(n);
        if (s > 0) add(s);
        return s;
    }

    private void add(long n) {
        count += n;
        if (count > budget) {
            throw new StageforgeException(what + ": decompressed size exceeds " + budget
                    + " bytes (decompression bomb?)", ExitCodes.VERIFY, null);
        }
    }

    public long count() {
        return count;
    }
}

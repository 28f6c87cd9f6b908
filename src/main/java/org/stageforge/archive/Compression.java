package org.stageforge.archive;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.apache.commons.compress.compressors.lz4.FramedLZ4CompressorInputStream;
import org.apache.commons.compress.compressors.lz4.FramedLZ4CompressorOutputStream;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZInputStream;
import org.tukaani.xz.XZOutputStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/** Compression formats of binary package payloads, detected by their magic bytes. */
public enum Compression {
    ZSTD("zst"), BZIP2("bz2"), XZ("xz"), GZIP("gz"), LZ4("lz4"), NONE("");

    /** Bytes {@link #detect} needs to look at. */
    public static final int MAGIC_LENGTH = 6;
    /** Fixed zstd level: output must not depend on the caller's environment. */
    public static final int ZSTD_LEVEL = 3;
    private static final int BUFFER = 1 << 17;

    private final String extension;

    Compression(String extension) {
        this.extension = extension;
    }

    /** File name suffix without dot ("zst"), empty for {@link #NONE}. */
    public String extension() {
        return extension;
    }

    /** The compression of a stream starting with {@code head} (at least the first bytes available). */
    public static Compression detect(byte[] head, int len) {
        if (starts(head, len, 0x28, 0xB5, 0x2F, 0xFD)) return ZSTD;
        if (starts(head, len, 'B', 'Z', 'h')) return BZIP2;
        if (starts(head, len, 0xFD, '7', 'z', 'X', 'Z', 0)) return XZ;
        if (starts(head, len, 0x1F, 0x8B)) return GZIP;
        if (starts(head, len, 0x04, 0x22, 0x4D, 0x18)) return LZ4;
        return NONE;
    }

    /** The compression named by a file name suffix such as "image.tar.zst", or null when none matches. */
    public static Compression fromFileName(String name) {
        if (name.endsWith(".tar")) return NONE;
        for (Compression c : values()) {
            if (c != NONE && name.endsWith(".tar." + c.extension)) return c;
        }
        return null;
    }

    private static boolean starts(byte[] head, int len, int... magic) {
        if (len < magic.length) return false;
        for (int i = 0; i < magic.length; i++) {
            if ((head[i] & 0xFF) != magic[i]) return false;
        }
        return true;
    }

    /** A decompressing stream over {@code in} (which it closes on close). */
    public InputStream decompress(InputStream in) throws IOException {
        return switch (this) {
            case ZSTD -> new ZstdInputStreamNoFinalizer(in);
            case BZIP2 -> new BZip2CompressorInputStream(in, true);
            case XZ -> new XZInputStream(in);
            case GZIP -> new GZIPInputStream(in, BUFFER);
            case LZ4 -> new FramedLZ4CompressorInputStream(in, true);
            case NONE -> in;
        };
    }

    /**
     * A compressing stream over {@code out} whose output depends only on the input: fixed level,
     * zstd always with at least one worker (zstd's output differs between 0 and 1+ workers but not
     * between worker counts), gzip with mtime 0 and no name.
     */
    public OutputStream compress(OutputStream out) throws IOException {
        return switch (this) {
            case ZSTD -> {
                ZstdOutputStreamNoFinalizer z = new ZstdOutputStreamNoFinalizer(out, ZSTD_LEVEL);
                z.setWorkers(Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors())));
                z.setChecksum(true);
                yield z;
            }
            case BZIP2 -> new BZip2CompressorOutputStream(out, 9);
            case XZ -> new XZOutputStream(out, new LZMA2Options(6));
            case GZIP -> new GZIPOutputStream(out, BUFFER);
            case LZ4 -> new FramedLZ4CompressorOutputStream(out);
            case NONE -> out;
        };
    }
}

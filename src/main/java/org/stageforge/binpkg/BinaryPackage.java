package org.stageforge.binpkg;

import org.stageforge.ExitCodes;
import org.stageforge.ParseException;
import org.stageforge.StageforgeException;
import org.stageforge.archive.Compression;
import org.stageforge.archive.ExtractPolicy;
import org.stageforge.archive.ExtractedFile;
import org.stageforge.archive.LimitedInputStream;
import org.stageforge.archive.MemberRules;
import org.stageforge.archive.PathSanitizer;
import org.stageforge.archive.RegionInputStream;
import org.stageforge.archive.SafeExtractor;
import org.stageforge.archive.TarEntry;
import org.stageforge.archive.TarLimits;
import org.stageforge.archive.TarReader;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Gentoo binary package, XPAK ({@code .xpak}, legacy {@code .tbz2}) or GPKG (GLEP 78,
 * {@code .gpkg.tar}). Everything is streamed from the file; nothing is written to temporary files.
 * Malformed or hostile content raises {@link ParseException} (exit 3) or a
 * {@link StageforgeException} with {@link ExitCodes#VERIFY}.
 */
public abstract sealed class BinaryPackage implements Closeable permits XpakPackage, GpkgPackage {
    public enum Format { XPAK, GPKG }

    static final int STREAM_BUFFER = 1 << 16;

    protected final Path file;
    protected final String name;
    protected final FileChannel channel;
    protected final long fileSize;
    protected final TarLimits limits;
    /** While {@link #streamImageMd5} runs: hashes the image's compressed bytes as the decompressor reads them. */
    private FileTap tap;

    BinaryPackage(Path file, FileChannel channel, TarLimits limits) throws IOException {
        this.file = file;
        this.name = file.getFileName() == null ? file.toString() : file.getFileName().toString();
        this.channel = channel;
        this.fileSize = channel.size();
        this.limits = limits;
    }

    /** Opens a package, detecting its format from its content. */
    public static BinaryPackage open(Path file) {
        return open(file, TarLimits.DEFAULT);
    }

    public static BinaryPackage open(Path file, TarLimits limits) {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new StageforgeException(file + ": no such file", ExitCodes.NOT_FOUND, e);
        } catch (IOException e) {
            throw new StageforgeException(file + ": cannot open: " + org.stageforge.util.IoErrors.reason(file, e), e);
        }
        try {
            long size = ch.size();
            byte[] tail = RegionInputStream.head(ch, Math.max(0, size - 16), Math.min(16, size), 16);
            if (tail.length == 16 && new String(tail, 0, 8, StandardCharsets.ISO_8859_1).equals("XPAKSTOP")
                    && new String(tail, 12, 4, StandardCharsets.ISO_8859_1).equals("STOP")) {
                return new XpakPackage(file, ch, limits);
            }
            byte[] head = RegionInputStream.head(ch, 0, size, 512);
            if (head.length == 512 && new String(head, 257, 5, StandardCharsets.ISO_8859_1).equals("ustar")) {
                return new GpkgPackage(file, ch, limits);
            }
            throw new ParseException(file.toString(), 0, 0, "not a binary package (neither XPAK nor GPKG)");
        } catch (RuntimeException | IOException e) {
            closeQuietly(ch);
            throw wrap(file.toString(), "", e);
        }
    }

    public abstract Format format();

    /** Compression of the image payload. */
    public abstract Compression compression();

    public abstract PackageMetadata metadata();

    public Path file() {
        return file;
    }

    /**
     * Streams the image: every member in archive order with its path normalized ({@code ./usr/bin/foo})
     * and, for regular files, its content.
     */
    public final void streamImage(ImageVisitor visitor) {
        try (InputStream raw = openImage()) {
            TarReader tar = new TarReader(raw, name + ": " + imageMemberName(), limits);
            TarEntry e;
            while ((e = tar.next()) != null) {
                TarEntry n = normalizeImageEntry(e);
                if (n == null) continue;
                try {
                    visitor.visit(n, tar.content());
                } catch (IOException ex) {
                    throw new StageforgeException(name + ": " + n.path() + ": " + ex.getMessage(), ex);
                } catch (UncheckedIOException ex) {
                    throw new StageforgeException(name + ": " + n.path() + ": " + ex.getCause().getMessage(), ex);
                }
            }
        } catch (IOException | RuntimeException ex) {
            throw wrap(name, imageMemberName() + ": ", ex);
        }
    }

    /**
     * Streams the image as {@link #streamImage} does and returns the MD5 of the whole package file (Portage's
     * BINPKGMD5), computed from the very reads that feed the decompressor plus the bytes around the image: the file
     * is not read a second time for it.
     */
    public final String streamImageMd5(ImageVisitor visitor) {
        MessageDigest md = org.stageforge.util.Hashes.of("MD5");
        long start = imageOffset();
        try {
            hashRange(md, 0, start);
            tap = new FileTap(md, start);
            try {
                streamImage(visitor);
            } finally {
                tap = null;
            }
            // what the decompressor left unread (and the file's tail after the image)
            hashRange(md, start + tapRead, fileSize);
        } catch (IOException e) {
            throw wrap(name, "", e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private long tapRead;

    private void hashRange(MessageDigest md, long from, long to) throws IOException {
        try (InputStream in = new RegionInputStream(channel, from, to - from)) {
            byte[] buf = new byte[STREAM_BUFFER];
            int n;
            while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
        }
    }

    /** The raw image region, hashing what passes (skips included) in file order. */
    private final class FileTap extends java.io.FilterInputStream {
        private final MessageDigest md;
        final long start;

        FileTap(MessageDigest md, long start) {
            super(null);
            this.md = md;
            this.start = start;
            tapRead = 0;
        }

        InputStream wrap(InputStream region) {
            in = region;
            return this;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                md.update((byte) b);
                tapRead++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                md.update(b, off, n);
                tapRead += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] buf = new byte[(int) Math.min(n, STREAM_BUFFER)];
            long done = 0;
            while (done < n) {
                int r = read(buf, 0, (int) Math.min(buf.length, n - done));
                if (r <= 0) break;
                done += r;
            }
            return done;
        }

        @Override
        public boolean markSupported() {
            return false;
        }
    }

    /** The image listing (paths as {@link #streamImage} gives them). */
    public final List<TarEntry> entries() {
        List<TarEntry> out = new ArrayList<>();
        streamImage((e, in) -> out.add(e));
        return out;
    }

    /**
     * Verifies the package: against the index entry's checksums when given, and for GPKG every
     * Manifest line and, with a keyring, the signatures. Throws with exit code {@link ExitCodes#VERIFY}
     * naming the member at fault.
     */
    public final VerifyReport verify(IndexEntryChecks index, VerifyOptions options) {
        List<String> checks = new ArrayList<>();
        List<String> signers = new ArrayList<>();
        try {
            if (index != null && !index.isEmpty()) {
                verifyIndex(index);
                checks.add("index: " + String.join(", ", index.keys().keySet()));
            }
            verifyContent(options == null ? VerifyOptions.CHECKSUMS_ONLY : options, checks, signers);
        } catch (IOException | RuntimeException e) {
            throw wrap(name, "", e);
        }
        return new VerifyReport(checks, signers);
    }

    /**
     * Streams the image through the checks extraction and merging apply (paths, control characters, member order:
     * {@link MemberRules}) without writing anything; returns the number of members. Refusals have exit code 4.
     */
    public final int checkImage() {
        MemberRules rules = new MemberRules(name);
        int[] count = {0};
        streamImage((e, in) -> {
            TarEntry n = e.withPath(PathSanitizer.normalize(e.path(), name));
            if (e.type() == TarEntry.Type.HARDLINK) n = n.withLinkTarget(PathSanitizer.normalize(e.linkTarget(), name));
            rules.check(n);
            count[0]++;
        });
        return count[0];
    }

    /** Extracts the image into {@code target} (which must exist) safely; returns the file table. */
    public final List<ExtractedFile> extract(Path target, ExtractPolicy policy) {
        try {
            SafeExtractor x = new SafeExtractor(target, policy, name);
            streamImage(x::accept);
            return x.finish();
        } catch (IOException e) {
            throw new StageforgeException(name + ": extracting into " + target + ": " + org.stageforge.util.IoErrors.describe(e), e);
        }
    }

    private void verifyIndex(IndexEntryChecks index) throws IOException {
        Map<String, String> want = index.keys();
        if (want.containsKey("SIZE")) {
            long size;
            try {
                size = Long.parseLong(want.get("SIZE"));
            } catch (NumberFormatException e) {
                throw new ParseException("Packages index", 0, 0, "bad SIZE '" + want.get("SIZE") + "'");
            }
            if (size != fileSize) {
                throw new StageforgeException(name + ": SIZE mismatch against the index (index " + size + ", file "
                        + fileSize + ")", ExitCodes.VERIFY, null);
            }
        }
        List<String> names = want.keySet().stream().filter(Digests::supported).toList();
        if (names.isEmpty()) return;
        Digests d = new Digests(names).consume(new RegionInputStream(channel, 0, fileSize));
        String bad = Digests.firstMismatch(want, d.hex());
        if (bad != null) {
            throw new StageforgeException(name + ": " + bad + " mismatch against the index", ExitCodes.VERIFY, null);
        }
    }

    abstract void verifyContent(VerifyOptions options, List<String> checks, List<String> signers) throws IOException;

    /** The decompressed image tar stream, bounded against decompression bombs. */
    abstract InputStream openImage() throws IOException;

    /** Offset of the (compressed) image in the file. */
    abstract long imageOffset();

    /** Member name used in messages about the image ("image.tar.zst", "payload"). */
    abstract String imageMemberName();

    /** Path of an image member relative to the image root; null for members outside it that are skipped. */
    abstract List<String> imageComponents(String rawPath);

    private TarEntry normalizeImageEntry(TarEntry e) {
        List<String> comps = imageComponents(e.path());
        if (comps == null) return null;
        TarEntry n = e.withPath(PathSanitizer.display(String.join("/", comps)));
        if (e.type() == TarEntry.Type.HARDLINK) {
            List<String> t = imageComponents(e.linkTarget());
            if (t == null || t.isEmpty()) {
                throw new StageforgeException(name + ": refused hard link " + n.path() + " to '" + e.linkTarget()
                        + "' outside the image", ExitCodes.VERIFY, null);
            }
            n = n.withLinkTarget(PathSanitizer.display(String.join("/", t)));
        }
        if (e.type() == TarEntry.Type.SYMLINK) PathSanitizer.checkLinkTarget(e.linkTarget(), name + ": " + n.path());
        return n;
    }

    /** Opens a (compressed) tar region as a decompressed stream with bomb protection. */
    InputStream decompressed(long offset, long length, Compression c, String what) throws IOException {
        InputStream region = new RegionInputStream(channel, offset, length);
        if (tap != null && offset == tap.start) region = tap.wrap(region);
        if (c == Compression.NONE) return new BufferedInputStream(region, STREAM_BUFFER);
        InputStream dec = c.decompress(c == Compression.ZSTD ? region : new BufferedInputStream(region, STREAM_BUFFER));
        return new BufferedInputStream(new LimitedInputStream(dec, limits.uncompressedBudget(length), name + ": " + what),
                STREAM_BUFFER);
    }

    Compression detect(long offset, long length) throws IOException {
        byte[] h = RegionInputStream.head(channel, offset, length, Compression.MAGIC_LENGTH);
        return Compression.detect(h, h.length);
    }

    /** Project exceptions pass; library and I/O errors become a one-line ParseException about the file. */
    static StageforgeException wrap(String file, String what, Throwable e) {
        if (e instanceof StageforgeException se) return se;
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (e instanceof UncheckedIOException u && u.getCause() != null) msg = u.getCause().getMessage();
        return new ParseException(file, 0, 0, what + "corrupt or truncated data: " + msg.strip().replace('\n', ' '), e);
    }

    static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // nothing useful to do about a failing close of a read-only file
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }
}

package org.stageforge.binpkg;

import org.stageforge.ParseException;
import org.stageforge.archive.Compression;
import org.stageforge.archive.PathSanitizer;
import org.stageforge.archive.RegionInputStream;
import org.stageforge.archive.TarLimits;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * XPAK package: a compressed tar payload followed by the XPAK segment
 * ({@code XPAKPACK} index-length data-length index data {@code XPAKSTOP}), its 4-byte length and
 * {@code STOP}.
 */
public final class XpakPackage extends BinaryPackage {
    /** Larger XPAK segments are refused (the biggest real ones hold a few MiB of environment). */
    static final int MAX_XPAK = 256 << 20;

    private final long payloadLength;
    private final Compression compression;
    private final PackageMetadata metadata;

    XpakPackage(Path file, FileChannel channel, TarLimits limits) throws IOException {
        super(file, channel, limits);
        byte[] len = RegionInputStream.head(channel, fileSize - 8, 4, 4);
        long xpakLen = ByteBuffer.wrap(len).getInt() & 0xFFFFFFFFL;
        if (xpakLen < 24 || xpakLen > fileSize - 8 || xpakLen > MAX_XPAK) {
            throw error("bad XPAK segment length " + xpakLen);
        }
        payloadLength = fileSize - 8 - xpakLen;
        byte[] seg = RegionInputStream.head(channel, payloadLength, xpakLen, (int) xpakLen);
        metadata = new PackageMetadata(parse(seg));
        compression = detect(0, payloadLength);
    }

    /** Parses an XPAK segment into its keys and values. */
    Map<String, byte[]> parse(byte[] seg) {
        ByteBuffer b = ByteBuffer.wrap(seg);
        if (!new String(seg, 0, 8, StandardCharsets.ISO_8859_1).equals("XPAKPACK")
                || !new String(seg, seg.length - 8, 8, StandardCharsets.ISO_8859_1).equals("XPAKSTOP")) {
            throw error("XPAK segment without XPAKPACK/XPAKSTOP markers");
        }
        long indexLen = b.getInt(8) & 0xFFFFFFFFL;
        long dataLen = b.getInt(12) & 0xFFFFFFFFL;
        if (16 + indexLen + dataLen + 8 != seg.length) throw error("XPAK index/data lengths do not add up");
        int dataStart = (int) (16 + indexLen);
        Map<String, byte[]> out = new LinkedHashMap<>();
        int p = 16;
        while (p < dataStart) {
            if (p + 4 > dataStart) throw error("truncated XPAK index");
            long nameLen = b.getInt(p) & 0xFFFFFFFFL;
            if (nameLen == 0 || p + 4 + nameLen + 8 > dataStart) throw error("bad XPAK index entry at " + (p - 16));
            String key = new String(seg, p + 4, (int) nameLen, StandardCharsets.UTF_8);
            p += 4 + (int) nameLen;
            long off = b.getInt(p) & 0xFFFFFFFFL;
            long len = b.getInt(p + 4) & 0xFFFFFFFFL;
            p += 8;
            if (off + len > dataLen) throw error("XPAK value of " + key + " outside the data area");
            if (out.put(key, java.util.Arrays.copyOfRange(seg, dataStart + (int) off, dataStart + (int) (off + len))) != null) {
                throw error("duplicate XPAK key " + key);
            }
        }
        return out;
    }

    private ParseException error(String reason) {
        return new ParseException(file.toString(), 0, 0, reason);
    }

    @Override
    public Format format() {
        return Format.XPAK;
    }

    @Override
    public Compression compression() {
        return compression;
    }

    @Override
    public PackageMetadata metadata() {
        return metadata;
    }

    /** Length of the compressed tar payload in front of the XPAK segment. */
    public long payloadLength() {
        return payloadLength;
    }

    @Override
    void verifyContent(VerifyOptions options, List<String> checks, List<String> signers) {
        if (options.requireSignature()) {
            throw new org.stageforge.StageforgeException(name + ": XPAK packages carry no signature",
                    org.stageforge.ExitCodes.VERIFY, null);
        }
        checks.add("xpak: " + metadata.keys().size() + " keys");
    }

    @Override
    InputStream openImage() throws IOException {
        return decompressed(0, payloadLength, compression, "payload");
    }

    @Override
    long imageOffset() {
        return 0;
    }

    @Override
    String imageMemberName() {
        return "payload";
    }

    @Override
    List<String> imageComponents(String rawPath) {
        return PathSanitizer.components(rawPath, name);
    }
}

package org.stageforge.binpkg;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.archive.TarEntry;
import org.stageforge.archive.TarWriter;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Writes XPAK packages: a compressed tar payload followed by the XPAK metadata segment (keys sorted). */
public final class XpakWriter {
    private XpakWriter() {}

    /** The XPAK segment ({@code XPAKPACK} ... {@code XPAKSTOP}) for {@code metadata}. */
    public static byte[] segment(Map<String, byte[]> metadata) {
        ByteArrayOutputStream index = new ByteArrayOutputStream();
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> e : new TreeMap<>(metadata).entrySet()) {
            byte[] k = e.getKey().getBytes(StandardCharsets.UTF_8);
            index.writeBytes(int32(k.length));
            index.writeBytes(k);
            index.writeBytes(int32(data.size()));
            index.writeBytes(int32(e.getValue().length));
            data.writeBytes(e.getValue());
        }
        ByteArrayOutputStream seg = new ByteArrayOutputStream();
        seg.writeBytes("XPAKPACK".getBytes(StandardCharsets.US_ASCII));
        seg.writeBytes(int32(index.size()));
        seg.writeBytes(int32(data.size()));
        seg.writeBytes(index.toByteArray());
        seg.writeBytes(data.toByteArray());
        seg.writeBytes("XPAKSTOP".getBytes(StandardCharsets.US_ASCII));
        return seg.toByteArray();
    }

    /** Copies the compressed tar {@code payload} to {@code out} and appends the XPAK trailer. */
    public static void write(OutputStream out, InputStream payload, Map<String, byte[]> metadata) throws IOException {
        payload.transferTo(out);
        byte[] seg = segment(metadata);
        out.write(seg);
        out.write(int32(seg.length));
        out.write("STOP".getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /**
     * Writes an XPAK package of {@code imageDir} (members named {@code ./path}, with a {@code ./} root
     * as Portage writes them) deterministically; XPAK has no signatures, so a signing key is refused.
     */
    public static void write(Path out, Path imageDir, Map<String, byte[]> metadata, GpkgWriter.Options options)
            throws IOException {
        if (options.signingKey() != null) {
            throw new StageforgeException("XPAK packages cannot be signed; use GPKG", ExitCodes.USAGE, null);
        }
        List<TarEntry> image = new ArrayList<>();
        Map<String, Object> root = Files.readAttributes(imageDir, "unix:mode,lastModifiedTime");
        image.add(TarEntry.of("./", TarEntry.Type.DIR, (Integer) root.get("mode") & 07777, 0, 0, 0,
                ((FileTime) root.get("lastModifiedTime")).toMillis() / 1000, ""));
        image.addAll(GpkgWriter.scanImage(imageDir, options.fileTable(), "./"));
        Path tmp = out.resolveSibling(out.getFileName() + ".partial");
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
            OutputStream keepOpen = new FilterOutputStream(os) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    os.write(b, off, len);
                }

                @Override
                public void close() throws IOException {
                    flush(); // the trailer follows the compressed payload
                }
            };
            try (TarWriter tw = new TarWriter(options.compression().compress(keepOpen), options.sourceDateEpoch())) {
                GpkgWriter.addImage(tw, imageDir, image, "./");
            }
            write(os, InputStream.nullInputStream(), metadata);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static byte[] int32(int v) {
        return ByteBuffer.allocate(4).putInt(v).array();
    }
}

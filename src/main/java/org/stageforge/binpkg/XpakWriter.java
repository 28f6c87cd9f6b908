package org.stageforge.binpkg;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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

    private static byte[] int32(int v) {
        return ByteBuffer.allocate(4).putInt(v).array();
    }
}

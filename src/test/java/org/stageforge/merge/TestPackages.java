package org.stageforge.merge;

import org.stageforge.archive.Compression;
import org.stageforge.archive.TarEntry;
import org.stageforge.archive.TarWriter;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Builds small XPAK binary packages for tests: a zstd PAX tar image plus the XPAK metadata segment. */
final class TestPackages {
    private TestPackages() {}

    static Builder xpak(String category, String pf) {
        return new Builder(category, pf);
    }

    static final class Builder {
        final Map<String, String> meta = new LinkedHashMap<>();
        final Map<String, byte[]> binaryMeta = new LinkedHashMap<>();
        final List<TarEntry> entries = new ArrayList<>();
        final List<byte[]> contents = new ArrayList<>();
        long mtime = 1_700_000_000L;

        Builder(String category, String pf) {
            meta.put("CATEGORY", category);
            meta.put("PF", pf);
            meta.put("SLOT", "0");
            meta.put("EAPI", "8");
            meta.put("BUILD_TIME", Long.toString(mtime));
            meta.put("DEFINED_PHASES", "");
            meta.put("repository", "test");
        }

        Builder meta(String key, String value) {
            meta.put(key, value);
            return this;
        }

        /** A metadata entry stored as is (environment.bz2). */
        Builder meta(String key, byte[] value) {
            binaryMeta.put(key, value.clone());
            return this;
        }

        Builder dir(String path) {
            return dir(path, 0755);
        }

        Builder dir(String path, int mode) {
            return add(TarEntry.of("./" + path + "/", TarEntry.Type.DIR, mode, 0, 0, 0, mtime, ""), new byte[0]);
        }

        Builder file(String path, String text) {
            return file(path, text.getBytes(StandardCharsets.UTF_8), 0644, 0, 0, null);
        }

        Builder file(String path, byte[] data, int mode, long uid, long gid, Map<String, byte[]> xattrs) {
            TarEntry e = new TarEntry("./" + path, TarEntry.Type.FILE, mode, uid, gid, "", "", data.length, mtime, 0, "",
                    0, 0, xattrs == null ? null : new TreeMap<>(xattrs));
            return add(e, data);
        }

        Builder symlink(String path, String target) {
            return add(TarEntry.of("./" + path, TarEntry.Type.SYMLINK, 0777, 0, 0, 0, mtime, target), new byte[0]);
        }

        Builder hardlink(String path, String target) {
            return add(TarEntry.of("./" + path, TarEntry.Type.HARDLINK, 0644, 0, 0, 0, mtime, "./" + target), new byte[0]);
        }

        Builder fifo(String path, int mode) {
            return add(TarEntry.of("./" + path, TarEntry.Type.FIFO, mode, 0, 0, 0, mtime, ""), new byte[0]);
        }

        Builder chardev(String path, int mode, int major, int minor) {
            return add(new TarEntry("./" + path, TarEntry.Type.CHAR, mode, 0, 0, "", "", 0, mtime, 0, "", major, minor,
                    null), new byte[0]);
        }

        /** A raw member name (for hostile names such as "../x"). */
        Builder raw(TarEntry e, byte[] data) {
            return add(e, data);
        }

        private Builder add(TarEntry e, byte[] data) {
            entries.add(e);
            contents.add(data);
            return this;
        }

        Path write(Path dir) throws IOException {
            ByteArrayOutputStream payload = new ByteArrayOutputStream();
            try (OutputStream z = Compression.ZSTD.compress(payload); TarWriter tar = new TarWriter(z, -1)) {
                for (int i = 0; i < entries.size(); i++) {
                    try (InputStream in = new ByteArrayInputStream(contents.get(i))) {
                        tar.add(entries.get(i), in);
                    }
                }
            }
            ByteArrayOutputStream index = new ByteArrayOutputStream(), data = new ByteArrayOutputStream();
            Map<String, byte[]> all = new LinkedHashMap<>();
            meta.forEach((k, v) -> all.put(k, (v + (k.equals("BUILD_ID") ? "" : "\n")).getBytes(StandardCharsets.UTF_8)));
            all.putAll(binaryMeta);
            for (var m : all.entrySet()) {
                byte[] name = m.getKey().getBytes(StandardCharsets.UTF_8);
                byte[] value = m.getValue();
                index.writeBytes(ByteBuffer.allocate(4).putInt(name.length).array());
                index.writeBytes(name);
                index.writeBytes(ByteBuffer.allocate(8).putInt(data.size()).putInt(value.length).array());
                data.writeBytes(value);
            }
            ByteArrayOutputStream seg = new ByteArrayOutputStream();
            seg.writeBytes("XPAKPACK".getBytes(StandardCharsets.US_ASCII));
            seg.writeBytes(ByteBuffer.allocate(8).putInt(index.size()).putInt(data.size()).array());
            seg.writeBytes(index.toByteArray());
            seg.writeBytes(data.toByteArray());
            seg.writeBytes("XPAKSTOP".getBytes(StandardCharsets.US_ASCII));
            Files.createDirectories(dir);
            Path out = dir.resolve(meta.get("PF") + "-1.xpak");
            try (OutputStream o = Files.newOutputStream(out)) {
                o.write(payload.toByteArray());
                o.write(seg.toByteArray());
                o.write(ByteBuffer.allocate(4).putInt(seg.size()).array());
                o.write("STOP".getBytes(StandardCharsets.US_ASCII));
            }
            return out;
        }
    }
}

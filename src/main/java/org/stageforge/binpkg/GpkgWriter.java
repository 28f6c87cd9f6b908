package org.stageforge.binpkg;

import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.archive.Compression;
import org.stageforge.archive.PathSanitizer;
import org.stageforge.archive.TarEntry;
import org.stageforge.archive.TarWriter;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Writes GLEP 78 packages deterministically: the same image, metadata, options and key give the
 * same bytes. Layout as Portage writes it: {@code <PF>/gpkg-1}, {@code metadata.tar.<c>},
 * {@code image.tar.<c>} (members under {@code image/}), optional detached signatures, and a
 * Manifest ({@code DATA name size SHA512 .. BLAKE2B ..}), clear-signed when a key is given.
 * Members are streamed into the output and their headers patched in, with no temporary files.
 */
public final class GpkgWriter {
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    /**
     * @param compression     compression of metadata.tar and image.tar
     * @param sourceDateEpoch image mtimes are clamped to it and archive members dated with it
     * @param signingKey      signs the Manifest and the tar members when not null
     * @param fileTable       owners, modes and xattrs to record for image paths
     */
    public record Options(Compression compression, long sourceDateEpoch, OpenPgp.SigningKey signingKey,
                          FileTable fileTable) {
        public Options {
            if (compression == null) compression = Compression.ZSTD;
            if (fileTable == null) fileTable = FileTable.EMPTY;
        }
    }

    private GpkgWriter() {}

    /**
     * The image members for a directory tree, sorted, named {@code prefix + relative path}, owned by
     * 0:0 unless the file table says otherwise.
     */
    public static List<TarEntry> scanImage(Path imageDir, FileTable table, String prefix) throws IOException {
        List<Path> paths;
        try (Stream<Path> s = Files.walk(imageDir)) {
            paths = s.filter(p -> !p.equals(imageDir)).sorted((a, b) -> imageDir.relativize(a).toString()
                    .compareTo(imageDir.relativize(b).toString())).toList();
        }
        List<TarEntry> out = new ArrayList<>();
        Map<Object, String> seenInodes = new HashMap<>();
        for (Path p : paths) {
            String rel = imageDir.relativize(p).toString();
            Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,size,lastModifiedTime,nlink,ino,dev,rdev",
                    NOFOLLOW);
            int rawMode = (Integer) a.get("mode");
            int fmt = rawMode & 0170000;
            long mtime = ((java.nio.file.attribute.FileTime) a.get("lastModifiedTime")).toMillis() / 1000;
            TarEntry.Type type;
            String link = "";
            long size = 0;
            int major = 0;
            int minor = 0;
            switch (fmt) {
                case 0040000 -> type = TarEntry.Type.DIR;
                case 0120000 -> {
                    type = TarEntry.Type.SYMLINK;
                    link = Files.readSymbolicLink(p).toString();
                }
                case 0100000 -> {
                    type = TarEntry.Type.FILE;
                    size = (Long) a.get("size");
                    if ((Integer) a.get("nlink") > 1) {
                        Object key = List.of(a.get("dev"), a.get("ino"));
                        String first = seenInodes.putIfAbsent(key, rel);
                        if (first != null) {
                            type = TarEntry.Type.HARDLINK;
                            link = prefix + first;
                            size = 0;
                        }
                    }
                }
                case 0010000 -> type = TarEntry.Type.FIFO;
                case 0020000, 0060000 -> {
                    type = fmt == 0020000 ? TarEntry.Type.CHAR : TarEntry.Type.BLOCK;
                    long rdev = (Long) a.get("rdev");
                    major = (int) (((rdev >>> 32) & 0xFFFFF000L) | ((rdev >>> 8) & 0xFFFL));
                    minor = (int) (((rdev >>> 12) & 0xFFFFFF00L) | (rdev & 0xFFL));
                }
                default -> throw new StageforgeException(p + ": sockets cannot be packaged", ExitCodes.BAD_INPUT, null);
            }
            int mode = rawMode & 07777;
            long uid = 0;
            long gid = 0;
            Map<String, byte[]> xattrs = null;
            FileTable.Attributes t = table.get(PathSanitizer.normalize(rel, "image"));
            if (t != null) {
                if (t.mode() != null) mode = t.mode();
                if (t.uid() != null) uid = t.uid();
                if (t.gid() != null) gid = t.gid();
                xattrs = t.xattrs();
            }
            out.add(new TarEntry(prefix + rel, type, mode, uid, gid, "", "", size, mtime, 0, link, major, minor,
                    xattrs == null ? null : new TreeMap<>(xattrs)));
        }
        return out;
    }

    /** Metadata from a directory of VDB-style files (one file per key) or from an existing binary package. */
    public static Map<String, byte[]> loadMetadata(Path dirOrPackage) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        if (Files.isDirectory(dirOrPackage)) {
            try (Stream<Path> s = Files.list(dirOrPackage)) {
                for (Path p : s.sorted().toList()) {
                    if (Files.isRegularFile(p, NOFOLLOW)) out.put(p.getFileName().toString(), Files.readAllBytes(p));
                }
            }
        } else {
            try (BinaryPackage bp = BinaryPackage.open(dirOrPackage)) {
                for (String k : bp.metadata().keys()) out.put(k, bp.metadata().raw(k));
            }
        }
        return out;
    }

    /** Writes {@code out} (via a sibling ".partial" file renamed at the end). */
    public static void write(Path out, Path imageDir, Map<String, byte[]> metadata, Options options) throws IOException {
        byte[] pf = metadata.get("PF");
        if (pf == null) throw new StageforgeException("metadata has no PF: cannot name the package", ExitCodes.BAD_INPUT, null);
        String basename = new String(pf, StandardCharsets.UTF_8).strip();
        PathSanitizer.components(basename, "PF");
        if (basename.isEmpty() || basename.contains("/")) {
            throw new StageforgeException("bad PF '" + basename + "'", ExitCodes.BAD_INPUT, null);
        }
        List<TarEntry> image = scanImage(imageDir, options.fileTable(), "image/");
        long epoch = options.sourceDateEpoch();
        Date sigTime = new Date(epoch * 1000);
        String ext = options.compression() == Compression.NONE ? "" : "." + options.compression().extension();
        Path tmp = out.resolveSibling(out.getFileName() + ".partial");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            Outer outer = new Outer(ch, basename, epoch);
            List<GpkgManifest.Line> manifest = new ArrayList<>();
            manifest.add(outer.member("gpkg-1", new byte[0], null));
            String metaName = "metadata.tar" + ext;
            PGPSignatureGenerator metaSig = signer(options, sigTime);
            manifest.add(outer.streamed(metaName, metaSig, os -> {
                try (TarWriter tw = new TarWriter(options.compression().compress(os), epoch)) {
                    for (Map.Entry<String, byte[]> e : new TreeMap<>(metadata).entrySet()) {
                        PathSanitizer.components(e.getKey(), "metadata key");
                        TarEntry te = TarEntry.of("metadata/" + e.getKey(), TarEntry.Type.FILE, 0644, 0, 0,
                                e.getValue().length, epoch, "");
                        tw.add(te, new ByteArrayInputStream(e.getValue()));
                    }
                }
            }));
            if (metaSig != null) manifest.add(outer.member(metaName + ".sig", OpenPgp.armored(metaSig), null));
            String imageName = "image.tar" + ext;
            PGPSignatureGenerator imageSig = signer(options, sigTime);
            manifest.add(outer.streamed(imageName, imageSig, os -> {
                try (TarWriter tw = new TarWriter(options.compression().compress(os), epoch)) {
                    addImage(tw, imageDir, image, "image/");
                }
            }));
            if (imageSig != null) manifest.add(outer.member(imageName + ".sig", OpenPgp.armored(imageSig), null));
            String text = new GpkgManifest(manifest).format();
            byte[] mf = options.signingKey() == null ? text.getBytes(StandardCharsets.UTF_8)
                    : OpenPgp.clearSign(options.signingKey(), text, sigTime);
            outer.member("Manifest", mf, null);
            outer.finish();
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Adds scanned image members, reading regular files' content from {@code imageDir}. */
    static void addImage(TarWriter tw, Path imageDir, List<TarEntry> image, String prefix) throws IOException {
        for (TarEntry e : image) {
            if (e.type() == TarEntry.Type.FILE) {
                try (InputStream in = Files.newInputStream(imageDir.resolve(e.path().substring(prefix.length())), NOFOLLOW)) {
                    tw.add(e, in);
                }
            } else {
                tw.add(e, InputStream.nullInputStream());
            }
        }
    }

    private static PGPSignatureGenerator signer(Options o, Date time) {
        return o.signingKey() == null ? null : OpenPgp.detachedSigner(o.signingKey(), time);
    }

    interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /** The outer (uncompressed) tar, written member by member with headers patched in. */
    private static final class Outer {
        private final FileChannel ch;
        private final String base;
        private final long mtime;

        Outer(FileChannel ch, String base, long mtime) {
            this.ch = ch;
            this.base = base;
            this.mtime = mtime;
        }

        GpkgManifest.Line member(String name, byte[] data, PGPSignatureGenerator sig) throws IOException {
            return streamed(name, sig, os -> os.write(data));
        }

        GpkgManifest.Line streamed(String name, PGPSignatureGenerator sig, Content content) throws IOException {
            long start = ch.position();
            ch.write(ByteBuffer.allocate(512));
            Digests d = new Digests(GpkgManifest.HASHES);
            OutputStream os = new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    d.update(b, off, len);
                    if (sig != null) sig.update(b, off, len);
                    ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                    while (buf.hasRemaining()) ch.write(buf);
                }

                @Override
                public void close() {
                    // the channel outlives each member
                }
            };
            content.writeTo(os);
            long size = ch.position() - start - 512;
            int pad = (int) ((512 - size % 512) % 512);
            ch.write(ByteBuffer.allocate(pad));
            long end = ch.position();
            ch.write(ByteBuffer.wrap(TarWriter.fileHeader(base + "/" + name, 0644, size, mtime)), start);
            ch.position(end);
            Map<String, String> hex = d.hex();
            Map<String, String> ordered = new LinkedHashMap<>();
            for (String h : GpkgManifest.HASHES) ordered.put(h, hex.get(h));
            return new GpkgManifest.Line(name, size, ordered);
        }

        void finish() throws IOException {
            ch.write(ByteBuffer.allocate(1024));
            long pad = (10240 - ch.position() % 10240) % 10240;
            ch.write(ByteBuffer.allocate((int) pad));
        }
    }
}

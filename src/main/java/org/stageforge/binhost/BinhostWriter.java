package org.stageforge.binhost;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.atom.Cpv;
import org.stageforge.binpkg.BinaryPackage;
import org.stageforge.binpkg.Digests;
import org.stageforge.binpkg.FileTable;
import org.stageforge.binpkg.GpkgWriter;
import org.stageforge.binpkg.PackageMetadata;
import org.stageforge.index.PackagesIndex;

import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Makes a binhost: builds GPKGs from package source trees and writes the {@code Packages} index
 * Portage would write for a directory of binary packages.
 *
 * <p>A package source tree is {@code CAT/PF/} holding {@code metadata/} (VDB-style files: CATEGORY,
 * PF, SLOT, EAPI, USE, RDEPEND, ...), {@code image/} (the files to install) and optionally
 * {@code files.tsv} (owners, modes and xattrs the checkout cannot hold; see {@link FileTable}).
 */
public final class BinhostWriter {
    /** Metadata keys Portage copies into a Packages entry (binpkg metadata name → index key), and BUILD_KEY (stageforge's build key of a package built from source). */
    private static final Map<String, String> INDEX_KEYS = indexKeys();

    private BinhostWriter() {}

    private static Map<String, String> indexKeys() {
        Map<String, String> m = new LinkedHashMap<>();
        for (String k : List.of("BDEPEND", "BUILD_ID", "BUILD_KEY", "BUILD_TIME", "CHOST", "DEFINED_PHASES", "DEPEND", "EAPI",
                "IDEPEND", "IUSE", "KEYWORDS", "LICENSE", "PDEPEND", "PROPERTIES", "PROVIDES", "RDEPEND",
                "REQUIRES", "RESTRICT", "SLOT", "USE")) {
            m.put(k, k);
        }
        m.put("repository", "REPO");
        return Map.copyOf(m);
    }

    /**
     * Builds one GPKG per source tree under {@code sources} into {@code outDir} (Portage's
     * multi-instance layout {@code CAT/PN/PF-BUILD_ID.gpkg.tar}), then writes the index.
     */
    public static PackagesIndex build(Path sources, Path outDir, GpkgWriter.Options options, Map<String, String> header)
            throws IOException {
        List<Path> trees = new ArrayList<>();
        try (Stream<Path> cats = Files.list(sources)) {
            for (Path cat : cats.sorted().toList()) {
                if (!Files.isDirectory(cat, LinkOption.NOFOLLOW_LINKS)) continue;
                try (Stream<Path> pkgs = Files.list(cat)) {
                    pkgs.filter(p -> Files.isDirectory(p.resolve("metadata")) && Files.isDirectory(p.resolve("image")))
                            .sorted().forEach(trees::add);
                }
            }
        }
        if (trees.isEmpty()) {
            throw new StageforgeException(sources + ": no package source trees (CAT/PF/{metadata,image})", ExitCodes.NOT_FOUND, null);
        }
        for (Path tree : trees) {
            Map<String, byte[]> metadata = withCompressedEnvironment(GpkgWriter.loadMetadata(tree.resolve("metadata")));
            String category = text(metadata, "CATEGORY", tree);
            String pf = text(metadata, "PF", tree);
            String buildId = metadata.containsKey("BUILD_ID") ? text(metadata, "BUILD_ID", tree) : "1";
            Cpv cpv = Cpv.parse(category + "/" + pf);
            Path files = tree.resolve("files.tsv");
            FileTable table = checkoutModes(tree.resolve("image"),
                    Files.isRegularFile(files) ? FileTable.load(files) : FileTable.EMPTY);
            GpkgWriter.Options opts = new GpkgWriter.Options(options.compression(), options.sourceDateEpoch(),
                    options.signingKey(), table);
            Path out = outDir.resolve(category).resolve(cpv.name()).resolve(pf + "-" + buildId + ".gpkg.tar");
            Files.createDirectories(out.getParent());
            GpkgWriter.write(out, tree.resolve("image"), metadata, opts);
            // MTIME goes into the index: pin it so the index is reproducible too.
            Files.setLastModifiedTime(out, FileTime.fromMillis(options.sourceDateEpoch() * 1000));
        }
        return index(outDir, header, options.sourceDateEpoch());
    }

    /**
     * A checkout's permission bits depend on the umask of whoever cloned it; only the executable bit
     * is versioned. Pin 0755/0644 for every path the source's file table leaves open.
     */
    private static FileTable checkoutModes(Path image, FileTable explicit) throws IOException {
        Map<String, FileTable.Attributes> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(image)) {
            for (Path p : s.skip(1).toList()) {
                String rel = image.relativize(p).toString();
                if (Files.isSymbolicLink(p)) continue;
                boolean exec = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) || Files.isExecutable(p);
                out.put(rel, new FileTable.Attributes(exec ? 0755 : 0644, null, null, Map.of()));
            }
        }
        explicit.byPath().forEach((path, a) -> {
            FileTable.Attributes base = out.get(path);
            out.put(path, new FileTable.Attributes(a.mode() != null ? a.mode() : base == null ? null : base.mode(),
                    a.uid(), a.gid(), a.xattrs()));
        });
        return new FileTable(out);
    }

    /**
     * A source tree may keep its saved environment as plain {@code environment} text (reviewable in
     * the repository); packages carry it as {@code environment.bz2}, as Portage writes it.
     */
    private static Map<String, byte[]> withCompressedEnvironment(Map<String, byte[]> metadata) throws IOException {
        byte[] env = metadata.get("environment");
        if (env == null) return metadata;
        Map<String, byte[]> out = new TreeMap<>(metadata);
        out.remove("environment");
        ByteArrayOutputStream bz = new ByteArrayOutputStream();
        try (BZip2CompressorOutputStream z = new BZip2CompressorOutputStream(bz)) {
            z.write(env);
        }
        out.put("environment.bz2", bz.toByteArray());
        return out;
    }

    private static String text(Map<String, byte[]> metadata, String key, Path tree) {
        byte[] v = metadata.get(key);
        if (v == null) throw new StageforgeException(tree + "/metadata: missing " + key, ExitCodes.BAD_INPUT, null);
        return new String(v, java.nio.charset.StandardCharsets.UTF_8).strip();
    }

    /**
     * Scans {@code binhostDir} for binary packages and writes its {@code Packages} (atomically)
     * with Portage's canonical layout; {@code timestamp} becomes TIMESTAMP.
     */
    public static PackagesIndex index(Path binhostDir, Map<String, String> header, long timestamp) throws IOException {
        List<Path> pkgs;
        try (Stream<Path> s = Files.walk(binhostDir)) {
            pkgs = s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                    .filter(p -> {
                        String n = p.getFileName().toString();
                        return n.endsWith(".gpkg.tar") || n.endsWith(".xpak") || n.endsWith(".tbz2");
                    })
                    .sorted().toList();
        }
        List<Map<String, String>> entries = new ArrayList<>();
        for (Path p : pkgs) entries.add(entry(binhostDir, p));
        Map<String, String> head = new TreeMap<>(header);
        head.putIfAbsent("VERSION", "0");
        PackagesIndex idx = PackagesIndex.of(head, entries);
        idx.writeCanonical(binhostDir.resolve("Packages"), OptionalLong.of(timestamp));
        return PackagesIndex.read(binhostDir.resolve("Packages"));
    }

    private static Map<String, String> entry(Path root, Path file) throws IOException {
        return entry(file, root.relativize(file).toString(), Files.getLastModifiedTime(file).toMillis() / 1000);
    }

    /**
     * The index entry Portage writes for one binary package: metadata keys, MD5, SHA1, SIZE, and the given
     * PATH (relative to the binhost root) and MTIME (seconds).
     */
    public static Map<String, String> entry(Path file, String path, long mtime) throws IOException {
        Map<String, String> e = new TreeMap<>();
        try (BinaryPackage bp = BinaryPackage.open(file)) {
            PackageMetadata md = bp.metadata();
            String category = md.get("CATEGORY");
            String pf = md.get("PF");
            if (category == null || pf == null) {
                throw new StageforgeException(file + ": metadata lacks CATEGORY or PF", ExitCodes.BAD_INPUT, null);
            }
            e.put("CPV", Cpv.parse(category + "/" + pf).toString());
            INDEX_KEYS.forEach((from, to) -> {
                String v = md.get(from);
                if (v != null && !v.isEmpty()) e.put(to, v.replaceAll("\\s+", " "));
            });
        }
        Digests d = new Digests(List.of("MD5", "SHA1"));
        try (InputStream in = Files.newInputStream(file)) {
            d.consume(in);
        }
        Map<String, String> sums = d.hex();
        e.put("MD5", sums.get("MD5"));
        e.put("SHA1", sums.get("SHA1"));
        e.put("SIZE", Long.toString(d.size()));
        e.put("MTIME", Long.toString(mtime));
        e.put("PATH", path);
        return e;
    }
}

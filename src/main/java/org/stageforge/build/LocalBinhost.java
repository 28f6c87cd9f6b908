package org.stageforge.build;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.archive.Compression;
import org.stageforge.archive.ExtractPolicy;
import org.stageforge.archive.ExtractedFile;
import org.stageforge.archive.TarEntry;
import org.stageforge.atom.Cpv;
import org.stageforge.binhost.BinhostWriter;
import org.stageforge.binpkg.BinaryPackage;
import org.stageforge.binpkg.FileTable;
import org.stageforge.binpkg.GpkgWriter;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.index.AtomicFiles;
import org.stageforge.index.PackagesEntry;
import org.stageforge.index.PackagesIndex;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The build's own binhost ({@code BUILD_DIR/binpkgs}, kept between builds): the GPKGs emerge wrote into a staging
 * PKGDIR, re-packed deterministically ({@link GpkgWriter}: BUILD_TIME and member mtimes from SOURCE_DATE_EPOCH,
 * sorted members, zstd, numeric owners), signed with the build's key and indexed in {@code Packages}.
 *
 * <p>One instance per package ({@code CAT/PN/PF-1.gpkg.tar}, BUILD_ID 1): a rebuild with another build key replaces
 * it, so the bytes never depend on the order of earlier builds. The build key is recorded twice: as the metadata
 * file {@code BUILD_KEY} inside the GPKG (it travels with the package, e.g. into another binhost) and as the key
 * {@code BUILD_KEY} of the package's {@code Packages} entry (so a resolver can filter candidates without fetching
 * them). {@code .images/CAT/PF.tsv} keeps each package's image listing (path, type, mode, owners, sha256) with its
 * key, to name the files that differ when the same input builds to different output.
 */
public final class LocalBinhost {
    /** The metadata file and index key that carry the build key. */
    public static final String KEY = "BUILD_KEY";
    private final Path dir;

    public LocalBinhost(Path dir) {
        this.dir = dir.toAbsolutePath();
    }

    /** The local binhost of a build directory. */
    public static LocalBinhost of(Path buildDir) {
        return new LocalBinhost(buildDir.toAbsolutePath().resolve("binpkgs"));
    }

    public Path dir() {
        return dir;
    }

    /** The index ({@code Packages}); an empty one before the first build. */
    public PackagesIndex index() {
        Path p = dir.resolve("Packages");
        return Files.isRegularFile(p) ? PackagesIndex.read(p) : PackagesIndex.of(Map.of("PACKAGES", "0"), List.of());
    }

    /** The build key of the package {@code cpv} held here, if any. */
    public Optional<String> keyOf(String cpv) {
        for (PackagesEntry e : index().entries(cpv)) {
            Optional<String> k = e.raw(KEY);
            if (k.isPresent()) return k.map(String::strip);
        }
        // moved in but not indexed yet (a build killed in between): the package itself says
        Cpv c = Cpv.parse(cpv);
        Path f = dir.resolve(c.category()).resolve(c.name()).resolve(cpv.substring(cpv.indexOf('/') + 1) + "-1.gpkg.tar");
        if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) return Optional.empty();
        try (BinaryPackage bp = BinaryPackage.open(f)) {
            return Optional.ofNullable(bp.metadata().get(KEY)).map(String::strip);
        }
    }

    /**
     * One package taken in: its file here, its sha512, its build key, and the image paths that differ from the
     * previous build of the same package with the same key (empty when there was none or it was identical).
     */
    public record Ingested(String cpv, Path file, String sha512, String buildKey, List<String> differing) {
        public Ingested {
            differing = List.copyOf(differing);
        }
    }

    /**
     * Re-packs every binpkg under {@code staging} (as emerge's PKGDIR left it), signs it with {@code key} (null: not
     * signed), moves it in atomically and rewrites {@code Packages}. {@code keys} gives each wanted cpv's build key;
     * binpkgs of other cpvs (build dependencies emerge built, packages offered to it) are left alone. A package whose image differs
     * from the previous build with the same key is reported through {@code warn}, naming the files.
     */
    public List<Ingested> ingest(Path staging, Map<String, String> keys, OpenPgp.SigningKey key, long sourceDateEpoch,
                                 Consumer<String> warn) {
        List<Ingested> out = new ArrayList<>();
        try {
            Files.createDirectories(dir);
            List<Path> files;
            try (Stream<Path> s = Files.walk(staging)) {
                files = s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && p.getFileName().toString().endsWith(".gpkg.tar"))
                        .sorted().toList();
            }
            for (Path f : files) {
                Ingested i = ingestOne(f, keys, key, sourceDateEpoch, warn);
                if (i == null) continue;
                out.add(i);
                // indexed at once: a build killed before the next package still knows this one (keyOf)
                reindex(sourceDateEpoch);
            }
        } catch (IOException e) {
            throw new StageforgeException("local binhost " + dir + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** Rewrites {@code Packages} from the packages present (atomically; TIMESTAMP = SOURCE_DATE_EPOCH). */
    public PackagesIndex reindex(long sourceDateEpoch) throws IOException {
        Files.createDirectories(dir);
        return BinhostWriter.index(dir, Map.of(), sourceDateEpoch);
    }

    private Ingested ingestOne(Path f, Map<String, String> keys, OpenPgp.SigningKey key, long sde, Consumer<String> warn)
            throws IOException {
        Path work = Files.createTempDirectory(dir, ".ingest-");
        try (BinaryPackage bp = BinaryPackage.open(f)) {
            if (bp.format() != BinaryPackage.Format.GPKG) {
                throw new StageforgeException(f + ": not a GPKG (set BINPKG_FORMAT=gpkg)", ExitCodes.BAD_INPUT, null);
            }
            Map<String, byte[]> md = new TreeMap<>();
            for (String k : bp.metadata().keys()) md.put(k, bp.metadata().raw(k));
            String category = text(md, "CATEGORY", f);
            String pf = text(md, "PF", f);
            Cpv cpv = Cpv.parse(category + "/" + pf);
            String buildKey = keys.get(cpv.toString());
            // what emerge built besides (a build dependency) or was offered to it stays out
            if (buildKey == null) return null;
            md.put("BUILD_TIME", (sde + "\n").getBytes(StandardCharsets.UTF_8));
            md.put("BUILD_ID", "1\n".getBytes(StandardCharsets.UTF_8));
            md.put(KEY, (buildKey + "\n").getBytes(StandardCharsets.UTF_8));
            Path image = Files.createDirectory(work.resolve("image"));
            FileTable table = extract(bp, image);
            List<String> listing = new ArrayList<>();
            for (TarEntry e : GpkgWriter.scanImage(image, table, "")) listing.add(line(image, e));
            Path target = dir.resolve(category).resolve(cpv.name()).resolve(pf + "-1.gpkg.tar");
            Files.createDirectories(target.getParent());
            Path tmp = work.resolve(target.getFileName());
            GpkgWriter.write(tmp, image, md, new GpkgWriter.Options(Compression.ZSTD, sde, key, table));
            // MTIME goes into the index: pinned so the index is reproducible too
            Files.setLastModifiedTime(tmp, FileTime.fromMillis(sde * 1000));
            List<String> differing = compareWithPrevious(category + "/" + pf, buildKey, listing);
            if (!differing.isEmpty()) {
                warn.accept(cpv + ": built again with the same build key, its output differs in " + differing.size()
                        + " file(s): " + String.join(", ", differing));
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            StringBuilder rec = new StringBuilder("#").append(KEY).append('\t').append(buildKey).append('\n');
            for (String l : listing) rec.append(l).append('\n');
            AtomicFiles.write(dir.resolve(".images").resolve(category).resolve(pf + ".tsv"), rec.toString().getBytes(StandardCharsets.UTF_8));
            return new Ingested(cpv.toString(), target, org.stageforge.util.Hashes.ofFile(target, "SHA-512"), buildKey, differing);
        } finally {
            org.stageforge.util.Dirs.deleteTree(work);
        }
    }

    /** Extracts the image; Portage's owners and special modes go into the file table, on disk only what a user may create. */
    private static FileTable extract(BinaryPackage bp, Path image) {
        Map<String, FileTable.Attributes> table = new TreeMap<>();
        for (ExtractedFile x : bp.extract(image, ExtractPolicy.RECORD_ONLY)) {
            TarEntry e = x.entry();
            String rel = e.path().startsWith("./") ? e.path().substring(2) : e.path();
            if (rel.isEmpty() || rel.equals(".")) continue;
            if (!x.created()) {
                throw new StageforgeException(bp.file() + ": " + rel + ": a " + e.type() + " cannot be re-packed", ExitCodes.BAD_INPUT, null);
            }
            table.put(rel, new FileTable.Attributes(e.mode() & 07777, e.uid(), e.gid(), e.xattrs()));
        }
        return new FileTable(table);
    }

    /**
     * An unsigned copy of a GPKG (same metadata and image, archive times from its BUILD_TIME): emerge verifies a
     * signed Manifest with gpg whatever FEATURES say, and a seed need not have gpg; stageforge verified it already.
     */
    static void unsignedCopy(Path src, Path out) throws IOException {
        Path work = Files.createTempDirectory(out.getParent(), ".unsigned-");
        try (BinaryPackage bp = BinaryPackage.open(src)) {
            Map<String, byte[]> md = new TreeMap<>();
            for (String k : bp.metadata().keys()) md.put(k, bp.metadata().raw(k));
            long time = 0;
            try {
                if (md.containsKey("BUILD_TIME")) time = Long.parseLong(text(md, "BUILD_TIME", src));
            } catch (NumberFormatException e) {
                throw new StageforgeException(src + ": BUILD_TIME is not a number", ExitCodes.BAD_INPUT, e);
            }
            Path image = Files.createDirectory(work.resolve("image"));
            GpkgWriter.write(out, image, md, new GpkgWriter.Options(Compression.ZSTD, time, null, extract(bp, image)));
        } finally {
            org.stageforge.util.Dirs.deleteTree(work);
        }
    }

    /** The image paths whose listing line differs from the previous build of {@code cpv} with the same key. */
    private List<String> compareWithPrevious(String cpv, String buildKey, List<String> listing) throws IOException {
        Path prev = dir.resolve(".images").resolve(cpv + ".tsv");
        if (!Files.isRegularFile(prev)) return List.of();
        List<String> lines = Files.readAllLines(prev, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).equals("#" + KEY + "\t" + buildKey)) return List.of();
        Map<String, String> before = byPath(lines.subList(1, lines.size()));
        Map<String, String> after = byPath(listing);
        TreeSet<String> paths = new TreeSet<>(before.keySet());
        paths.addAll(after.keySet());
        List<String> diff = new ArrayList<>();
        for (String p : paths) if (!java.util.Objects.equals(before.get(p), after.get(p))) diff.add("/" + p);
        return diff;
    }

    private static Map<String, String> byPath(List<String> lines) {
        Map<String, String> m = new TreeMap<>();
        for (String l : lines) m.put(l.substring(0, l.indexOf('\t')), l);
        return m;
    }

    /** {@code path TAB type TAB mode TAB uid:gid TAB sha256-or-link-target}. */
    private static String line(Path image, TarEntry e) throws IOException {
        String what = switch (e.type()) {
            case FILE -> {
                try (InputStream in = Files.newInputStream(image.resolve(e.path()), LinkOption.NOFOLLOW_LINKS)) {
                    MessageDigest md = org.stageforge.util.Hashes.of("SHA-256");
                    byte[] buf = new byte[65536];
                    for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
                    yield HexFormat.of().formatHex(md.digest());
                }
            }
            case SYMLINK, HARDLINK -> "-> " + e.linkTarget();
            default -> "";
        };
        return e.path() + "\t" + e.type() + "\t" + Integer.toOctalString(e.mode()) + "\t" + e.uid() + ":" + e.gid() + "\t" + what;
    }

    private static String text(Map<String, byte[]> md, String k, Path f) {
        byte[] v = md.get(k);
        if (v == null) throw new StageforgeException(f + ": metadata lacks " + k, ExitCodes.BAD_INPUT, null);
        return new String(v, StandardCharsets.UTF_8).strip();
    }

}

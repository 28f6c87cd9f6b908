package org.stageforge.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.archive.Compression;
import org.stageforge.archive.ExtractPolicy;
import org.stageforge.archive.ExtractedFile;
import org.stageforge.archive.TarEntry;
import org.stageforge.binpkg.BinaryPackage;
import org.stageforge.binpkg.FileTable;
import org.stageforge.binpkg.GpkgPackage;
import org.stageforge.binpkg.GpkgWriter;
import org.stageforge.binpkg.IndexEntryChecks;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.binpkg.PackageMetadata;
import org.stageforge.binpkg.VerifyOptions;
import org.stageforge.binpkg.VerifyReport;
import org.stageforge.binpkg.XpakWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code stageforge pkg ...}: inspect, verify, list, extract and create binary packages. */
@Command(name = "pkg", description = "Inspect, verify, list, extract and create Gentoo binary packages (XPAK, GPKG).",
        mixinStandardHelpOptions = true,
        subcommands = {PkgCommand.Inspect.class, PkgCommand.Verify.class, PkgCommand.Contents.class,
                PkgCommand.Extract.class, PkgCommand.Create.class})
public final class PkgCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
    }

    /** Made on first use: picocli instantiates every command at start-up, and a mapper costs ~0.1 s of CPU. */
    private static final class Mapper {
        static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

    static void printJson(PrintWriter out, Object o) {
        try {
            out.println(Mapper.JSON.writeValueAsString(o));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Command(name = "inspect", description = "Show format, compression, members and metadata keys.")
    static final class Inspect implements Runnable {
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "FILE") Path file;
        @Option(names = "--json", description = "Print JSON.") boolean json;

        @Override
        public void run() {
            PrintWriter out = spec.commandLine().getOut();
            try (BinaryPackage bp = BinaryPackage.open(file)) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("file", file.toString());
                o.put("format", bp.format().name().toLowerCase());
                o.put("compression", bp.compression().name().toLowerCase());
                if (bp instanceof GpkgPackage g) {
                    o.put("basename", g.basename());
                    List<Map<String, Object>> ms = new ArrayList<>();
                    for (GpkgPackage.Member m : g.members()) ms.add(Map.of("name", m.name(), "size", m.size()));
                    o.put("members", ms);
                }
                PackageMetadata md = bp.metadata();
                Map<String, Object> meta = new LinkedHashMap<>();
                for (String k : md.keys()) {
                    byte[] v = md.raw(k);
                    meta.put(k, PackageMetadata.isBinary(k) || v.length > 4096 ? v.length + " bytes" : md.get(k));
                }
                o.put("metadata", meta);
                if (json) {
                    printJson(out, o);
                    return;
                }
                out.printf("%s: %s, %s compression%n", file, o.get("format"), o.get("compression"));
                if (bp instanceof GpkgPackage g) {
                    for (GpkgPackage.Member m : g.members()) out.printf("  member %s/%s (%d bytes)%n", g.basename(), m.name(), m.size());
                }
                for (Map.Entry<String, Object> e : meta.entrySet()) {
                    String v = String.valueOf(e.getValue());
                    out.printf("  %s: %s%n", e.getKey(), v.length() > 100 || v.contains("\n")
                            ? md.raw(e.getKey()).length + " bytes" : v);
                }
            }
        }
    }

    @Command(name = "verify", description = "Verify checksums (Packages entry, GPKG Manifest), signatures, and that the "
            + "image passes the checks of extract and merge (paths, control characters, member order); exit 4 on failure.")
    static final class Verify implements Runnable {
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "FILE") Path file;
        @Option(names = "--index", paramLabel = "PACKAGES", description = "Packages index to check the file against.") Path index;
        @Option(names = "--keyring", paramLabel = "KEY.asc", description = "OpenPGP public keys for GPKG signatures.") Path keyring;
        @Option(names = "--require-signature", description = "Fail unless a valid signature is present.") boolean requireSignature;

        @Override
        public void run() {
            PrintWriter out = spec.commandLine().getOut();
            OpenPgp.Keyring kr = keyring == null ? null : OpenPgp.Keyring.load(keyring);
            try (BinaryPackage bp = BinaryPackage.open(file)) {
                IndexEntryChecks checks = IndexEntryChecks.NONE;
                if (index != null) checks = IndexEntryChecks.of(PackagesIndexLookup.find(index, file, bp.metadata()));
                VerifyReport r = bp.verify(checks, new VerifyOptions(kr, requireSignature));
                int members = bp.checkImage();
                for (String c : r.checks()) out.println("ok " + c);
                out.println("ok image: " + members + " members pass the extraction checks");
                for (String s : r.signers()) out.println("signed by " + s);
                out.println(file + ": OK");
            }
        }
    }

    @Command(name = "contents", description = "List the image like tar -tv --numeric-owner.")
    static final class Contents implements Runnable {
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "FILE") Path file;
        @Option(names = "--json", description = "Print JSON.") boolean json;

        @Override
        public void run() {
            PrintWriter out = spec.commandLine().getOut();
            try (BinaryPackage bp = BinaryPackage.open(file)) {
                List<TarEntry> es = bp.entries();
                if (json) {
                    List<Map<String, Object>> rows = new ArrayList<>();
                    for (TarEntry e : es) rows.add(toJson(e));
                    printJson(out, rows);
                    return;
                }
                for (TarEntry e : es) out.println(listLine(e));
            }
        }
    }

    static String listLine(TarEntry e) {
        String size = e.type() == TarEntry.Type.CHAR || e.type() == TarEntry.Type.BLOCK
                ? e.devMajor() + "," + e.devMinor() : Long.toString(e.type() == TarEntry.Type.FILE ? e.size() : 0);
        String link = switch (e.type()) {
            case SYMLINK -> " -> " + e.linkTarget();
            case HARDLINK -> " link to " + e.linkTarget();
            default -> "";
        };
        return String.format("%s %s %10s %s %s%s", e.modeString(), e.uid() + "/" + e.gid(), size,
                TIME.format(Instant.ofEpochSecond(e.mtime())), e.path(), link);
    }

    static Map<String, Object> toJson(TarEntry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", e.path());
        m.put("type", e.type().name().toLowerCase());
        m.put("mode", String.format("%04o", e.mode()));
        m.put("uid", e.uid());
        m.put("gid", e.gid());
        m.put("size", e.size());
        m.put("mtime", e.mtime());
        if (e.mtimeNanos() != 0) m.put("mtimeNanos", e.mtimeNanos());
        if (!e.linkTarget().isEmpty()) m.put("link", e.linkTarget());
        if (e.type() == TarEntry.Type.CHAR || e.type() == TarEntry.Type.BLOCK) {
            m.put("devmajor", e.devMajor());
            m.put("devminor", e.devMinor());
        }
        if (!e.xattrs().isEmpty()) {
            Map<String, String> x = new LinkedHashMap<>();
            e.xattrs().forEach((k, v) -> x.put(k, HexFormat.of().formatHex(v)));
            m.put("xattrs", x);
        }
        return m;
    }

    @Command(name = "extract", description = {"Extract the image safely into a directory.",
            "Device nodes, fifos, setuid/setgid/sticky bits, owners and xattrs (capabilities) are only listed "
                    + "(\"recorded only\"), never applied, unless --same-permissions asks for them (then as root only; "
                    + "xattrs are always only listed)."})
    static final class Extract implements Runnable {
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "FILE") Path file;
        @Option(names = "-C", paramLabel = "DIR", required = true, description = "Target directory (created if missing).") Path dir;
        @Option(names = "--json", description = "Print the file table as JSON.") boolean json;
        @Option(names = {"-p", "--same-permissions", "--preserve-permissions"},
                description = "Like GNU tar as root: create device nodes and fifos, keep setuid/setgid/sticky bits and "
                        + "owners (special files and owners need root).") boolean samePermissions;

        @Override
        public void run() {
            PrintWriter out = spec.commandLine().getOut();
            try (BinaryPackage bp = BinaryPackage.open(file)) {
                bp.checkImage(); // a refused package writes nothing, not even its first members
                try {
                    Files.createDirectories(dir);
                } catch (IOException e) {
                    throw new StageforgeException(dir + ": cannot create: " + org.stageforge.util.IoErrors.reason(dir, e), e);
                }
                ExtractPolicy policy = samePermissions ? ExtractPolicy.SAME_PERMISSIONS : ExtractPolicy.RECORD_ONLY;
                List<ExtractedFile> table = bp.extract(dir, policy);
                if (json) {
                    List<Map<String, Object>> rows = new ArrayList<>();
                    for (ExtractedFile f : table) {
                        Map<String, Object> m = toJson(f.entry());
                        m.put("created", f.created());
                        m.put("recordedOnly", policy.recordsOnly(f));
                        rows.add(m);
                    }
                    printJson(out, rows);
                    return;
                }
                for (ExtractedFile f : table) {
                    if (policy.recordsOnly(f)) out.println("recorded only: " + listLine(f.entry()));
                }
                out.println(file + ": extracted " + table.size() + " entries into " + dir);
            }
        }
    }

    @Command(name = "create", description = "Create a deterministic GLEP 78 binary package (like quickpkg).")
    static final class Create implements Runnable {
        @Spec CommandSpec spec;
        @Option(names = "--image", required = true, paramLabel = "DIR", description = "Image root directory.") Path image;
        @Option(names = "--metadata", required = true, paramLabel = "DIR_OR_FILE",
                description = "Directory of VDB-style metadata files, or a binary package to take them from.") Path metadata;
        @Option(names = "--file-table", paramLabel = "FILE",
                description = "Owners/modes/xattrs per path (lines: PATH mode=4755 uid=0 gid=0 xattr.NAME=hex:...).") Path fileTable;
        @Option(names = "--sign-key", paramLabel = "KEY.asc", description = "Armored secret key to sign with.") Path signKey;
        @Option(names = "--passphrase-file", paramLabel = "FILE", description = "Passphrase of the signing key.") Path passphraseFile;
        @Option(names = "--compression", defaultValue = "zstd", description = "zstd, xz, gzip, bzip2, lz4 or none (default: ${DEFAULT-VALUE}).") String compression;
        @Option(names = "--source-date-epoch", paramLabel = "SECONDS",
                description = "Clamp mtimes and date members (default: $SOURCE_DATE_EPOCH, else the newest image mtime).") Long epoch;
        @Option(names = "--format", defaultValue = "gpkg", description = "gpkg (GLEP 78) or xpak (default: ${DEFAULT-VALUE}).") String format;
        @Option(names = "-o", required = true, paramLabel = "OUT.gpkg.tar") Path out;

        @Override
        public void run() {
            try {
                Compression c = switch (compression.toLowerCase()) {
                    case "zstd", "zst" -> Compression.ZSTD;
                    case "xz" -> Compression.XZ;
                    case "gzip", "gz" -> Compression.GZIP;
                    case "bzip2", "bz2" -> Compression.BZIP2;
                    case "lz4" -> Compression.LZ4;
                    case "none" -> Compression.NONE;
                    default -> throw new StageforgeException("unknown compression '" + compression + "'", ExitCodes.USAGE, null);
                };
                if (!Files.isDirectory(image)) throw new StageforgeException(image + ": not a directory", ExitCodes.NOT_FOUND, null);
                FileTable table = fileTable == null ? FileTable.EMPTY : FileTable.load(fileTable);
                OpenPgp.SigningKey key = signKey == null ? null : OpenPgp.SigningKey.load(signKey, KeyCommand.passphrase(passphraseFile));
                long sde = epoch != null ? epoch : defaultEpoch(image);
                GpkgWriter.Options options = new GpkgWriter.Options(c, sde, key, table);
                switch (format.toLowerCase()) {
                    case "gpkg" -> GpkgWriter.write(out, image, GpkgWriter.loadMetadata(metadata), options);
                    case "xpak" -> XpakWriter.write(out, image, GpkgWriter.loadMetadata(metadata), options);
                    default -> throw new StageforgeException("unknown format '" + format + "' (gpkg or xpak)", ExitCodes.USAGE, null);
                }
                spec.commandLine().getOut().println(out + ": written");
            } catch (IOException e) {
                throw new StageforgeException("creating " + out + ": " + org.stageforge.util.IoErrors.reason(out, e), e);
            }
        }

        private static long defaultEpoch(Path image) throws IOException {
            java.util.OptionalLong env = org.stageforge.util.SourceDateEpoch.fromEnv(System.getenv());
            if (env.isPresent()) return env.getAsLong();
            long max = 0;
            try (var s = Files.walk(image)) {
                for (Path p : s.toList()) {
                    max = Math.max(max, Files.getLastModifiedTime(p, java.nio.file.LinkOption.NOFOLLOW_LINKS).toMillis() / 1000);
                }
            }
            return max;
        }
    }

    /** Finds a package's stanza in a Packages index: by CPV and BUILD_ID as Portage does, else by PATH. */
    static final class PackagesIndexLookup {
        private PackagesIndexLookup() {}

        static Map<String, String> find(Path packages, Path file, PackageMetadata md) {
            String text;
            try {
                text = Files.readString(packages, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new StageforgeException(packages + ": cannot read: " + org.stageforge.util.IoErrors.reason(packages, e), ExitCodes.NOT_FOUND, e);
            }
            String cpv = md.get("CATEGORY") + "/" + md.get("PF");
            String buildId = md.get("BUILD_ID");
            Map<String, String> byPath = null;
            String[] stanzas = text.split("\n\\s*\n");
            for (int i = 1; i < stanzas.length; i++) {
                Map<String, String> m = new LinkedHashMap<>();
                for (String l : stanzas[i].split("\n")) {
                    int c = l.indexOf(':');
                    if (c > 0) m.put(l.substring(0, c).strip(), l.substring(c + 1).strip());
                }
                if (cpv.equals(m.get("CPV")) && (buildId == null || buildId.equals(m.get("BUILD_ID")))) return m;
                if (m.containsKey("PATH") && file.toAbsolutePath().normalize().endsWith(m.get("PATH"))) byPath = m;
            }
            if (byPath != null) return byPath;
            throw new StageforgeException(packages + ": no entry for " + cpv + (buildId == null ? "" : " BUILD_ID " + buildId),
                    ExitCodes.NOT_FOUND, null);
        }
    }
}

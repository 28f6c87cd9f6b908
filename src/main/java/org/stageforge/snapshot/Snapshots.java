package org.stageforge.snapshot;

import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.archive.Compression;
import org.stageforge.archive.TarEntry;
import org.stageforge.archive.TarWriter;
import org.stageforge.binpkg.OpenPgp;

import java.io.ByteArrayInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Gentoo webrsync snapshots ({@code NAME-YYYYMMDD.tar.xz} with {@code .gpgsig} and {@code .md5sum}, as served under a
 * mirror's {@code snapshots/} and checked by Portage's {@code emerge-webrsync}): made deterministically from a
 * repository directory or a git commit, and verified against a keyring.
 *
 * <p>The tarball holds one top-level directory {@code NAME-YYYYMMDD/} (emerge-webrsync extracts with
 * {@code --strip-components=1}) with the tree ({@code .git} left out) and a generated {@code metadata/timestamp.x}
 * (emerge-webrsync reads its first word, which must lie between the date's midnight and two days later). Members are
 * sorted, owned by 0:0 without names (emerge-webrsync re-owns every file to the Portage user anyway), modes 0755 for
 * directories and executables else 0644, every mtime the snapshot time; xz preset 6, single-threaded, CRC64. The
 * detached signature is ASCII-armored, like Gentoo's, made at the snapshot time (Ed25519 signatures are
 * deterministic, so the same input and key give the same bytes).
 */
public final class Snapshots {
    private Snapshots() {}

    private static final Pattern DATE = Pattern.compile("[0-9]{8}");
    /** A repository name as a snapshot file name uses it. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_+]*(?:-[A-Za-z0-9_+]+)*");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-fA-F]{4,64}|[A-Za-z0-9._/-]+");
    private static final Pattern FILE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]*");
    private static final long TWO_DAYS = 2 * 86400;

    /**
     * What to make: repository {@code name} ("gentoo"), {@code date} YYYYMMDD, the snapshot time ({@code null}: the
     * date at 00:00 UTC; else SOURCE_DATE_EPOCH, which must lie in the date's window emerge-webrsync accepts) and the
     * signing key.
     */
    public record Options(String name, String date, Long sourceDateEpoch, OpenPgp.SigningKey key) {}

    /** The three files written, and the tarball's sha512. */
    public record Created(Path tarball, Path signature, Path md5sum, String sha512) {}

    /** A verified snapshot: its sha512 and the fingerprint of the key that signed it. */
    public record Verified(String sha512, String signer) {}

    /** The date's midnight UTC in seconds; exit 2 unless {@code date} is a real calendar date YYYYMMDD. */
    public static long dateEpoch(String date) {
        if (date == null || !DATE.matcher(date).matches()) {
            throw new StageforgeException("snapshot date '" + date + "' is not YYYYMMDD", ExitCodes.USAGE, null);
        }
        try {
            return LocalDate.parse(date, DateTimeFormatter.BASIC_ISO_DATE).atStartOfDay(ZoneOffset.UTC).toEpochSecond();
        } catch (DateTimeParseException e) {
            throw new StageforgeException("snapshot date '" + date + "' is not a calendar date", ExitCodes.USAGE, null);
        }
    }

    /** The base file name {@code NAME-YYYYMMDD.tar.xz}. */
    public static String fileName(String name, String date) {
        return name + "-" + date + ".tar.xz";
    }

    /**
     * Makes {@code NAME-DATE.tar.xz}, {@code .gpgsig} and {@code .md5sum} in {@code outDir} from the directory
     * {@code source}, or from {@code commit} of the git repository {@code source} when {@code commit} is not null.
     * Nothing is left half-written: the files appear (atomically renamed) only when all three are made.
     */
    public static Created create(Path source, String commit, Options o, Path outDir, Consumer<String> log) throws IOException {
        if (o.name() == null || !NAME.matcher(o.name()).matches()) {
            throw new StageforgeException("snapshot name '" + o.name() + "' is not a repository name (letters, digits, _ + and"
                    + " single '-' between them)", ExitCodes.USAGE, null);
        }
        long midnight = dateEpoch(o.date());
        long time = o.sourceDateEpoch() == null ? midnight : o.sourceDateEpoch();
        if (time < midnight || time > midnight + TWO_DAYS) {
            throw new StageforgeException("SOURCE_DATE_EPOCH " + time + " is not within two days after " + o.date()
                    + " 00:00 UTC: emerge-webrsync would reject the snapshot's timestamp", ExitCodes.USAGE, null);
        }
        if (commit != null && !COMMIT.matcher(commit).matches()) {
            throw new StageforgeException("bad commit '" + commit + "'", ExitCodes.USAGE, null);
        }
        String file = fileName(o.name(), o.date());
        Path tarball = outDir.resolve(file);
        Path sig = outDir.resolve(file + ".gpgsig");
        Path md5 = outDir.resolve(file + ".md5sum");
        Path export = outDir.resolve("." + file + ".export");
        List<Path> temps = List.of(outDir.resolve("." + file + ".tmp"), outDir.resolve("." + file + ".gpgsig.tmp"),
                outDir.resolve("." + file + ".md5sum.tmp"));
        try {
            Path tree = source;
            if (commit != null) {
                org.stageforge.util.Dirs.deleteTree(export);
                Files.createDirectories(export);
                String id = git(List.of("git", "-C", source.toString(), "rev-parse", "--verify", "--quiet", commit + "^{commit}"),
                        "no commit '" + commit + "' in " + source).strip();
                log.accept("export " + source + " " + id);
                git(List.of("sh", "-c", "git -C \"$1\" archive --format=tar \"$2\" | tar -x -C \"$3\"", "sh", source.toString(),
                        id, export.toString()), "cannot export " + id + " of " + source);
                tree = export;
            } else if (!Files.isDirectory(source)) {
                throw new StageforgeException(source + " is not a directory", ExitCodes.NOT_FOUND, null);
            } else if ((Files.exists(outDir) ? outDir.toRealPath() : outDir.toAbsolutePath().normalize()).startsWith(source.toRealPath())) {
                // the snapshot would take in its own half-written files
                throw new StageforgeException("the output directory " + outDir + " is inside the repository " + source,
                        ExitCodes.USAGE, null);
            }
            Files.createDirectories(outDir);
            String sha512 = writeTarball(tree, o.name() + "-" + o.date(), time, temps.get(0), o.key(), temps.get(1));
            String md5hex = org.stageforge.util.Hashes.ofFile(temps.get(0), "MD5");
            Files.writeString(temps.get(2), md5hex + "  " + file + "\n", StandardCharsets.US_ASCII);
            Files.move(temps.get(0), tarball, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Files.move(temps.get(1), sig, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Files.move(temps.get(2), md5, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            log.accept("wrote " + tarball + " (sha512 " + sha512 + ")");
            return new Created(tarball, sig, md5, sha512);
        } finally {
            for (Path t : temps) Files.deleteIfExists(t);
            org.stageforge.util.Dirs.deleteTree(export);
        }
    }

    /** Writes the tarball and its signature; returns the tarball's sha512. */
    private static String writeTarball(Path tree, String top, long time, Path tarOut, OpenPgp.SigningKey key, Path sigOut)
            throws IOException {
        List<RepoTree.Member> members = new ArrayList<>(RepoTree.walk(tree));
        members.removeIf(m -> m.path().equals("metadata/timestamp.x"));
        if (members.stream().noneMatch(m -> m.path().equals("metadata"))) {
            members.add(new RepoTree.Member("metadata", RepoTree.Type.DIR, 0755, null));
        }
        members.add(new RepoTree.Member("metadata/timestamp.x", RepoTree.Type.FILE, 0644, null));
        members.sort(Comparator.comparing(RepoTree.Member::path));
        byte[] stamp = (time + " " + DateTimeFormatter.ofPattern("EEE dd MMM yyyy hh:mm:ss a 'UTC'", Locale.US)
                .format(java.time.Instant.ofEpochSecond(time).atZone(ZoneOffset.UTC)) + "\n").getBytes(StandardCharsets.US_ASCII);
        PGPSignatureGenerator gen = OpenPgp.detachedSigner(key, new Date(time * 1000));
        MessageDigest sha = org.stageforge.util.Hashes.of("SHA-512");
        try (OutputStream file = Files.newOutputStream(tarOut);
             OutputStream tee = new FilterOutputStream(file) {
                 @Override
                 public void write(byte[] b, int off, int len) throws IOException {
                     gen.update(b, off, len);
                     sha.update(b, off, len);
                     out.write(b, off, len);
                 }

                 @Override
                 public void write(int b) throws IOException {
                     write(new byte[] {(byte) b}, 0, 1);
                 }
             };
             OutputStream xz = Compression.XZ.compress(tee);
             TarWriter tar = new TarWriter(xz, time)) {
            tar.add(TarEntry.of(top, TarEntry.Type.DIR, 0755, 0, 0, 0, time, null), InputStream.nullInputStream());
            for (RepoTree.Member m : members) {
                String path = top + "/" + m.path();
                switch (m.type()) {
                    case DIR -> tar.add(TarEntry.of(path, TarEntry.Type.DIR, m.mode(), 0, 0, 0, time, null), InputStream.nullInputStream());
                    case SYMLINK -> tar.add(TarEntry.of(path, TarEntry.Type.SYMLINK, 0777, 0, 0, 0, time, m.link()), InputStream.nullInputStream());
                    case FILE -> {
                        if (m.path().equals("metadata/timestamp.x")) {
                            tar.add(TarEntry.of(path, TarEntry.Type.FILE, 0644, 0, 0, stamp.length, time, null), new ByteArrayInputStream(stamp));
                        } else {
                            Path f = tree.resolve(m.path());
                            try (InputStream in = Files.newInputStream(f)) {
                                tar.add(TarEntry.of(path, TarEntry.Type.FILE, m.mode(), 0, 0, Files.size(f), time, null), in);
                            }
                        }
                    }
                }
            }
            tar.finish();
        }
        Files.write(sigOut, OpenPgp.armored(gen));
        return HexFormat.of().formatHex(sha.digest());
    }

    /**
     * Checks a snapshot as emerge-webrsync does: the MD5 in {@code TARBALL.md5sum} and the detached OpenPGP signature
     * {@code TARBALL.gpgsig} by a key of {@code keyring}. A missing file is exit 6, a mismatch exit 4, each naming the
     * file at fault.
     */
    public static Verified verify(Path tarball, Path keyring) throws IOException {
        Path sig = tarball.resolveSibling(tarball.getFileName() + ".gpgsig");
        Path md5 = tarball.resolveSibling(tarball.getFileName() + ".md5sum");
        for (Path p : List.of(tarball, sig, md5)) {
            if (!Files.isRegularFile(p)) throw new StageforgeException("snapshot file " + p + " does not exist", ExitCodes.NOT_FOUND, null);
        }
        String[] line = Files.readString(md5, StandardCharsets.ISO_8859_1).strip().split("\\s+", 2);
        OpenPgp.Keyring keys = OpenPgp.Keyring.load(keyring);
        PGPSignature s = OpenPgp.detachedVerifier(keys, Files.readAllBytes(sig), sig.toString());
        MessageDigest m5 = org.stageforge.util.Hashes.of("MD5");
        MessageDigest sha = org.stageforge.util.Hashes.of("SHA-512");
        try (InputStream in = Files.newInputStream(tarball)) {
            byte[] buf = new byte[1 << 17];
            for (int n; (n = in.read(buf)) > 0; ) {
                s.update(buf, 0, n);
                m5.update(buf, 0, n);
                sha.update(buf, 0, n);
            }
        }
        String actualMd5 = HexFormat.of().formatHex(m5.digest());
        if (!line[0].equalsIgnoreCase(actualMd5)) {
            throw new StageforgeException(md5 + ": MD5 " + line[0] + " does not match " + tarball.getFileName() + " (" + actualMd5 + ")",
                    ExitCodes.VERIFY, null);
        }
        String signer = OpenPgp.finishDetached(keys, s, sig.toString());
        return new Verified(HexFormat.of().formatHex(sha.digest()), signer);
    }

    /**
     * Fetches a snapshot and its {@code .gpgsig} and {@code .md5sum} from an http(s) or file URL into {@code dir};
     * returns the local tarball. The file name is the URL's last path segment.
     */
    public static Path fetch(URI url, Path dir) throws IOException {
        String path = url.getPath() == null ? "" : url.getPath();
        String name = path.substring(path.lastIndexOf('/') + 1);
        if (!FILE.matcher(name).matches()) throw new StageforgeException("snapshot URL " + url + " does not end in a file name", ExitCodes.BAD_INPUT, null);
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!List.of("http", "https", "file").contains(scheme)) {
            throw new StageforgeException("snapshot URL " + url + ": only http, https and file URLs", ExitCodes.BAD_INPUT, null);
        }
        Files.createDirectories(dir);
        HttpClient http = scheme.startsWith("http")
                ? HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(30)).build() : null;
        for (String suffix : List.of(".md5sum", ".gpgsig", "")) {
            URI u = URI.create(url.toString() + suffix);
            Path target = dir.resolve(name + suffix);
            Path tmp = dir.resolve("." + name + suffix + ".part");
            if (http == null) {
                Path src = Path.of(u);
                if (!Files.isRegularFile(src)) throw new StageforgeException("snapshot file " + src + " does not exist", ExitCodes.NOT_FOUND, null);
                Files.copy(src, tmp, StandardCopyOption.REPLACE_EXISTING);
            } else {
                try {
                    HttpResponse<Path> r = http.send(HttpRequest.newBuilder(u).timeout(Duration.ofMinutes(30)).build(),
                            HttpResponse.BodyHandlers.ofFile(tmp));
                    if (r.statusCode() != 200) {
                        Files.deleteIfExists(tmp);
                        throw new StageforgeException("fetch " + u + ": HTTP " + r.statusCode(),
                                r.statusCode() == 404 ? ExitCodes.NOT_FOUND : ExitCodes.FAILURE, null);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    Files.deleteIfExists(tmp);
                    throw new StageforgeException("fetch " + u + ": interrupted", e);
                } catch (IOException e) {
                    Files.deleteIfExists(tmp);
                    throw new StageforgeException("fetch " + u + ": " + e.getMessage(), e);
                }
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        return dir.resolve(name);
    }

    private static String git(List<String> cmd, String failure) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (p.waitFor() != 0) {
                throw new StageforgeException(failure + ": " + out.strip().lines().reduce((a, b) -> b).orElse(""), ExitCodes.NOT_FOUND, null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StageforgeException("interrupted", e);
        }
        return out;
    }

}

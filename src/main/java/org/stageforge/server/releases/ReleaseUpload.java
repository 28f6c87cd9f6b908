package org.stageforge.server.releases;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.stageforge.StageforgeException;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.server.core.BlobStore;
import org.stageforge.server.core.HttpRefusal;
import org.stageforge.server.core.ViewManifest;
import org.stageforge.util.Hashes;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One publish request's files, received into a private temporary directory and checked before anything is
 * stored. The body is an uncompressed tar of plain files at its top level (a leading {@code ./} and a
 * {@code ./} directory entry are allowed): {@code SHA256SUMS}, {@code SHA256SUMS.gpg} (binary detached
 * signature), exactly the files SHA256SUMS lists, and optionally {@code .lock}, the build's lock (not served;
 * it must be the lock the signed JSON manifest names by {@code inputs.lock_sha256}).
 */
final class ReleaseUpload {
    static final String SUMS = "SHA256SUMS";
    static final String SIGNATURE = "SHA256SUMS.gpg";
    static final String LOCK = ".lock";
    /** Served file names: one segment, no leading dot; {@code index.json} is the channel's listing. */
    static final Pattern FILE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+~@-]{0,199}");
    static final String RESERVED = "index.json";
    private static final Pattern SUMS_LINE = Pattern.compile("([0-9a-fA-F]{64}) [ *](.+)");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A received file: where it lies, its sha256. */
    private record Received(Path file, String sha256, long size) {}

    private final Map<String, Received> files;
    private final Map<String, String> listed;

    private ReleaseUpload(Map<String, Received> files, Map<String, String> listed) {
        this.files = files;
        this.listed = listed;
    }

    /** Reads the tar body into {@code dir} (at most {@code limit} bytes of contents); 400/413 on a bad body. */
    static ReleaseUpload receive(InputStream body, Path dir, long limit) throws IOException {
        Map<String, Received> files = new TreeMap<>();
        long total = 0;
        TarArchiveInputStream tar = new TarArchiveInputStream(body);
        TarArchiveEntry e;
        byte[] buf = new byte[1 << 16];
        try {
            while ((e = tar.getNextEntry()) != null) {
                String name = e.getName();
                if (name.startsWith("./")) name = name.substring(2);
                if (e.isDirectory() && (name.isEmpty() || name.equals("."))) continue;
                if (!e.isFile()) throw HttpRefusal.badRequest("upload member '" + e.getName() + "' is not a plain file");
                if (!name.equals(LOCK) && !FILE.matcher(name).matches()) {
                    throw HttpRefusal.badRequest("bad file name '" + e.getName() + "' in the upload (one path segment, no leading dot)");
                }
                if (files.containsKey(name)) throw HttpRefusal.badRequest("file '" + name + "' twice in the upload");
                Path f = dir.resolve("f-" + name);
                MessageDigest md = Hashes.of("SHA-256");
                long size = 0;
                try (OutputStream out = Files.newOutputStream(f, StandardOpenOption.CREATE_NEW)) {
                    int n;
                    while ((n = tar.read(buf)) > 0) {
                        total += n;
                        if (total > limit) throw new HttpRefusal(413, "upload larger than the limit of " + limit + " bytes");
                        size += n;
                        md.update(buf, 0, n);
                        out.write(buf, 0, n);
                    }
                }
                files.put(name, new Received(f, HexFormat.of().formatHex(md.digest()), size));
            }
        } catch (IOException | IllegalArgumentException ex) {
            throw HttpRefusal.badRequest("upload is not a complete tar archive: " + ex.getMessage());
        }
        if (!files.containsKey(SUMS)) throw new HttpRefusal(422, "the upload has no " + SUMS);
        if (!files.containsKey(SIGNATURE)) throw new HttpRefusal(422, "the upload has no " + SIGNATURE);
        return new ReleaseUpload(files, parseSums(Files.readAllBytes(files.get(SUMS).file())));
    }

    /** {@code SHA256SUMS} (sha256sum format) as name → sha256; 422 on a bad line, name or duplicate. */
    static Map<String, String> parseSums(byte[] data) {
        Map<String, String> out = new TreeMap<>();
        int no = 0;
        for (String line : new String(data, StandardCharsets.UTF_8).split("\n")) {
            no++;
            if (line.isBlank()) continue;
            Matcher m = SUMS_LINE.matcher(line);
            if (!m.matches()) throw new HttpRefusal(422, SUMS + " line " + no + ": not 'SHA256  NAME'");
            String name = m.group(2);
            if (!FILE.matcher(name).matches() || name.equals(SUMS) || name.equals(SIGNATURE) || name.equals(RESERVED)) {
                throw new HttpRefusal(422, SUMS + " line " + no + ": file name '" + name + "' not allowed in a release");
            }
            if (out.put(name, m.group(1).toLowerCase()) != null) throw new HttpRefusal(422, SUMS + " line " + no + ": " + name + " listed twice");
        }
        if (out.isEmpty()) throw new HttpRefusal(422, SUMS + " lists no file");
        return out;
    }

    /**
     * Checks the signature of SHA256SUMS against the channel's keyring, then that the upload holds exactly the
     * files it lists, each with its checksum (422 otherwise). Returns the signature's creation time (seconds),
     * the mtime of the release's files: the same release stored twice has the same manifest.
     */
    long verify(Path keyring) throws IOException {
        long signed = verifySignature(Files.readAllBytes(files.get(SUMS).file()), Files.readAllBytes(files.get(SIGNATURE).file()), keyring, null);
        for (Map.Entry<String, Received> f : files.entrySet()) {
            String n = f.getKey();
            if (n.equals(SUMS) || n.equals(SIGNATURE) || n.equals(LOCK)) continue;
            String want = listed.get(n);
            if (want == null) throw new HttpRefusal(422, n + " is not listed in " + SUMS);
            if (!want.equals(f.getValue().sha256())) {
                throw new HttpRefusal(422, n + ": checksum mismatch: " + SUMS + " says " + want + ", got " + f.getValue().sha256());
            }
        }
        for (String n : listed.keySet()) {
            if (!files.containsKey(n)) throw new HttpRefusal(422, n + " is listed in " + SUMS + " but not in the upload");
        }
        lockSha().ifPresent(want -> {
            Received l = files.get(LOCK);
            if (l != null && !l.sha256().equals(want)) {
                throw new HttpRefusal(422, "the lock is not the one the manifest names (lock_sha256 " + want + ", got " + l.sha256() + ")");
            }
        });
        if (files.containsKey(LOCK) && lockSha().isEmpty()) {
            throw new HttpRefusal(422, "a lock was sent but no JSON manifest names one (inputs.lock_sha256)");
        }
        return signed;
    }

    /** A detached signature over SHA256SUMS by a key of the keyring, or 422; returns its creation time (seconds). */
    static long verifySignature(byte[] sums, byte[] signature, Path keyring, String channel) {
        String what = SIGNATURE + (channel == null ? "" : " (for channel " + channel + ")");
        try {
            OpenPgp.Keyring keys = OpenPgp.Keyring.load(keyring);
            var sig = OpenPgp.detachedVerifier(keys, signature, what);
            sig.update(sums);
            OpenPgp.finishDetached(keys, sig, what);
            return sig.getCreationTime().getTime() / 1000;
        } catch (StageforgeException e) {
            throw new HttpRefusal(422, e.getMessage());
        }
    }

    /**
     * The release's version: {@code override} when given, else the {@code version} of the JSON manifest (the one
     * listed {@code .json} file with {@code name} and {@code version}).
     */
    String version(String override) throws IOException {
        String v = override;
        if (v == null) {
            JsonNode m = manifest().orElseThrow(() -> new HttpRefusal(422,
                    "no JSON manifest with name and version in the release: give the version"));
            v = m.get("version").asText();
        }
        if (!Releases.VERSION.matcher(v).matches()) throw HttpRefusal.badRequest("bad version '" + v + "'");
        return v;
    }

    /** The JSON manifest among the listed files (the build's {@code NAME-VERSION.json}), if exactly one. */
    private Optional<JsonNode> manifest() throws IOException {
        JsonNode found = null;
        for (String n : listed.keySet()) {
            if (!n.endsWith(".json")) continue;
            JsonNode j;
            try {
                j = JSON.readTree(files.get(n).file().toFile());
            } catch (IOException e) {
                continue;
            }
            if (j != null && j.isObject() && j.path("name").isTextual() && j.path("version").isTextual()) {
                if (found != null) throw new HttpRefusal(422, "more than one JSON manifest in the release: give the version");
                found = j;
            }
        }
        return Optional.ofNullable(found);
    }

    private Optional<String> lockSha() {
        try {
            return manifest().map(m -> m.path("inputs").path("lock_sha256")).filter(JsonNode::isTextual).map(JsonNode::asText);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The build's lock, when sent (verified against the manifest by {@link #verify}). */
    Optional<byte[]> lock() throws IOException {
        Received l = files.get(LOCK);
        return l == null ? Optional.empty() : Optional.of(Files.readAllBytes(l.file()));
    }

    /** The release's view manifest ({@code mtime} on each file); its blobs are stored by {@link #adopt}. */
    ViewManifest manifest(long mtime) {
        Map<String, ViewManifest.Entry> m = new TreeMap<>();
        for (Map.Entry<String, Received> f : files.entrySet()) {
            if (!f.getKey().equals(LOCK)) m.put(f.getKey(), new ViewManifest.Entry(f.getValue().sha256(), f.getValue().size(), mtime));
        }
        return new ViewManifest(m);
    }

    /** Moves every served file into the blob store. */
    void adopt(BlobStore blobs) throws IOException {
        for (Map.Entry<String, Received> f : files.entrySet()) {
            if (!f.getKey().equals(LOCK)) blobs.adopt(f.getValue().file(), f.getValue().sha256());
        }
    }
}

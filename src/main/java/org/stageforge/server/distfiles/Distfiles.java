package org.stageforge.server.distfiles;

import org.bouncycastle.crypto.digests.Blake2bDigest;
import org.stageforge.binpkg.Digests;
import org.stageforge.server.core.Uploads;
import org.stageforge.server.core.BlobStore;
import org.stageforge.server.core.HttpRefusal;
import org.stageforge.server.core.LocalBlobStore;
import org.stageforge.server.core.ServerContext;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The server's distfiles: the {@code distfiles} table maps each name to its blob. Files are served
 * at {@code /distfiles/XX/NAME} (XX = the first two hex digits of the BLAKE2B of the name, GLEP 75's
 * {@code filename-hash BLAKE2B 8}) and at {@code /distfiles/NAME} (the {@code flat} fallback that
 * {@code layout.conf} names second). A name holds one content for good: mirrors never change a file under its
 * name, and Manifests pin it.
 */
public final class Distfiles {
    /** GLEP 75 layout: filename-hash first; flat for clients that predate it. */
    public static final String LAYOUT_CONF = "[structure]\n0=filename-hash BLAKE2B 8\n1=flat\n";
    /** Portage's checksum names a client may send to have an upload checked. */
    public static final List<String> DIGESTS = List.of("BLAKE2B", "SHA512", "SHA256", "SHA1", "MD5");

    /** What an upload did: {@code created} false when the name held these very bytes already. */
    public record Upload(String name, String path, String sha256, long size, boolean created) {}

    /** A served distfile: its blob, size and upload time (milliseconds, the server's clock). */
    public record Entry(String name, String sha256, long size, long uploadedMillis) {}

    /**
     * What the client expects of an upload (checked before anything is stored).
     *
     * @param size    expected size, or -1
     * @param digests checksum name (upper case, one of {@link #DIGESTS}) → lower-case hex
     */
    public record Expected(long size, Map<String, String> digests) {
        public Expected {
            digests = Map.copyOf(digests);
            for (String k : digests.keySet()) {
                if (!DIGESTS.contains(k)) throw new IllegalArgumentException("unsupported checksum " + k);
            }
        }

        public static final Expected NONE = new Expected(-1, Map.of());
    }

    private final ServerContext ctx;

    public Distfiles(ServerContext ctx) {
        this.ctx = ctx;
    }

    public ServerContext context() {
        return ctx;
    }

    /**
     * Checks a distfile name from a request: at most 255 bytes, no leading dot (hidden files, {@code .},
     * {@code ..}), no separator, space or control character, not {@code layout.conf}. Returns it or refuses
     * with 400.
     */
    public static String checkName(String name) {
        if (name.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length > 255) {
            throw HttpRefusal.badRequest("bad distfile name: empty or longer than 255 bytes");
        }
        if (name.startsWith(".")) throw HttpRefusal.badRequest("bad distfile name '" + name + "': starts with a dot");
        if (name.equals("layout.conf")) throw HttpRefusal.badRequest("bad distfile name: layout.conf is the mirror's layout");
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == '\\' || c <= 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                throw HttpRefusal.badRequest("bad distfile name: separator, space or control character");
            }
        }
        return name;
    }

    /** The GLEP 75 directory of a name: the first two hex digits of the BLAKE2B (512) of its UTF-8 bytes. */
    public static String hashDir(String name) {
        byte[] in = name.getBytes(StandardCharsets.UTF_8);
        Blake2bDigest d = new Blake2bDigest(512);
        d.update(in, 0, in.length);
        byte[] out = new byte[64];
        d.doFinal(out, 0);
        return HexFormat.of().formatHex(out, 0, 1);
    }

    /** The served path of a name in the filename-hash layout: {@code XX/NAME}. */
    public static String path(String name) {
        return hashDir(name) + "/" + name;
    }

    /** The distfile served under {@code name}, if any. */
    public Optional<Entry> find(String name) {
        return ctx.db().query("SELECT sha256, size, uploaded FROM distfiles WHERE name = ?",
                rs -> new Entry(name, rs.getString(1), rs.getLong(2), rs.getLong(3)), name).stream().findFirst();
    }

    /** Every served distfile, by name. */
    public List<Entry> list() {
        return ctx.db().query("SELECT name, sha256, size, uploaded FROM distfiles ORDER BY name",
                rs -> new Entry(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4)));
    }

    /**
     * Receives one distfile: streamed to a private temporary directory (at most the server's upload limit, else
     * 413), its size and digests checked against what the client expects (422 on a mismatch), then stored and
     * published. A name already holding other bytes is refused with 409. A refusal stores nothing.
     */
    public Upload upload(String name, InputStream body, Expected expected) throws IOException {
        checkName(name);
        Path tmp = ctx.blobs().newTempDir();
        try {
            Path file = tmp.resolve("distfile");
            Digests digests = new Digests(expected.digests().keySet());
            Uploads.Received got = Uploads.receive(body, file, ctx.config().maxUploadBytes(), digests::update);
            long size = got.size();
            if (expected.size() >= 0 && expected.size() != size) {
                throw new HttpRefusal(422, name + ": received " + size + " bytes, expected " + expected.size());
            }
            String bad = Digests.firstMismatch(expected.digests(), digests.hex());
            if (bad != null) throw new HttpRefusal(422, name + ": " + bad + " digest does not match the expected one");
            String sha256 = got.sha256();
            Optional<Entry> there = find(name);
            if (there.isEmpty()) {
                BlobStore.Blob blob = ctx.blobs().adopt(file, sha256);
                // the blob is complete before the row names it; of two concurrent uploads one row wins
                int added = ctx.db().update("INSERT INTO distfiles (name, sha256, size, uploaded) VALUES (?, ?, ?, ?) "
                        + "ON CONFLICT (name) DO NOTHING", name, sha256, blob.size(), ctx.clock().millis());
                if (added == 1) return new Upload(name, path(name), sha256, size, true);
                there = find(name);
            }
            if (there.isPresent() && !there.get().sha256().equals(sha256)) throw conflict(name, there.get());
            return new Upload(name, path(name), sha256, size, false);
        } finally {
            LocalBlobStore.deleteTree(tmp);
        }
    }

    private static HttpRefusal conflict(String name, Entry there) {
        return new HttpRefusal(409, "distfile " + name + " exists with other content (sha256 " + there.sha256()
                + "): a distfile's name stands for one content; delete it first");
    }

    /** Removes a distfile from the mirror (its blob stays: a download in flight goes on); 404 when not served. */
    public void delete(String name) {
        checkName(name);
        if (ctx.db().update("DELETE FROM distfiles WHERE name = ?", name) == 0) throw HttpRefusal.notFound("no distfile " + name);
    }
}

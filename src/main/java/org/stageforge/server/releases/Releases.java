package org.stageforge.server.releases;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.server.core.HttpRefusal;
import org.stageforge.server.core.LocalBlobStore;
import org.stageforge.server.core.ServerContext;
import org.stageforge.server.core.Tokens;
import org.stageforge.server.core.ViewManifest;
import org.stageforge.server.core.Views;
import org.stageforge.util.Hashes;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Release channels of a server. A release is an immutable view {@code release/CHANNEL/VERSION} (its
 * {@code SHA256SUMS}, {@code SHA256SUMS.gpg} and the files SHA256SUMS lists); the channel is the view
 * {@code channel/CHANNEL}, whose manifest is the current release's very manifest. Publishing, promoting and
 * rolling back all end in one compare-and-set of that pointer, so a client never sees one release's
 * SHA256SUMS beside another's files, and the channel's current release is the one whose manifest the
 * pointer names.
 */
public final class Releases {
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
    public static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+~-]{0,99}");

    /**
     * A release as stored in one channel.
     *
     * @param publishedMillis when it was published or promoted into this channel
     * @param files           its served file names, sorted
     * @param manifestSha256  the blob of its view manifest (equal in every channel it was promoted to)
     */
    public record Release(String channel, String version, long publishedMillis, List<String> files, String manifestSha256) {
        public Release {
            files = List.copyOf(files);
        }
    }

    /** A channel: the version it serves (none before the first publish) and its releases, newest first. */
    public record ChannelState(String channel, Optional<String> current, List<Release> history) {
        public ChannelState {
            history = List.copyOf(history);
        }
    }

    /** What a publish did: {@code created} false when the identical release was stored already. */
    public record Published(Release release, boolean created) {}

    private final ServerContext ctx;

    public Releases(ServerContext ctx) {
        this.ctx = ctx;
    }

    public ServerContext context() {
        return ctx;
    }

    /** Creates a channel served at {@code /releases/NAME/}, trusting the OpenPGP public keys in {@code keyring}. */
    public void createChannel(String name, Path keyring) throws IOException {
        if (!NAME.matcher(name).matches()) {
            throw new StageforgeException("bad channel name '" + name + "' (letters, digits, . _ -)", ExitCodes.USAGE, null);
        }
        if (keyring == null) throw new StageforgeException("a channel needs --keyring", ExitCodes.USAGE, null);
        if (!Files.isRegularFile(keyring)) throw new StageforgeException(keyring + ": no such keyring file", ExitCodes.NOT_FOUND, null);
        OpenPgp.Keyring.load(keyring); // refuse a file without keys now, not at the first publish
        if (exists(name)) throw new StageforgeException("channel " + name + " exists already", ExitCodes.USAGE, null);
        String sha = ctx.blobs().put(Files.readAllBytes(keyring)).sha256();
        ctx.db().update("INSERT INTO channels (name, keyring, created) VALUES (?, ?, ?)", name, sha, ctx.clock().millis() / 1000);
        ctx.views().create(channelView(name), ViewManifest.EMPTY);
    }

    /** Every channel's name, sorted. */
    public List<String> channels() {
        return ctx.db().query("SELECT name FROM channels ORDER BY name", rs -> rs.getString(1));
    }

    public boolean exists(String name) {
        return NAME.matcher(name).matches()
                && !ctx.db().query("SELECT 1 FROM channels WHERE name = ?", rs -> 1, name).isEmpty();
    }

    /** A channel's state; 404 when there is no such channel. */
    public ChannelState channel(String name) {
        Views.Pointer p = pointer(name);
        List<Release> history = new ArrayList<>();
        Optional<String> current = Optional.empty();
        try {
            for (Row r : rows(name)) {
                history.add(release(r));
                if (current.isEmpty() && r.manifest().equals(p.manifestSha())) current = Optional.of(r.version());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("channel " + name + ": " + e.getMessage(), e);
        }
        return new ChannelState(name, current, history);
    }

    /** One stored release of a channel, if any. */
    public Optional<Release> release(String channel, String version) throws IOException {
        Optional<Row> r = row(channel, version);
        return r.isEmpty() ? Optional.empty() : Optional.of(release(r.get()));
    }

    /** The manifest of a stored release (what {@code /releases/CHANNEL/VERSION/} serves); 404 when absent. */
    public ViewManifest manifest(String channel, String version) throws IOException {
        Row r = row(channel, version).orElseThrow(() -> HttpRefusal.notFound("no release " + version + " in channel " + channel));
        return ViewManifest.parse(ctx.blobs().read(r.manifest()));
    }

    /**
     * Verifies and stores one build's release from an upload (a tar stream, see {@link ReleaseUpload}) and makes it
     * the channel's current release. {@code version} overrides the JSON manifest's. Needs
     * {@code channel:NAME:write}; a refusal stores nothing. Publishing the identical release again only makes it
     * current; other bytes under a stored version are refused (409).
     */
    public Published publish(String channel, InputStream tar, String version, Tokens.Token by) throws IOException {
        return audited(by, "release.publish", channel + "/" + (version == null ? "?" : version), () -> {
            require(by, channel);
            pointer(channel);
            Path tmp = ctx.blobs().newTempDir();
            try {
                ReleaseUpload up = ReleaseUpload.receive(tar, tmp, ctx.config().maxUploadBytes());
                long signed = up.verify(keyring(channel, tmp));
                String v = up.version(version);
                ViewManifest m = up.manifest(signed);
                List<String> retained = LockRetention.blobs(ctx, up.lock());
                // refusals (409) come before any blob is stored
                if (!stored(channel, v, sha256(m))) up.adopt(ctx.blobs());
                boolean created = store(channel, v, m, "publish", retained);
                switchTo(channel, v);
                return new Published(release(channel, v).orElseThrow(), created);
            } finally {
                LocalBlobStore.deleteTree(tmp);
            }
        });
    }

    /**
     * Copies release {@code version} of channel {@code from} (its current one when null) into channel {@code to}
     * and makes it current there. Needs {@code channel:TO:write}; the release's signature must verify against
     * {@code to}'s keyring too.
     */
    public Release promote(String from, String to, String version, Tokens.Token by) throws IOException {
        return audited(by, "release.promote", from + "/" + (version == null ? "current" : version) + " -> " + to, () -> {
            require(by, to);
            pointer(from);
            pointer(to);
            String v = version != null ? version : channel(from).current()
                    .orElseThrow(() -> new HttpRefusal(409, "channel " + from + " has no current release to promote"));
            Row src = row(from, v).orElseThrow(() -> HttpRefusal.notFound("no release " + v + " in channel " + from));
            ViewManifest m = ViewManifest.parse(ctx.blobs().read(src.manifest()));
            Path tmp = ctx.blobs().newTempDir();
            try {
                ReleaseUpload.verifySignature(ctx.blobs().read(m.get(ReleaseUpload.SUMS).sha256()),
                        ctx.blobs().read(m.get(ReleaseUpload.SIGNATURE).sha256()), keyring(to, tmp), to);
            } finally {
                LocalBlobStore.deleteTree(tmp);
            }
            List<String> retained = ctx.db().query("SELECT sha256 FROM retained_blobs WHERE holder = ?",
                    rs -> rs.getString(1), holder(from, v));
            store(to, v, m, "promote:" + from, retained);
            switchTo(to, v);
            return release(to, v).orElseThrow();
        });
    }

    /**
     * Makes release {@code version} of the channel current again; when null, the release stored before the
     * current one. Needs {@code channel:NAME:write}.
     */
    public Release rollback(String channel, String version, Tokens.Token by) throws IOException {
        return audited(by, "release.rollback", channel + "/" + (version == null ? "previous" : version), () -> {
            require(by, channel);
            Views.Pointer p = pointer(channel);
            String v = version;
            if (v == null) {
                List<Row> rows = rows(channel);
                int cur = -1;
                for (int i = 0; i < rows.size() && cur < 0; i++) if (rows.get(i).manifest().equals(p.manifestSha())) cur = i;
                if (cur < 0 || cur + 1 >= rows.size()) {
                    throw new HttpRefusal(409, "channel " + channel + " has no release before its current one");
                }
                v = rows.get(cur + 1).version();
            }
            String want = v;
            if (row(channel, want).isEmpty()) throw HttpRefusal.notFound("no release " + want + " in channel " + channel);
            switchTo(channel, want);
            return release(channel, want).orElseThrow();
        });
    }

    // ---- storage ------------------------------------------------------------------------------------------

    /**
     * Stores a release in a channel unless it is there: the retained blobs first (a crash leaves at worst a
     * retention mark), then the release's view, then its row, which is what makes it listed. Returns false
     * when the identical release was stored already.
     */
    private boolean store(String channel, String version, ViewManifest m, String origin, List<String> retained) throws IOException {
        String sha = sha256(m);
        if (stored(channel, version, sha)) return false;
        String holder = holder(channel, version);
        for (String blob : retained) {
            ctx.db().update("INSERT INTO retained_blobs (sha256, holder) SELECT ?, ? WHERE NOT EXISTS "
                    + "(SELECT 1 FROM retained_blobs WHERE sha256 = ? AND holder = ?)", blob, holder, blob, holder);
        }
        if (!ctx.views().create(holder, m) && !ctx.views().current(holder).orElseThrow().manifestSha().equals(sha)) {
            // left by a publish of other bytes that stopped before its row was written: never listed, never served
            ctx.views().publish(holder, (cur, stale) -> new Views.Next<>(m, null));
        }
        int n = ctx.db().update("INSERT INTO releases (channel, version, manifest, published, origin) SELECT ?, ?, ?, ?, ? "
                        + "WHERE NOT EXISTS (SELECT 1 FROM releases WHERE channel = ? AND version = ?)",
                channel, version, sha, ctx.clock().millis(), origin, channel, version);
        if (n == 0 && !row(channel, version).map(Row::manifest).orElse("").equals(sha)) {
            throw new HttpRefusal(409, "release " + version + " of channel " + channel + " was published concurrently with other content");
        }
        return n == 1;
    }

    /**
     * Whether the channel holds this very release (same version, same manifest) already; 409 when the version
     * holds other content or another version holds the same files.
     */
    private boolean stored(String channel, String version, String manifestSha) {
        Optional<Row> old = row(channel, version);
        if (old.isPresent()) {
            if (!old.get().manifest().equals(manifestSha)) {
                throw new HttpRefusal(409, "release " + version + " of channel " + channel
                        + " exists with other content: a published release never changes, publish a new version");
            }
            return true;
        }
        for (Row r : rows(channel)) {
            if (r.manifest().equals(manifestSha)) {
                throw new HttpRefusal(409, "channel " + channel + " holds the same files as release " + r.version()
                        + ": roll back to it instead");
            }
        }
        return false;
    }

    private static String sha256(ViewManifest m) {
        return HexFormat.of().formatHex(Hashes.of("SHA-256").digest(m.toBytes()));
    }

    /** Points the channel's view at the release's manifest: the one compare-and-set clients observe. */
    private void switchTo(String channel, String version) throws IOException {
        Row r = row(channel, version).orElseThrow();
        ViewManifest m = ViewManifest.parse(ctx.blobs().read(r.manifest()));
        ctx.views().publish(channelView(channel), (cur, now) ->
                new Views.Next<>(cur.manifestSha().equals(r.manifest()) ? null : m, null));
    }

    private Path keyring(String channel, Path dir) throws IOException {
        String sha = ctx.db().query("SELECT keyring FROM channels WHERE name = ?", rs -> rs.getString(1), channel)
                .stream().findFirst().orElseThrow(() -> HttpRefusal.notFound("no channel " + channel));
        Path k = Files.createTempFile(dir, "keyring", ".asc");
        Files.write(k, ctx.blobs().read(sha));
        return k;
    }

    private Views.Pointer pointer(String channel) {
        if (!exists(channel)) throw HttpRefusal.notFound("no channel " + channel);
        return ctx.views().current(channelView(channel)).orElseThrow(() -> HttpRefusal.notFound("no channel " + channel));
    }

    private static void require(Tokens.Token by, String channel) {
        if (by == null) throw new HttpRefusal(401, "authentication required: Authorization: Bearer TOKEN");
        String scope = "channel:" + channel + ":write";
        if (!by.allows(scope)) throw new HttpRefusal(403, "token " + by.id() + " lacks scope " + scope);
    }

    private interface Action<T> {
        T run() throws IOException;
    }

    /** Runs a write and records it in the audit log, refused or not. */
    private <T> T audited(Tokens.Token by, String action, String object, Action<T> work) throws IOException {
        String token = by == null ? null : by.id();
        try {
            T t = work.run();
            Release r = t instanceof Published p ? p.release() : (Release) t;
            String result = (t instanceof Published p && p.created() ? "201 " : "200 ") + "version " + r.version()
                    + " manifest " + r.manifestSha256();
            ctx.audit().record(token, action, object, result);
            return t;
        } catch (HttpRefusal r) {
            ctx.audit().record(token, action, object, r.status() + " " + r.getMessage());
            throw r;
        }
    }

    static String channelView(String channel) {
        return "channel/" + channel;
    }

    static String holder(String channel, String version) {
        return "release/" + channel + "/" + version;
    }

    private record Row(String channel, String version, String manifest, long published) {}

    private List<Row> rows(String channel) {
        return ctx.db().query("SELECT version, manifest, published FROM releases WHERE channel = ? ORDER BY published DESC, version DESC",
                rs -> new Row(channel, rs.getString(1), rs.getString(2), rs.getLong(3)), channel);
    }

    private Optional<Row> row(String channel, String version) {
        if (!NAME.matcher(channel).matches() || version == null || !VERSION.matcher(version).matches()) return Optional.empty();
        return ctx.db().query("SELECT manifest, published FROM releases WHERE channel = ? AND version = ?",
                rs -> new Row(channel, version, rs.getString(1), rs.getLong(2)), channel, version).stream().findFirst();
    }

    private Release release(Row r) throws IOException {
        Map<String, ViewManifest.Entry> files = new TreeMap<>(ViewManifest.parse(ctx.blobs().read(r.manifest())).files());
        return new Release(r.channel(), r.version(), r.published(), new ArrayList<>(files.keySet()), r.manifest());
    }
}

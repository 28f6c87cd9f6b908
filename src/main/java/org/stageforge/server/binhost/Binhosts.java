package org.stageforge.server.binhost;

import org.stageforge.ExitCodes;
import org.stageforge.ParseException;
import org.stageforge.StageforgeException;
import org.stageforge.atom.Cpv;
import org.stageforge.binhost.BinhostWriter;
import org.stageforge.binpkg.BinaryPackage;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.binpkg.PackageMetadata;
import org.stageforge.binpkg.VerifyOptions;
import org.stageforge.server.core.Uploads;
import org.stageforge.server.core.BlobStore;
import org.stageforge.server.core.FreshCache;
import org.stageforge.server.core.HttpRefusal;
import org.stageforge.server.core.LocalBlobStore;
import org.stageforge.server.core.ServerContext;
import org.stageforge.server.core.ViewManifest;
import org.stageforge.server.core.Views;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Named binhosts of a server: creation, verified upload, delete and retention. Each binhost is a view
 * (see {@link Views}) whose manifest holds {@code Packages}, {@code Packages.gz} and every package file;
 * every change publishes a new generation with the index updated from the previous one's entries.
 */
public final class Binhosts {
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
    /** An upload's file name: PF-BUILD_ID.gpkg.tar. */
    private static final Pattern UPLOAD_FILE = Pattern.compile("(.+)-([1-9][0-9]{0,17})\\.gpkg\\.tar");
    private static final String BINPKG_TYPE = "application/x-tar";

    /** What an upload did: {@code created} false when the identical file was there already. */
    public record Upload(String path, String sha256, long size, boolean created, long generation) {}

    private final ServerContext ctx;
    private final FreshCache<String, BinhostSettings> settings;
    /** Each binhost's index as of its last generation published here (taken out while a change works on it). */
    private final java.util.concurrent.ConcurrentHashMap<String, Held> indexes = new java.util.concurrent.ConcurrentHashMap<>();

    /** An index and the sha256 of the Packages blob it renders to. */
    private record Held(String packagesSha256, BinhostIndex index) {}

    public Binhosts(ServerContext ctx) {
        this.ctx = ctx;
        this.settings = new FreshCache<>(ctx.db());
    }

    public ServerContext context() {
        return ctx;
    }

    /** Creates a binhost with an empty index; the keyring file is required with {@code requireSignatures}. */
    public BinhostSettings create(String name, boolean requireSignatures, Path keyring, boolean privateReads, int keepBuilds)
            throws IOException {
        if (!NAME.matcher(name).matches()) {
            throw new StageforgeException("bad binhost name '" + name + "' (letters, digits, . _ -)", ExitCodes.USAGE, null);
        }
        if (requireSignatures && keyring == null) {
            throw new StageforgeException("--require-signatures needs --keyring", ExitCodes.USAGE, null);
        }
        if (keepBuilds < 0) throw new StageforgeException("--keep must not be negative", ExitCodes.USAGE, null);
        String keyringSha = null;
        if (keyring != null) {
            OpenPgp.Keyring.load(keyring); // refuse a file without keys now, not at the first upload
            keyringSha = ctx.blobs().put(Files.readAllBytes(keyring)).sha256();
        }
        BinhostSettings s = new BinhostSettings(name, requireSignatures, keyringSha, privateReads, keepBuilds);
        if (settings(name).isPresent()) throw new StageforgeException("binhost " + name + " exists already", ExitCodes.USAGE, null);
        ctx.db().update("INSERT INTO binhosts (name, require_signatures, keyring, private_reads, keep_builds, created) "
                        + "VALUES (?, ?, ?, ?, ?, ?)", name, requireSignatures ? 1 : 0, keyringSha, privateReads ? 1 : 0,
                keepBuilds, ctx.clock().millis() / 1000);
        ctx.views().create(s.view(), withIndex(ViewManifest.EMPTY, new BinhostIndex(), ctx.clock().millis()).manifest());
        return s;
    }

    /** A binhost's settings (read on every request: kept while the database reports no commit, see {@link FreshCache}). */
    public Optional<BinhostSettings> settings(String name) {
        if (!NAME.matcher(name).matches()) return Optional.empty();
        return settings.get(name, this::load);
    }

    private Optional<BinhostSettings> load(String name) {
        return ctx.db().query("SELECT require_signatures, keyring, private_reads, keep_builds FROM binhosts WHERE name = ?",
                rs -> new BinhostSettings(name, rs.getInt(1) != 0, rs.getString(2), rs.getInt(3) != 0, rs.getInt(4)), name)
                .stream().findFirst();
    }

    /** The served path of an upload name {@code CAT/PF-BUILD_ID.gpkg.tar}: {@code CAT/PN/PF-BUILD_ID.gpkg.tar}. */
    public static UploadName uploadName(String category, String file) {
        Matcher m = UPLOAD_FILE.matcher(file);
        if (!m.matches()) throw HttpRefusal.badRequest("bad package name '" + file + "': expected PF-BUILD_ID.gpkg.tar");
        Cpv cpv;
        try {
            cpv = Cpv.parse(category + "/" + m.group(1));
        } catch (ParseException | IllegalArgumentException e) {
            throw HttpRefusal.badRequest("bad package name '" + category + "/" + file + "': " + e.getMessage());
        }
        if (!cpv.category().equals(category) || !cpv.pf().equals(m.group(1))) {
            throw HttpRefusal.badRequest("bad package name '" + category + "/" + file + "'");
        }
        return new UploadName(cpv, Long.parseLong(m.group(2)),
                category + "/" + cpv.name() + "/" + file);
    }

    /** A parsed upload name. */
    public record UploadName(Cpv cpv, long buildId, String path) {}

    /**
     * Receives one package: streamed to a private temporary directory (at most the server's upload limit),
     * verified (GPKG structure, Manifest digests, signatures against the binhost's keyring when required, the
     * hostile-archive checks of the image, metadata naming this CATEGORY/PF/BUILD_ID), stored as a blob and
     * published with the index updated by its one entry. A refusal stores nothing.
     */
    public Upload upload(BinhostSettings b, UploadName name, InputStream body) throws IOException {
        Path tmp = ctx.blobs().newTempDir();
        try {
            Path file = tmp.resolve(name.path().substring(name.path().lastIndexOf('/') + 1));
            Uploads.Received got = Uploads.receive(body, file, ctx.config().maxUploadBytes(), null);
            String sha256 = got.sha256();
            long size = got.size();
            Map<String, String> entry = verify(b, name, file);
            long now = ctx.clock().millis();
            entry.put("MTIME", Long.toString(now / 1000));
            // an answer known before storing anything: the path is taken (409) or holds these very bytes (200)
            Views.Pointer now0 = ctx.views().current(b.view()).orElseThrow(() -> HttpRefusal.notFound("no binhost " + b.name()));
            ViewManifest.Entry there = ctx.views().manifest(now0).get(name.path());
            if (there != null) {
                if (!there.sha256().equals(sha256)) throw conflict(name, there);
                return new Upload(name.path(), sha256, size, false, now0.generation());
            }
            BlobStore.Blob blob = ctx.blobs().adopt(file, sha256);
            ViewManifest.Entry me = new ViewManifest.Entry(sha256, blob.size(), now / 1000);
            Views.Published<Held> p = ctx.views().publish(b.view(), (cur, m) -> {
                ViewManifest.Entry old = m.get(name.path());
                if (old != null) {
                    if (old.sha256().equals(sha256)) return new Views.Next<>(null, null);
                    throw conflict(name, old);
                }
                BinhostIndex idx = index(b, m);
                idx.put(entry);
                // read under the view's lock, at each attempt: a holder added meanwhile (another process) counts
                Set<String> retained = retainedBlobs();
                ViewManifest next = m.with(name.path(), me);
                for (Map<String, String> drop : expired(idx.builds(name.cpv().toString()), b.keepBuilds(), next, retained)) {
                    idx.remove(drop);
                    next = next.without(drop.get("PATH"));
                }
                Indexed h = withIndex(next, idx, now);
                return new Views.Next<>(h.manifest(), h.held());
            });
            keep(b, p);
            return new Upload(name.path(), sha256, size, p.result() != null, p.pointer().generation());
        } finally {
            LocalBlobStore.deleteTree(tmp);
        }
    }

    private static HttpRefusal conflict(UploadName name, ViewManifest.Entry there) {
        return new HttpRefusal(409, name.path() + " exists with other content (sha256 " + there.sha256()
                + "): upload it under a new BUILD_ID or delete it first");
    }

    private Map<String, String> verify(BinhostSettings b, UploadName name, Path file) throws IOException {
        OpenPgp.Keyring keys = null;
        if (b.keyringSha256() != null) {
            Path k = Files.createTempFile(file.getParent(), "keyring", ".asc");
            Files.write(k, ctx.blobs().read(b.keyringSha256()));
            keys = OpenPgp.Keyring.load(k);
            Files.delete(k);
        }
        try (BinaryPackage p = BinaryPackage.open(file)) {
            if (p.format() != BinaryPackage.Format.GPKG) throw new HttpRefusal(415, file.getFileName() + ": not a GPKG");
            PackageMetadata md = p.metadata();
            check(md, "CATEGORY", name.cpv().category(), file);
            check(md, "PF", name.cpv().pf(), file);
            String bid = md.get("BUILD_ID");
            if (bid != null && !bid.equals(Long.toString(name.buildId()))) {
                throw new HttpRefusal(422, file.getFileName() + ": metadata BUILD_ID " + bid + " does not match the name");
            }
            p.verify(null, new VerifyOptions(keys, b.requireSignatures()));
            p.checkImage();
        } catch (StageforgeException e) {
            if (e.getMessage() != null && e.getMessage().contains("not a binary package")) throw new HttpRefusal(415, e.getMessage());
            throw new HttpRefusal(422, "package refused: " + e.getMessage());
        }
        Map<String, String> entry = new TreeMap<>(BinhostWriter.entry(file, name.path(), 0));
        entry.put("BUILD_ID", Long.toString(name.buildId()));
        return entry;
    }

    private static void check(PackageMetadata md, String key, String want, Path file) {
        String v = md.get(key);
        if (!want.equals(v)) {
            throw new HttpRefusal(422, file.getFileName() + ": metadata " + key + " is '" + v + "', the name says '" + want + "'");
        }
    }

    /** Removes one package; 404 when the binhost does not serve it. */
    public long delete(BinhostSettings b, UploadName name) throws IOException {
        long now = ctx.clock().millis();
        Views.Published<Held> p = ctx.views().publish(b.view(), (cur, m) -> {
            if (m.get(name.path()) == null) throw HttpRefusal.notFound("no package " + name.path() + " in binhost " + b.name());
            BinhostIndex idx = index(b, m);
            idx.remove(Map.of("CPV", name.cpv().toString(), "BUILD_ID", Long.toString(name.buildId()), "PATH", name.path()));
            Indexed h = withIndex(m.without(name.path()), idx, now);
            return new Views.Next<>(h.manifest(), h.held());
        });
        keep(b, p);
        return p.pointer().generation();
    }

    /**
     * The builds of one CPV (by BUILD_ID) beyond its newest {@code keep} whose blob nothing retains. Checked for the
     * CPV an upload adds to, so it costs that package's builds, not the binhost.
     */
    private static List<Map<String, String>> expired(List<Map<String, String>> builds, int keep, ViewManifest m, Set<String> retained) {
        if (keep <= 0 || builds.size() <= keep) return List.of();
        List<Map<String, String>> out = new ArrayList<>();
        for (Map<String, String> e : builds.subList(0, builds.size() - keep)) {
            ViewManifest.Entry f = m.get(e.get("PATH"));
            if (f != null && !retained.contains(f.sha256())) out.add(e);
        }
        return out;
    }

    /** Blobs a published release's lock (or any other holder) keeps: retention never drops them. */
    private Set<String> retainedBlobs() {
        return new HashSet<>(ctx.db().query("SELECT sha256 FROM retained_blobs", rs -> rs.getString(1)));
    }

    /**
     * The index of generation {@code m} to change: the one this process published last when {@code m} is that
     * generation (taken out, so a change that fails or loses the race leaves nothing half-changed behind), else
     * read from m's Packages (after a restart, or when another server process published).
     */
    private BinhostIndex index(BinhostSettings b, ViewManifest m) throws IOException {
        Held h = indexes.remove(b.view());
        ViewManifest.Entry packages = m.get("Packages");
        if (h != null && packages != null && h.packagesSha256().equals(packages.sha256())) return h.index();
        return packages == null ? new BinhostIndex() : BinhostIndex.parse(ctx.blobs().read(packages.sha256()));
    }

    /** Keeps a published generation's index for the next change. */
    private void keep(BinhostSettings b, Views.Published<Held> p) {
        Held h = p.result();
        ViewManifest.Entry packages = p.manifest().get("Packages");
        if (h != null && packages != null && packages.sha256().equals(h.packagesSha256())) indexes.put(b.view(), h);
    }

    /** A manifest with its index files, and the index they came from. */
    private record Indexed(ViewManifest manifest, Held held) {}

    /** {@code m} with a new Packages and Packages.gz rendered from {@code idx}, their blobs stored. */
    private Indexed withIndex(ViewManifest m, BinhostIndex idx, long nowMillis) throws IOException {
        BinhostIndex.Files f = idx.render(nowMillis / 1000);
        BlobStore.Blob t = ctx.blobs().put(f.packages());
        BlobStore.Blob g = ctx.blobs().put(f.packagesGz());
        return new Indexed(m.with("Packages", new ViewManifest.Entry(t.sha256(), t.size(), nowMillis / 1000))
                .with("Packages.gz", new ViewManifest.Entry(g.sha256(), g.size(), nowMillis / 1000)), new Held(t.sha256(), idx));
    }

    /** Content type of a served path. */
    static String contentType(String path) {
        if (path.endsWith(".gz")) return "application/gzip";
        if (path.equals("Packages")) return "text/plain; charset=UTF-8";
        return BINPKG_TYPE;
    }

    /** The binrepos.conf snippet for a binhost served at {@code baseUrl}. */
    public static String binreposConf(BinhostSettings b, String baseUrl) {
        StringBuilder sb = new StringBuilder();
        sb.append('[').append(b.name()).append("]\n");
        sb.append("priority = 10\n");
        sb.append("sync-uri = ").append(baseUrl).append("/binhost/").append(b.name()).append('\n');
        // always explicit: Portage's default depends on its version and FEATURES, and verifying needs gpg on the client
        sb.append("verify-signature = ").append(b.requireSignatures()).append('\n');
        return sb.toString();
    }
}

package org.stageforge.server.snapshots;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.server.core.Uploads;
import org.stageforge.server.core.BlobStore;
import org.stageforge.server.core.HttpRefusal;
import org.stageforge.server.core.ServerContext;
import org.stageforge.server.core.ViewManifest;
import org.stageforge.server.core.Views;
import org.stageforge.snapshot.Snapshots;
import org.stageforge.util.Dirs;
import org.stageforge.util.Hashes;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The webrsync snapshots a server publishes under {@code /snapshots/}: for each repository (the view
 * {@code snapshots/REPO}) the dated {@code REPO-YYYYMMDD.tar.xz}, {@code .gpgsig} and {@code .md5sum}, and the same
 * three under {@code REPO-latest.tar.xz…} for the newest date, switched in the same generation as the dated files.
 *
 * <p>Every snapshot, uploaded or made here from git, is published only when its MD5 matches its {@code .md5sum} and
 * its {@code .gpgsig} verifies against the snapshot keyring (without a keyring nothing is published: a snapshot
 * emerge-webrsync cannot verify is of no use). A date, once published, is never rewritten: the same files again are
 * accepted as they are (200), other bytes are refused (409). The served {@code .md5sum} is written here in the
 * form Gentoo uses ({@code MD5  FILE}), naming the file it sits beside.
 */
public final class SnapshotStore {
    /** Largest {@code .gpgsig} or {@code .md5sum} accepted with an upload. */
    public static final int MAX_SIDE_FILE = 64 * 1024;
    private static final Pattern MD5SUM = Pattern.compile("([0-9a-fA-F]{32})(?:[ \\t]+\\*?(\\S+))?");
    private static final Pattern COMMIT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]{0,199}");
    private static final Pattern URL = Pattern.compile("([a-zA-Z][a-zA-Z0-9+.-]*)://.+");

    /**
     * What publishing a snapshot did.
     *
     * @param created    false when the date held these very files already
     * @param latest     the {@code -latest} names serve this snapshot
     * @param signer     fingerprint of the key whose signature verified
     * @param generation the view's generation serving it
     */
    public record Publication(String file, String sha256, long size, boolean created, boolean latest, String signer,
                              long generation) {}

    /** A published snapshot: repository, date, the tarball's blob and size, when it was published (seconds). */
    public record Snapshot(String repo, String date, String sha256, long size, long publishedSeconds) {}

    /** A snapshot made here from git: the commit it was made of and its publication. */
    public record FromGit(String commit, Publication publication) {}

    private final ServerContext ctx;

    public SnapshotStore(ServerContext ctx) {
        this.ctx = ctx;
    }

    public ServerContext context() {
        return ctx;
    }

    /** Makes the OpenPGP public keys in {@code keyring} the ones snapshots must be signed by; returns how many. */
    public int configure(Path keyring) throws IOException {
        int keys = OpenPgp.Keyring.load(keyring).keys().size();
        String sha = ctx.blobs().put(Files.readAllBytes(keyring)).sha256();
        ctx.db().update("INSERT INTO snapshot_settings (id, keyring, updated) VALUES (1, ?, ?) "
                + "ON CONFLICT (id) DO UPDATE SET keyring = excluded.keyring, updated = excluded.updated", sha, ctx.clock().millis());
        ctx.audit().record(null, "snapshot.configure", "keyring", "ok sha256 " + sha);
        return keys;
    }

    /** The blob of the snapshot keyring, if one is configured. */
    public Optional<String> keyringSha256() {
        return ctx.db().query("SELECT keyring FROM snapshot_settings WHERE id = 1", rs -> rs.getString(1)).stream().findFirst();
    }

    /** Repositories with published snapshots, sorted. */
    public List<String> repos() {
        return ctx.db().query("SELECT name FROM snapshot_repos ORDER BY name", rs -> rs.getString(1));
    }

    /** A repository's published snapshots, oldest first ({@code -latest} serves the last one). */
    public List<Snapshot> list(String repo) throws IOException {
        Optional<Views.Pointer> p = SnapshotName.validRepo(repo) ? ctx.views().current(SnapshotName.view(repo)) : Optional.empty();
        if (p.isEmpty()) return List.of();
        List<Snapshot> out = new ArrayList<>();
        for (Map.Entry<String, ViewManifest.Entry> e : ctx.views().manifest(p.get()).files().entrySet()) {
            SnapshotName n = SnapshotName.parse(e.getKey()).orElse(null);
            if (n == null || n.latest() || !n.suffix().isEmpty() || !n.repo().equals(repo)) continue;
            out.add(new Snapshot(repo, n.date(), e.getValue().sha256(), e.getValue().size(), e.getValue().mtime()));
        }
        return out; // the manifest is sorted by name, so by date
    }

    /**
     * Receives an upload: the tarball streamed to a private temporary directory (at most the server's upload limit)
     * beside its {@code .gpgsig} and {@code .md5sum}, then {@link #publish}ed. A refusal stores nothing.
     */
    public Publication upload(String file, InputStream body, byte[] gpgsig, byte[] md5sum) throws IOException {
        SnapshotName n = uploadName(file);
        requireKeyring();
        if (gpgsig.length > MAX_SIDE_FILE || md5sum.length > MAX_SIDE_FILE) {
            throw new HttpRefusal(413, "the .gpgsig and .md5sum must be at most " + MAX_SIDE_FILE + " bytes each");
        }
        Path dir = ctx.blobs().newTempDir();
        try {
            Path tarball = dir.resolve(n.tarball());
            String sha256 = Uploads.receive(body, tarball, ctx.config().maxUploadBytes(), null).sha256();
            Files.write(dir.resolve(n.tarball() + ".gpgsig"), gpgsig);
            Files.write(dir.resolve(n.tarball() + ".md5sum"), md5sum);
            return publish(tarball, sha256);
        } finally {
            Dirs.deleteTree(dir);
        }
    }

    /** The name of an upload: a dated tarball, {@code REPO-YYYYMMDD.tar.xz} (400 otherwise). */
    public static SnapshotName uploadName(String file) {
        SnapshotName n = SnapshotName.parse(file).filter(x -> !x.latest() && x.suffix().isEmpty())
                .orElseThrow(() -> HttpRefusal.badRequest("bad snapshot name '" + file + "': expected REPO-YYYYMMDD.tar.xz"));
        try {
            Snapshots.dateEpoch(n.date());
        } catch (StageforgeException e) {
            throw HttpRefusal.badRequest(e.getMessage());
        }
        return n;
    }

    /** The keyring's blob; 409 when none is configured. */
    String requireKeyring() {
        return keyringSha256().orElseThrow(() -> new HttpRefusal(409, "no snapshot keyring is configured on the server "
                + "(stageforge server snapshots configure --keyring KEYS.asc): nothing is published unverified"));
    }

    /**
     * Publishes {@code tarball} ({@code REPO-YYYYMMDD.tar.xz} in a directory of {@code DATA/tmp}, with its
     * {@code .gpgsig} and {@code .md5sum} beside it; its SHA-256 known) once it verifies. The tarball file is moved
     * into the blob store.
     */
    Publication publish(Path tarball, String sha256) throws IOException {
        SnapshotName n = uploadName(tarball.getFileName().toString());
        String keyringSha = requireKeyring();
        Path dir = tarball.getParent();
        Path sig = dir.resolve(n.tarball() + ".gpgsig");
        String md5 = md5sumHex(Files.readString(dir.resolve(n.tarball() + ".md5sum"), StandardCharsets.ISO_8859_1), n);
        Path keyring = Files.write(dir.resolve(".keyring"), ctx.blobs().read(keyringSha));
        Snapshots.Verified v;
        try {
            v = Snapshots.verify(tarball, keyring);
        } catch (StageforgeException e) {
            throw new HttpRefusal(422, "snapshot refused: " + e.getMessage().replace(dir + "/", ""));
        }
        byte[] sigBytes = Files.readAllBytes(sig);
        String sigSha = HexFormat.of().formatHex(Hashes.of("SHA-256").digest(sigBytes));
        String view = SnapshotName.view(n.repo());
        // an answer known before storing anything: the date is taken (409) or holds these very files (200)
        Optional<Views.Pointer> now0 = ctx.views().current(view);
        if (now0.isPresent()) {
            ViewManifest m = ctx.views().manifest(now0.get());
            if (m.get(n.tarball()) != null) return same(m, n, sha256, sigSha, v.signer(), now0.get().generation());
        }
        long size = Files.size(tarball);
        long now = ctx.clock().millis() / 1000;
        BlobStore.Blob tar = ctx.blobs().adopt(tarball, sha256);
        BlobStore.Blob s = ctx.blobs().put(sigBytes);
        BlobStore.Blob dated = ctx.blobs().put(md5sumFile(md5, n.tarball()));
        SnapshotName latestName = new SnapshotName(n.repo(), SnapshotName.LATEST, "");
        BlobStore.Blob latestMd5 = ctx.blobs().put(md5sumFile(md5, latestName.tarball()));
        ctx.views().create(view, ViewManifest.EMPTY);
        ctx.db().update("INSERT INTO snapshot_repos (name, created) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", n.repo(), now);
        Views.Published<Publication> p = ctx.views().publish(view, (cur, m) -> {
            if (m.get(n.tarball()) != null) return new Views.Next<>(null, same(m, n, sha256, sigSha, v.signer(), cur.generation()));
            String newest = newestDate(m, n.repo());
            boolean latest = newest == null || n.date().compareTo(newest) > 0;
            ViewManifest next = m.with(n.tarball(), entry(tar, now)).with(n.tarball() + ".gpgsig", entry(s, now))
                    .with(n.tarball() + ".md5sum", entry(dated, now));
            if (latest) {
                next = next.with(latestName.tarball(), entry(tar, now)).with(latestName.tarball() + ".gpgsig", entry(s, now))
                        .with(latestName.tarball() + ".md5sum", entry(latestMd5, now));
            }
            return new Views.Next<>(next, new Publication(n.tarball(), sha256, size, true, latest, v.signer(), cur.generation() + 1));
        });
        return p.result();
    }

    /** The date is published already: the same tarball and signature are accepted as they are, anything else is 409. */
    private static Publication same(ViewManifest m, SnapshotName n, String sha256, String sigSha, String signer, long generation) {
        ViewManifest.Entry tar = m.get(n.tarball());
        ViewManifest.Entry sig = m.get(n.tarball() + ".gpgsig");
        if (!tar.sha256().equals(sha256) || sig == null || !sig.sha256().equals(sigSha)) {
            throw new HttpRefusal(409, n.tarball() + " is published with other content (sha256 " + tar.sha256()
                    + "): a date is never rewritten");
        }
        ViewManifest.Entry latest = m.get(new SnapshotName(n.repo(), SnapshotName.LATEST, "").tarball());
        return new Publication(n.tarball(), sha256, tar.size(), false, latest != null && latest.sha256().equals(sha256)
                && n.date().equals(newestDate(m, n.repo())), signer, generation);
    }

    private static ViewManifest.Entry entry(BlobStore.Blob b, long mtime) {
        return new ViewManifest.Entry(b.sha256(), b.size(), mtime);
    }

    /** The newest date with a tarball in the view, or null. */
    private static String newestDate(ViewManifest m, String repo) {
        String newest = null;
        for (String f : m.files().keySet()) {
            SnapshotName n = SnapshotName.parse(f).orElse(null);
            if (n != null && n.repo().equals(repo) && !n.latest() && n.suffix().isEmpty()
                    && (newest == null || n.date().compareTo(newest) > 0)) {
                newest = n.date();
            }
        }
        return newest;
    }

    /** The MD5 a {@code .md5sum} states: one line {@code MD5} or {@code MD5  FILE} naming this tarball (422 otherwise). */
    static String md5sumHex(String text, SnapshotName n) {
        String line = text.strip();
        Matcher m = MD5SUM.matcher(line);
        if (line.contains("\n") || !m.matches()) {
            throw new HttpRefusal(422, "snapshot refused: " + n.tarball() + ".md5sum: expected one line 'MD5  " + n.tarball() + "'");
        }
        if (m.group(2) != null && !m.group(2).equals(n.tarball())) {
            throw new HttpRefusal(422, "snapshot refused: " + n.tarball() + ".md5sum names another file (" + m.group(2) + ")");
        }
        return m.group(1).toLowerCase(Locale.ROOT);
    }

    private static byte[] md5sumFile(String md5, String file) {
        return (md5 + "  " + file + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Makes a snapshot of {@code commit} of a git repository (a local directory, or an http(s), git, ssh or file URL,
     * cloned first) with the deterministic {@link Snapshots#create}, signs it with {@code key} and publishes it (the
     * key must be in the snapshot keyring). The date is {@code date}, with {@code metadata/timestamp.x} its 00:00 UTC,
     * or else the commit's committer date, with the committer time; so the same commit gives the same bytes.
     */
    public FromGit fromGit(String repository, String commit, String date, String name, OpenPgp.SigningKey key,
                           Consumer<String> log) throws IOException {
        if (!SnapshotName.validRepo(name)) {
            throw new StageforgeException("snapshot name '" + name + "' is not a repository name", ExitCodes.USAGE, null);
        }
        if (commit == null || !COMMIT.matcher(commit).matches()) {
            throw new StageforgeException("bad commit '" + commit + "'", ExitCodes.USAGE, null);
        }
        if (date != null) Snapshots.dateEpoch(date);
        requireKeyringForCli();
        Path work = ctx.blobs().newTempDir();
        String object = name + " " + repository + " " + commit;
        try {
            Path repo = localRepository(repository, work.resolve("clone"), log);
            String id = git(repo, "no commit '" + commit + "' in " + repository, "rev-parse", "--verify", "--quiet",
                    commit + "^{commit}").strip();
            long committed = Long.parseLong(git(repo, "cannot read the date of " + id, "log", "-1", "--format=%ct", id).strip());
            String d = date != null ? date
                    : DateTimeFormatter.BASIC_ISO_DATE.format(Instant.ofEpochSecond(committed).atZone(ZoneOffset.UTC)).substring(0, 8);
            Snapshots.Created c = Snapshots.create(repo, id, new Snapshots.Options(name, d, date != null ? null : committed, key),
                    work.resolve("out"), log);
            Publication p;
            try {
                p = publish(c.tarball(), Hashes.ofFile(c.tarball(), "SHA-256"));
            } catch (HttpRefusal r) {
                throw new StageforgeException(r.getMessage(), r.status() == 422 ? ExitCodes.VERIFY : ExitCodes.FAILURE, null);
            }
            ctx.audit().record(null, "snapshot.from-git", object, (p.created() ? 201 : 200) + " " + p.file() + " commit " + id
                    + " sha256 " + p.sha256() + " generation " + p.generation());
            return new FromGit(id, p);
        } catch (StageforgeException e) {
            ctx.audit().record(null, "snapshot.from-git", object, "refused (exit " + e.exitCode() + "): " + e.getMessage());
            throw e;
        } finally {
            Dirs.deleteTree(work);
        }
    }

    private void requireKeyringForCli() {
        try {
            requireKeyring();
        } catch (HttpRefusal r) {
            throw new StageforgeException(r.getMessage(), ExitCodes.USAGE, null);
        }
    }

    /** A local repository directory as it is, or a URL cloned (bare) into {@code clone}. */
    private static Path localRepository(String repository, Path clone, Consumer<String> log) throws IOException {
        Matcher m = URL.matcher(repository);
        if (!m.matches()) {
            Path p = Path.of(repository);
            if (!Files.isDirectory(p)) throw new StageforgeException(repository + ": not a directory or URL", ExitCodes.NOT_FOUND, null);
            return p;
        }
        if (!List.of("https", "http", "git", "ssh", "file").contains(m.group(1).toLowerCase(Locale.ROOT))) {
            throw new StageforgeException(repository + ": only https, http, git, ssh and file URLs", ExitCodes.USAGE, null);
        }
        log.accept("clone " + repository);
        run(List.of("git", "clone", "--quiet", "--bare", "--", repository, clone.toString()), "cannot clone " + repository);
        return clone;
    }

    private static String git(Path repo, String failure, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("git", "-C", repo.toString()));
        cmd.addAll(List.of(args));
        return run(cmd, failure);
    }

    private static String run(List<String> cmd, String failure) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        // no ext:: or other command-running transports, and never a password prompt
        pb.environment().put("GIT_ALLOW_PROTOCOL", "https:http:git:ssh:file");
        pb.environment().put("GIT_TERMINAL_PROMPT", "0");
        Process p = pb.start();
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

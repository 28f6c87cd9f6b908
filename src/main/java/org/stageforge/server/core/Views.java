package org.stageforge.server.core;

import org.stageforge.StageforgeException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Atomic publishing: a view's pointer (manifest blob, generation, publish time) in the database, moved by
 * one compare-and-set on the generation. Writers of one view take turns in this process and retry when
 * another process won; readers resolve the pointer once per request and see one whole generation.
 */
public final class Views {
    /** What a view serves now. */
    public record Pointer(String name, String manifestSha, long generation, long publishedMillis) {}

    /** A publish's result: the new pointer and what the change function returned. */
    public record Published<T>(Pointer pointer, ViewManifest manifest, T result) {}

    /** A change to a view: given the current generation, the next manifest (blobs already stored). */
    public interface Change<T> {
        Next<T> apply(Pointer current, ViewManifest manifest) throws IOException;
    }

    /** A change's outcome: the new manifest (null: nothing to publish) and a value for the caller. */
    public record Next<T>(ViewManifest manifest, T result) {}

    private final MetadataStore db;
    private final BlobStore blobs;
    private final Clock clock;
    private final ConcurrentHashMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    private final FreshCache<String, Pointer> pointers;
    /** The last parsed manifest of each view (a manifest blob never changes: its sha256 says which). */
    private final ConcurrentHashMap<String, Parsed> parsed = new ConcurrentHashMap<>();

    private record Parsed(String sha256, ViewManifest manifest) {}

    public Views(MetadataStore db, BlobStore blobs, Clock clock) {
        this.db = db;
        this.blobs = blobs;
        this.clock = clock;
        this.pointers = new FreshCache<>(db);
    }

    public Optional<Pointer> current(String name) {
        return db.query("SELECT manifest, generation, published FROM views WHERE name = ?",
                rs -> new Pointer(name, rs.getString(1), rs.getLong(2), rs.getLong(3)), name).stream().findFirst();
    }

    /**
     * What readers serve: {@link #current}, answered from memory while the database reports no commit since it was
     * read (see {@link FreshCache}), so a request costs no query yet never sees a pointer another process moved.
     */
    public Optional<Pointer> serving(String name) {
        return pointers.get(name, this::current);
    }

    public ViewManifest manifest(Pointer p) throws IOException {
        Parsed last = parsed.get(p.name());
        if (last != null && last.sha256().equals(p.manifestSha())) return last.manifest();
        ViewManifest m = ViewManifest.parse(blobs.read(p.manifestSha()));
        parsed.put(p.name(), new Parsed(p.manifestSha(), m));
        return m;
    }

    /** Creates a view at generation 1; false when it exists already. */
    public boolean create(String name, ViewManifest manifest) throws IOException {
        String sha = blobs.put(manifest.toBytes()).sha256();
        // one statement, so two processes creating the same view at once both succeed (one of them as "exists")
        return db.update("INSERT INTO views (name, manifest, generation, published) VALUES (?, ?, 1, ?) ON CONFLICT (name) DO NOTHING",
                name, sha, clock.millis()) == 1;
    }

    /**
     * Applies {@code change} to the current generation and moves the pointer to the result; on a lost race
     * with another process, applies it again to the winner's generation. On a database with row locks the
     * view's row is locked while the change is computed, so writers in other processes wait their turn instead
     * of computing a change that loses; the compare-and-set on the generation guards either way.
     */
    public <T> Published<T> publish(String name, Change<T> change) throws IOException {
        ReentrantLock lock = locks.computeIfAbsent(name, k -> new ReentrantLock());
        lock.lock();
        try {
            while (true) {
                Published<T> p = db.rowLocks() ? lockedAttempt(name, change) : attempt(name, change, db::update, null);
                if (p != null) return p;
            }
        } catch (UncheckedIOException e) {
            throw new StageforgeException("publishing " + name + ": " + e.getCause().getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    /** Runs SQL on some connection: the store's own (one per call) or a transaction's. */
    private interface Sql {
        int update(String sql, Object... params) throws SQLException;
    }

    /** One compare-and-set attempt from {@code cur} (read now when null); null when another writer won. */
    private <T> Published<T> attempt(String name, Change<T> change, Sql sql, Pointer cur) throws IOException {
        if (cur == null) cur = current(name).orElseThrow(() -> HttpRefusal.notFound("no such view " + name));
        ViewManifest m = manifest(cur);
        Next<T> next = change.apply(cur, m);
        if (next.manifest() == null) return new Published<>(cur, m, next.result());
        String sha = blobs.put(next.manifest().toBytes()).sha256();
        long now = clock.millis();
        int moved;
        try {
            moved = sql.update("UPDATE views SET manifest = ?, generation = ?, published = ? WHERE name = ? AND generation = ?",
                    sha, cur.generation() + 1, now, name, cur.generation());
        } catch (SQLException e) {
            throw new StageforgeException("metadata database: " + e.getMessage(), e);
        }
        return moved == 1 ? new Published<>(new Pointer(name, sha, cur.generation() + 1, now), next.manifest(), next.result()) : null;
    }

    /** An attempt inside one transaction holding the view's row lock ({@code SELECT … FOR UPDATE}). */
    private <T> Published<T> lockedAttempt(String name, Change<T> change) throws IOException {
        try {
            return db.transaction(c -> {
                Pointer cur;
                try (PreparedStatement st = MetadataStore.prepare(c,
                        "SELECT manifest, generation, published FROM views WHERE name = ? FOR UPDATE", name);
                     ResultSet rs = st.executeQuery()) {
                    if (!rs.next()) throw HttpRefusal.notFound("no such view " + name);
                    cur = new Pointer(name, rs.getString(1), rs.getLong(2), rs.getLong(3));
                }
                try {
                    return attempt(name, change, (q, params) -> {
                        try (PreparedStatement st = MetadataStore.prepare(c, q, params)) {
                            return st.executeUpdate();
                        }
                    }, cur);
                } catch (IOException e) {
                    throw new ChangeFailed(e);
                }
            });
        } catch (ChangeFailed e) {
            throw e.io;
        }
    }

    /** Carries a change's IOException out of a transaction (which rolls back on it). */
    private static final class ChangeFailed extends RuntimeException {
        final IOException io;

        ChangeFailed(IOException io) {
            super(io.getMessage(), io, false, false);
            this.io = io;
        }
    }
}

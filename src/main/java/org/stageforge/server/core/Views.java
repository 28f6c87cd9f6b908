package org.stageforge.server.core;

import org.stageforge.StageforgeException;

import java.io.IOException;
import java.io.UncheckedIOException;
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
        return db.transaction(c -> {
            try (var st = MetadataStore.prepare(c, "SELECT 1 FROM views WHERE name = ?", name); var rs = st.executeQuery()) {
                if (rs.next()) return false;
            }
            try (var st = MetadataStore.prepare(c, "INSERT INTO views (name, manifest, generation, published) VALUES (?, ?, 1, ?)",
                    name, sha, clock.millis())) {
                st.executeUpdate();
            }
            return true;
        });
    }

    /**
     * Applies {@code change} to the current generation and moves the pointer to the result; on a lost race
     * with another process, applies it again to the winner's generation.
     */
    public <T> Published<T> publish(String name, Change<T> change) throws IOException {
        ReentrantLock lock = locks.computeIfAbsent(name, k -> new ReentrantLock());
        lock.lock();
        try {
            while (true) {
                Pointer cur = current(name).orElseThrow(() -> HttpRefusal.notFound("no such view " + name));
                ViewManifest m = manifest(cur);
                Next<T> next = change.apply(cur, m);
                if (next.manifest() == null) return new Published<>(cur, m, next.result());
                String sha = blobs.put(next.manifest().toBytes()).sha256();
                long now = clock.millis();
                int moved = db.update("UPDATE views SET manifest = ?, generation = ?, published = ? WHERE name = ? AND generation = ?",
                        sha, cur.generation() + 1, now, name, cur.generation());
                if (moved == 1) return new Published<>(new Pointer(name, sha, cur.generation() + 1, now), next.manifest(), next.result());
            }
        } catch (UncheckedIOException e) {
            throw new StageforgeException("publishing " + name + ": " + e.getCause().getMessage(), e);
        } finally {
            lock.unlock();
        }
    }
}

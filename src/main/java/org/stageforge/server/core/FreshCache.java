package org.stageforge.server.core;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Rows of the metadata database that every request reads (a binhost's settings, a view's pointer), kept between
 * requests while {@link MetadataStore#changeStamp} says nothing was committed since they were loaded: one cheap
 * probe per request instead of a connection and a query, and still never stale, with any number of server
 * processes on one database. Only present values are kept, so made-up names in requests cannot fill it.
 */
public final class FreshCache<K, V> {
    private record Held<V>(long stamp, V value) {}

    private final MetadataStore db;
    private final ConcurrentHashMap<K, Held<V>> held = new ConcurrentHashMap<>();

    public FreshCache(MetadataStore db) {
        this.db = db;
    }

    /** The value for {@code key}: the kept one when no commit happened since it was loaded, else {@code load}'s. */
    public Optional<V> get(K key, Function<K, Optional<V>> load) {
        // read before loading: a commit between the two makes the next call load again
        long stamp = db.changeStamp();
        Held<V> h = held.get(key);
        if (h != null && h.stamp() == stamp) return Optional.of(h.value());
        Optional<V> v = load.apply(key);
        if (v.isPresent()) held.put(key, new Held<>(stamp, v.get()));
        else held.remove(key);
        return v;
    }
}

package org.stageforge.server.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Pointers and rows kept between requests are reused until a commit, by any connection of any process. */
class FreshCacheTest {
    @Test
    void aPointerMovedByAnotherProcessIsSeenAtTheNextRequest(@TempDir Path tmp) throws Exception {
        // two contexts on one data directory: two metadata stores with their own connections, as two processes have
        ServerContext reader = CoreStorageTest.open(tmp);
        ServerContext writer = CoreStorageTest.open(tmp);
        ViewManifest one = ViewManifest.EMPTY.with("f", entry(reader, "one"));
        assertThat(reader.views().create("test/v", one)).isTrue();
        Views.Pointer first = reader.views().serving("test/v").orElseThrow();
        assertThat(first.generation()).isEqualTo(1);
        assertThat(reader.views().serving("test/v")).contains(first);
        assertThat(reader.views().manifest(first)).isSameAs(reader.views().manifest(first)); // parsed once

        ViewManifest.Entry two = entry(writer, "two");
        writer.views().publish("test/v", (cur, m) -> new Views.Next<>(m.with("f", two), null));
        Views.Pointer second = reader.views().serving("test/v").orElseThrow();
        assertThat(second.generation()).isEqualTo(2);
        assertThat(reader.views().manifest(second).get("f")).isEqualTo(two);
        assertThat(reader.views().serving("nope")).isEmpty();
    }

    @Test
    void loadsAgainOnlyAfterACommit(@TempDir Path tmp) throws Exception {
        ServerContext a = CoreStorageTest.open(tmp);
        ServerContext b = CoreStorageTest.open(tmp);
        FreshCache<String, Integer> cache = new FreshCache<>(a.db());
        AtomicInteger loads = new AtomicInteger();
        java.util.function.Function<String, Optional<Integer>> load = k -> Optional.of(loads.incrementAndGet());
        assertThat(cache.get("k", load)).contains(1);
        assertThat(cache.get("k", load)).contains(1);
        a.tokens().create("same process, another connection", java.util.List.of("admin"));
        assertThat(cache.get("k", load)).contains(2);
        b.tokens().create("other process", java.util.List.of("admin"));
        assertThat(cache.get("k", load)).contains(3);
        assertThat(cache.get("k", load)).contains(3);
        // absent values are not kept: made-up names cannot fill the cache
        AtomicInteger misses = new AtomicInteger();
        cache.get("x", k -> { misses.incrementAndGet(); return Optional.empty(); });
        cache.get("x", k -> { misses.incrementAndGet(); return Optional.empty(); });
        assertThat(misses).hasValue(2);
    }

    private static ViewManifest.Entry entry(ServerContext ctx, String text) throws Exception {
        BlobStore.Blob blob = ctx.blobs().put(text.getBytes(StandardCharsets.UTF_8));
        return new ViewManifest.Entry(blob.sha256(), blob.size(), 0);
    }
}

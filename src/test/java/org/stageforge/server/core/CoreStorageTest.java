package org.stageforge.server.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Metadata (SQLite through Flyway), tokens, blobs, views and the audit log of a data directory. */
class CoreStorageTest {
    private static final Clock FIXED = Clock.fixed(Instant.ofEpochSecond(1_700_000_000L), ZoneOffset.UTC);

    static ServerContext open(Path data) throws Exception {
        return ServerContext.open(ServerConfig.of(data, "127.0.0.1", 0), FIXED);
    }

    @Test
    void tokensAreStoredHashedAndCarryScopes(@TempDir Path tmp) throws Exception {
        ServerContext ctx = open(tmp);
        Tokens.Created c = ctx.tokens().create("ci", List.of("binhost:main:write"));
        assertThat(c.secret()).matches("sf_[A-Za-z0-9_-]{43}");
        Tokens.Token t = ctx.tokens().verify(c.secret()).orElseThrow();
        assertThat(t.id()).isEqualTo(c.token().id());
        assertThat(t.allows("binhost:main:write")).isTrue();
        assertThat(t.allows("binhost:other:write")).isFalse();
        assertThat(t.allows("admin")).isFalse();
        assertThat(ctx.tokens().verify(c.secret() + "x")).isEmpty();
        assertThat(ctx.tokens().verify("nonsense")).isEmpty();
        Tokens.Token admin = ctx.tokens().verify(ctx.tokens().create("root", List.of("admin")).secret()).orElseThrow();
        assertThat(admin.allows("binhost:any:write")).isTrue();

        // only the SHA-256 is in the database, never the secret
        List<String> rows = ctx.db().query("SELECT hash || ' ' || scopes || ' ' || created FROM tokens WHERE id = ?",
                rs -> rs.getString(1), c.token().id());
        assertThat(rows).containsExactly(Tokens.hash(c.secret()) + " binhost:main:write 1700000000");
        assertThat(Files.readAllBytes(tmp.resolve("server.db"))).asString(StandardCharsets.ISO_8859_1).doesNotContain(c.secret());

        assertThatThrownBy(() -> ctx.tokens().create("x", List.of("binhost:main:delete"))).hasMessageContaining("unknown scope 'binhost:main:delete'");
        assertThatThrownBy(() -> ctx.tokens().create("x", List.of())).hasMessageContaining("at least one scope");
    }

    @Test
    void migratesOnceAndReopens(@TempDir Path tmp) throws Exception {
        ServerContext a = open(tmp);
        String secret = a.tokens().create("n", List.of("admin")).secret();
        String sql = "SELECT version FROM flyway_schema_history WHERE success = 1 ORDER BY installed_rank";
        List<String> migrated = a.db().query(sql, rs -> rs.getString(1));
        ServerContext b = open(tmp);
        assertThat(b.tokens().verify(secret)).isPresent();
        // every migration (one per resource module) ran once; reopening runs none again
        assertThat(migrated).first().isEqualTo("1");
        assertThat(migrated).doesNotHaveDuplicates();
        assertThat(b.db().query(sql, rs -> rs.getString(1))).isEqualTo(migrated);
    }

    @Test
    void blobsAreContentAddressedIdempotentAndNeverPartial(@TempDir Path tmp) throws Exception {
        LocalBlobStore blobs = new LocalBlobStore(tmp);
        BlobStore.Blob b = blobs.put("hello\n".getBytes(StandardCharsets.UTF_8));
        assertThat(b.sha256()).isEqualTo("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
        Path f = tmp.resolve("blobs/58/91b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
        assertThat(f).hasContent("hello");
        assertThat(blobs.put("hello\n".getBytes(StandardCharsets.UTF_8))).isEqualTo(b);
        assertThat(blobs.file(b.sha256())).isEqualTo(f);
        assertThat(blobs.exists(b.sha256())).isTrue();
        assertThat(blobs.exists("../../etc/passwd")).isFalse();

        assertThatThrownBy(() -> blobs.put(new ByteArrayInputStream(new byte[1001]), 1000))
                .isInstanceOfSatisfying(HttpRefusal.class, r -> assertThat(r.status()).isEqualTo(413));
        try (Stream<Path> s = Files.list(tmp.resolve("tmp"))) {
            assertThat(s.toList()).isEmpty();
        }
        try (Stream<Path> s = Files.walk(tmp.resolve("blobs"))) {
            assertThat(s.filter(Files::isRegularFile).toList()).containsExactly(f);
        }
    }

    @Test
    void uploadsLeftByADeadProcessOfThisHostAreRemovedAtStartOnly(@TempDir Path tmp) throws Exception {
        Path t = Files.createDirectories(tmp.resolve("tmp"));
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        String host = LocalBlobStore.hostName();
        Path dead = Files.createDirectories(t.resolve("up-" + host + "-" + gone.pid() + "-123"));
        Files.writeString(dead.resolve("blob"), "half an upload");
        Path live = Files.createDirectories(t.resolve("up-" + host + "-" + ProcessHandle.current().pid() + "-456"));
        Path otherHost = Files.createDirectories(t.resolve("up-" + host + "x-" + gone.pid() + "-789"));
        LocalBlobStore blobs = new LocalBlobStore(tmp);
        assertThat(dead).doesNotExist();
        assertThat(live).isDirectory();
        assertThat(otherHost).isDirectory();
        assertThat(blobs.newTempDir().getFileName().toString()).startsWith("up-" + host + "-" + ProcessHandle.current().pid() + "-");
    }

    @Test
    void publishingMovesThePointerOneGenerationAtATimeEvenAcrossProcesses(@TempDir Path tmp) throws Exception {
        ServerContext ctx = open(tmp);
        Views views = ctx.views();
        assertThat(views.create("test/v", ViewManifest.EMPTY)).isTrue();
        assertThat(views.create("test/v", ViewManifest.EMPTY)).isFalse();
        // two Views over one database and data directory stand for two server processes
        Views other = open(tmp).views();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> fs = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            int n = i;
            Views v = i % 2 == 0 ? views : other;
            fs.add(pool.submit(() -> v.publish("test/v", (cur, m) -> {
                String sha = ctx.blobs().put(("file " + n).getBytes(StandardCharsets.UTF_8)).sha256();
                return new Views.Next<>(m.with("f" + n, new ViewManifest.Entry(sha, 6 + Integer.toString(n).length(), 0)), null);
            })));
        }
        for (Future<?> f : fs) f.get();
        pool.shutdown();
        Views.Pointer p = views.current("test/v").orElseThrow();
        assertThat(p.generation()).isEqualTo(41);
        ViewManifest m = views.manifest(p);
        assertThat(m.files()).hasSize(40);
        for (int i = 0; i < 40; i++) {
            assertThat(ctx.blobs().read(m.get("f" + i).sha256())).asString().isEqualTo("file " + i);
        }
        // nothing to publish: the pointer stays
        views.publish("test/v", (cur, mm) -> new Views.Next<>(null, null));
        assertThat(views.current("test/v").orElseThrow()).isEqualTo(p);
    }

    @Test
    void auditLogAppendsOneJsonLinePerWrite(@TempDir Path tmp) throws Exception {
        ServerContext ctx = open(tmp);
        ctx.audit().record("abc", "binhost.upload", "main/app-misc/x/x-1-1.gpkg.tar", "201 created");
        ctx.audit().record(null, "binhost.upload", "main/y", "401 unknown token");
        assertThat(Files.readAllLines(tmp.resolve("audit.log"))).containsExactly(
                "{\"time\":\"2023-11-14T22:13:20Z\",\"token\":\"abc\",\"action\":\"binhost.upload\",\"object\":\"main/app-misc/x/x-1-1.gpkg.tar\",\"result\":\"201 created\"}",
                "{\"time\":\"2023-11-14T22:13:20Z\",\"token\":null,\"action\":\"binhost.upload\",\"object\":\"main/y\",\"result\":\"401 unknown token\"}");
    }
}

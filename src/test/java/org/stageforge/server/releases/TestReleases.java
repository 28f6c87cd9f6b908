package org.stageforge.server.releases;

import org.stageforge.server.TestHttp;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.bouncycastle.bcpg.ArmoredInputStream;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.server.binhost.BinhostResource;
import org.stageforge.server.binhost.Binhosts;
import org.stageforge.server.core.Server;
import org.stageforge.server.core.ServerConfig;
import org.stageforge.server.core.ServerContext;
import org.stageforge.util.Hashes;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds release output directories the way a build's {@code checksum} and {@code sign} parts write them
 * (SHA256SUMS over the artifacts and the JSON manifest, a binary detached SHA256SUMS.gpg, the armored public key
 * beside), and runs a server with the binhost and release modules on loopback.
 */
public final class TestReleases implements AutoCloseable {
    /** A signing key, its armored public key file and the same as a binary keyring (for gpgv and systemd-pull). */
    public record Key(OpenPgp.SigningKey signing, Path armored, Path binary) {}

    public static Key key(Path dir, String uid) throws IOException {
        OpenPgp.GeneratedKey k = OpenPgp.generate(uid, null, new Date(1_700_000_000_000L));
        Files.createDirectories(dir);
        Path secret = Files.write(dir.resolve("secret.asc"), k.secretArmored());
        Path pub = Files.write(dir.resolve("keyring.asc"), k.publicArmored());
        byte[] bin;
        try (ArmoredInputStream ai = ArmoredInputStream.builder().build(new ByteArrayInputStream(k.publicArmored()))) {
            bin = ai.readAllBytes();
        }
        return new Key(OpenPgp.SigningKey.load(secret, null), pub, Files.write(dir.resolve("keyring.gpg"), bin));
    }

    /**
     * An output directory of build {@code name}-{@code version}: the given artifacts, the JSON manifest (with
     * {@code lockSha256} when not null), SHA256SUMS, SHA256SUMS.gpg signed by {@code key}, the public key.
     */
    public static Path output(Path dir, String name, String version, Map<String, byte[]> artifacts, Key key, String lockSha256)
            throws IOException {
        Files.createDirectories(dir);
        Map<String, byte[]> files = new TreeMap<>(artifacts);
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("name", name);
        manifest.put("version", version);
        Map<String, Object> inputs = new LinkedHashMap<>();
        if (lockSha256 != null) inputs.put("lock_sha256", lockSha256);
        manifest.put("inputs", inputs);
        files.put(name + "-" + version + ".json", new ObjectMapper().writeValueAsBytes(manifest));
        StringBuilder sums = new StringBuilder();
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Files.write(dir.resolve(f.getKey()), f.getValue());
            sums.append(sha256(f.getValue())).append("  ").append(f.getKey()).append('\n');
        }
        byte[] s = sums.toString().getBytes(StandardCharsets.UTF_8);
        Files.write(dir.resolve("SHA256SUMS"), s);
        Files.write(dir.resolve("SHA256SUMS.gpg"), sign(key, s));
        Files.copy(key.armored(), dir.resolve(name + "-" + version + ".pub.asc"));
        return dir;
    }

    /** A binary detached signature, as the build's sign part writes it. */
    static byte[] sign(Key key, byte[] data) throws IOException {
        var gen = OpenPgp.detachedSigner(key.signing(), new Date(1_700_000_000_000L));
        gen.update(data);
        try (ArmoredInputStream ai = ArmoredInputStream.builder().build(new ByteArrayInputStream(OpenPgp.armored(gen)))) {
            return ai.readAllBytes();
        }
    }

    public static String sha256(byte[] data) {
        return java.util.HexFormat.of().formatHex(Hashes.of("SHA-256").digest(data));
    }

    static Map<String, byte[]> artifacts(String... nameAndContent) {
        Map<String, byte[]> m = new TreeMap<>();
        for (int i = 0; i < nameAndContent.length; i += 2) m.put(nameAndContent[i], nameAndContent[i + 1].getBytes(StandardCharsets.UTF_8));
        return m;
    }

    final Path data;
    final ServerContext ctx;
    final Releases releases;
    final Binhosts binhosts;
    final Server server;

    TestReleases(Path data, long maxUpload) throws IOException {
        this.data = data;
        ctx = ServerContext.open(ServerConfig.of(data, "127.0.0.1", 0).withMaxUploadBytes(maxUpload), Clock.systemUTC());
        releases = new Releases(ctx);
        binhosts = new Binhosts(ctx);
        server = Server.start(ctx, List.of(new BinhostResource(binhosts), new ReleaseResource(releases)));
    }

    String url(String path) {
        return server.uri() + path;
    }

    String token(String... scopes) {
        return ctx.tokens().create("test", List.of(scopes)).secret();
    }

    /** What a refusal must leave unchanged: blob files, temporary files, view pointers, release rows, retained blobs. */
    String state() throws IOException {
        return state(ctx, data);
    }

    public static String state(ServerContext ctx, Path data) throws IOException {
        return TestHttp.storedState(ctx, data,
                "SELECT channel || ' ' || version || ' ' || manifest FROM releases ORDER BY channel, version",
                "SELECT sha256 || ' ' || holder FROM retained_blobs ORDER BY holder, sha256");
    }

    /** The publish body for an output directory, as the client sends it (listed files that exist), plus {@code extra} members. */
    public static byte[] tar(Path dir, Map<String, byte[]> extra) throws IOException {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("SHA256SUMS", Files.readAllBytes(dir.resolve("SHA256SUMS")));
        m.put("SHA256SUMS.gpg", Files.readAllBytes(dir.resolve("SHA256SUMS.gpg")));
        for (String line : Files.readAllLines(dir.resolve("SHA256SUMS"))) {
            if (line.isBlank()) continue;
            Path f = dir.resolve(line.substring(66));
            if (Files.exists(f)) m.put(line.substring(66), Files.readAllBytes(f));
        }
        if (extra != null) m.putAll(extra);
        return tarOf(m);
    }

    public static byte[] tarOf(Map<String, byte[]> members) throws IOException {
        java.io.ByteArrayOutputStream bo = new java.io.ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(bo)) {
            for (Map.Entry<String, byte[]> e : members.entrySet()) {
                TarArchiveEntry te = new TarArchiveEntry(e.getKey(), true);
                te.setSize(e.getValue().length);
                t.putArchiveEntry(te);
                t.write(e.getValue());
                t.closeArchiveEntry();
            }
        }
        return bo.toByteArray();
    }

    /** Runs a command; its exit status and output (stderr merged). */
    static Map.Entry<Integer, String> run(Path dir, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return Map.entry(p.waitFor(), out);
    }

    @Override
    public void close() {
        server.close();
    }
}

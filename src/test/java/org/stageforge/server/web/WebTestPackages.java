package org.stageforge.server.web;

import org.stageforge.archive.Compression;
import org.stageforge.atom.Cpv;
import org.stageforge.binpkg.FileTable;
import org.stageforge.binpkg.GpkgWriter;
import org.stageforge.binpkg.OpenPgp;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Date;
import java.util.Map;
import java.util.TreeMap;

/** Small real GPKGs and signed release uploads for the dashboard tests. */
final class WebTestPackages {
    private WebTestPackages() {}

    /** A signing key and its public keyring file under {@code dir}. */
    record Key(OpenPgp.SigningKey signing, Path keyring) {}

    static Key key(Path dir, String uid) throws IOException {
        OpenPgp.GeneratedKey k = OpenPgp.generate(uid, null, new Date(0));
        Files.createDirectories(dir);
        Path secret = Files.write(dir.resolve("secret.asc"), k.secretArmored());
        Path pub = Files.write(dir.resolve("keyring.asc"), k.publicArmored());
        return new Key(OpenPgp.SigningKey.load(secret, null), pub);
    }

    /** Writes {@code cat/pf} build {@code buildId} (one file of {@code content}) with {@code extra} metadata; signed when {@code key} is given. */
    static Path write(Path dir, String cat, String pf, long buildId, String content, Map<String, String> extra, OpenPgp.SigningKey key)
            throws IOException {
        Cpv cpv = Cpv.parse(cat + "/" + pf);
        Path image = dir.resolveSibling(dir.getFileName() + ".src").resolve(cat + "/" + pf + "-" + buildId);
        Path readme = Files.createDirectories(image.resolve("usr/share").resolve(cpv.name())).resolve("README");
        Files.writeString(readme, content, StandardCharsets.UTF_8);
        Map<String, String> md = new TreeMap<>(Map.of("CATEGORY", cat, "PF", pf, "SLOT", "0", "EAPI", "8",
                "BUILD_ID", Long.toString(buildId), "KEYWORDS", "amd64", "repository", "test", "CHOST", "x86_64-pc-linux-gnu"));
        md.putAll(extra);
        Map<String, byte[]> bytes = new TreeMap<>();
        md.forEach((k, v) -> bytes.put(k, (v + "\n").getBytes(StandardCharsets.UTF_8)));
        Path out = dir.resolve(cat).resolve(cpv.name()).resolve(pf + "-" + buildId + ".gpkg.tar");
        Files.createDirectories(out.getParent());
        GpkgWriter.write(out, image, bytes, new GpkgWriter.Options(Compression.ZSTD, 1_700_000_000L, key, FileTable.EMPTY));
        return out;
    }

    /** SHA256SUMS listing {@code files} (name → content). */
    static String sums(Map<String, String> files) throws NoSuchAlgorithmException {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> f : new TreeMap<>(files).entrySet()) {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(f.getValue().getBytes(StandardCharsets.UTF_8));
            sb.append(HexFormat.of().formatHex(d)).append("  ").append(f.getKey()).append('\n');
        }
        return sb.toString();
    }

    /** A publish upload (the tar {@code Releases.publish} takes): the files, SHA256SUMS and its detached signature by {@code key}. */
    static byte[] release(Map<String, String> files, OpenPgp.SigningKey key) throws Exception {
        byte[] sums = sums(files).getBytes(StandardCharsets.UTF_8);
        var gen = OpenPgp.detachedSigner(key, new Date(0));
        gen.update(sums);
        byte[] sig = gen.generate().getEncoded();
        Map<String, byte[]> all = new TreeMap<>();
        files.forEach((n, c) -> all.put(n, c.getBytes(StandardCharsets.UTF_8)));
        all.put("SHA256SUMS", sums);
        all.put("SHA256SUMS.gpg", sig);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            for (Map.Entry<String, byte[]> e : all.entrySet()) {
                TarArchiveEntry te = new TarArchiveEntry(e.getKey());
                te.setSize(e.getValue().length);
                tar.putArchiveEntry(te);
                tar.write(e.getValue());
                tar.closeArchiveEntry();
            }
        }
        return out.toByteArray();
    }
}

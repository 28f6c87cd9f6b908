package org.stageforge.server.binhost;

import org.stageforge.archive.Compression;
import org.stageforge.atom.Cpv;
import org.stageforge.binpkg.FileTable;
import org.stageforge.binpkg.GpkgWriter;
import org.stageforge.binpkg.OpenPgp;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Date;
import java.util.Map;
import java.util.TreeMap;

/** Small real GPKGs for server tests, in Portage's multi-instance layout {@code CAT/PN/PF-BUILD_ID.gpkg.tar}. */
final class TestGpkgs {
    private TestGpkgs() {}

    /** A signing key and its public keyring file under {@code dir}. */
    record Key(OpenPgp.SigningKey signing, Path keyring) {}

    static Key key(Path dir, String uid) throws IOException {
        OpenPgp.GeneratedKey k = OpenPgp.generate(uid, null, new Date(0));
        Files.createDirectories(dir);
        Path secret = Files.write(dir.resolve("secret.asc"), k.secretArmored());
        Path pub = Files.write(dir.resolve("keyring.asc"), k.publicArmored());
        return new Key(OpenPgp.SigningKey.load(secret, null), pub);
    }

    /** Writes {@code cat/pf} build {@code buildId} with one file holding {@code content} into the binhost dir {@code dir}. */
    static Path write(Path dir, String cat, String pf, long buildId, String content, OpenPgp.SigningKey key) throws IOException {
        Cpv cpv = Cpv.parse(cat + "/" + pf);
        Path image = dir.resolveSibling(dir.getFileName() + ".src").resolve(cat + "/" + pf + "-" + buildId);
        Path readme = Files.createDirectories(image.resolve("usr/share").resolve(cpv.name())).resolve("README");
        Files.writeString(readme, content, StandardCharsets.UTF_8);
        Map<String, byte[]> md = new TreeMap<>();
        for (Map.Entry<String, String> e : Map.of("CATEGORY", cat, "PF", pf, "SLOT", "0", "EAPI", "8",
                "BUILD_ID", Long.toString(buildId), "KEYWORDS", "amd64", "repository", "test",
                "CHOST", "x86_64-pc-linux-gnu").entrySet()) {
            md.put(e.getKey(), (e.getValue() + "\n").getBytes(StandardCharsets.UTF_8));
        }
        Path out = dir.resolve(cat).resolve(cpv.name()).resolve(pf + "-" + buildId + ".gpkg.tar");
        Files.createDirectories(out.getParent());
        GpkgWriter.write(out, image, md, new GpkgWriter.Options(Compression.ZSTD, 1_700_000_000L, key, FileTable.EMPTY));
        return out;
    }
}

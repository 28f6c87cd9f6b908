package org.stageforge.server.web;

import org.stageforge.StageforgeException;
import org.stageforge.binpkg.BinaryPackage;
import org.stageforge.binpkg.GpkgPackage;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.binpkg.VerifyOptions;
import org.stageforge.binpkg.VerifyReport;
import org.stageforge.server.core.LocalBlobStore;
import org.stageforge.server.core.ServerContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The signature state of a served package: {@code unsigned} (no GPKG signature), {@code signed} (signatures,
 * but the binhost has no keyring to check them against), {@code verified} (every signature verifies against
 * the binhost's keyring; the detail names the signers) or {@code bad} (they do not; the detail says why).
 * Blobs never change, so each (package, keyring) pair is checked once and the answer kept in the database.
 */
final class Signatures {
    /** One package's state and a line for humans. */
    record State(String state, String detail) {}

    private final ServerContext ctx;

    Signatures(ServerContext ctx) {
        this.ctx = ctx;
    }

    State of(String blobSha256, String keyringSha256) throws IOException {
        String keyring = keyringSha256 == null ? "" : keyringSha256;
        var known = ctx.db().query("SELECT state, detail FROM web_signatures WHERE sha256 = ? AND keyring = ?",
                rs -> new State(rs.getString(1), rs.getString(2)), blobSha256, keyring);
        if (!known.isEmpty()) return known.get(0);
        State s = check(ctx.blobs().file(blobSha256), keyringSha256);
        ctx.db().update("INSERT INTO web_signatures (sha256, keyring, state, detail) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                blobSha256, keyring, s.state(), s.detail());
        return s;
    }

    private State check(Path file, String keyringSha256) throws IOException {
        boolean signed;
        try (BinaryPackage p = BinaryPackage.open(file)) {
            signed = p instanceof GpkgPackage g && g.members().stream().anyMatch(m -> m.name().endsWith(".sig"));
        } catch (StageforgeException e) {
            return new State("bad", e.getMessage());
        }
        if (!signed) return new State("unsigned", "no GPKG signature");
        if (keyringSha256 == null) return new State("signed", "signed; the binhost has no keyring to check it against");
        Path tmp = ctx.blobs().newTempDir();
        try {
            Path k = Files.write(tmp.resolve("keyring.asc"), ctx.blobs().read(keyringSha256));
            try (BinaryPackage p = BinaryPackage.open(file)) {
                VerifyReport r = p.verify(null, new VerifyOptions(OpenPgp.Keyring.load(k), true));
                return new State("verified", "verified against the binhost keyring: " + String.join(", ", r.signers().stream().distinct().toList()));
            } catch (StageforgeException e) {
                return new State("bad", e.getMessage());
            }
        } finally {
            LocalBlobStore.deleteTree(tmp);
        }
    }
}

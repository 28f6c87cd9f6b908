package org.stageforge.binhost;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Refuses a binpkg that carries no signature: a GPKG must have a clearsigned {@code Manifest} and a
 * {@code .sig} member for every other data member; XPAK (and anything that is not a GPKG) cannot be
 * signed at all. Only presence is checked here; verifying the signatures against keys is the GPKG
 * verifier's job.
 */
public final class SignaturePresence implements BinpkgVerifier {
    private static final String CLEARSIGN = "-----BEGIN PGP SIGNED MESSAGE-----";

    @Override
    public void verify(Path file, BinpkgRef ref) {
        if (!isTar(file)) throw unsigned(ref, "it is not a GPKG (only GPKG binpkgs can be signed)");
        List<String> members = new ArrayList<>();
        boolean manifestSigned = false;
        boolean manifestSeen = false;
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                if (!e.isFile()) continue;
                String base = e.getName().substring(e.getName().lastIndexOf('/') + 1);
                if (base.equals("Manifest")) {
                    manifestSeen = true;
                    byte[] head = tar.readNBytes(CLEARSIGN.length());
                    manifestSigned = new String(head, StandardCharsets.US_ASCII).equals(CLEARSIGN);
                } else {
                    members.add(base);
                }
            }
        } catch (IOException e) {
            throw new StageforgeException(ref.label() + ": cannot read GPKG " + ref.path() + ": " + e.getMessage(),
                    ExitCodes.VERIFY, e);
        }
        if (!manifestSeen) throw unsigned(ref, "the GPKG has no Manifest");
        if (!manifestSigned) throw unsigned(ref, "its Manifest is not signed");
        Set<String> names = new HashSet<>(members);
        for (String m : members) {
            if (m.equals("gpkg-1") || m.endsWith(".sig")) continue;
            if (!names.contains(m + ".sig")) throw unsigned(ref, "member " + m + " has no " + m + ".sig");
        }
    }

    private static StageforgeException unsigned(BinpkgRef ref, String why) {
        return new StageforgeException(ref.label() + " (" + ref.path() + ") is not signed but signatures are required: "
                + why, ExitCodes.VERIFY, null);
    }

    /** A POSIX tar has "ustar" at offset 257 of its first header block. */
    private static boolean isTar(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] h = in.readNBytes(512);
            return h.length == 512 && new String(h, 257, 5, StandardCharsets.US_ASCII).equals("ustar");
        } catch (IOException e) {
            return false;
        }
    }
}

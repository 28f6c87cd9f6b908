package org.stageforge.binhost;

import org.stageforge.StageforgeException;
import org.stageforge.binpkg.BinaryPackage;
import org.stageforge.binpkg.IndexEntryChecks;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.binpkg.VerifyOptions;

import java.nio.file.Path;

/**
 * Checks a binpkg's own integrity with the binpkg reader: for GPKG every Manifest line and, given a
 * keyring, the signatures (required when {@code requireSignature}); XPAK is parsed (and refused when a
 * signature is required). Errors are re-anchored on the package, since the cache file is named by digest.
 */
public record PackageVerifier(OpenPgp.Keyring keyring, boolean requireSignature) implements BinpkgVerifier {
    /** Manifest checks only. */
    public static final PackageVerifier MANIFEST = new PackageVerifier(null, false);

    @Override
    public void verify(Path file, BinpkgRef ref) {
        try (BinaryPackage p = BinaryPackage.open(file)) {
            p.verify(IndexEntryChecks.NONE, new VerifyOptions(keyring, requireSignature));
        } catch (StageforgeException e) {
            throw new StageforgeException(ref.label() + " (" + ref.path() + "): " + e.getMessage(), e.exitCode(), e);
        }
    }
}

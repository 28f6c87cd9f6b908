package org.stageforge.binhost;

import java.nio.file.Path;

/**
 * A check run on a downloaded binpkg after its size and index digests matched, before it is moved
 * to its final name (e.g. GPKG Manifest and signature verification).
 */
@FunctionalInterface
public interface BinpkgVerifier {
    /** Throws a {@link org.stageforge.StageforgeException} with {@code ExitCodes.VERIFY} to refuse the file. */
    void verify(Path file, BinpkgRef ref);
}

package org.stageforge.build;

import java.nio.file.Path;

/**
 * An unpacked, verified seed in the shared cache.
 *
 * @param dir    the root directory; read-only by convention (sandboxes mount an overlay over it, never write it)
 * @param digest the tarball's digest as the spec gave it, {@code sha512:HEX} or {@code blake2b:HEX}
 * @param asRoot whether it was unpacked with real owners and device nodes; otherwise files belong to the user who
 *               unpacked it and {@link #owners()} lists what the disk does not hold
 */
public record SeedRoot(Path dir, String digest, boolean asRoot) {
    /** The side table beside the root: owners other than 0:0, device nodes and xattrs not on disk. */
    public Path owners() {
        return dir.resolveSibling(Seed.OWNERS);
    }
}

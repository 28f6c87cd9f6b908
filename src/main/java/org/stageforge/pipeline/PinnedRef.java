package org.stageforge.pipeline;

import org.stageforge.binhost.BinpkgRef;

/**
 * A binpkg as a lock (or a finished resolve) pins it: fetched and verified by its own SIZE and SHA-512, whatever the
 * binhost's index says now, so an index that changed only elsewhere still replays.
 */
record PinnedRef(String cpv, long buildId, String path, long size, String sha512) implements BinpkgRef {
    @Override
    public String md5() { return null; }

    @Override
    public String sha1() { return null; }

    @Override
    public String blake2b() { return null; }
}

package org.stageforge.binhost;

import java.nio.file.Path;

/** A verified binpkg in the cache; {@code fromCache} when no transfer was needed. */
public record FetchedPackage(BinpkgRef ref, Path file, boolean fromCache, long bytesTransferred) {}

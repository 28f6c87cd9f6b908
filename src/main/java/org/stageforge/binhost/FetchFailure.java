package org.stageforge.binhost;

import org.stageforge.StageforgeException;

/** A package that could not be fetched, with the one-line reason and its exit code. */
public record FetchFailure(BinpkgRef ref, StageforgeException error) {}

package org.stageforge.binhost;

/** Progress of a fetch; called from worker threads, so implementations must be thread-safe. */
public interface FetchListener {
    FetchListener NONE = new FetchListener() {};

    /** Bytes received for {@code ref}; negative when a restarted download discards bytes already counted. */
    default void bytes(BinpkgRef ref, long delta) {}

    /** The cached copy of {@code ref} failed verification ({@code problem}) and was deleted; it is fetched again. */
    default void discarded(BinpkgRef ref, String problem) {}

    default void done(FetchedPackage fetched) {}

    default void failed(FetchFailure failure) {}
}

package org.stageforge.server.core;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * Content-addressed storage: a blob is named by the SHA-256 of its bytes, written once, never changed.
 * Puts are idempotent; a blob is visible only once complete.
 */
public interface BlobStore {
    /** A stored blob. */
    record Blob(String sha256, long size) {}

    /** Stores the stream's bytes (at most {@code limit}, else {@link HttpRefusal} 413) and names them. */
    Blob put(InputStream in, long limit) throws IOException;

    /** Stores bytes. */
    Blob put(byte[] data) throws IOException;

    /**
     * Moves a complete file from {@link #newTempDir()} into the store under its known SHA-256 (the caller
     * hashed it while writing it).
     */
    Blob adopt(Path tempFile, String sha256) throws IOException;

    /** A fresh private directory on the store's file system for uploads in progress. */
    Path newTempDir() throws IOException;

    boolean exists(String sha256);

    /** The blob's file for reading (zero-copy serving), or an exception when absent. */
    Path file(String sha256) throws IOException;

    byte[] read(String sha256) throws IOException;
}

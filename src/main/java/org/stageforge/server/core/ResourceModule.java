package org.stageforge.server.core;

import io.undertow.server.HttpServerExchange;

/** A resource mounted under one top-level path segment ({@code binhost}, later {@code snapshots}, ...). */
public interface ResourceModule {
    /** The first path segment this module answers under. */
    String mount();

    /**
     * Handles a request on a worker thread (blocking I/O allowed); {@code rest} is the normalised path after
     * the mount. Refusals are thrown as {@link HttpRefusal}.
     */
    void handle(HttpServerExchange exchange, RequestPath rest) throws Exception;

    /**
     * Whether {@link #handle} uses blocking streams for this request (the default). A module that answers a request
     * with Undertow's senders only, as {@link BlobResource#serve} does, says no: the file is then sent without
     * blocking, by the I/O threads as the client reads, instead of holding a worker thread per transfer.
     */
    default boolean blocking(HttpServerExchange exchange) {
        return true;
    }
}

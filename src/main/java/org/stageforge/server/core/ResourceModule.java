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
}

package org.stageforge.server;

import io.undertow.Undertow;
import io.undertow.server.HttpHandler;
import io.undertow.server.handlers.resource.PathResourceManager;
import io.undertow.server.handlers.resource.ResourceHandler;
import io.undertow.util.ETag;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.function.UnaryOperator;

/**
 * Serves a directory read-only over HTTP: GET/HEAD with byte ranges, Last-Modified/If-Modified-Since
 * and ETag/If-None-Match/If-Range, no directory listings, no symlinks. Files from {@link #TRANSFER_MIN_SIZE}
 * bytes up go out zero-copy (sendfile).
 */
public final class StaticServer implements AutoCloseable {
    /** Below this size a buffered copy beats setting up a file transfer. */
    public static final long TRANSFER_MIN_SIZE = 1024;

    private final Undertow undertow;
    private final URI uri;

    private StaticServer(Undertow undertow, URI uri) {
        this.undertow = undertow;
        this.uri = uri;
    }

    /** Serves {@code root} on 127.0.0.1; port 0 picks a free port. */
    public static StaticServer start(Path root, int port) {
        return start(root, "127.0.0.1", port, UnaryOperator.identity());
    }

    /**
     * Serves {@code root} on {@code host:port}; {@code wrap} may put handlers in front of the file
     * handler (logging, access rules, or faults in tests).
     */
    public static StaticServer start(Path root, String host, int port, UnaryOperator<HttpHandler> wrap) {
        Path base;
        try {
            base = root.toRealPath();
        } catch (IOException e) {
            throw new StageforgeException("cannot serve " + root + ": " + e.getMessage(), ExitCodes.NOT_FOUND, e);
        }
        if (!Files.isDirectory(base))
            throw new StageforgeException("cannot serve " + root + ": not a directory", ExitCodes.NOT_FOUND, null);
        PathResourceManager files = (PathResourceManager) PathResourceManager.builder()
                .setBase(base)
                .setTransferMinSize(TRANSFER_MIN_SIZE)
                .setFollowLinks(false)
                .setCaseSensitive(true)
                .setETagFunction(StaticServer::etag)
                .build();
        ResourceHandler handler = new ResourceHandler(files)
                .setDirectoryListingEnabled(false)
                .setWelcomeFiles();
        Undertow u = Undertow.builder()
                .addHttpListener(port, host)
                .setHandler(wrap.apply(handler))
                .build();
        try {
            u.start();
        } catch (RuntimeException e) {
            throw new StageforgeException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), ExitCodes.FAILURE, e);
        }
        InetSocketAddress a = (InetSocketAddress) u.getListenerInfo().get(0).getAddress();
        String h = a.getAddress().getHostAddress();
        if (h.contains(":")) h = "[" + h + "]";
        return new StaticServer(u, URI.create("http://" + h + ":" + a.getPort()));
    }

    /** Size and modification time identify a version of a file well enough for caches and If-Range. */
    private static ETag etag(Path p) {
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
            return new ETag(false, Long.toHexString(a.size()) + "-" + Long.toHexString(a.lastModifiedTime().toMillis()));
        } catch (IOException e) {
            return null;
        }
    }

    /** The server's base URL, e.g. {@code http://127.0.0.1:43210}. */
    public URI uri() { return uri; }

    public int port() { return uri.getPort(); }

    @Override
    public void close() {
        undertow.stop();
    }
}

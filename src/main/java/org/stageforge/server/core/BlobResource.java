package org.stageforge.server.core;

import io.undertow.io.IoCallback;
import io.undertow.io.Sender;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.resource.PathResource;
import io.undertow.server.handlers.resource.PathResourceManager;
import io.undertow.server.handlers.resource.RangeAwareResource;
import io.undertow.server.handlers.resource.Resource;
import io.undertow.server.handlers.resource.ResourceHandler;
import io.undertow.util.DateUtils;
import io.undertow.util.ETag;
import io.undertow.util.MimeMappings;

import java.io.File;
import java.net.URL;
import java.nio.file.Path;
import java.util.Date;
import java.util.List;

/**
 * One served file of a view: the blob's bytes (zero-copy, with ranges, through Undertow's file resource),
 * named by the view's path, with {@code ETag} = the blob's SHA-256 and {@code Last-Modified} = the
 * generation's publish time, so Undertow's {@link ResourceHandler} answers Range, If-None-Match and
 * If-Modified-Since for it.
 */
public final class BlobResource implements RangeAwareResource {
    private final PathResource file;
    private final String path;
    private final ETag etag;
    private final Date lastModified;
    private final String contentType;

    public BlobResource(PathResourceManager blobs, Path blobFile, String path, String sha256, long publishedMillis,
                        String contentType) {
        this.file = new PathResource(blobFile, blobs, path);
        this.path = path;
        this.etag = new ETag(false, sha256);
        // HTTP dates have whole seconds: a finer time would never compare equal to If-Modified-Since
        this.lastModified = new Date(publishedMillis / 1000 * 1000);
        this.contentType = contentType;
    }

    /** Serves {@code resource} for the exchange (GET/HEAD, conditional and range requests). */
    public static void serve(HttpServerExchange exchange, Resource resource) throws Exception {
        new ResourceHandler((ex, p) -> resource).setDirectoryListingEnabled(false).setWelcomeFiles().handleRequest(exchange);
    }

    @Override public String getPath() { return path; }
    @Override public Date getLastModified() { return lastModified; }
    @Override public String getLastModifiedString() { return DateUtils.toDateString(lastModified); }
    @Override public ETag getETag() { return etag; }
    @Override public String getName() { return path.substring(path.lastIndexOf('/') + 1); }
    @Override public boolean isDirectory() { return false; }
    @Override public List<Resource> list() { return List.of(); }
    @Override public String getContentType(MimeMappings mimeMappings) { return contentType; }
    @Override public void serve(Sender sender, HttpServerExchange exchange, IoCallback completionCallback) {
        file.serve(sender, exchange, completionCallback);
    }
    @Override public Long getContentLength() { return file.getContentLength(); }
    @Override public String getCacheKey() { return etag.getTag(); }
    @Override public File getFile() { return file.getFile(); }
    @Override public Path getFilePath() { return file.getFilePath(); }
    @Override public File getResourceManagerRoot() { return file.getResourceManagerRoot(); }
    @Override public Path getResourceManagerRootPath() { return file.getResourceManagerRootPath(); }
    @Override public URL getUrl() { return file.getUrl(); }
    @Override public void serveRange(Sender sender, HttpServerExchange exchange, long start, long end, IoCallback completionCallback) {
        file.serveRange(sender, exchange, start, end, completionCallback);
    }
    @Override public boolean isRangeSupported() { return true; }
}

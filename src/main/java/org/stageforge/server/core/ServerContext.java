package org.stageforge.server.core;

import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.resource.PathResourceManager;
import io.undertow.util.Headers;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Clock;

/**
 * What resource modules share: configuration, metadata, blobs, views, tokens and the audit log of one
 * data directory.
 */
public record ServerContext(ServerConfig config, MetadataStore db, LocalBlobStore blobs, Views views, Tokens tokens,
                            AuditLog audit, Clock clock, PathResourceManager blobFiles) {

    /** Opens (and migrates) the data directory. */
    public static ServerContext open(ServerConfig config, Clock clock) throws IOException {
        Files.createDirectories(config.dataDir());
        MetadataStore db = MetadataStore.open(config.effectiveJdbcUrl());
        LocalBlobStore blobs = new LocalBlobStore(config.dataDir());
        PathResourceManager files = (PathResourceManager) PathResourceManager.builder().setBase(blobs.root())
                .setTransferMinSize(1024).setFollowLinks(false).setCaseSensitive(true).build();
        return new ServerContext(config, db, blobs, new Views(db, blobs, clock), new Tokens(db, clock),
                new AuditLog(config.dataDir().resolve("audit.log"), clock), clock, files);
    }

    /** The bearer token of a request: 401 when missing or unknown. */
    public Tokens.Token authenticate(HttpServerExchange ex) {
        String h = ex.getRequestHeaders().getFirst(Headers.AUTHORIZATION);
        if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new HttpRefusal(401, "authentication required: Authorization: Bearer TOKEN");
        }
        return tokens.verify(h.substring(7).strip()).orElseThrow(() -> new HttpRefusal(401, "unknown token"));
    }

    /** The token of a request, which must hold {@code scope}: 401/403 otherwise. */
    public Tokens.Token authorize(HttpServerExchange ex, String scope) {
        Tokens.Token t = authenticate(ex);
        if (!t.allows(scope)) throw new HttpRefusal(403, "token " + t.id() + " lacks scope " + scope);
        return t;
    }

    /** The base URL clients reach this server at. */
    public String publicUrl(HttpServerExchange ex) {
        if (config.publicUrl() != null) return config.publicUrl().replaceAll("/+$", "");
        return ex.getRequestScheme() + "://" + ex.getHostAndPort();
    }
}

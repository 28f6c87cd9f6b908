package org.stageforge.server.core;

import java.nio.file.Path;

/**
 * How a server runs.
 *
 * @param dataDir        everything the server stores: {@code server.db}, {@code blobs/}, {@code tmp/}, {@code audit.log}
 * @param host           address to listen on
 * @param port           port to listen on; 0 picks a free one
 * @param tlsCert        PEM certificate chain for HTTPS, or null for plain HTTP
 * @param tlsKey         PEM (PKCS#8) private key of {@code tlsCert}
 * @param maxUploadBytes largest request body accepted; larger ones are refused with 413
 * @param jdbcUrl        metadata database; null means SQLite at {@code dataDir/server.db}
 * @param publicUrl      base URL clients reach the server at (for binrepos.conf); null derives it from each request
 */
public record ServerConfig(Path dataDir, String host, int port, Path tlsCert, Path tlsKey, long maxUploadBytes,
                           String jdbcUrl, String publicUrl) {
    /** 1 GiB: above the largest binary packages Gentoo builds in practice. */
    public static final long DEFAULT_MAX_UPLOAD = 1L << 30;

    public ServerConfig {
        if ((tlsCert == null) != (tlsKey == null)) throw new IllegalArgumentException("TLS needs both a certificate and a key");
        if (maxUploadBytes <= 0) throw new IllegalArgumentException("maxUploadBytes must be positive");
    }

    /** Plain HTTP on {@code host:port} with the defaults. */
    public static ServerConfig of(Path dataDir, String host, int port) {
        return new ServerConfig(dataDir, host, port, null, null, DEFAULT_MAX_UPLOAD, null, null);
    }

    public ServerConfig withMaxUploadBytes(long max) {
        return new ServerConfig(dataDir, host, port, tlsCert, tlsKey, max, jdbcUrl, publicUrl);
    }

    public ServerConfig withTls(Path cert, Path key) {
        return new ServerConfig(dataDir, host, port, cert, key, maxUploadBytes, jdbcUrl, publicUrl);
    }

    public ServerConfig withPublicUrl(String url) {
        return new ServerConfig(dataDir, host, port, tlsCert, tlsKey, maxUploadBytes, jdbcUrl, url);
    }

    /** Metadata in another database (a PostgreSQL JDBC URL when several server processes share it); null: SQLite. */
    public ServerConfig withJdbcUrl(String url) {
        return new ServerConfig(dataDir, host, port, tlsCert, tlsKey, maxUploadBytes, url, publicUrl);
    }

    /** The JDBC URL in use: the configured one or the default SQLite file. */
    public String effectiveJdbcUrl() {
        return jdbcUrl != null ? jdbcUrl : MetadataStore.sqliteUrl(dataDir.resolve("server.db"));
    }
}

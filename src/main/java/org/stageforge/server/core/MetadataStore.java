package org.stageforge.server.core;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.stageforge.StageforgeException;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The server's metadata on JDBC: SQLite at {@code DATA/server.db} by default, any JDBC URL (PostgreSQL for
 * several server nodes) otherwise. The schema comes from the Flyway migrations in {@code db/migration}.
 * A connection per operation: SQLite in WAL mode lets readers run beside the one writer, and several
 * processes can share the file.
 */
public final class MetadataStore {
    /** Flyway's progress lines would clutter every command's output: only its warnings are shown (strong reference: JUL keeps loggers weakly). */
    private static final java.util.logging.Logger FLYWAY_LOG = quiet(java.util.logging.Logger.getLogger("org.flywaydb"));
    private final String url;

    private MetadataStore(String url) {
        this.url = url;
    }

    /** The URL of an SQLite database file: WAL journal, and a writer waits for the lock instead of failing. */
    public static String sqliteUrl(Path file) {
        return "jdbc:sqlite:" + file.toAbsolutePath() + "?journal_mode=WAL&busy_timeout=60000&synchronous=FULL";
    }

    /** Opens the database and brings its schema up to date. */
    public static MetadataStore open(String url) {
        try {
            Flyway.configure(MetadataStore.class.getClassLoader()).dataSource(url, null, null)
                    .locations("classpath:db/migration").load().migrate();
        } catch (FlywayException e) {
            throw new StageforgeException("metadata database " + redact(url) + ": " + e.getMessage().lines().findFirst().orElse(""), e);
        }
        return new MetadataStore(url);
    }

    private static java.util.logging.Logger quiet(java.util.logging.Logger l) {
        l.setLevel(java.util.logging.Level.WARNING);
        return l;
    }

    private static String redact(String url) {
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q);
    }

    /**
     * Whether the database locks rows ({@code SELECT … FOR UPDATE}): PostgreSQL does, so writers of one view in
     * several server processes wait for each other instead of racing; SQLite has one writer at a time anyway.
     */
    public boolean rowLocks() {
        return url.startsWith("jdbc:postgresql:");
    }

    /** Work on one connection; SQL errors become a one-line failure. */
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    public <T> T with(Work<T> work) {
        try (Connection c = DriverManager.getConnection(url)) {
            return work.run(c);
        } catch (SQLException e) {
            throw new StageforgeException("metadata database: " + e.getMessage(), e);
        }
    }

    /** Runs {@code work} in one transaction, committed when it returns. */
    public <T> T transaction(Work<T> work) {
        return with(c -> {
            c.setAutoCommit(false);
            try {
                T t = work.run(c);
                c.commit();
                return t;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        });
    }

    /** Executes an update statement with parameters; returns the update count. */
    public int update(String sql, Object... params) {
        return with(c -> {
            try (PreparedStatement st = prepare(c, sql, params)) {
                return st.executeUpdate();
            }
        });
    }

    /** One row mapper. */
    public interface Row<T> {
        T map(ResultSet rs) throws SQLException;
    }

    /** Every row of a query. */
    public <T> List<T> query(String sql, Row<T> row, Object... params) {
        return with(c -> {
            try (PreparedStatement st = prepare(c, sql, params); ResultSet rs = st.executeQuery()) {
                List<T> out = new ArrayList<>();
                while (rs.next()) out.add(row.map(rs));
                return out;
            }
        });
    }

    static PreparedStatement prepare(Connection c, String sql, Object... params) throws SQLException {
        PreparedStatement st = c.prepareStatement(sql);
        for (int i = 0; i < params.length; i++) st.setObject(i + 1, params[i]);
        return st;
    }

    private Connection probe; // SQLite only; guarded by this
    private PreparedStatement probeQuery;
    private long probeEpoch;
    private long uncached;

    /**
     * A value that is different from the last one whenever a commit may have happened since, by any connection of
     * any process: SQLite's {@code PRAGMA data_version} (a read of the shared WAL index, no disk I/O) on one connection
     * kept for it, which never writes; a new value on every call for other databases, so nothing is reused there.
     * Caches compare it with the value they read before loading (see {@link FreshCache}).
     */
    public synchronized long changeStamp() {
        if (!url.startsWith("jdbc:sqlite:")) return ++uncached;
        try {
            if (probe == null) {
                probe = DriverManager.getConnection(url);
                probeQuery = probe.prepareStatement("PRAGMA data_version");
                probeEpoch++;
            }
            try (ResultSet rs = probeQuery.executeQuery()) {
                rs.next();
                // the epoch keeps a reopened connection's counter (it restarts) from repeating an earlier value
                return probeEpoch << 40 | rs.getLong(1);
            }
        } catch (SQLException e) {
            try {
                if (probe != null) probe.close();
            } catch (SQLException ignored) {
                // the connection is dropped either way
            }
            probe = null;
            throw new StageforgeException("metadata database: " + e.getMessage(), e);
        }
    }
}

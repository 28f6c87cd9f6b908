package org.stageforge.server.core;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throw-away PostgreSQL server for tests: Debian's {@code initdb} and {@code pg_ctl} (from
 * {@code /usr/lib/postgresql/VERSION/bin}) into a fresh directory, listening on a free loopback port only, with
 * trust authentication for user {@code sf}. PostgreSQL refuses to run as root: a test running as root runs it
 * as uid/gid 65534 through {@code setpriv}. Absent PostgreSQL (or setpriv) skips the test with the reason.
 */
public final class TestPostgres implements AutoCloseable {
    private static final int NOBODY = 65534;
    private final Path bin;
    private final Path dir;
    private final int port;
    private final boolean asNobody;

    private TestPostgres(Path bin, Path dir, int port, boolean asNobody) {
        this.bin = bin;
        this.dir = dir;
        this.port = port;
        this.asNobody = asNobody;
    }

    public static TestPostgres start() throws Exception {
        Path bin = null;
        Path lib = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(lib)) {
            try (Stream<Path> s = Files.list(lib)) {
                bin = s.map(p -> p.resolve("bin")).filter(p -> Files.isExecutable(p.resolve("initdb")) && Files.isExecutable(p.resolve("pg_ctl")))
                        .max(Comparator.comparing(p -> versionKey(p.getParent().getFileName().toString()))).orElse(null);
            }
        }
        Assumptions.assumeTrue(bin != null, "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb; Debian package postgresql)");
        boolean root = ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        Assumptions.assumeTrue(!root || Files.isExecutable(Path.of("/usr/bin/setpriv")),
                "running as root and no /usr/bin/setpriv to run PostgreSQL unprivileged (package util-linux)");
        // not under JUnit's @TempDir: its parent is private to root, and the server must reach its directory
        Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "sf-pg");
        if (root) {
            Files.setAttribute(dir, "unix:uid", NOBODY);
            Files.setAttribute(dir, "unix:gid", NOBODY);
        }
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        TestPostgres pg = new TestPostgres(bin, dir, port, root);
        try {
            pg.run(List.of(bin.resolve("initdb").toString(), "-D", dir.resolve("db").toString(), "-U", "sf", "--auth=trust",
                    "-E", "UTF8", "--no-locale", "--no-sync"));
            pg.run(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("db").toString(), "-l", dir.resolve("server.log").toString(),
                    "-w", "-t", "120", "-o", "-c listen_addresses=127.0.0.1 -p " + port
                            + " -c unix_socket_directories='' -c fsync=off -c max_connections=200", "start"));
        } catch (Exception | AssertionError e) {
            pg.close();
            throw e;
        }
        return pg;
    }

    private static String versionKey(String v) {
        return "%08d".formatted(v.matches("\\d+") ? Integer.parseInt(v) : 0) + v;
    }

    /** A new empty database's JDBC URL. */
    public String createDatabase(String name) throws Exception {
        try (Connection c = DriverManager.getConnection(url("postgres")); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        }
        return url(name);
    }

    public String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user=sf";
    }

    private void run(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>();
        if (asNobody) cmd.addAll(List.of("/usr/bin/setpriv", "--reuid", Integer.toString(NOBODY), "--regid", Integer.toString(NOBODY), "--clear-groups"));
        cmd.addAll(List.of("env", "-i", "PATH=/usr/bin:/bin", "LC_ALL=C", "TZ=UTC"));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(3, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(args.get(0) + ": timed out");
        }
        if (p.exitValue() != 0) {
            Path log = dir.resolve("server.log");
            throw new AssertionError(String.join(" ", args) + " failed: " + out + (Files.exists(log) ? Files.readString(log) : ""));
        }
    }

    @Override
    public void close() throws IOException {
        try {
            if (Files.exists(dir.resolve("db/postmaster.pid"))) {
                run(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("db").toString(), "-m", "immediate", "-w", "stop"));
            }
        } catch (Exception e) {
            throw new IOException("stopping PostgreSQL in " + dir + ": " + e.getMessage(), e);
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }
}

package org.stageforge.cli;

import org.stageforge.ExitCodes;
import org.stageforge.server.Services;
import org.stageforge.server.core.Server;
import org.stageforge.server.core.ServerConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code stageforge serve}: runs the server until interrupted. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve binhosts (and later snapshots, distfiles, releases) from a data directory.",
                "Metadata in DATA/server.db (SQLite), files in DATA/blobs, writes logged to DATA/audit.log."})
final class ServeCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Data directory (created if missing).")
    Path data;

    @Option(names = "--listen", defaultValue = "127.0.0.1:8080", paramLabel = "HOST:PORT",
            description = "Address to listen on (default: ${DEFAULT-VALUE}; port 0 picks a free one).")
    String listen;

    @Option(names = "--tls-cert", paramLabel = "PEM", description = "Certificate chain for HTTPS (with --tls-key).")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "PKCS#8 private key for HTTPS (with --tls-cert).")
    Path tlsKey;

    @Option(names = "--max-upload", paramLabel = "BYTES", description = "Largest upload accepted (default: 1 GiB).")
    Long maxUpload;

    @Option(names = "--public-url", paramLabel = "URL",
            description = "Base URL clients use (for binrepos.conf); default: from each request's Host.")
    String publicUrl;

    @Option(names = "--jdbc-url", paramLabel = "URL", defaultValue = "${env:STAGEFORGE_JDBC_URL}",
            description = {"Metadata database instead of DATA/server.db, e.g. jdbc:postgresql://HOST:5432/DB?user=U&password=P",
                    "(several server processes may share it and one data directory; default: $STAGEFORGE_JDBC_URL)."})
    String jdbcUrl;

    @Override
    public Integer call() throws Exception {
        int colon = listen.lastIndexOf(':');
        int port;
        try {
            port = Integer.parseInt(listen.substring(colon + 1));
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--listen must be HOST:PORT, got '" + listen + "'");
        }
        if (colon <= 0 || port < 0 || port > 65535) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--listen must be HOST:PORT, got '" + listen + "'");
        }
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--tls-cert and --tls-key go together");
        }
        String host = listen.substring(0, colon).replaceAll("^\\[(.*)]$", "$1");
        ServerConfig cfg = ServerConfig.of(data, host, port).withTls(tlsCert, tlsKey).withPublicUrl(publicUrl)
                .withJdbcUrl(jdbcUrl);
        if (maxUpload != null) cfg = cfg.withMaxUploadBytes(maxUpload);
        Server server = Services.start(cfg);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }));
        spec.commandLine().getOut().println("serving " + data + " on " + server.uri());
        spec.commandLine().getOut().flush();
        stopped.await();
        return ExitCodes.OK;
    }
}

package org.stageforge.cli;

import org.stageforge.ExitCodes;
import org.stageforge.server.binhost.BinhostSettings;
import org.stageforge.server.binhost.Binhosts;
import org.stageforge.server.core.ServerConfig;
import org.stageforge.server.core.ServerContext;
import org.stageforge.server.core.Tokens;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code stageforge server token create|binhost create}: administration of a server's data directory. */
@Command(name = "server", mixinStandardHelpOptions = true,
        description = "Administer the data directory of stageforge serve (tokens, binhosts, channels, snapshots, the fleet key).",
        subcommands = {ServerCommand.TokenCommand.class, ServerCommand.BinhostAdmin.class, ServerCommand.ChannelAdmin.class,
                ServerSnapshotsCommand.class, ServerCommand.FleetKey.class})
public final class ServerCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (token, binhost or channel)");
    }

    /** Where an administration command finds the server's state: its data directory and metadata database. */
    static final class DataDir {
        @Option(names = "--data", required = true, paramLabel = "DIR", description = "The server's data directory.")
        Path data;

        @Option(names = "--jdbc-url", paramLabel = "URL", defaultValue = "${env:STAGEFORGE_JDBC_URL}",
                description = "The server's metadata database when not DATA/server.db (as serve --jdbc-url).")
        String jdbcUrl;

        ServerContext open() throws java.io.IOException {
            return ServerContext.open(ServerConfig.of(data, "127.0.0.1", 0).withJdbcUrl(jdbcUrl), Clock.systemUTC());
        }
    }

    @Command(name = "token", mixinStandardHelpOptions = true, description = "API tokens.",
            subcommands = TokenCreate.class)
    static final class TokenCommand implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (create)");
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Create a token and print it (once: only its SHA-256 is stored).",
                    "Scopes: admin, binhost:NAME:read, binhost:NAME:write, channel:NAME:write, snapshots:write, "
                            + "distfiles:write, fleet:admin, machine:ID."})
    static final class TokenCreate implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        DataDir server;

        @Option(names = "--scope", required = true, paramLabel = "SCOPE", description = "A scope (repeatable).")
        List<String> scopes;

        @Option(names = "--name", defaultValue = "", paramLabel = "NAME", description = "A note on who holds the token.")
        String name;

        @Override
        public Integer call() throws Exception {
            Tokens.Created t = server.open().tokens().create(name, scopes);
            spec.commandLine().getOut().println(t.secret());
            spec.commandLine().getErr().println("token " + t.token().id() + " with " + String.join(" ", t.token().scopes()));
            return ExitCodes.OK;
        }
    }

    @Command(name = "binhost", mixinStandardHelpOptions = true, description = "Served binhosts.",
            subcommands = BinhostCreate.class)
    static final class BinhostAdmin implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (create)");
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a binhost served at /binhost/NAME/ with an empty index.")
    static final class BinhostCreate implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        DataDir server;

        @Parameters(paramLabel = "NAME", description = "Binhost name (letters, digits, . _ -).")
        String name;

        @Option(names = "--require-signatures", description = "Accept only GPKGs whose signatures verify against --keyring.")
        boolean requireSignatures;

        @Option(names = "--keyring", paramLabel = "KEYS.asc", description = "Trusted OpenPGP public keys.")
        Path keyring;

        @Option(names = "--private", description = "Reads need a token with binhost:NAME:read.")
        boolean privateReads;

        @Option(names = "--keep", defaultValue = "0", paramLabel = "N",
                description = "Keep the newest N builds (BUILD_IDs) of each package version; 0 keeps all (default).")
        int keep;

        @Override
        public Integer call() throws Exception {
            BinhostSettings b = new Binhosts(server.open()).create(name, requireSignatures, keyring, privateReads, keep);
            spec.commandLine().getOut().println("binhost " + b.name() + " at /binhost/" + b.name() + "/"
                    + (b.requireSignatures() ? " (signatures required)" : ""));
            return ExitCodes.OK;
        }
    }

    @Command(name = "channel", mixinStandardHelpOptions = true, description = "Release channels.",
            subcommands = ChannelCreate.class)
    static final class ChannelAdmin implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (create)");
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a release channel served at /releases/NAME/; its releases' SHA256SUMS.gpg must verify against --keyring.")
    static final class ChannelCreate implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        DataDir server;

        @Parameters(paramLabel = "NAME", description = "Channel name (letters, digits, . _ -).")
        String name;

        @Option(names = "--keyring", required = true, paramLabel = "KEYS.asc", description = "Trusted OpenPGP public keys.")
        Path keyring;

        @Override
        public Integer call() throws Exception {
            new org.stageforge.server.releases.Releases(server.open()).createChannel(name, keyring);
            spec.commandLine().getOut().println("channel " + name + " at /releases/" + name + "/");
            return ExitCodes.OK;
        }
    }

    @Command(name = "fleet-key", mixinStandardHelpOptions = true,
            description = "Install the OpenPGP secret key (unprotected, armored) that signs the machines' configuration bundles.")
    static final class FleetKey implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--data", required = true, paramLabel = "DIR", description = "The server's data directory.")
        Path data;

        @Parameters(paramLabel = "SECRET.asc", description = "The secret key.")
        Path key;

        @Override
        public Integer call() throws Exception {
            String id = org.stageforge.server.fleet.Fleet.importKey(data, key);
            spec.commandLine().getErr().println("fleet bundles are signed by " + id);
            return ExitCodes.OK;
        }
    }
}

package org.stageforge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.stageforge.ExitCodes;
import org.stageforge.server.releases.ReleaseClient;
import org.stageforge.server.releases.Releases;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code stageforge publish|promote|rollback|release list}: thin shells over {@link ReleaseClient}.
 */
final class ReleaseCommands {
    private ReleaseCommands() {}

    static void print(PrintWriter out, String verb, Releases.Release r) {
        out.println(verb + " " + r.channel() + " " + r.version() + " (" + r.files().size() + " files, manifest " + r.manifestSha256() + ")");
    }

    /**
     * A command that changes a channel on the server with a token, then prints the release the channel serves. It
     * declares {@code -h/--help} itself: picocli's standard options would take {@code --version} for the program's.
     */
    abstract static class ChannelWrite implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
        boolean help;

        @Option(names = "--server", required = true, paramLabel = "URL", description = "Base URL of the server.")
        URI server;

        @Option(names = "--token-file", required = true, paramLabel = "FILE",
                description = "File whose first line is the token (scope channel:NAME:write for the channel written).")
        Path tokenFile;

        abstract String verb();

        abstract Releases.Release run(ReleaseClient client) throws Exception;

        @Override
        public Integer call() throws Exception {
            print(spec.commandLine().getOut(), verb(), run(new ReleaseClient(server, TokenFiles.read(tokenFile))));
            return ExitCodes.OK;
        }
    }

    @Command(name = "publish",
            description = {"Publish a build's output directory as a release of a channel of stageforge serve.",
                    "Sends SHA256SUMS, SHA256SUMS.gpg and every file SHA256SUMS lists; the server verifies the signature "
                            + "against the channel's keyring and every checksum, stores /releases/CHANNEL/VERSION/ and switches "
                            + "/releases/CHANNEL/ to it atomically."})
    static final class Publish extends ChannelWrite {
        @Parameters(paramLabel = "OUTPUT_DIR", description = "A build's --output directory.")
        Path dir;

        @Option(names = "--channel", required = true, paramLabel = "NAME", description = "The channel to publish to.")
        String channel;

        @Option(names = "--version", paramLabel = "V", description = "The release's version (default: the JSON manifest's).")
        String version;

        @Option(names = "--lock", paramLabel = "FILE", description = "The build's lock: the binhost packages it pins are kept by binhost retention.")
        Path lock;

        @Override
        String verb() {
            return "published";
        }

        @Override
        Releases.Release run(ReleaseClient client) throws Exception {
            return client.publish(dir, channel, version, lock);
        }
    }

    @Command(name = "promote",
            description = "Copy a release of one channel (default: its current one) to another and make it current there.")
    static final class Promote extends ChannelWrite {
        @Option(names = "--from", required = true, paramLabel = "CHANNEL", description = "Source channel (e.g. testing).")
        String from;

        @Option(names = "--to", required = true, paramLabel = "CHANNEL", description = "Target channel (e.g. stable).")
        String to;

        @Option(names = "--version", paramLabel = "V", description = "The release (default: the source channel's current one).")
        String version;

        @Override
        String verb() {
            return "promoted";
        }

        @Override
        Releases.Release run(ReleaseClient client) throws Exception {
            return client.promote(from, to, version);
        }
    }

    @Command(name = "rollback",
            description = "Make an earlier release of a channel (default: the one before the current) current again.")
    static final class Rollback extends ChannelWrite {
        @Option(names = "--channel", required = true, paramLabel = "NAME", description = "The channel.")
        String channel;

        @Option(names = "--version", paramLabel = "V", description = "The release to serve again.")
        String version;

        @Override
        String verb() {
            return "rolled back";
        }

        @Override
        Releases.Release run(ReleaseClient client) throws Exception {
            return client.rollback(channel, version);
        }
    }

    @Command(name = "release", mixinStandardHelpOptions = true, description = "Releases of a server's channels.",
            subcommands = ReleaseCommands.ListReleases.class)
    static final class Release implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (list)");
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List channels and their releases, newest first ('*' marks what a channel serves).")
    static final class ListReleases implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--server", required = true, paramLabel = "URL", description = "Base URL of the server.")
        URI server;

        @Option(names = "--channel", paramLabel = "NAME", description = "Only this channel.")
        String channel;

        @Option(names = "--json", description = "The server's JSON listing (a list of channel states).")
        boolean json;

        @Override
        public Integer call() throws Exception {
            List<JsonNode> states = new ReleaseClient(server, null).states(channel);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(states));
                return ExitCodes.OK;
            }
            for (JsonNode s : states) {
                String cur = s.path("current").asText(null);
                if (s.path("history").isEmpty()) out.println(s.path("channel").asText() + "\t-\t(no release)");
                for (JsonNode r : s.path("history")) {
                    String v = r.path("version").asText();
                    out.println(s.path("channel").asText() + "\t" + v + "\t"
                            + Instant.ofEpochMilli(r.path("publishedMillis").asLong()) + (v.equals(cur) ? "\t*" : ""));
                }
            }
            return ExitCodes.OK;
        }
    }
}

package org.stageforge.cli;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.server.fleet.FleetClient;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code stageforge fleet …}: a thin shell over {@link FleetClient} (token scope fleet:admin). */
@Command(name = "fleet", mixinStandardHelpOptions = true,
        description = "Administer the machines of a stageforge serve: groups, machines, configuration, rollouts.",
        subcommands = {FleetCommand.GroupCmd.class, FleetCommand.MachineCmd.class, FleetCommand.ConfigCmd.class,
                FleetCommand.RolloutCmd.class})
public final class FleetCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (group, machine, config or rollout)");
    }

    /** The server and the token every fleet command needs. */
    static final class Client {
        @Option(names = "--server", required = true, paramLabel = "URL", description = "Base URL of the server.")
        URI server;

        @Option(names = "--token-file", required = true, paramLabel = "FILE", description = "File whose first line is the token.")
        Path tokenFile;

        FleetClient open() {
            return new FleetClient(server, TokenFiles.read(tokenFile));
        }
    }

    /** A command with a server and a token that prints what the server answered. */
    abstract static class Call implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        Client client;

        abstract String run(FleetClient c) throws IOException;

        @Override
        public Integer call() throws IOException {
            String out = run(client.open());
            spec.commandLine().getOut().print(out.endsWith("\n") ? out : out + "\n");
            return ExitCodes.OK;
        }
    }

    @Command(name = "group", mixinStandardHelpOptions = true, description = "Groups of machines.", subcommands = GroupSet.class)
    static final class GroupCmd implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (set)");
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
            description = "Create a group or change the channel it follows; --release pins it to one release of the channel "
                    + "(rollouts move it on; unpinned, it runs the channel's current release).")
    static final class GroupSet extends Call {
        @Parameters(paramLabel = "GROUP") String group;
        @Option(names = "--channel", required = true, paramLabel = "CHANNEL") String channel;
        @Option(names = "--release", paramLabel = "VERSION", description = "Pin the group to this release.") String version;

        @Override String run(FleetClient c) throws IOException { return c.setGroup(group, channel, version); }
    }

    @Command(name = "machine", mixinStandardHelpOptions = true, description = "Machines.",
            subcommands = {MachineAdd.class, MachineList.class})
    static final class MachineCmd implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (add or list)");
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Register a machine in a group and print its token (once: only its SHA-256 is stored).")
    static final class MachineAdd extends Call {
        @Parameters(paramLabel = "ID") String id;
        @Option(names = "--group", required = true, paramLabel = "GROUP") String group;

        @Override String run(FleetClient c) throws IOException { return c.addMachine(id, group); }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Every machine as JSON: group, the release it should run, its last health report.")
    static final class MachineList extends Call {
        @Override String run(FleetClient c) throws IOException { return c.machines(); }
    }

    @Command(name = "config", mixinStandardHelpOptions = true, description = "Configuration files of groups and machines.",
            subcommands = {ConfigSet.class, ConfigDelete.class})
    static final class ConfigCmd implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (set or delete)");
        }
    }

    /** A configuration command: exactly one owner, a group or a machine. */
    abstract static class OwnerCall extends Call {
        @Option(names = "--group", paramLabel = "GROUP", description = "For every machine of a group.") String group;
        @Option(names = "--machine", paramLabel = "ID", description = "For one machine (wins over its group's file).") String machine;

        String kind() {
            if ((group == null) == (machine == null)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "give exactly one of --group and --machine");
            }
            return group != null ? "group" : "machine";
        }

        String owner() { return group != null ? group : machine; }
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
            description = "Set the file PATH (relative to the machine's root, e.g. etc/hostname) to the contents of FILE.")
    static final class ConfigSet extends OwnerCall {
        @Parameters(index = "0", paramLabel = "PATH") String path;
        @Parameters(index = "1", paramLabel = "FILE") Path file;
        @Option(names = "--mode", defaultValue = "0644", paramLabel = "MODE", description = "Octal mode (default: ${DEFAULT-VALUE}).") String mode;

        @Override
        String run(FleetClient c) throws IOException {
            byte[] content;
            try {
                content = Files.readAllBytes(file);
            } catch (IOException e) {
                throw new StageforgeException(file + ": cannot read: " + e.getMessage(), ExitCodes.NOT_FOUND, e);
            }
            return c.config(kind(), owner(), path, content, mode);
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Remove the file PATH from a group or machine.")
    static final class ConfigDelete extends OwnerCall {
        @Parameters(paramLabel = "PATH") String path;

        @Override String run(FleetClient c) throws IOException { return c.config(kind(), owner(), path, null, null); }
    }

    @Command(name = "rollout", mixinStandardHelpOptions = true, description = "Staged rollouts of a release to a group.",
            subcommands = {RolloutStart.class, RolloutStatus.class, RolloutHalt.class})
    static final class RolloutCmd implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (start, status or halt)");
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = {"Roll release VERSION of the group's channel out: the canary share first, then each step, each no "
                    + "earlier than the interval after the last and only once every machine reached so far reported healthy "
                    + "on VERSION. An unhealthy report halts it: the whole group goes back to what it ran. Prints the status as JSON."})
    static final class RolloutStart extends Call {
        @Option(names = "--group", required = true, paramLabel = "GROUP") String group;
        @Option(names = "--release", required = true, paramLabel = "VERSION", description = "The release version to roll out.") String version;
        @Option(names = "--canary", defaultValue = "10", paramLabel = "PERCENT", description = "Canary share (default: ${DEFAULT-VALUE}).") int canary;
        @Option(names = "--steps", paramLabel = "P,P,…", description = "Later cumulative percentages (default: 100).") String steps;
        @Option(names = "--interval", defaultValue = "PT1H", paramLabel = "DURATION",
                description = "Least time between steps, ISO-8601 (PT30M, PT1H, P1D; default: ${DEFAULT-VALUE}).") Duration interval;

        @Override String run(FleetClient c) throws IOException { return c.startRollout(group, version, canary, steps, interval.toSeconds()); }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "A rollout's state and the machines it reached, as JSON.")
    static final class RolloutStatus extends Call {
        @Parameters(paramLabel = "ID") String id;

        @Override String run(FleetClient c) throws IOException { return c.rollout(id); }
    }

    @Command(name = "halt", mixinStandardHelpOptions = true, description = "Stop a rollout: the group goes back to what it ran.")
    static final class RolloutHalt extends Call {
        @Parameters(paramLabel = "ID") String id;
        @Option(names = "--reason", paramLabel = "TEXT") String reason;

        @Override String run(FleetClient c) throws IOException { return c.halt(id, reason); }
    }
}

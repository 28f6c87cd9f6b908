package org.stageforge.cli;

import org.stageforge.controller.ControllerFiles;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code stageforge controller}: the client machines' update controller. */
@Command(name = "controller", mixinStandardHelpOptions = true,
        description = "The update controller that client machines run at boot (A/B slots, signed releases, health fallback).",
        subcommands = {ControllerCommand.Export.class})
final class ControllerCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (export)");
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = {"Write the controller's files into DIR: stageforge-controller, lib/*.sh, the dracut module",
                    "(dracut/90stageforge), OpenRC and systemd units for the health markers, an example configuration."})
    static final class Export implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "DIR", description = "Directory to write into (created if missing).")
        Path dir;

        @Override
        public Integer call() throws Exception {
            for (Path p : ControllerFiles.export(dir)) spec.commandLine().getOut().println(p);
            return 0;
        }
    }
}

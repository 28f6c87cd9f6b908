package org.stageforge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Ctrl-C on {@code stageforge install} (a child JVM, sent SIGINT while it waits for a binhost) says what to run again. */
class InstallInterruptTest {
    @Test
    void ctrlCNamesTheRootAndTheCommandThatFinishes(@TempDir Path tmp) throws Exception {
        Path repo = tmp.resolve("repo");
        Files.createDirectories(repo.resolve("profiles/test"));
        Files.createDirectories(repo.resolve("metadata"));
        Files.writeString(repo.resolve("profiles/repo_name"), "gentoo\n");
        Files.writeString(repo.resolve("metadata/layout.conf"), "masters =\n");
        Files.writeString(repo.resolve("profiles/test/eapi"), "8\n");
        Files.writeString(repo.resolve("profiles/test/make.defaults"), "ARCH=\"amd64\"\n");
        Path cfg = Files.createDirectories(tmp.resolve("cfg/etc/portage"));
        Files.createSymbolicLink(cfg.resolve("make.profile"), repo.resolve("profiles/test"));
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            String url = "http://user:secret@127.0.0.1:" + server.getLocalPort();
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), Main.class.getName(), "install", "--root",
                    tmp.resolve("root").toString(), "--config-root", tmp.resolve("cfg").toString(), "--binhost", url,
                    "--json", "app-misc/x").redirectOutput(tmp.resolve("out").toFile())
                    .redirectError(tmp.resolve("err").toFile()).start();
            try (Socket held = server.accept()) { // the install now waits for the index
                Process kill = new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).inheritIO().start();
                assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
                assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(p.exitValue()).as(Files.readString(tmp.resolve("err"))).isEqualTo(130);
            String again = "stageforge install --root " + tmp.resolve("root") + " --config-root " + tmp.resolve("cfg")
                    + " --binhost 'http://***@127.0.0.1:" + server.getLocalPort() + "' --json app-misc/x";
            assertThat(Files.readString(tmp.resolve("err")).strip()).isEqualTo("stageforge: interrupted while installing into "
                    + tmp.resolve("root") + "; finish with: " + again);
            List<String> out = Files.readString(tmp.resolve("out")).lines().toList();
            JsonNode event = new ObjectMapper().readTree(out.get(out.size() - 1));
            assertThat(event.get("event").asText()).isEqualTo("error");
            assertThat(event.get("resume").asText()).isEqualTo(again);
        }
    }
}

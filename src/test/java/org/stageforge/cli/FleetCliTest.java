package org.stageforge.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.server.Services;
import org.stageforge.server.core.Server;
import org.stageforge.server.core.ServerConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Date;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code stageforge fleet …} and {@code server fleet-key} against a running {@code stageforge serve}. */
class FleetCliTest {
    @Test
    void groupsMachinesConfigurationAndRollouts(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        CliUsageTest.Run admin = CliUsageTest.run("server", "token", "create", "--data", data.toString(), "--scope", "fleet:admin");
        Path tokenFile = Files.writeString(tmp.resolve("token"), admin.out());
        Path key = Files.write(tmp.resolve("key.asc"), OpenPgp.generate("Fleet <f@example.org>", null, new Date(0)).secretArmored());
        CliUsageTest.Run installed = CliUsageTest.run("server", "fleet-key", "--data", data.toString(), key.toString());
        assertThat(installed.code()).as(installed.err()).isZero();
        assertThat(installed.err()).matches("fleet bundles are signed by [0-9A-F]{40}\n");
        CliUsageTest.Run notAKey = CliUsageTest.run("server", "fleet-key", "--data", data.toString(), tmp.resolve("token").toString());
        assertThat(notAKey.code()).isEqualTo(3);
        assertThat(notAKey.err()).startsWith("stageforge: " + tmp.resolve("token")).contains("not OpenPGP key data");

        try (Server server = Services.start(ServerConfig.of(data, "127.0.0.1", 0))) {
            String[] conn = {"--server", server.uri().toString(), "--token-file", tokenFile.toString()};
            assertThat(run(conn, "fleet", "group", "set", "lab", "--channel", "stable").out()).contains("\"channel\" : \"stable\"");
            CliUsageTest.Run add = run(conn, "fleet", "machine", "add", "m1", "--group", "lab");
            assertThat(add.code()).as(add.err()).isZero();
            assertThat(add.out()).matches("sf_[A-Za-z0-9_-]{43}\n");
            Path hostname = Files.writeString(tmp.resolve("hostname"), "m1\n");
            assertThat(run(conn, "fleet", "config", "set", "--machine", "m1", "etc/hostname", hostname.toString()).out())
                    .isEqualTo("set etc/hostname\n");
            CliUsageTest.Run both = run(conn, "fleet", "config", "set", "--machine", "m1", "--group", "lab", "etc/x", hostname.toString());
            assertThat(both.code()).isEqualTo(2);
            assertThat(both.err()).contains("exactly one of --group and --machine");
            CliUsageTest.Run started = run(conn, "fleet", "rollout", "start", "--group", "lab", "--release", "2", "--canary", "50",
                    "--interval", "PT0S");
            assertThat(started.code()).as(started.err()).isZero();
            String id = started.out().replaceAll("(?s).*\"id\" : \"([^\"]+)\".*", "$1");
            assertThat(run(conn, "fleet", "rollout", "status", id).out()).contains("\"admitted\" : [ \"m1\" ]").contains("\"state\" : \"running\"");
            assertThat(run(conn, "fleet", "rollout", "halt", id, "--reason", "bad canary").out()).contains("\"reason\" : \"bad canary\"");
            assertThat(run(conn, "fleet", "machine", "list").out()).contains("\"id\" : \"m1\"");
            CliUsageTest.Run missing = run(conn, "fleet", "rollout", "status", "rnosuch");
            assertThat(missing.code()).isEqualTo(6);
            assertThat(missing.err()).isEqualTo("stageforge: GET /fleet/rollouts/rnosuch: 404 no rollout rnosuch\n");
            CliUsageTest.Run unknownGroup = run(conn, "fleet", "machine", "add", "m2", "--group", "nosuch");
            assertThat(unknownGroup.code()).isEqualTo(6);
        }
    }

    private static CliUsageTest.Run run(String[] conn, String... args) throws Exception {
        String[] all = new String[args.length + conn.length];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(conn, 0, all, args.length, conn.length);
        return CliUsageTest.run(all);
    }
}

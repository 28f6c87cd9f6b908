package org.stageforge.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.server.Services;
import org.stageforge.server.core.Server;
import org.stageforge.server.core.ServerConfig;
import org.stageforge.snapshot.Webrsync;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code server snapshots configure}, {@code snapshot create} + {@code snapshot push} against a running server. */
class SnapshotServerCliTest {
    @Test
    void configureCreatePush(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        Path keys = Webrsync.key(tmp.resolve("keys"), "Snapshots <snap@example.org>");
        CliUsageTest.Run token = CliUsageTest.run("server", "token", "create", "--data", data.toString(), "--scope", "snapshots:write");
        assertThat(token.code()).as(token.err()).isZero();
        Path tokenFile = Files.writeString(tmp.resolve("token"), token.out());
        CliUsageTest.Run conf = CliUsageTest.run("server", "snapshots", "configure", "--data", data.toString(),
                "--keyring", keys.resolve("public.asc").toString());
        assertThat(conf.code()).as(conf.err()).isZero();
        assertThat(conf.out()).isEqualTo("snapshot keyring: 1 key(s) from " + keys.resolve("public.asc") + "\n");

        Path out = tmp.resolve("out");
        CliUsageTest.Run made = CliUsageTest.run("snapshot", "create", Webrsync.testRepo(tmp.resolve("src")).toString(),
                "--date", "20251202", "--signing-key", keys.resolve("secret.asc").toString(), "--output", out.toString());
        assertThat(made.code()).as(made.err()).isZero();
        try (Server server = Services.start(ServerConfig.of(data, "127.0.0.1", 0))) {
            String url = server.uri().toString();
            CliUsageTest.Run push = CliUsageTest.run("snapshot", "push", out.toString(), "--server", url, "--token-file", tokenFile.toString());
            assertThat(push.code()).as(push.err()).isZero();
            assertThat(push.out()).isEqualTo("gentoo-20251202.tar.xz published\n");
            CliUsageTest.Run again = CliUsageTest.run("snapshot", "push", out.toString(), "--server", url, "--token-file", tokenFile.toString());
            assertThat(again.out()).isEqualTo("gentoo-20251202.tar.xz already published\n");
            HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "/snapshots/gentoo-latest.tar.xz")).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.body()).isEqualTo(Files.readAllBytes(out.resolve("gentoo-20251202.tar.xz")));

            Files.delete(out.resolve("gentoo-20251202.tar.xz.gpgsig"));
            CliUsageTest.Run noSig = CliUsageTest.run("snapshot", "push", out.toString(), "--server", url, "--token-file", tokenFile.toString());
            assertThat(noSig.code()).isEqualTo(6);
            assertThat(noSig.err()).isEqualTo("stageforge: " + out.resolve("gentoo-20251202.tar.xz.gpgsig") + " does not exist\n");
        }
    }
}

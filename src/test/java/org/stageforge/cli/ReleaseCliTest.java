package org.stageforge.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.server.Services;
import org.stageforge.server.core.Server;
import org.stageforge.server.core.ServerConfig;
import org.stageforge.server.releases.TestReleases;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code server channel create}, {@code publish}, {@code promote}, {@code rollback} and {@code release list} against {@code Services}. */
class ReleaseCliTest {
    @Test
    void publishPromoteRollbackAndList(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        TestReleases.Key key = TestReleases.key(tmp.resolve("key"), "cli signer");
        for (String c : new String[] {"testing", "stable"}) {
            CliUsageTest.Run r = CliUsageTest.run("server", "channel", "create", "--data", data.toString(), c, "--keyring", key.armored().toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).isEqualTo("channel " + c + " at /releases/" + c + "/\n");
        }
        assertThat(CliUsageTest.run("server", "channel", "create", "--data", data.toString(), "testing", "--keyring", key.armored().toString()).err())
                .isEqualTo("stageforge: channel testing exists already\n");
        assertThat(CliUsageTest.run("server", "channel", "create", "--data", data.toString(), "x", "--keyring", tmp.resolve("nope").toString()).code())
                .isEqualTo(6);
        Path tokenFile = Files.writeString(tmp.resolve("token"), CliUsageTest.run("server", "token", "create", "--data", data.toString(),
                "--scope", "channel:testing:write", "--scope", "channel:stable:write").out());
        Path v1 = TestReleases.output(tmp.resolve("v1"), "stage", "1.0", Map.of("stage-1.0.tar.zst", bytes("one")), key, null);
        Path v2 = TestReleases.output(tmp.resolve("v2"), "stage", "2.0", Map.of("stage-2.0.tar.zst", bytes("two")), key, null);
        try (Server server = Services.start(ServerConfig.of(data, "127.0.0.1", 0))) {
            String url = server.uri().toString();
            CliUsageTest.Run p1 = CliUsageTest.run("publish", v1.toString(), "--server", url, "--channel", "testing", "--token-file", tokenFile.toString());
            assertThat(p1.code()).as(p1.err()).isZero();
            assertThat(p1.out()).startsWith("published testing 1.0 (4 files, manifest ");
            CliUsageTest.Run p2 = CliUsageTest.run("publish", v2.toString(), "--server", url, "--channel", "testing", "--token-file", tokenFile.toString(),
                    "--version", "2.0-final");
            assertThat(p2.out()).startsWith("published testing 2.0-final ");
            CliUsageTest.Run pr = CliUsageTest.run("promote", "--server", url, "--from", "testing", "--to", "stable", "--version", "1.0",
                    "--token-file", tokenFile.toString());
            assertThat(pr.out()).startsWith("promoted stable 1.0 ");
            CliUsageTest.Run rb = CliUsageTest.run("rollback", "--server", url, "--channel", "testing", "--token-file", tokenFile.toString());
            assertThat(rb.code()).as(rb.err()).isZero();
            assertThat(rb.out()).startsWith("rolled back testing 1.0 ");

            CliUsageTest.Run list = CliUsageTest.run("release", "list", "--server", url);
            assertThat(list.code()).as(list.err()).isZero();
            assertThat(list.out().lines().map(l -> l.replaceAll("\t[0-9T:.-]+Z", "\tTIME")))
                    .containsExactly("stable\t1.0\tTIME\t*", "testing\t2.0-final\tTIME", "testing\t1.0\tTIME\t*");
            CliUsageTest.Run json = CliUsageTest.run("release", "list", "--server", url, "--channel", "testing", "--json");
            assertThat(json.out()).contains("\"current\" : \"1.0\"").contains("\"version\" : \"2.0-final\"");

            // a refused release: exit 4 with the server's reason; a missing channel: exit 6
            Files.writeString(v2.resolve("stage-2.0.tar.zst"), "tampered");
            CliUsageTest.Run bad = CliUsageTest.run("publish", v2.toString(), "--server", url, "--channel", "testing", "--token-file", tokenFile.toString(),
                    "--version", "2.1");
            assertThat(bad.code()).isEqualTo(4);
            assertThat(bad.err()).isEqualTo("stageforge: publish to testing: HTTP 422: stage-2.0.tar.zst: checksum mismatch: SHA256SUMS says "
                    + TestReleases.sha256(bytes("two")) + ", got " + TestReleases.sha256(bytes("tampered")) + "\n");
            assertThat(CliUsageTest.run("rollback", "--server", url, "--channel", "nope", "--token-file", tokenFile.toString()).code()).isEqualTo(6);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}

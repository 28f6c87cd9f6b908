package org.stageforge.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.server.Services;
import org.stageforge.server.core.MetadataStore;
import org.stageforge.server.core.Server;
import org.stageforge.server.core.ServerConfig;
import org.stageforge.server.distfiles.Distfiles;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code distfiles push} against a server with metadata in a database named by {@code --jdbc-url}. */
class DistfilesCliTest {
    @Test
    void pushToTheMirrorWithMetadataWhereJdbcUrlSays(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        String jdbc = MetadataStore.sqliteUrl(tmp.resolve("elsewhere.db"));
        CliUsageTest.Run token = CliUsageTest.run("server", "token", "create", "--data", data.toString(),
                "--jdbc-url", jdbc, "--scope", "distfiles:write");
        assertThat(token.code()).as(token.err()).isZero();
        assertThat(tmp.resolve("elsewhere.db")).exists();
        assertThat(data.resolve("server.db")).doesNotExist();
        Path tokenFile = Files.writeString(tmp.resolve("token"), token.out());
        Path a = Files.writeString(tmp.resolve("foo-1.0.tar.gz"), "foo\n");
        Path b = Files.writeString(tmp.resolve("bar-2.tar.xz"), "bar\n");

        try (Server server = Services.start(ServerConfig.of(data, "127.0.0.1", 0).withJdbcUrl(jdbc))) {
            String url = server.uri().toString();
            CliUsageTest.Run push = CliUsageTest.run("distfiles", "push", a.toString(), b.toString(), "--server", url,
                    "--token-file", tokenFile.toString());
            assertThat(push.code()).as(push.err()).isZero();
            assertThat(push.out()).isEqualTo("uploaded /distfiles/4b/foo-1.0.tar.gz\nuploaded /distfiles/"
                    + Distfiles.path("bar-2.tar.xz") + "\n");
            assertThat(CliUsageTest.run("distfiles", "push", a.toString(), "--server", url, "--token-file", tokenFile.toString()).out())
                    .isEqualTo("already there /distfiles/4b/foo-1.0.tar.gz\n");
            assertThat(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "/distfiles/4b/foo-1.0.tar.gz")).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("foo\n");

            Path wrong = Files.writeString(tmp.resolve("wrong"), "sf_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n");
            CliUsageTest.Run refused = CliUsageTest.run("distfiles", "push", a.toString(), "--server", url,
                    "--token-file", wrong.toString(), "-q");
            assertThat(refused.code()).isEqualTo(1);
            assertThat(refused.out()).isEmpty();
            assertThat(refused.err()).isEqualTo("stageforge: foo-1.0.tar.gz: HTTP 401: unknown token\n");
            CliUsageTest.Run missing = CliUsageTest.run("distfiles", "push", tmp.resolve("nope").toString(), "--server", url,
                    "--token-file", tokenFile.toString());
            assertThat(missing.code()).isEqualTo(6);
            assertThat(missing.err()).isEqualTo("stageforge: " + tmp.resolve("nope") + ": not a regular file\n");
        }
    }
}

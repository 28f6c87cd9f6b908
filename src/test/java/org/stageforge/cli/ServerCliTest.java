package org.stageforge.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.archive.Compression;
import org.stageforge.binpkg.FileTable;
import org.stageforge.binpkg.GpkgWriter;
import org.stageforge.index.PackagesIndex;
import org.stageforge.server.Services;
import org.stageforge.server.core.Server;
import org.stageforge.server.core.ServerConfig;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code server token create}, {@code server binhost create} and {@code binhost push} against a running server. */
class ServerCliTest {
    @Test
    void createTokenAndBinhostThenPush(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        CliUsageTest.Run token = CliUsageTest.run("server", "token", "create", "--data", data.toString(),
                "--scope", "binhost:main:write", "--name", "ci");
        assertThat(token.code()).as(token.err()).isZero();
        assertThat(token.out()).matches("sf_[A-Za-z0-9_-]{43}\n");
        assertThat(token.err()).matches("token [0-9a-f]{16} with binhost:main:write\n");
        Path tokenFile = Files.writeString(tmp.resolve("token"), token.out());

        CliUsageTest.Run bad = CliUsageTest.run("server", "token", "create", "--data", data.toString(), "--scope", "root");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).startsWith("stageforge: unknown scope 'root'");

        CliUsageTest.Run created = CliUsageTest.run("server", "binhost", "create", "--data", data.toString(), "main");
        assertThat(created.code()).as(created.err()).isZero();
        assertThat(created.out()).isEqualTo("binhost main at /binhost/main/\n");
        assertThat(CliUsageTest.run("server", "binhost", "create", "--data", data.toString(), "main").err())
                .isEqualTo("stageforge: binhost main exists already\n");
        assertThat(CliUsageTest.run("server", "binhost", "create", "--data", data.toString(), "../x").code()).isEqualTo(2);
        CliUsageTest.Run noKeys = CliUsageTest.run("server", "binhost", "create", "--data", data.toString(), "signed", "--require-signatures");
        assertThat(noKeys.code()).isEqualTo(2);
        assertThat(noKeys.err()).isEqualTo("stageforge: --require-signatures needs --keyring\n");

        Path local = tmp.resolve("local");
        for (String pf : new String[] {"a-1", "b-2"}) {
            Path image = Files.createDirectories(tmp.resolve("img-" + pf + "/usr/share/x"));
            Files.writeString(image.resolve(pf), pf);
            Path out = Files.createDirectories(local.resolve("app-misc/" + pf.substring(0, 1))).resolve(pf + "-1.gpkg.tar");
            GpkgWriter.write(out, tmp.resolve("img-" + pf), Map.of("CATEGORY", "app-misc\n".getBytes(StandardCharsets.UTF_8),
                    "PF", (pf + "\n").getBytes(StandardCharsets.UTF_8), "SLOT", "0\n".getBytes(StandardCharsets.UTF_8)),
                    new GpkgWriter.Options(Compression.ZSTD, 1_700_000_000L, null, FileTable.EMPTY));
        }
        try (Server server = Services.start(ServerConfig.of(data, "127.0.0.1", 0))) {
            String url = server.uri().toString();
            CliUsageTest.Run push = CliUsageTest.run("binhost", "push", local.toString(), "--server", url, "--binhost", "main",
                    "--token-file", tokenFile.toString());
            assertThat(push.code()).as(push.err()).isZero();
            assertThat(push.out()).isEqualTo("pushed 2 package(s) to main (2 new, 0 already there), 0 failed\n");
            String idx = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "/binhost/main/Packages")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(PackagesIndex.parse("Packages", idx.getBytes(StandardCharsets.UTF_8)).entries())
                    .extracting(e -> e.cpv() + " " + e.path()).containsExactly("app-misc/a-1 app-misc/a/a-1-1.gpkg.tar",
                            "app-misc/b-2 app-misc/b/b-2-1.gpkg.tar");

            Path wrong = Files.writeString(tmp.resolve("wrong"), "sf_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n");
            CliUsageTest.Run refused = CliUsageTest.run("binhost", "push", local.toString(), "--server", url, "--binhost", "main",
                    "--token-file", wrong.toString(), "-q");
            assertThat(refused.code()).isEqualTo(1);
            assertThat(refused.out()).isEmpty();
            assertThat(refused.err()).isEqualTo("stageforge: app-misc/a-1-1.gpkg.tar: HTTP 401: unknown token\n"
                    + "stageforge: app-misc/b-2-1.gpkg.tar: HTTP 401: unknown token\n");
        }
    }
}

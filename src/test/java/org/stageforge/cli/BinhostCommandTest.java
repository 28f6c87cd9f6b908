package org.stageforge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ExitCodes;
import org.stageforge.binhost.TestBinhost;
import org.stageforge.server.StaticServer;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(60)
class BinhostCommandTest {
    @TempDir
    Path tmp;

    private record Run(int code, String out, String err) {}

    private Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private Path binhost() throws Exception {
        return new TestBinhost()
                .addXpak("app-misc/one-1.0", 20_000)
                .addXpak("app-misc/one-1.1", 20_000)
                .addXpak("sys-libs/two-2", 5_000)
                .add("dev-libs/gone-3", 1_000, false, false)
                .write(tmp.resolve("binhost"));
    }

    @Test
    void indexJsonListsHeaderAndPackages() throws Exception {
        Path dir = binhost();
        Run r = run("binhost", "index", "--binhost", dir.toString(), "--cache", tmp.resolve("c").toString(), "--json");
        assertThat(r.code()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("status").asText()).isEqualTo("local");
        assertThat(j.get("packages_count").asInt()).isEqualTo(4);
        assertThat(j.get("header").get("ARCH").asText()).isEqualTo("amd64");
        assertThat(j.get("packages").get(3).get("cpv").asText()).isEqualTo("dev-libs/gone-3");
        assertThat(j.get("packages").get(3).get("digests").has("SHA1")).isTrue();
    }

    @Test
    void indexOverHttpIsConditionalOnTheSecondRun() throws Exception {
        Path dir = binhost();
        try (StaticServer server = StaticServer.start(dir, 0)) {
            String[] args = {"binhost", "index", "--binhost", server.uri().toString(), "--cache", tmp.resolve("c").toString()};
            Run first = run(args);
            assertThat(first.code()).isZero();
            assertThat(first.out()).contains("packages: 4", "(downloaded)", "arch:     amd64");
            assertThat(run(args).out()).contains("(not modified)");
        }
    }

    @Test
    void fetchAllReportsMissingFilesAndExitsNotFound() throws Exception {
        Path dir = binhost();
        Run r = run("binhost", "fetch", "--binhost", dir.toString(), "--cache", tmp.resolve("c").toString(), "-j", "2");
        assertThat(r.code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(r.err().strip()).isEqualTo("stageforge: dev-libs/gone-3 (build 1): dev-libs/gone/gone-3-1.gpkg.tar is missing on binhost " + dir);
        assertThat(r.out()).contains("fetched 3 package(s) (0 already in the cache), 1 failed");

        Run again = run("binhost", "fetch", "--binhost", dir.toString(), "--cache", tmp.resolve("c").toString(), "--quiet");
        assertThat(again.code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(again.out()).isEmpty();
    }

    @Test
    void fetchNamedPackagesAsJson() throws Exception {
        Path dir = binhost();
        Run r = run("binhost", "fetch", "--binhost", dir.toString(), "--cache", tmp.resolve("c").toString(), "--json",
                "app-misc/one", "=sys-libs/two-2");
        assertThat(r.code()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("fetched")).hasSize(3);
        assertThat(j.get("fetched").get(0).get("cpv").asText()).isEqualTo("app-misc/one-1.0");
        assertThat(j.get("fetched").get(2).get("cpv").asText()).isEqualTo("sys-libs/two-2");
        Path file = Path.of(j.get("fetched").get(2).get("file").asText());
        assertThat(Files.mismatch(file, dir.resolve("sys-libs/two/two-2-1.xpak"))).isEqualTo(-1L);
        assertThat(j.get("failed")).isEmpty();
    }

    @Test
    void unknownNamesAndRequiredSignaturesFailWithOneLine() throws Exception {
        Path dir = binhost();
        Run unknown = run("binhost", "fetch", "--binhost", dir.toString(), "--cache", tmp.resolve("c").toString(),
                "app-misc/nope", "app-misc/one-1");
        assertThat(unknown.code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(unknown.err().strip()).isEqualTo("stageforge: no package matching 'app-misc/nope', 'app-misc/one-1' in binhost " + dir);

        Run unsigned = run("binhost", "fetch", "--binhost", dir.toString(), "--cache", tmp.resolve("c").toString(),
                "--require-signatures", "sys-libs/two-2");
        assertThat(unsigned.code()).isEqualTo(ExitCodes.VERIFY);
        assertThat(unsigned.err()).startsWith("stageforge: sys-libs/two-2 (build 1) (sys-libs/two/two-2-1.xpak) is not signed")
                .hasLineCount(1);

        Run badUrl = run("binhost", "index", "--binhost", "ftp://example.invalid/x");
        assertThat(badUrl.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(badUrl.err()).contains("only http, https, file URLs and directories are supported");
    }

    @Test
    void signaturesAreVerifiedWithAKeyring() {
        Path signed = org.stageforge.testutil.Fixtures.require("portage-made-gpkg/signed");
        Path tampered = org.stageforge.testutil.Fixtures.require("portage-made-gpkg/tampered");
        String key = signed.resolve("signed-pubkey.asc").toString();
        Run ok = run("binhost", "fetch", "--binhost", signed.toString(), "--cache", tmp.resolve("c").toString(),
                "--require-signatures", "--keyring", key);
        assertThat(ok.err()).isEmpty();
        assertThat(ok.code()).isZero();
        assertThat(ok.out()).contains("fetched 3 package(s)");

        Run bad = run("binhost", "fetch", "--binhost", tampered.toString(), "--cache", tmp.resolve("c").toString(),
                "--require-signatures", "--keyring", key);
        assertThat(bad.code()).isEqualTo(ExitCodes.VERIFY);
        assertThat(bad.err()).startsWith("stageforge: app-misc/mime-types-2.1.53 (build 1) (app-misc/mime-types/")
                .hasLineCount(1);
    }
}

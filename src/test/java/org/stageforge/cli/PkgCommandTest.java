package org.stageforge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.testutil.Fixtures;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The pkg subcommands on real packages: output shape and exit codes. */
class PkgCommandTest {
    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {}

    static Run cli(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code = Main.commandLine(new PrintWriter(o, true), new PrintWriter(e, true)).execute(args);
        return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    @Test
    void inspectContentsAndVerifyAnXpak() throws Exception {
        Path repo = Fixtures.require("binhost-xpak-amd64");
        Path pkg = repo.resolve("app-arch/bzip2/bzip2-1.0.8-r4-2.xpak");
        Run inspect = cli("pkg", "inspect", pkg.toString(), "--json");
        assertThat(inspect.code()).as(inspect.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(inspect.out());
        assertThat(j.get("format").asText()).isEqualTo("xpak");
        assertThat(j.get("compression").asText()).isEqualTo("zstd");
        assertThat(j.get("metadata").get("CATEGORY").asText()).isEqualTo("app-arch");
        assertThat(j.get("metadata").get("environment.bz2").asText()).endsWith(" bytes");

        Run contents = cli("pkg", "contents", pkg.toString());
        assertThat(contents.code()).isZero();
        assertThat(contents.out()).contains("./bin/bzip2-reference").containsPattern("-rwxr-xr-x 0/0 +32864 ");
        Run json = cli("pkg", "contents", pkg.toString(), "--json");
        JsonNode rows = new ObjectMapper().readTree(json.out());
        assertThat(rows.get(0).get("path").asText()).isEqualTo("./");
        assertThat(rows.get(0).get("type").asText()).isEqualTo("dir");

        // the index is matched by CPV and BUILD_ID (this file's name says -2, its BUILD_ID decides)
        Run ok = cli("pkg", "verify", pkg.toString(), "--index", repo.resolve("Packages").toString());
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("ok index: MD5, SHA1, SIZE");

        Path copy = tmp.resolve(pkg.getFileName());
        byte[] b = Files.readAllBytes(pkg);
        b[b.length / 2] ^= 1;
        Files.write(copy, b);
        Run bad = cli("pkg", "verify", copy.toString(), "--index", repo.resolve("Packages").toString());
        assertThat(bad.code()).isEqualTo(4);
        assertThat(bad.err()).startsWith("stageforge: ").contains("SHA1 mismatch against the index");
        Run sig = cli("pkg", "verify", pkg.toString(), "--require-signature",
                "--keyring", Fixtures.require("portage-made-gpkg/signed-pubkey.asc").toString());
        assertThat(sig.code()).isEqualTo(4);
    }

    @Test
    void extractAndBadInput() throws Exception {
        Path pkg = Fixtures.require("portage-made-gpkg/extra/oracle-extra/special-nodes/special-nodes-1-1.gpkg.tar");
        Path out = tmp.resolve("root");
        Run x = cli("pkg", "extract", pkg.toString(), "-C", out.toString(), "--json");
        assertThat(x.code()).as(x.err()).isZero();
        JsonNode rows = new ObjectMapper().readTree(x.out());
        boolean sawDevice = false;
        for (JsonNode r : rows) {
            if (r.get("type").asText().equals("char")) {
                sawDevice = true;
                // an inspection command only lists device nodes, as root too
                assertThat(r.get("created").asBoolean()).isFalse();
                assertThat(r.get("recordedOnly").asBoolean()).isTrue();
            }
        }
        assertThat(sawDevice).isTrue();
        Run p = cli("pkg", "extract", pkg.toString(), "-C", tmp.resolve("same").toString(), "--json", "--same-permissions");
        assertThat(p.code()).as(p.err()).isZero();
        for (JsonNode r : new ObjectMapper().readTree(p.out())) {
            if (r.get("type").asText().equals("char")) {
                assertThat(r.get("created").asBoolean()).isEqualTo(org.stageforge.archive.SafeExtractor.runningAsRoot());
            }
        }

        Path junk = tmp.resolve("junk.xpak");
        Files.writeString(junk, "not a package at all, just text");
        Run bad = cli("pkg", "inspect", junk.toString());
        assertThat(bad.code()).isEqualTo(3);
        assertThat(bad.err()).startsWith("stageforge: ").contains("not a binary package").doesNotContain("\n\n");
        assertThat(cli("pkg", "inspect", tmp.resolve("missing.gpkg.tar").toString()).code()).isEqualTo(6);
    }
}

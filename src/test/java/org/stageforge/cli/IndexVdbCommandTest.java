package org.stageforge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.testutil.Fixtures;
import org.stageforge.vdb.ContentsEntry;
import org.stageforge.vdb.Vdb;
import org.stageforge.vdb.VdbEntry;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class IndexVdbCommandTest {

    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private static Path index(Path dir) throws Exception {
        Path p = dir.resolve("Packages");
        Files.writeString(p, "CHOST: x\nPACKAGES: 2\n\nBUILD_ID: 4\nCPV: a/b-1\nSIZE: 77\nUSE: u1 u2\n\nCPV: c/d-2\n\n");
        return p;
    }

    @Test
    void indexShowTable(@TempDir Path tmp) throws Exception {
        Run r = run("index", "show", index(tmp).toString());
        assertThat(r.code()).isZero();
        assertThat(r.out().lines().toList()).containsExactly(
                "CPV    BUILD_ID  SIZE  PATH        USE",
                "a/b-1  4         77    a/b-1.tbz2  u1 u2",
                "c/d-2  -         -     c/d-2.tbz2",
                "2 entries");
    }

    @Test
    void indexShowJsonOfBinhostDirectory(@TempDir Path tmp) throws Exception {
        index(tmp);
        Run r = run("index", "show", "--json", tmp.toString());
        assertThat(r.code()).isZero();
        JsonNode doc = new ObjectMapper().readTree(r.out());
        assertThat(doc.get("header").get("PACKAGES").asText()).isEqualTo("2");
        assertThat(doc.get("entries")).hasSize(2);
        assertThat(doc.get("entries").get(0).get("USE").asText()).isEqualTo("u1 u2");
    }

    @Test
    void indexShowFixture() {
        Path p = Fixtures.require("binhost-xpak-amd64");
        Run r = run("index", "show", p.toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("acct-group/adm-0-r2", "acct-group/adm/adm-0-r2-1.xpak", "161 entries");
    }

    @Test
    void badInputIsOneLineWithExitCode3(@TempDir Path tmp) throws Exception {
        Path p = tmp.resolve("Packages");
        Files.writeString(p, "A: 1\n\nCPV: a/b-1\nnot a pair\n\n");
        Run r = run("index", "show", p.toString());
        assertThat(r.code()).isEqualTo(3);
        assertThat(r.err()).isEqualTo("stageforge: " + p + ":4: expected 'KEY: value', got 'not a pair'" + System.lineSeparator());
        Run missing = run("index", "show", tmp.resolve("nope").toString());
        assertThat(missing.code()).isEqualTo(6);
    }

    @Test
    void vdbListAndShow(@TempDir Path root) throws Exception {
        Vdb.write(root, VdbEntry.builder("sys-libs", "zlib-1.3").field("SLOT", "0/1").field("repository", "gentoo").counter(3)
                .contents(List.of(ContentsEntry.dir("/usr"), ContentsEntry.obj("/usr/a b", "abc", 5))).build());
        Vdb.write(root, VdbEntry.builder("app-misc", "foo-1").counter(4).build());
        Run list = run("vdb", "list", "--root", root.toString());
        assertThat(list.code()).isZero();
        assertThat(list.out().lines().toList()).containsExactly(
                "CPV                SLOT  COUNTER  REPO",
                "app-misc/foo-1     0     4        -",
                "sys-libs/zlib-1.3  0/1   3        gentoo",
                "2 installed");
    }

    @Test
    void vdbJsonShowAndErrors(@TempDir Path root) throws Exception {
        Vdb.write(root, VdbEntry.builder("sys-libs", "zlib-1.3").field("SLOT", "0/1").counter(3)
                .contents(List.of(ContentsEntry.sym("/usr/l", "t", 5))).build());
        JsonNode list = new ObjectMapper().readTree(run("vdb", "list", "--json", "--root", root.toString()).out());
        assertThat(list.get(0).get("cpv").asText()).isEqualTo("sys-libs/zlib-1.3");
        assertThat(list.get(0).get("counter").asLong()).isEqualTo(3);
        Run show = run("vdb", "show", "--root", root.toString(), "sys-libs/zlib-1.3");
        assertThat(show.out()).contains("  SLOT: 0/1", "  CONTENTS: 1 entries", "    sym /usr/l -> t 5");
        JsonNode doc = new ObjectMapper().readTree(run("vdb", "show", "--json", "--root", root.toString(), "sys-libs/zlib-1.3").out());
        assertThat(doc.get("contents").get(0).get("target").asText()).isEqualTo("t");
        assertThat(doc.get("fields").get("COUNTER").asText()).isEqualTo("3");
        assertThat(run("vdb", "show", "--root", root.toString(), "sys-libs/none-1").code()).isEqualTo(6);
        Run noRoot = run("vdb", "list", "--root", root.resolve("typo").toString());
        assertThat(noRoot.code()).isEqualTo(6);
        assertThat(noRoot.err().strip()).isEqualTo("stageforge: no such root directory: " + root.resolve("typo"));
        Run hostile = run("vdb", "show", "--root", root.toString(), "../../etc");
        assertThat(hostile.code()).isEqualTo(3);
        assertThat(hostile.err()).startsWith("stageforge: unsafe category name '..'");
        Files.writeString(root.resolve("var/db/pkg/sys-libs/zlib-1.3/CONTENTS"), "dir /usr\nbad line\n");
        Run bad = run("vdb", "show", "--root", root.toString(), "sys-libs/zlib-1.3");
        assertThat(bad.code()).isEqualTo(3);
        assertThat(bad.err().strip()).isEqualTo("stageforge: var/db/pkg/sys-libs/zlib-1.3/CONTENTS:2: unrecognized CONTENTS entry 'bad line'");
    }
}

package org.stageforge.resolve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ExitCodes;
import org.stageforge.cli.Main;
import org.stageforge.vdb.Vdb;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.stageforge.resolve.TestEnv.pkg;

/** {@code stageforge resolve} end to end on a directory binhost. */
class ResolveCliTest {
    @TempDir
    Path tmp;

    Path cfg;
    Path binhost;

    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @BeforeEach
    void setUp() {
        TestEnv.config(tmp);
        cfg = tmp.resolve("cfg");
        binhost = tmp.resolve("binhost");
        TestEnv.binhost("x", pkg("app-misc/app-1", "RDEPEND", "dev-libs/lib", "BUILD_ID", "2", "SIZE", "4096"),
                pkg("dev-libs/lib-1", "SIZE", "1024")).index().write(binhost.resolve("Packages"));
    }

    @Test
    void pretendListInMergeOrder() {
        Run r = run("resolve", "--config-root", cfg.toString(), "--binhost", binhost.toString(), "app-misc/app");
        assertThat(r.err()).isEmpty();
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("[binary  N     ] dev-libs/lib-1::gentoo 1 KiB\n"
                + "[binary  N     ] app-misc/app-1::gentoo (build 2) 4 KiB\n");
        assertThat(r.out()).contains("Total: 2 packages (2 new, 2 binaries), Size of downloads: 5 KiB");
    }

    @Test
    void jsonWithRootAndNoreplace() throws Exception {
        Path root = tmp.resolve("root");
        Vdb.write(root, TestEnv.installed("dev-libs/lib-1"));
        Run r = run("resolve", "--config-root", cfg.toString(), "--binhost", binhost.toString(), "--root", root.toString(),
                "--noreplace", "--json", "app-misc/app", "dev-libs/lib");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("packages")).hasSize(1);
        assertThat(j.get("packages").get(0).get("cpv").asText()).isEqualTo("app-misc/app-1");
        assertThat(j.get("worldAdditions").toString()).isEqualTo("[\"app-misc/app\",\"dev-libs/lib\"]");
    }

    @Test
    void unresolvableAtomsExitWithResolveCode() {
        Run r = run("resolve", "--config-root", cfg.toString(), "--binhost", binhost.toString(), "app-misc/none", "dev-libs/gone");
        assertThat(r.code()).isEqualTo(ExitCodes.RESOLVE);
        assertThat(r.err().lines().toList()).isEqualTo(List.of(
                "stageforge: app-misc/none (argument app-misc/none): no package app-misc/none in any binhost index",
                "dev-libs/gone (argument dev-libs/gone): no package dev-libs/gone in any binhost index"));
        Run bad = run("resolve", "--config-root", cfg.toString(), "--binhost", binhost.toString(), "--binpkg-respect-use=maybe", "x/y");
        assertThat(bad.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(bad.err()).contains("--binpkg-respect-use takes y or n");
    }

    @Test
    void withARepositoryWhatNoBinhostHasIsAnEbuildLine() {
        Path repo = tmp.resolve("repo");
        SourceResolveTest.ebuild(repo, "app-misc/app-1", "RDEPEND", "dev-libs/lib", "IUSE", "+gui");
        SourceResolveTest.ebuild(repo, "dev-libs/lib-1");
        Run r = run("resolve", "--config-root", cfg.toString(), "--binhost", binhost.toString(), "--repo", repo.toString(),
                "app-misc/app");
        assertThat(r.code()).as(r.err()).isZero();
        // the binhost's app was built without IUSE gui: its USE is not the configured one
        assertThat(r.out()).contains("[binary  N     ] dev-libs/lib-1::gentoo 1 KiB\n"
                + "[ebuild  N     ] app-misc/app-1::gentoo  USE=\"gui\" 0 KiB\n");
        assertThat(r.out()).contains("Total: 2 packages (2 new, 1 binary), Size of downloads: 1 KiB");
        Run all = run("resolve", "--config-root", cfg.toString(), "--repo", repo.toString(), "--from-source", "all",
                "app-misc/app");
        assertThat(all.out()).contains("[ebuild  N     ] dev-libs/lib-1::gentoo 0 KiB\n")
                .contains("Total: 2 packages (2 new), Size of downloads: 0 KiB");
        Run none = run("resolve", "--config-root", cfg.toString(), "app-misc/app");
        assertThat(none.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(none.err()).contains("give at least one --binhost or --repo");
    }
}

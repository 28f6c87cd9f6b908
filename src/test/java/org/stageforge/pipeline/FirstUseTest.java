package org.stageforge.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.index.PackagesIndex;
import org.stageforge.spec.SpecParser;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a first-time user gets told: warnings for things that silently would not do what they meant. */
class FirstUseTest {
    @TempDir
    Path tmp;

    /** Runs a build with a JSON reporter; returns the events. */
    private List<JsonNode> build(TestStage t) throws Exception {
        StringWriter sw = new StringWriter();
        BuildOptions o = BuildOptions.of(tmp.resolve("b"), tmp.resolve("out"));
        try (Reporter rep = new Reporter(new PrintWriter(sw), Reporter.Mode.JSON, o.buildDir().resolve("logs"), false, true, 11)) {
            Build.run(SpecParser.parse(t.spec), o, rep);
        }
        List<JsonNode> events = new ArrayList<>();
        for (String l : sw.toString().split("\n")) events.add(new ObjectMapper().readTree(l));
        return events;
    }

    private static List<String> warnings(List<JsonNode> events) {
        List<String> w = new ArrayList<>();
        for (JsonNode e : events) if (e.get("event").asText().equals("warning")) w.add(e.get("message").asText());
        return w;
    }

    @Test
    void misspelledHookDirectoriesAndNonExecutableHooksWarn() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        TestStage.write(tmp.resolve("s/hooks/before-instal.d/10-x"), "#!/bin/sh\ntouch \"$BUILD_DIR/ran\"\n");
        tmp.resolve("s/hooks/before-instal.d/10-x").toFile().setExecutable(true);
        TestStage.write(tmp.resolve("s/hooks/after-install.d/10-noexec"), "#!/bin/sh\ntouch \"$BUILD_DIR/ran\"\n");
        TestStage.write(tmp.resolve("s/hooks/notes.txt"), "x\n");
        List<String> w = warnings(build(t));
        assertThat(w).contains(
                "hooks/after-install.d/10-noexec is not executable and does not run (chmod +x it)",
                "hooks/before-instal.d is not a hook directory and is ignored (did you mean 'before-install.d'?)",
                "hooks/notes.txt is not a hook directory and is ignored (hooks/before-PART.d/ or hooks/after-PART.d/)");
        assertThat(tmp.resolve("b/ran")).doesNotExist();
    }

    @Test
    void deprecatedProfileAndBinhostOfAnotherProfileWarn() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        TestStage.write(tmp.resolve("s/repo/profiles/test/deprecated"), "test/v2\n\nSee the news item.\n");
        Path idx = tmp.resolve("s/binhost/Packages");
        PackagesIndex p = PackagesIndex.read(idx);
        Map<String, String> header = new LinkedHashMap<>(p.header());
        header.put("PROFILE", "default/linux/amd64/23.0");
        List<Map<String, String>> entries = new ArrayList<>();
        for (var e : p.entries()) entries.add(e.fields());
        PackagesIndex.of(header, entries).write(idx);
        List<String> w = warnings(build(t));
        assertThat(w).contains("profile test is deprecated and not supported anymore; upgrade to test/v2",
                "binhost binhost was built for profile 'default/linux/amd64/23.0', the spec uses 'test' "
                        + "(its packages' USE and settings may not fit)");
    }

    @Test
    void packageUseTheBinpkgLacksWarnsOrWithRespectUseIsRefused() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        String spec = Files.readString(t.spec);
        Files.writeString(t.spec, "package_use = [\"app-misc/hello -systemd\", \"sys-apps/baselayout systemd\"]\n" + spec);
        List<String> w = warnings(build(t));
        assertThat(w).containsOnlyOnce("app-misc/hello-1.0: package_use 'app-misc/hello -systemd' wants -systemd, but the "
                + "binary package was built with systemd (binpkg_respect_use = true refuses it)");
        assertThat(w).noneMatch(s -> s.startsWith("sys-apps/baselayout"));
        Files.writeString(t.spec, "binpkg_respect_use = true\npackage_use = [\"app-misc/hello -systemd\"]\n" + spec);
        assertThatThrownBy(() -> build(t)).isInstanceOf(StageforgeException.class)
                .hasMessageContaining("app-misc/hello (argument app-misc/hello): no binary instance's USE matches the configuration")
                .satisfies(e -> assertThat(((StageforgeException) e).exitCode()).isEqualTo(ExitCodes.RESOLVE));
    }

    @Test
    void unknownProfileSuggestsTheClosest() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        Files.writeString(t.spec, Files.readString(t.spec).replace("profile = \"test\"", "profile = \"tets\""));
        assertThatThrownBy(() -> build(t)).hasMessageEndingWith("profile 'tets' not found in " + tmp.resolve("s/repo")
                + " (did you mean 'test'?)");
    }

    private JsonNode ociConfig() throws Exception {
        Map<String, byte[]> members = new java.util.TreeMap<>();
        try (var in = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
                Files.newInputStream(tmp.resolve("out/tiny-1.0.oci.tar")))) {
            for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) if (e.isFile()) members.put(e.getName(), in.readAllBytes());
        }
        ObjectMapper m = new ObjectMapper();
        JsonNode index = m.readTree(members.get("index.json"));
        JsonNode manifest = m.readTree(members.get("blobs/sha256/" + index.get("manifests").get(0).get("digest").asText().substring(7)));
        return m.readTree(members.get("blobs/sha256/" + manifest.get("config").get("digest").asText().substring(7))).get("config");
    }

    @Test
    void ociImageConfigComesFromTheSpecAndNamesNoMissingShell() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "[output]\noci = true\n");
        build(t);
        JsonNode c = ociConfig();
        // the stage has no shell: no Cmd at all
        assertThat(c.has("Cmd")).isFalse();
        assertThat(c.has("Entrypoint")).isFalse();
        assertThat(c.get("Env").toString()).isEqualTo("[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"]");
        // a /bin/sh (here a symlink to busybox, as many small images have) becomes the default Cmd
        TestStage.write(tmp.resolve("s/hooks/before-pack.d/10-sh"),
                "#!/bin/sh\nmkdir -p \"$ROOT/bin\" && echo elf > \"$ROOT/bin/busybox\" && ln -sf /bin/busybox \"$ROOT/bin/sh\"\n");
        tmp.resolve("s/hooks/before-pack.d/10-sh").toFile().setExecutable(true);
        build(t);
        assertThat(ociConfig().get("Cmd").toString()).isEqualTo("[\"/bin/sh\"]");
        Files.writeString(t.spec, Files.readString(t.spec) + """
                entrypoint = ["/usr/bin/hello"]
                env = { LANG = "C.UTF-8", PATH = "/usr/bin" }
                user = "nobody"
                labels = { "org.opencontainers.image.title" = "Tiny", "org.example.team" = "infra" }
                """);
        build(t);
        c = ociConfig();
        assertThat(c.get("Entrypoint").toString()).isEqualTo("[\"/usr/bin/hello\"]");
        assertThat(c.has("Cmd")).isFalse();
        assertThat(c.get("Env").toString()).isEqualTo("[\"PATH=/usr/bin\",\"LANG=C.UTF-8\"]");
        assertThat(c.get("User").asText()).isEqualTo("nobody");
        assertThat(c.get("Labels").toString()).isEqualTo("{\"org.example.team\":\"infra\",\"org.opencontainers.image.title\":\"Tiny\","
                + "\"org.opencontainers.image.version\":\"1.0\"}");
        Files.writeString(t.spec, Files.readString(t.spec) + "cmd = [\"--help\"]\n");
        build(t);
        assertThat(ociConfig().get("Cmd").toString()).isEqualTo("[\"--help\"]");
    }

    @Test
    void jsonStreamEndsWithTheArtifacts() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        for (int run = 0; run < 2; run++) {
            // the second build reuses publish and still lists what the output directory holds
            List<JsonNode> events = build(t);
            JsonNode end = events.get(events.size() - 1);
            assertThat(end.get("event").asText()).isEqualTo("build-end");
            assertThat(end.get("outcome").asText()).isEqualTo("done");
            List<String> names = new ArrayList<>();
            for (JsonNode a : end.get("artifacts")) {
                Path f = Path.of(a.get("path").asText());
                assertThat(f.getParent()).isEqualTo(tmp.resolve("out").toAbsolutePath());
                assertThat(a.get("sha256").asText()).isEqualTo(TestStage.sha256(f));
                assertThat(a.get("size").asLong()).isEqualTo(Files.size(f));
                names.add(f.getFileName().toString());
            }
            assertThat(names).containsExactly("SHA256SUMS", "SHA256SUMS.gpg", "SHA512SUMS", "tiny-1.0.json",
                    "tiny-1.0.pub.asc", "tiny-1.0.tar.zst");
        }
        TestStage.write(tmp.resolve("s/hooks/before-pack.d/10-fail"), "#!/bin/sh\nexit 1\n");
        tmp.resolve("s/hooks/before-pack.d/10-fail").toFile().setExecutable(true);
        StringWriter sw = new StringWriter();
        BuildOptions o = BuildOptions.of(tmp.resolve("b"), tmp.resolve("out"));
        try (Reporter rep = new Reporter(new PrintWriter(sw), Reporter.Mode.JSON, o.buildDir().resolve("logs"), false, true, 11)) {
            assertThatThrownBy(() -> Build.run(SpecParser.parse(t.spec), o, rep)).hasMessageContaining("10-fail failed");
        }
        List<String> lines = sw.toString().lines().toList();
        assertThat(lines.get(lines.size() - 1)).isEqualTo("{\"event\":\"build-end\",\"outcome\":\"failed\",\"artifacts\":[]}");
    }

    private static byte[] member(Path tarZst, String name) throws Exception {
        try (var in = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
                new com.github.luben.zstd.ZstdInputStream(Files.newInputStream(tarZst)))) {
            for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) if (e.getName().equals("./" + name)) return in.readAllBytes();
        }
        return null;
    }

    @Test
    void changingOnlySystemReusesTheInstallPart() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "[system]\nhostname = \"one\"\n");
        BuildOptions o = BuildOptions.of(tmp.resolve("b"), tmp.resolve("out"));
        Build.Result r = Build.run(SpecParser.parse(t.spec), o, Reporter.silent(tmp.resolve("b/logs")));
        assertThat(r.outcomes()).containsEntry(Part.INSTALL, "done");
        assertThat(new String(member(tmp.resolve("out/tiny-1.0.tar.zst"), "etc/conf.d/hostname"))).contains("hostname=\"one\"");
        Files.writeString(t.spec, Files.readString(t.spec).replace("\"one\"", "\"two\""));
        r = Build.run(SpecParser.parse(t.spec), o, Reporter.silent(tmp.resolve("b/logs")));
        assertThat(r.outcomes()).containsEntry(Part.RESOLVE, "reused").containsEntry(Part.INSTALL, "reused")
                .containsEntry(Part.CONFIGURE, "done").containsEntry(Part.CLEANUP, "done").containsEntry(Part.PACK, "done");
        assertThat(new String(member(tmp.resolve("out/tiny-1.0.tar.zst"), "etc/conf.d/hostname"))).contains("hostname=\"two\"");
        // the same bytes as a build from scratch with the new value
        Build.run(SpecParser.parse(t.spec), BuildOptions.of(tmp.resolve("fresh"), tmp.resolve("out-fresh")),
                Reporter.silent(tmp.resolve("fresh/logs")));
        assertThat(TestStage.sha256(tmp.resolve("out/tiny-1.0.tar.zst")))
                .isEqualTo(TestStage.sha256(tmp.resolve("out-fresh/tiny-1.0.tar.zst")));
        // and back: the install snapshot is still intact
        Files.writeString(t.spec, Files.readString(t.spec).replace("\"two\"", "\"one\""));
        r = Build.run(SpecParser.parse(t.spec), o, Reporter.silent(tmp.resolve("b/logs")));
        assertThat(r.outcomes()).containsEntry(Part.INSTALL, "reused").containsEntry(Part.CONFIGURE, "done");
        assertThat(new String(member(tmp.resolve("out/tiny-1.0.tar.zst"), "etc/conf.d/hostname"))).contains("hostname=\"one\"");
    }

    @Test
    void aHookThatChangesAFileInPlaceInvalidatesTheSnapshot() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "[system]\nhostname = \"one\"\n");
        // appending changes the file install merged, which the snapshot shares
        TestStage.write(tmp.resolve("s/hooks/after-configure.d/10-append"), "#!/bin/sh\necho extra >> \"$ROOT/etc/os-release\"\n");
        tmp.resolve("s/hooks/after-configure.d/10-append").toFile().setExecutable(true);
        BuildOptions o = BuildOptions.of(tmp.resolve("b"), tmp.resolve("out"));
        Build.run(SpecParser.parse(t.spec), o, Reporter.silent(tmp.resolve("b/logs")));
        Files.writeString(t.spec, Files.readString(t.spec).replace("\"one\"", "\"two\""));
        Build.Result r = Build.run(SpecParser.parse(t.spec), o, Reporter.silent(tmp.resolve("b/logs")));
        assertThat(r.outcomes()).containsEntry(Part.INSTALL, "done").containsEntry(Part.CONFIGURE, "done");
        assertThat(new String(member(tmp.resolve("out/tiny-1.0.tar.zst"), "etc/os-release"))).isEqualTo("NAME=Test\nextra\n");
        assertThat(new String(member(tmp.resolve("out/tiny-1.0.tar.zst"), "etc/conf.d/hostname"))).contains("hostname=\"two\"");
    }

    private String cli(TestStage t, String... extra) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> args = new ArrayList<>(List.of("build", t.spec.toString(), "--build-dir", tmp.resolve("b").toString(),
                "--output", tmp.resolve("out").toString(), "--quiet"));
        args.addAll(List.of(extra));
        int rc = org.stageforge.cli.Main.commandLine(new PrintWriter(out), new PrintWriter(err)).execute(args.toArray(String[]::new));
        assertThat(rc).as(err.toString()).isZero();
        return out.toString();
    }

    @Test
    void pretendListsTheMergeWithUseAndWhatWouldBeReused() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "[system]\nhostname = \"one\"\n");
        String p = cli(t, "--pretend");
        assertThat(p).contains("[binary  N     ] sys-apps/baselayout-2.0::gentoo (build 1)  USE=\"systemd\"")
                .contains("[binary  N     ] app-misc/hello-1.0::gentoo (build 1)  USE=\"systemd\"")
                .contains("Total: 2 packages (2 new, 2 binaries)")
                .contains("  fetch     run\n  resolve   run\n  binpkgs   run\n  install   run\n  configure run\n  kernel    skip\n");
        // nothing was resolved, merged or published
        assertThat(tmp.resolve("b/state/resolve.json")).doesNotExist();
        assertThat(tmp.resolve("b/root")).doesNotExist();
        assertThat(tmp.resolve("out")).doesNotExist();

        cli(t);
        assertThat(cli(t, "--pretend")).contains("  resolve   reuse\n  binpkgs   reuse\n  install   reuse\n  configure reuse\n")
                .contains("  publish   reuse\n");
        Files.writeString(t.spec, Files.readString(t.spec).replace("\"one\"", "\"two\""));
        assertThat(cli(t, "--pretend")).contains("  resolve   reuse\n  binpkgs   reuse\n  install   reuse\n  configure run\n  kernel    skip\n  depclean  run\n");
        // a package_use line that changes no package: resolve runs, and its output shows install stays reused
        Files.writeString(t.spec, "package_use = [\"app-misc/hello nls\"]\n" + Files.readString(t.spec));
        assertThat(cli(t, "--pretend")).contains("  resolve   run\n  binpkgs   reuse\n  install   reuse\n  configure run\n");
        assertThat(cli(t)).contains("resolve: done\n").contains("install: reused\n").contains("configure: done\n");

        StringWriter out = new StringWriter();
        org.stageforge.cli.Main.commandLine(new PrintWriter(out), new PrintWriter(new StringWriter())).execute("build",
                t.spec.toString(), "--build-dir", tmp.resolve("b").toString(), "--pretend", "--json");
        List<String> lines = out.toString().lines().toList();
        JsonNode last = new ObjectMapper().readTree(lines.get(lines.size() - 1));
        assertThat(last.get("event").asText()).isEqualTo("pretend");
        assertThat(last.get("packages").get(1).get("cpv").asText()).isEqualTo("app-misc/hello-1.0");
        assertThat(last.get("packages").get(1).get("use").toString()).isEqualTo("[\"amd64\",\"systemd\"]");
        assertThat(last.get("parts").get("install").asText()).isEqualTo("reuse");
    }
}

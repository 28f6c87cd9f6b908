package org.stageforge.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.StageforgeException;
import org.stageforge.cli.Main;
import org.stageforge.spec.SpecParser;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PipelineTest {
    @TempDir
    Path tmp;

    private Build.Result build(TestStage t, BuildOptions o) {
        return Build.run(SpecParser.parse(t.spec), o, Reporter.silent(o.buildDir().resolve("logs")));
    }

    private BuildOptions opts() {
        return BuildOptions.of(tmp.resolve("b"), tmp.resolve("out"));
    }

    private static void hook(Path dir, String name, String body) throws IOException {
        Path f = dir.resolve(name);
        Files.createDirectories(dir);
        Files.writeString(f, "#!/bin/sh\n" + body + "\n");
        f.toFile().setExecutable(true);
    }

    @Test
    void configurePartAppliesTheSystemSection() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), """
                [system]
                hostname = "box"
                timezone = "Europe/Berlin"
                locales = ["en_US.UTF-8 UTF-8"]
                [[system.users]]
                name = "alice"
                uid = 1000
                [system.services]
                openrc = ["sshd:default"]
                """);
        build(t, opts());
        Path root = tmp.resolve("b/root");
        assertThat(Files.readSymbolicLink(root.resolve("etc/localtime")).toString()).endsWith("zoneinfo/Europe/Berlin");
        assertThat(Files.readString(root.resolve("etc/passwd"))).contains("alice:x:1000:");
        assertThat(Files.isSymbolicLink(root.resolve("etc/runlevels/default/sshd"))).isTrue();
        assertThat(Files.readString(root.resolve("etc/locale.gen"))).contains("en_US.UTF-8 UTF-8");
    }

    @Test
    void hooksRunInOrderWithTheDocumentedEnvironment() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), """
                [hooks]
                after-install = ["echo inline-after >> \\"$BUILD_DIR/order\\""]
                """);
        Path d = tmp.resolve("s/hooks/before-install.d");
        hook(d, "20-second", "echo second >> \"$BUILD_DIR/order\"");
        hook(d, "10-first", "echo first >> \"$BUILD_DIR/order\"; env | grep -E '^(ROOT|STAGE_NAME|STAGE_VERSION|PART|BUILD_DIR|OUTPUT_DIR|SOURCE_DATE_EPOCH|SPEC)=' | sort > \"$BUILD_DIR/env\"");
        hook(tmp.resolve("s/hooks/after-install.d"), "10-after", "test -f \"$ROOT/usr/bin/hello\" && echo after-dir >> \"$BUILD_DIR/order\"");
        build(t, opts());
        Path b = tmp.resolve("b").toAbsolutePath();
        assertThat(Files.readAllLines(b.resolve("order"))).containsExactly("first", "second", "after-dir", "inline-after");
        assertThat(Files.readAllLines(b.resolve("env"))).containsExactly(
                "BUILD_DIR=" + b, "OUTPUT_DIR=" + tmp.resolve("out").toAbsolutePath(), "PART=install",
                "ROOT=" + b.resolve("root"), "SOURCE_DATE_EPOCH=1700000000", "SPEC=" + tmp.resolve("s/spec.toml").toAbsolutePath(),
                "STAGE_NAME=tiny", "STAGE_VERSION=1.0");
        assertThat(Files.readString(b.resolve("logs/install.log"))).contains("hooks/before-install.d/10-first exited 0");
    }

    @Test
    void failingHookFailsItsPartWithItsStderrAndResumeContinues() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        Path flag = tmp.resolve("fail");
        Files.writeString(flag, "");
        hook(tmp.resolve("s/hooks/before-pack.d"), "10-check", "if [ -f " + flag + " ]; then echo 'disk on fire' >&2; exit 3; fi");
        assertThatThrownBy(() -> build(t, opts())).isInstanceOf(StageforgeException.class)
                .hasMessage("pack: hook hooks/before-pack.d/10-check failed with exit 3: disk on fire");
        assertThat(Files.readString(tmp.resolve("b/logs/pack.log"))).contains("stderr: disk on fire");
        Files.delete(flag);
        StringWriter out = new StringWriter();
        int rc = Main.commandLine(new PrintWriter(out), new PrintWriter(new StringWriter())).execute("build",
                t.spec.toString(), "--build-dir", tmp.resolve("b").toString(), "--output", tmp.resolve("out").toString(),
                "--resume", "--quiet");
        assertThat(rc).isZero();
        assertThat(out.toString()).startsWith("resuming " + tmp.resolve("b") + " at pack\n")
                .contains("install: reused\n").contains("cleanup: reused\n").contains("pack: done\n").contains("publish: done\n");
        StringWriter err = new StringWriter();
        rc = Main.commandLine(new PrintWriter(out), new PrintWriter(err, true)).execute("build", t.spec.toString(),
                "--build-dir", tmp.resolve("none").toString(), "--output", tmp.resolve("out-none").toString(), "--resume", "--quiet");
        assertThat(rc).as(err.toString()).isZero();
        assertThat(err.toString()).isEqualTo("stageforge: note: --resume: no saved state in " + tmp.resolve("none")
                + "; starting from the beginning\n");
        assertThat(tmp.resolve("none/state")).isDirectory();
        assertThat(Files.mismatch(tmp.resolve("out-none/SHA256SUMS"), tmp.resolve("out/SHA256SUMS"))).isEqualTo(-1);
    }

    @Test
    void oneBuildAtATimePerBuildDirectory() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        Files.createDirectories(tmp.resolve("b"));
        try (var ch = java.nio.channels.FileChannel.open(tmp.resolve("b/build.lock"), java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE); var held = ch.lock()) {
            assertThatThrownBy(() -> build(t, opts())).hasMessage("another build is running in " + tmp.resolve("b"));
        }
        assertThat(build(t, opts()).outcomes()).containsEntry(Part.PUBLISH, "done");
    }

    @Test
    void skipForceAndFrom() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        Build.Result r = build(t, opts().withSkip(Set.of(Part.SIGN)));
        assertThat(r.outcomes()).containsEntry(Part.SIGN, "skipped");
        assertThat(tmp.resolve("out/SHA256SUMS.gpg")).doesNotExist();
        // a part that ran skipped now runs, and everything after it whose inputs changed
        r = build(t, opts());
        assertThat(r.outcomes()).containsEntry(Part.PACK, "reused").containsEntry(Part.SIGN, "done").containsEntry(Part.PUBLISH, "done");
        r = build(t, opts().withForce(Set.of(Part.CHECKSUM)));
        assertThat(r.outcomes()).containsEntry(Part.PACK, "reused").containsEntry(Part.CHECKSUM, "done")
                .containsEntry(Part.SIGN, "reused");
        // --from a root part restarts the root from install's snapshot, reusing fetch, resolve and install
        r = build(t, opts().withFrom(Part.CLEANUP));
        assertThat(r.outcomes()).containsEntry(Part.RESOLVE, "reused").containsEntry(Part.INSTALL, "reused")
                .containsEntry(Part.CONFIGURE, "done").containsEntry(Part.CLEANUP, "done").containsEntry(Part.PUBLISH, "done");
        // without the snapshot the root is rebuilt by install
        org.apache.commons.io.file.PathUtils.deleteDirectory(tmp.resolve("b/snapshot"));
        r = build(t, opts().withFrom(Part.CLEANUP));
        assertThat(r.outcomes()).containsEntry(Part.INSTALL, "done").containsEntry(Part.CLEANUP, "done");
        r = build(t, opts().withFrom(Part.CHECKSUM));
        assertThat(r.outcomes()).containsEntry(Part.PACK, "reused").containsEntry(Part.CHECKSUM, "done");
        // with install skipped the later root parts work on the root as it is (no rebuild loop)
        r = build(t, opts().withSkip(Set.of(Part.INSTALL)));
        assertThat(r.outcomes()).containsEntry(Part.INSTALL, "skipped").containsEntry(Part.CONFIGURE, "done")
                .containsEntry(Part.CLEANUP, "done");
        assertThat(tmp.resolve("b/root/usr/bin/hello")).exists();
    }

    @Test
    void fingerprintsFollowTheSpecSectionsEachPartReads() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        build(t, opts());
        Files.writeString(t.spec, Files.readString(t.spec) + "\n[cleanup]\nminimal = true\n");
        Build.Result r = build(t, opts());
        assertThat(r.outcomes()).containsEntry(Part.RESOLVE, "reused").containsEntry(Part.CLEANUP, "done")
                .containsEntry(Part.INSTALL, "reused").containsEntry(Part.PACK, "done");
        Path root = tmp.resolve("b/root");
        assertThat(root.resolve("usr/share/doc")).doesNotExist();
        assertThat(root.resolve("usr/share/man")).doesNotExist();
        assertThat(root.resolve("usr/lib/libbase.a")).doesNotExist();
        assertThat(root.resolve("var/tmp/junk")).doesNotExist();
        assertThat(root.resolve("usr/bin/hello")).exists();
        // a changed profile in a repository directory is seen although the spec is the same
        Path defaults = tmp.resolve("s/repo/profiles/test/make.defaults");
        Files.writeString(defaults, Files.readString(defaults) + "EXTRA_VAR=\"1\"\n");
        r = build(t, opts());
        assertThat(r.outcomes()).containsEntry(Part.FETCH, "done").containsEntry(Part.RESOLVE, "done");
    }

    @Test
    void lockedReplayGivesIdenticalBytesAndRefusesChangedInputs() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        StringWriter out = new StringWriter();
        int rc = Main.commandLine(new PrintWriter(out), new PrintWriter(new StringWriter())).execute("lock",
                t.spec.toString(), "--build-dir", tmp.resolve("lb").toString(), "-o", tmp.resolve("s/spec.lock").toString());
        assertThat(rc).isZero();
        Lock lock = Lock.read(tmp.resolve("s/spec.lock"));
        assertThat(lock.packages()).extracting(Lock.Pkg::cpv).containsExactly("sys-apps/baselayout-2.0", "app-misc/hello-1.0");
        assertThat(lock.packages().get(0).sha512()).hasSize(128);
        assertThat(lock.sourceDateEpoch()).isEqualTo(1700000000L);
        assertThat(lock.repo()).startsWith("tree:");

        build(t, opts());
        String plain = TestStage.sha256(tmp.resolve("out/tiny-1.0.tar.zst"));
        StringWriter err = new StringWriter();
        rc = Main.commandLine(new PrintWriter(out), new PrintWriter(err)).execute("build", "--locked",
                tmp.resolve("s/spec.lock").toString(), "--build-dir", tmp.resolve("b2").toString(), "--output",
                tmp.resolve("out2").toString(), "--quiet");
        assertThat(rc).as(err.toString()).isZero();
        assertThat(TestStage.sha256(tmp.resolve("out2/tiny-1.0.tar.zst"))).isEqualTo(plain);
        // what a changed spec, index or binpkg does to a replay: LockTest
    }

    @Test
    void signatureVerifiesWithGnupg() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        build(t, opts());
        Path home = tmp.resolve("gnupg");
        Files.createDirectories(home);
        home.toFile().setReadable(true, true);
        Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Path out = tmp.resolve("out");
        assertThat(gpg(home, "--import", out.resolve("tiny-1.0.pub.asc").toString())).isZero();
        assertThat(gpg(home, "--verify", out.resolve("SHA256SUMS.gpg").toString(), out.resolve("SHA256SUMS").toString())).isZero();
        Files.writeString(out.resolve("SHA256SUMS"), Files.readString(out.resolve("SHA256SUMS")) + "tampered\n");
        assertThat(gpg(home, "--verify", out.resolve("SHA256SUMS.gpg").toString(), out.resolve("SHA256SUMS").toString())).isNotZero();
        // the sums are right
        for (String line : Files.readAllLines(tmp.resolve("b/out/SHA256SUMS"))) {
            String[] f = line.split("  ");
            assertThat(TestStage.sha256(out.resolve(f[1]))).isEqualTo(f[0]);
        }
    }

    @Test
    void signsWithTheSpecsKey() throws Exception {
        var key = org.stageforge.binpkg.OpenPgp.generate("Release <r@example.org>", "pw".toCharArray(), new java.util.Date(0));
        TestStage t = TestStage.create(tmp.resolve("s"), "[output]\nsigning_key = \"release.asc\"\npassphrase_file = \"pass\"\n");
        Files.write(tmp.resolve("s/release.asc"), key.secretArmored());
        Files.writeString(tmp.resolve("s/pass"), "pw\n");
        build(t, opts());
        Path home = tmp.resolve("gnupg");
        Files.createDirectories(home);
        Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Path out = tmp.resolve("out");
        assertThat(gpg(home, "--import", out.resolve("tiny-1.0.pub.asc").toString())).isZero();
        assertThat(gpg(home, "--status-fd", "1", "--verify", out.resolve("SHA256SUMS.gpg").toString(),
                out.resolve("SHA256SUMS").toString())).isZero();
        assertThat(tmp.resolve("b/keys")).doesNotExist();
    }

    private static int gpg(Path home, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("gpg", "--homedir", home.toString(), "--batch", "--no-autostart"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor();
    }

    @Test
    void mixinMasksLandAndKeepSystemdOut() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        Files.writeString(t.spec, Files.readString(t.spec).replace("world = [\"app-misc/hello\"]",
                "world = [\"app-misc/hello\"]\nmixins = [\"no-systemd\"]"));
        build(t, opts());
        Path root = tmp.resolve("b/root");
        assertThat(root.resolve("usr/bin/hello")).exists();
        assertThat(root.resolve("usr/lib/systemd")).doesNotExist();
        assertThat(Files.readString(root.resolve("var/db/pkg/app-misc/hello-1.0/CONTENTS"))).doesNotContain("systemd");
        String conf = Files.readString(tmp.resolve("b/config/stage-profile/parent"));
        assertThat(conf.lines()).hasSize(2);
    }

    @Test
    void mixinWhoseMaskIsUndoneFailsLoudly() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        String base = Files.readString(t.spec).replace("world = [\"app-misc/hello\"]",
                "world = [\"app-misc/hello\"]\nmixins = [\"no-systemd\"]");
        Files.writeString(t.spec, base.replace("mixins", "package_unmask = [\"sys-apps/systemd\"]\nmixins"));
        assertThatThrownBy(() -> build(t, opts())).hasMessageContaining("mix-in 'no-systemd': package.mask sys-apps/systemd did not land")
                .hasMessageContaining("package.unmask 'sys-apps/systemd'");
        Files.writeString(t.spec, base + "\n[make_conf]\nINSTALL_MASK = \"/usr/share/doc\"\n");
        assertThatThrownBy(() -> build(t, opts())).hasMessageContaining("mix-in 'no-systemd': INSTALL_MASK @systemd did not land");
        Path later = tmp.resolve("s/late");
        TestStage.write(later.resolve("use.mask"), "-systemd\n");
        Files.writeString(t.spec, base.replace("mixins = [\"no-systemd\"]", "mixins = [\"no-systemd\", \"late\"]"));
        assertThatThrownBy(() -> build(t, opts())).hasMessageContaining("mix-in 'no-systemd': use.mask systemd did not land")
                .hasMessageContaining("late/use.mask:1");
    }

    @Test
    void ociLayoutIsConsistent() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "[output]\noci = true\n");
        build(t, opts());
        Path oci = tmp.resolve("out/tiny-1.0.oci.tar");
        Map<String, byte[]> members = new java.util.TreeMap<>();
        try (var in = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(Files.newInputStream(oci))) {
            for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) if (e.isFile()) members.put(e.getName(), in.readAllBytes());
        }
        ObjectMapper m = new ObjectMapper();
        assertThat(m.readTree(members.get("oci-layout")).get("imageLayoutVersion").asText()).isEqualTo("1.0.0");
        JsonNode index = m.readTree(members.get("index.json"));
        String manifestDigest = index.get("manifests").get(0).get("digest").asText();
        byte[] manifestBytes = members.get("blobs/sha256/" + manifestDigest.substring(7));
        assertThat("sha256:" + TestStage.hex("SHA-256", manifestBytes)).isEqualTo(manifestDigest);
        JsonNode manifest = m.readTree(manifestBytes);
        JsonNode layer = manifest.get("layers").get(0);
        assertThat(layer.get("mediaType").asText()).isEqualTo(Oci.LAYER_GZIP);
        byte[] layerBytes = members.get("blobs/sha256/" + layer.get("digest").asText().substring(7));
        assertThat(layerBytes).hasSize(layer.get("size").asInt());
        assertThat("sha256:" + TestStage.hex("SHA-256", layerBytes)).isEqualTo(layer.get("digest").asText());
        JsonNode config = m.readTree(members.get("blobs/sha256/" + manifest.get("config").get("digest").asText().substring(7)));
        byte[] plain;
        try (InputStream in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(layerBytes))) {
            plain = in.readAllBytes();
        }
        assertThat(config.get("rootfs").get("diff_ids").get(0).asText()).isEqualTo("sha256:" + TestStage.hex("SHA-256", plain));
        byte[] stage;
        try (InputStream in = new com.github.luben.zstd.ZstdInputStream(Files.newInputStream(tmp.resolve("out/tiny-1.0.tar.zst")))) {
            stage = in.readAllBytes();
        }
        assertThat(plain).isEqualTo(stage);
        assertThat(Files.readString(tmp.resolve("out/SHA256SUMS"))).contains("  tiny-1.0.oci.tar\n");
        // zstd layers: the stage tarball's own compression, media type tar+zstd; same diff_id
        Files.writeString(t.spec, Files.readString(t.spec) + "oci_compression = \"zstd\"\n");
        build(t, opts());
        members.clear();
        try (var in = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(Files.newInputStream(oci))) {
            for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) if (e.isFile()) members.put(e.getName(), in.readAllBytes());
        }
        JsonNode idx2 = m.readTree(members.get("index.json"));
        JsonNode man2 = m.readTree(members.get("blobs/sha256/" + idx2.get("manifests").get(0).get("digest").asText().substring(7)));
        assertThat(man2.get("layers").get(0).get("mediaType").asText()).isEqualTo(Oci.LAYER_ZSTD);
        JsonNode cfg2 = m.readTree(members.get("blobs/sha256/" + man2.get("config").get("digest").asText().substring(7)));
        assertThat(cfg2.get("rootfs").get("diff_ids")).isEqualTo(config.get("rootfs").get("diff_ids"));
    }

    @Test
    void jsonEventStreamAndStatesCommands() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        StringWriter out = new StringWriter();
        int rc = Main.commandLine(new PrintWriter(out), new PrintWriter(new StringWriter())).execute("build",
                t.spec.toString(), "--build-dir", tmp.resolve("b").toString(), "--output", tmp.resolve("out").toString(), "--json");
        assertThat(rc).isZero();
        List<String> events = new ArrayList<>();
        for (String l : out.toString().split("\n")) events.add(new ObjectMapper().readTree(l).get("event").asText());
        assertThat(events).contains("part-start", "part-end", "warning");
        assertThat(events.stream().filter("part-end"::equals).count()).isEqualTo(Part.values().length);
        StringWriter list = new StringWriter();
        Main.commandLine(new PrintWriter(list), new PrintWriter(new StringWriter())).execute("states", "list", "--build-dir", tmp.resolve("b").toString());
        assertThat(list.toString()).contains("install   done").contains("kernel    skipped").contains("root: cleanup");
        StringWriter err = new StringWriter();
        assertThat(Main.commandLine(new PrintWriter(list), new PrintWriter(err)).execute("states", "list")).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("stageforge: give --build-dir DIR or --spec SPEC\n");
        StringWriter show = new StringWriter();
        Main.commandLine(new PrintWriter(show), new PrintWriter(err)).execute("states", "show", "--build-dir", tmp.resolve("b").toString(), "pack");
        assertThat(new ObjectMapper().readTree(show.toString()).get("status").asText()).isEqualTo("done");
        Main.commandLine(new PrintWriter(list), new PrintWriter(new StringWriter())).execute("states", "rm", "--build-dir", tmp.resolve("b").toString(), "sign");
        assertThat(tmp.resolve("b/state/sign.json")).doesNotExist();
        Build.Result r = build(t, opts());
        assertThat(r.outcomes()).containsEntry(Part.SIGN, "done").containsEntry(Part.CHECKSUM, "reused");
    }
}

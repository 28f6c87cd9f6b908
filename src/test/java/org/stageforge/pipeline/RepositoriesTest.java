package org.stageforge.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ExitCodes;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.cli.Main;
import org.stageforge.server.StaticServer;
import org.stageforge.snapshot.Snapshots;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Date;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pinned repositories in whole builds: [[overlay]] tables (repos.conf, lock, stage copy, locked replay), [repo]
 * snapshots verified by keyring (file and HTTP), and the pinned directory digest over the whole tree.
 */
class RepositoriesTest {
    @TempDir
    Path tmp;

    record Run(int rc, String out, String err) {}

    private static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = Main.commandLine(new PrintWriter(out), new PrintWriter(err)).execute(args);
        return new Run(rc, out.toString(), err.toString());
    }

    private Run lock(TestStage t, String name) {
        return cli("lock", t.spec.toString(), "--build-dir", tmp.resolve("lb-" + name).toString(), "-o",
                t.dir.resolve(name + ".lock").toString(), "--cache-dir", tmp.resolve("cache").toString());
    }

    private Run build(TestStage t, String name, String... extra) {
        String[] base = {"build", t.spec.toString(), "--build-dir", tmp.resolve("b-" + name).toString(), "--output",
                tmp.resolve("out-" + name).toString(), "--cache-dir", tmp.resolve("cache").toString(), "--quiet"};
        String[] all = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return cli(all);
    }

    private Run replay(TestStage t, String lock, String name) {
        return cli("build", "--locked", t.dir.resolve(lock + ".lock").toString(), "--build-dir", tmp.resolve("b-" + name).toString(),
                "--output", tmp.resolve("out-" + name).toString(), "--cache-dir", tmp.resolve("cache").toString(), "--quiet");
    }

    private static java.util.List<String> members(Path tarZst) throws Exception {
        java.util.List<String> names = new java.util.ArrayList<>();
        try (var in = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
                new com.github.luben.zstd.ZstdInputStream(Files.newInputStream(tarZst)))) {
            for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) names.add(e.getName());
        }
        return names;
    }

    private static Path overlay(Path dir, String repoName, String ebuild) throws Exception {
        TestStage.write(dir.resolve("profiles/repo_name"), repoName + "\n");
        TestStage.write(dir.resolve("metadata/layout.conf"), "masters = gentoo\n");
        TestStage.write(dir.resolve("app-misc/extra/extra-1.0.ebuild"), ebuild);
        return dir;
    }

    private static Path keys(Path dir, String who) throws Exception {
        OpenPgp.GeneratedKey k = OpenPgp.generate(who + " <" + who + "@example.org>", null, new Date(0));
        Files.createDirectories(dir);
        Files.write(dir.resolve("secret.asc"), k.secretArmored());
        Files.write(dir.resolve("public.asc"), k.publicArmored());
        return dir;
    }

    private static Snapshots.Created snapshot(Path src, String name, Path keys, Path out) throws Exception {
        return Snapshots.create(src, null, new Snapshots.Options(name, "20251202", null,
                OpenPgp.SigningKey.load(keys.resolve("secret.asc"), null)), out, m -> {});
    }

    @Test
    void overlaysLandInReposConfTheLockAndTheStageAndAreReplayedPinned() throws Exception {
        Path s = tmp.resolve("s");
        overlay(s.resolve("ov-a"), "extra", "EAPI=8\nSLOT=0\n");
        Path keys = keys(s.resolve("keys"), "snap");
        Snapshots.Created second = snapshot(overlay(tmp.resolve("ov-b"), "other-name", "EAPI=8\n"), "second", keys, s.resolve("snapshots"));
        TestStage t = TestStage.create(s, """

                [[overlay]]
                path = "ov-a"
                priority = 10

                [[overlay]]
                name = "second"
                snapshot = "snapshots/second-20251202.tar.xz"
                keyring = "keys/public.asc"

                [output]
                repository = true
                """);
        Run l = lock(t, "spec");
        assertThat(l.rc()).as(l.err()).isZero();
        Lock lock = Lock.read(s.resolve("spec.lock"));
        assertThat(lock.overlays()).extracting(Lock.Repo::name).containsExactly("extra", "second");
        assertThat(lock.overlays().get(0).digest()).isEqualTo("tree:" + org.stageforge.snapshot.RepoTree.digest(s.resolve("ov-a")));
        assertThat(lock.overlays().get(1).digest()).isEqualTo("sha512:" + second.sha512());

        Run r = replay(t, "spec", "one");
        assertThat(r.rc()).as(r.err()).isZero();
        Path root = tmp.resolve("b-one/root");
        assertThat(Files.readString(root.resolve("etc/portage/repos.conf/extra.conf")))
                .contains("[extra]\nlocation = /var/db/repos/extra\npriority = 10\n").contains(lock.overlays().get(0).digest());
        assertThat(Files.readString(root.resolve("etc/portage/repos.conf/second.conf")))
                .contains("[second]\nlocation = /var/db/repos/second\npriority = 0\n");
        assertThat(Files.readString(root.resolve("etc/portage/repos.conf/gentoo.conf"))).contains("main-repo = gentoo");
        assertThat(root.resolve("var/db/repos/extra/app-misc/extra/extra-1.0.ebuild")).hasContent("EAPI=8\nSLOT=0\n");
        assertThat(root.resolve("var/db/repos/second/profiles/repo_name")).hasContent("other-name\n");
        assertThat(root.resolve("var/db/repos/gentoo/profiles/repo_name")).exists();
        String cfg = Files.readString(tmp.resolve("b-one/config/etc/portage/repos.conf/stageforge.conf"));
        assertThat(cfg).contains("[extra]\nlocation = " + s.resolve("ov-a").toRealPath() + "\npriority = 10\n")
                .contains("[second]\nlocation = " + tmp.resolve("b-one/overlays/second"));
        // the stage archive holds the overlays too
        Path tarball = tmp.resolve("out-one/tiny-1.0.tar.zst");
        assertThat(members(tarball)).contains("./var/db/repos/extra/app-misc/extra/extra-1.0.ebuild",
                "./etc/portage/repos.conf/second.conf");

        // a changed overlay ebuild no longer matches the lock
        TestStage.write(s.resolve("ov-a/app-misc/extra/extra-1.0.ebuild"), "EAPI=8\nSLOT=1\n");
        Run bad = replay(t, "spec", "two");
        assertThat(bad.rc()).isEqualTo(ExitCodes.VERIFY);
        assertThat(bad.err()).contains("locked overlay extra " + lock.overlays().get(0).digest() + " differs");
    }

    @Test
    void repoSnapshotWithKeyringBuildsFromFileAndHttpAndRejectsForeignSignatures() throws Exception {
        Path s = tmp.resolve("s");
        TestStage t = TestStage.create(s, "");
        Path keys = keys(s.resolve("keys"), "release");
        Path mirror = tmp.resolve("mirror");
        Snapshots.Created c = snapshot(s.resolve("repo"), "gentoo", keys, mirror.resolve("snapshots"));
        String plain = Files.readString(t.spec);
        Files.writeString(t.spec, plain.replace("path = \"repo\"", "snapshot = \"" + c.tarball() + "\"\nkeyring = \"keys/public.asc\""));
        Run l = lock(t, "file");
        assertThat(l.rc()).as(l.err()).isZero();
        assertThat(Lock.read(s.resolve("file.lock")).repo()).isEqualTo("sha512:" + c.sha512());
        try (StaticServer srv = StaticServer.start(mirror, 0)) {
            Files.writeString(t.spec, plain.replace("path = \"repo\"", "snapshot = \"" + srv.uri().resolve("snapshots/gentoo-20251202.tar.xz")
                    + "\"\nkeyring = \"keys/public.asc\""));
            Run r = build(t, "http");
            assertThat(r.rc()).as(r.err()).isZero();
            assertThat(tmp.resolve("b-http/root/usr/bin/hello")).exists();
            assertThat(Files.readString(tmp.resolve("b-http/fetch/inputs.json"))).contains("sha512:" + c.sha512());
            // signed by another key: exit 4 naming the signature file, nothing built
            Path other = keys(s.resolve("other"), "mallory");
            Files.writeString(t.spec, plain.replace("path = \"repo\"", "snapshot = \"" + srv.uri().resolve("snapshots/gentoo-20251202.tar.xz")
                    + "\"\nkeyring = \"other/public.asc\""));
            Run bad = build(t, "foreign");
            assertThat(bad.rc()).isEqualTo(ExitCodes.VERIFY);
            assertThat(bad.err()).contains("gentoo-20251202.tar.xz.gpgsig").contains("unknown key");
            assertThat(tmp.resolve("b-foreign/root/usr/bin/hello")).doesNotExist();
        }
        // a tampered tarball next to the file path
        byte[] data = Files.readAllBytes(c.tarball());
        data[data.length - 100] ^= 1;
        Files.write(c.tarball(), data);
        Files.writeString(t.spec, plain.replace("path = \"repo\"", "snapshot = \"" + c.tarball() + "\"\nkeyring = \"keys/public.asc\""));
        Run bad = build(t, "tampered");
        assertThat(bad.rc()).isEqualTo(ExitCodes.VERIFY);
        assertThat(bad.err()).contains(c.md5sum().getFileName().toString());
    }

    @Test
    void pinnedDirectoryDigestCoversEbuilds() throws Exception {
        Path s = tmp.resolve("s");
        TestStage t = TestStage.create(s, "");
        TestStage.write(s.resolve("repo/app-misc/hello/hello-1.0.ebuild"), "EAPI=8\nSLOT=0\n");
        Run l = lock(t, "a");
        assertThat(l.rc()).as(l.err()).isZero();
        String digest = Lock.read(s.resolve("a.lock")).repo();
        assertThat(digest).isEqualTo("tree:" + org.stageforge.snapshot.RepoTree.digest(s.resolve("repo")));
        String plain = Files.readString(t.spec);
        Files.writeString(t.spec, plain.replace("path = \"repo\"", "path = \"repo\"\ndigest = \"" + digest + "\""));
        Run ok = build(t, "pinned");
        assertThat(ok.rc()).as(ok.err()).isZero();
        // an ebuild (not only profiles/) changes the digest: the pinned spec refuses, a new lock differs
        TestStage.write(s.resolve("repo/app-misc/hello/hello-1.0.ebuild"), "EAPI=8\nSLOT=0\nIUSE=x\n");
        Run bad = build(t, "changed");
        assertThat(bad.rc()).isEqualTo(ExitCodes.VERIFY);
        assertThat(bad.err()).contains("[repo] path " + s.resolve("repo")).contains("does not match the spec's " + digest);
        Files.writeString(t.spec, plain);
        assertThat(lock(t, "b").rc()).isZero();
        assertThat(Lock.read(s.resolve("b.lock")).repo()).startsWith("tree:").isNotEqualTo(digest);
    }
}

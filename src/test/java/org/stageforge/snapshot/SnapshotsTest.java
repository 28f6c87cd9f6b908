package org.stageforge.snapshot;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.cli.Main;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SnapshotsTest {
    @TempDir
    Path tmp;

    static final long MIDNIGHT = 1764633600L; // 2025-12-02 00:00 UTC

    static Path repo(Path dir) throws Exception {
        write(dir.resolve("profiles/repo_name"), "gentoo\n");
        write(dir.resolve("metadata/layout.conf"), "masters =\n");
        write(dir.resolve("app-misc/hello/hello-1.0.ebuild"), "EAPI=8\nSLOT=0\n");
        write(dir.resolve("app-misc/hello/files/run.sh"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(dir.resolve("app-misc/hello/files/run.sh"),
                java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-x---"));
        write(dir.resolve("eclass/x.eclass"), "# eclass\n");
        write(dir.resolve(".git/HEAD"), "ref: refs/heads/main\n");
        return dir;
    }

    static void write(Path p, String s) throws Exception {
        Files.createDirectories(p.getParent());
        Files.writeString(p, s);
    }

    static Path key(Path dir) throws Exception {
        OpenPgp.GeneratedKey k = OpenPgp.generate("Snapshots <s@example.org>", null, new Date(0));
        Files.createDirectories(dir);
        Files.write(dir.resolve("secret.asc"), k.secretArmored());
        Files.write(dir.resolve("public.asc"), k.publicArmored());
        return dir;
    }

    static Snapshots.Options opts(Path keys) {
        return new Snapshots.Options("gentoo", "20251202", null, OpenPgp.SigningKey.load(keys.resolve("secret.asc"), null));
    }

    @Test
    void sameInputTwiceGivesIdenticalBytesAndGentoosLayout() throws Exception {
        Path src = repo(tmp.resolve("repo"));
        Path keys = key(tmp.resolve("keys"));
        Snapshots.Created a = Snapshots.create(src, null, opts(keys), tmp.resolve("a"), m -> {});
        // another umask-like mode on the same content changes nothing
        Files.setPosixFilePermissions(src.resolve("eclass/x.eclass"), java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Snapshots.Created b = Snapshots.create(src, null, opts(keys), tmp.resolve("b"), m -> {});
        assertThat(a.tarball().getFileName().toString()).isEqualTo("gentoo-20251202.tar.xz");
        for (String f : List.of("gentoo-20251202.tar.xz", "gentoo-20251202.tar.xz.gpgsig", "gentoo-20251202.tar.xz.md5sum")) {
            assertThat(Files.readAllBytes(tmp.resolve("a").resolve(f))).as(f).isEqualTo(Files.readAllBytes(tmp.resolve("b").resolve(f)));
        }
        assertThat(Files.readString(a.signature())).startsWith("-----BEGIN PGP SIGNATURE-----");
        String md5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(Files.readAllBytes(a.tarball())));
        assertThat(Files.readString(a.md5sum())).isEqualTo(md5 + "  gentoo-20251202.tar.xz\n");
        try (var files = Files.list(tmp.resolve("a"))) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly(
                    "gentoo-20251202.tar.xz", "gentoo-20251202.tar.xz.gpgsig", "gentoo-20251202.tar.xz.md5sum");
        }
        // real GNU tar: one top directory, sorted, 0:0, normalized modes, mtimes at the date, timestamp.x generated
        String listing = run(List.of("tar", "--numeric-owner", "--utc", "-tvJf", a.tarball().toString()));
        assertThat(listing.lines().map(l -> l.replaceAll("\\s+", " ")).toList()).containsExactly(
                "drwxr-xr-x 0/0 0 2025-12-02 00:00 gentoo-20251202/",
                "drwxr-xr-x 0/0 0 2025-12-02 00:00 gentoo-20251202/app-misc/",
                "drwxr-xr-x 0/0 0 2025-12-02 00:00 gentoo-20251202/app-misc/hello/",
                "drwxr-xr-x 0/0 0 2025-12-02 00:00 gentoo-20251202/app-misc/hello/files/",
                "-rwxr-xr-x 0/0 10 2025-12-02 00:00 gentoo-20251202/app-misc/hello/files/run.sh",
                "-rw-r--r-- 0/0 14 2025-12-02 00:00 gentoo-20251202/app-misc/hello/hello-1.0.ebuild",
                "drwxr-xr-x 0/0 0 2025-12-02 00:00 gentoo-20251202/eclass/",
                "-rw-r--r-- 0/0 9 2025-12-02 00:00 gentoo-20251202/eclass/x.eclass",
                "drwxr-xr-x 0/0 0 2025-12-02 00:00 gentoo-20251202/metadata/",
                "-rw-r--r-- 0/0 10 2025-12-02 00:00 gentoo-20251202/metadata/layout.conf",
                "-rw-r--r-- 0/0 43 2025-12-02 00:00 gentoo-20251202/metadata/timestamp.x",
                "drwxr-xr-x 0/0 0 2025-12-02 00:00 gentoo-20251202/profiles/",
                "-rw-r--r-- 0/0 7 2025-12-02 00:00 gentoo-20251202/profiles/repo_name");
        String stamp = run(List.of("tar", "-xOJf", a.tarball().toString(), "gentoo-20251202/metadata/timestamp.x"));
        assertThat(stamp).isEqualTo(MIDNIGHT + " Tue 02 Dec 2025 12:00:00 AM UTC\n");
    }

    @Test
    void verifiesWithOurVerifierAndRealGpg() throws Exception {
        Path keys = key(tmp.resolve("keys"));
        Snapshots.Created c = Snapshots.create(repo(tmp.resolve("repo")), null, opts(keys), tmp.resolve("out"), m -> {});
        Snapshots.Verified v = Snapshots.verify(c.tarball(), keys.resolve("public.asc"));
        assertThat(v.sha512()).isEqualTo(c.sha512());
        Path home = tmp.resolve("gnupg");
        Files.createDirectories(home);
        Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        assertThat(gpg(home, "--import", keys.resolve("public.asc").toString())).isZero();
        // as emerge-webrsync's gpg_verify calls it: signature first, then the tarball
        assertThat(gpg(home, "--verify", "--", c.signature().toString(), c.tarball().toString())).isZero();
        Files.write(c.tarball(), new byte[] {1}, java.nio.file.StandardOpenOption.APPEND);
        assertThat(gpg(home, "--verify", "--", c.signature().toString(), c.tarball().toString())).isNotZero();
    }

    @Test
    void tamperedTarballOrForeignKeyIsExit4NamingTheFile() throws Exception {
        Path keys = key(tmp.resolve("keys"));
        Path other = key(tmp.resolve("other"));
        Snapshots.Created c = Snapshots.create(repo(tmp.resolve("repo")), null, opts(keys), tmp.resolve("out"), m -> {});
        assertThatThrownBy(() -> Snapshots.verify(c.tarball(), other.resolve("public.asc")))
                .isInstanceOfSatisfying(StageforgeException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(ExitCodes.VERIFY);
                    assertThat(e.getMessage()).contains(c.signature().toString()).contains("unknown key");
                });
        // a consistent md5sum but a changed tarball: the signature catches it
        byte[] data = Files.readAllBytes(c.tarball());
        data[data.length / 2] ^= 1;
        Files.write(c.tarball(), data);
        String md5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
        Files.writeString(c.md5sum(), md5 + "  gentoo-20251202.tar.xz\n");
        assertThatThrownBy(() -> Snapshots.verify(c.tarball(), keys.resolve("public.asc")))
                .isInstanceOfSatisfying(StageforgeException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(ExitCodes.VERIFY);
                    assertThat(e.getMessage()).contains(c.signature().toString()).contains("bad signature");
                });
        Files.writeString(c.md5sum(), "0".repeat(32) + "  gentoo-20251202.tar.xz\n");
        assertThatThrownBy(() -> Snapshots.verify(c.tarball(), keys.resolve("public.asc")))
                .isInstanceOfSatisfying(StageforgeException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(ExitCodes.VERIFY);
                    assertThat(e.getMessage()).startsWith(c.md5sum().toString());
                });
    }

    @Test
    void gitCommitSnapshotEqualsTheDirectorysAndDatesAreChecked() throws Exception {
        Path src = repo(tmp.resolve("repo"));
        Path keys = key(tmp.resolve("keys"));
        Path git = tmp.resolve("git");
        Files.createDirectories(git);
        run(List.of("git", "-C", git.toString(), "init", "-q"));
        run(List.of("sh", "-c", "tar --exclude=.git -C \"$1\" -cf - . | tar -C \"$2\" -xf -", "sh", src.toString(), git.toString()));
        run(List.of("git", "-C", git.toString(), "add", "-A"));
        run(List.of("git", "-C", git.toString(), "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "x"));
        String head = run(List.of("git", "-C", git.toString(), "rev-parse", "HEAD")).strip();
        write(git.resolve("eclass/x.eclass"), "# changed after the commit\n");
        Snapshots.Created fromGit = Snapshots.create(git, head, opts(keys), tmp.resolve("g"), m -> {});
        Snapshots.Created fromDir = Snapshots.create(src, null, opts(keys), tmp.resolve("d"), m -> {});
        assertThat(fromGit.sha512()).isEqualTo(fromDir.sha512());
        for (String d : List.of("20250230", "2025123", "20251301", "x")) {
            assertThatThrownBy(() -> Snapshots.create(src, null, new Snapshots.Options("gentoo", d, null,
                    opts(keys).key()), tmp.resolve("bad"), m -> {}))
                    .isInstanceOfSatisfying(StageforgeException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCodes.USAGE));
        }
        assertThat(tmp.resolve("bad")).doesNotExist();
        assertThatThrownBy(() -> Snapshots.create(src, null, opts(keys), src.resolve("snapshots"), m -> {}))
                .isInstanceOfSatisfying(StageforgeException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCodes.USAGE));
        assertThat(src.resolve("snapshots")).doesNotExist();
        // SOURCE_DATE_EPOCH inside the date's window sets the times; outside it is refused
        Snapshots.Created s = Snapshots.create(src, null, new Snapshots.Options("gentoo", "20251202", MIDNIGHT + 3600,
                opts(keys).key()), tmp.resolve("s"), m -> {});
        assertThat(run(List.of("tar", "-xOJf", s.tarball().toString(), "gentoo-20251202/metadata/timestamp.x"))).startsWith((MIDNIGHT + 3600) + " ");
        assertThatThrownBy(() -> Snapshots.create(src, null, new Snapshots.Options("gentoo", "20251202", MIDNIGHT - 1,
                opts(keys).key()), tmp.resolve("s2"), m -> {}))
                .isInstanceOfSatisfying(StageforgeException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCodes.USAGE));
    }

    @Test
    void cliCreatesAndVerifies() throws Exception {
        Path src = repo(tmp.resolve("repo"));
        Path keys = key(tmp.resolve("keys"));
        Path out = tmp.resolve("out");
        assertThat(cli("snapshot", "create", src.toString(), "--date", "20251202", "--name", "myoverlay",
                "--signing-key", keys.resolve("secret.asc").toString(), "--output", out.toString())).isZero();
        Path tarball = out.resolve("myoverlay-20251202.tar.xz");
        assertThat(run(List.of("tar", "-tJf", tarball.toString())).lines().findFirst()).contains("myoverlay-20251202/");
        assertThat(cli("snapshot", "verify", tarball.toString(), "--keyring", keys.resolve("public.asc").toString())).isZero();
        assertThat(cli("snapshot", "create", src.toString(), "--date", "20251232", "--signing-key",
                keys.resolve("secret.asc").toString(), "--output", out.toString())).isEqualTo(ExitCodes.USAGE);
        Files.delete(out.resolve("myoverlay-20251202.tar.xz.gpgsig"));
        assertThat(cli("snapshot", "verify", tarball.toString(), "--keyring", keys.resolve("public.asc").toString()))
                .isEqualTo(ExitCodes.NOT_FOUND);
    }

    @Test
    void treeDigestCoversEbuildsButNotGitOrModesBeyondExecutable() throws Exception {
        Path src = repo(tmp.resolve("repo"));
        String d0 = RepoTree.digest(src);
        write(src.resolve(".git/HEAD"), "other\n");
        Files.setPosixFilePermissions(src.resolve("eclass/x.eclass"), java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertThat(RepoTree.digest(src)).isEqualTo(d0);
        write(src.resolve("app-misc/hello/hello-1.0.ebuild"), "EAPI=8\nSLOT=1\n");
        String d1 = RepoTree.digest(src);
        assertThat(d1).isNotEqualTo(d0);
        Files.setPosixFilePermissions(src.resolve("eclass/x.eclass"), java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        assertThat(RepoTree.digest(src)).isNotEqualTo(d1);
    }

    static int cli(String... args) {
        var out = new java.io.StringWriter();
        return Main.commandLine(new java.io.PrintWriter(out), new java.io.PrintWriter(out)).execute(args);
    }

    static int gpg(Path home, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("gpg", "--homedir", home.toString(), "--batch", "--no-autostart"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor();
    }

    static String run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        p.getInputStream().transferTo(b);
        String out = b.toString(StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new AssertionError(cmd + ": " + out);
        return out;
    }
}

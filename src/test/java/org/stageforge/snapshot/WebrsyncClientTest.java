package org.stageforge.snapshot;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.server.StaticServer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real client: Portage's own {@code emerge-webrsync --revert=DATE} (run from the source tarball in
 * STAGEFORGE_TOOLS, default ../shared/tools) fetches a snapshot made by {@link Snapshots#create} from a loopback HTTP
 * mirror, checks its .md5sum and .gpgsig with GnuPG, and syncs the repository; a signature by another key is refused.
 */
class WebrsyncClientTest {
    @TempDir
    Path tmp;

    private static Path tool(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }

    private static Path portageTarball() throws Exception {
        String env = System.getenv("STAGEFORGE_TOOLS");
        Path tools = Path.of(env == null || env.isEmpty() ? "../shared/tools" : env).toAbsolutePath().normalize();
        Path found = null;
        if (Files.isDirectory(tools)) {
            try (Stream<Path> s = Files.list(tools)) {
                found = s.filter(p -> p.getFileName().toString().matches("portage-.*\\.tar\\.xz")).sorted().findFirst().orElse(null);
            }
        }
        Assumptions.assumeTrue(found != null, "no portage-*.tar.xz in " + tools + " (set STAGEFORGE_TOOLS to ../shared/tools)");
        return found;
    }

    @Test
    void emergeWebrsyncRevertSyncsOurSnapshotAndRefusesAnotherKey() throws Exception {
        Path portageTar = portageTarball();
        for (String t : List.of("python3", "rsync", "gpg", "bash", "xz")) {
            Assumptions.assumeTrue(tool(t) != null, t + " is not installed (emerge-webrsync needs it)");
        }
        Path fetcher = tool("wget") != null ? tool("wget") : tool("curl");
        Assumptions.assumeTrue(fetcher != null, "neither wget nor curl is installed (emerge-webrsync's FETCHCOMMAND)");
        run(List.of("tar", "-xJf", portageTar.toString(), "-C", tmp.toString()), Map.of(), tmp);
        Path portage = tmp.resolve("portage");
        // Portage's scripts start "#!/usr/bin/env python"
        Path pybin = Files.createDirectories(tmp.resolve("pybin"));
        Files.createSymbolicLink(pybin.resolve("python"), tool("python3").toRealPath());

        Path src = SnapshotsTest.repo(tmp.resolve("src"));
        // emerge-webrsync trusts the key of <infrastructure@gentoo.org> in PORTAGE_GPG_KEY, as it trusts Gentoo's
        Path keys = key(tmp.resolve("keys"), "Test Infra <infrastructure@gentoo.org>");
        Path other = key(tmp.resolve("other"), "Mallory <infrastructure@gentoo.org>");
        Path mirror = tmp.resolve("mirror");
        Snapshots.Created c = Snapshots.create(src, null, new Snapshots.Options("gentoo", "20251202", null,
                OpenPgp.SigningKey.load(keys.resolve("secret.asc"), null)), mirror.resolve("snapshots"), m -> {});

        Path cfg = tmp.resolve("cfg");
        Path repo = Files.createDirectories(tmp.resolve("repo"));
        write(cfg.resolve("prof/eapi"), "8\n");
        write(cfg.resolve("prof/make.defaults"), "ARCH=\"amd64\"\nACCEPT_KEYWORDS=\"amd64\"\nCHOST=\"x86_64-pc-linux-gnu\"\n");
        Files.createDirectories(cfg.resolve("etc/portage"));
        Files.createSymbolicLink(cfg.resolve("etc/portage/make.profile"), cfg.resolve("prof"));
        write(cfg.resolve("etc/portage/repos.conf/gentoo.conf"), "[DEFAULT]\nmain-repo = gentoo\n\n[gentoo]\nlocation = "
                + repo + "\nsync-type = webrsync\n");
        write(cfg.resolve("etc/portage/make.conf"), "FEATURES=\"-sandbox -usersandbox -userpriv -userfetch -usersync -news"
                + " -metadata-transfer\"\nPORTAGE_USERNAME=root\nPORTAGE_GRPNAME=root\n");
        Path work = Files.createDirectories(tmp.resolve("work"));
        try (StaticServer srv = StaticServer.start(mirror, 0)) {
            Map<String, String> env = new TreeMap<>();
            env.put("PATH", pybin + ":" + portage.resolve("bin") + ":/usr/local/bin:/usr/bin:/bin");
            env.put("HOME", work.toString());
            env.put("LC_ALL", "C");
            env.put("PORTAGE_CONFIGROOT", cfg.toString());
            env.put("GENTOO_MIRRORS", srv.uri().toString().replaceAll("/+$", ""));
            env.put("PORTAGE_TMPDIR", work.toString());
            env.put("DISTDIR", work.toString());
            env.put("PORTAGE_GPG_KEY", keys.resolve("public.asc").toString());
            env.put("FETCHCOMMAND", fetcher.getFileName().toString().equals("wget")
                    ? "wget -q -O \"${DISTDIR}/${FILE}\" \"${URI}\"" : "curl -fsS -o \"${DISTDIR}/${FILE}\" \"${URI}\"");
            List<String> cmd = List.of("bash", portage.resolve("bin/emerge-webrsync").toString(), "--revert=20251202");
            Result ok = run(cmd, env, work);
            assertThat(ok.rc()).as(ok.out()).isZero();
            assertThat(ok.out()).contains("Good signature from \"Test Infra <infrastructure@gentoo.org>\"");
            assertThat(repo.resolve("app-misc/hello/hello-1.0.ebuild")).hasSameTextualContentAs(src.resolve("app-misc/hello/hello-1.0.ebuild"));
            assertThat(repo.resolve("profiles/repo_name")).hasContent("gentoo");
            assertThat(Files.isExecutable(repo.resolve("app-misc/hello/files/run.sh"))).isTrue();
            assertThat(repo.resolve(".git")).doesNotExist();
            assertThat(Files.readString(repo.resolve("metadata/timestamp.x"))).startsWith(SnapshotsTest.MIDNIGHT + " ");

            // the same tarball signed by another key: emerge-webrsync refuses it and leaves the repository
            Snapshots.Created foreign = Snapshots.create(src, null, new Snapshots.Options("gentoo", "20251202", null,
                    OpenPgp.SigningKey.load(other.resolve("secret.asc"), null)), tmp.resolve("foreign"), m -> {});
            assertThat(Files.readAllBytes(foreign.tarball())).isEqualTo(Files.readAllBytes(c.tarball()));
            Files.copy(foreign.signature(), c.signature(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            write(src.resolve("app-misc/hello/hello-1.0.ebuild"), "EAPI=8\nSLOT=0\n# not synced\n");
            Result bad = run(cmd, env, work);
            assertThat(bad.rc()).as(bad.out()).isNotZero();
            assertThat(bad.out()).contains("signature verification failed for 'gentoo-20251202.tar.xz'");
            assertThat(Files.readString(repo.resolve("app-misc/hello/hello-1.0.ebuild"))).isEqualTo("EAPI=8\nSLOT=0\n");
        }
    }

    private static Path key(Path dir, String uid) throws Exception {
        OpenPgp.GeneratedKey k = OpenPgp.generate(uid, null, new Date(0));
        Files.createDirectories(dir);
        Files.write(dir.resolve("secret.asc"), k.secretArmored());
        Files.write(dir.resolve("public.asc"), k.publicArmored());
        return dir;
    }

    private static void write(Path p, String s) throws Exception {
        Files.createDirectories(p.getParent());
        Files.writeString(p, s);
    }

    record Result(int rc, String out) {}

    private static Result run(List<String> cmd, Map<String, String> env, Path dir) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        if (!env.isEmpty()) {
            pb.environment().clear();
            pb.environment().putAll(env);
        }
        Process p = pb.start();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        p.getInputStream().transferTo(b);
        if (!p.waitFor(5, java.util.concurrent.TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(cmd + ": timed out");
        }
        return new Result(p.exitValue(), b.toString(StandardCharsets.UTF_8));
    }
}

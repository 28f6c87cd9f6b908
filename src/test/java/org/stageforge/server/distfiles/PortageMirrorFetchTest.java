package org.stageforge.server.distfiles;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real client: Portage's own {@code ebuild … fetch} (run from the source tarball in STAGEFORGE_TOOLS,
 * default ../shared/tools) with {@code GENTOO_MIRRORS} pointing at the server reads {@code layout.conf},
 * downloads a pushed distfile from its filename-hash path and verifies it against the ebuild's Manifest; the
 * ebuild's own SRC_URI is unreachable, so the mirror is the only source. A distfile whose served bytes differ
 * from the Manifest is refused by Portage.
 */
class PortageMirrorFetchTest {
    @TempDir
    Path tmp;

    @Test
    void ebuildFetchGetsAPushedDistfileThroughGentooMirrors() throws Exception {
        Path portageTar = portageTarball();
        Path python = tool("python3");
        Assumptions.assumeTrue(python != null, "python3 is not installed (Portage needs it)");
        Path curl = tool("curl");
        Assumptions.assumeTrue(curl != null, "curl is not installed (the FETCHCOMMAND)");
        run(List.of("tar", "-xJf", portageTar.toString(), "-C", tmp.toString()), Map.of(), tmp);
        Path portage = tmp.resolve("portage");
        Path pybin = Files.createDirectories(tmp.resolve("pybin"));
        Files.createSymbolicLink(pybin.resolve("python"), python.toRealPath()); // Portage's scripts start "#!/usr/bin/env python"

        byte[] good = "hello distfile\n".repeat(300).getBytes(StandardCharsets.UTF_8);
        Path up = Files.createDirectories(tmp.resolve("up"));
        Path hello = Files.write(up.resolve("hello-1.0.tar.gz"), good);
        Path bad = Files.write(up.resolve("bad-1.0.tar.gz"), "not what the Manifest says\n".getBytes(StandardCharsets.UTF_8));

        Path repo = tmp.resolve("repo");
        write(repo.resolve("profiles/repo_name"), "test\n");
        write(repo.resolve("metadata/layout.conf"), "masters =\nthin-manifests = true\n");
        for (String pn : List.of("hello", "bad")) {
            write(repo.resolve("app-misc/" + pn + "/" + pn + "-1.0.ebuild"), "EAPI=8\nDESCRIPTION=\"t\"\nHOMEPAGE=\"https://example.org\"\n"
                    // nothing listens on the discard port: only the mirror can deliver
                    + "SRC_URI=\"http://127.0.0.1:9/${P}.tar.gz\"\nLICENSE=\"MIT\"\nSLOT=\"0\"\nKEYWORDS=\"amd64\"\n");
            // both Manifests describe the good bytes
            Map<String, String> d = DistfilesServeTest.digests(good);
            write(repo.resolve("app-misc/" + pn + "/Manifest"), "DIST " + pn + "-1.0.tar.gz " + good.length
                    + " BLAKE2B " + d.get("BLAKE2B") + " SHA512 " + d.get("SHA512") + "\n");
        }
        Path cfg = tmp.resolve("cfg");
        write(cfg.resolve("prof/eapi"), "8\n");
        write(cfg.resolve("prof/make.defaults"), "ARCH=\"amd64\"\nACCEPT_KEYWORDS=\"amd64\"\nCHOST=\"x86_64-pc-linux-gnu\"\n");
        Files.createDirectories(cfg.resolve("etc/portage"));
        Files.createSymbolicLink(cfg.resolve("etc/portage/make.profile"), cfg.resolve("prof"));
        write(cfg.resolve("etc/portage/repos.conf/test.conf"), "[DEFAULT]\nmain-repo = test\n\n[test]\nlocation = " + repo + "\n");
        write(cfg.resolve("etc/portage/make.conf"), "FEATURES=\"-sandbox -usersandbox -userpriv -userfetch -usersync -news"
                + " -metadata-transfer\"\nPORTAGE_USERNAME=root\nPORTAGE_GRPNAME=root\n");
        Path work = Files.createDirectories(tmp.resolve("work"));
        Path distdir = work.resolve("distfiles");

        try (DistfilesServeTest.Mirror m = new DistfilesServeTest.Mirror(tmp.resolve("data"), 1 << 20)) {
            DistfilesPush.Result pushed = DistfilesPush.push(List.of(hello, bad), m.server.uri(), m.token("distfiles:write"));
            assertThat(pushed.failures()).isEmpty();
            Map<String, String> env = new TreeMap<>();
            env.put("PATH", pybin + ":" + portage.resolve("bin") + ":/usr/local/bin:/usr/bin:/bin");
            env.put("HOME", work.toString());
            env.put("LC_ALL", "C");
            env.put("PORTAGE_CONFIGROOT", cfg.toString());
            env.put("GENTOO_MIRRORS", m.server.uri().toString());
            env.put("PORTAGE_TMPDIR", work.toString());
            env.put("DISTDIR", distdir.toString());
            env.put("FETCHCOMMAND", "curl -fsS -o \"${DISTDIR}/${FILE}\" \"${URI}\"");
            env.put("RESUMECOMMAND", "curl -fsS -C - -o \"${DISTDIR}/${FILE}\" \"${URI}\"");

            Result ok = run(List.of(python.toString(), portage.resolve("bin/ebuild").toString(),
                    repo.resolve("app-misc/hello/hello-1.0.ebuild").toString(), "fetch"), env, work);
            assertThat(ok.rc()).as(ok.out()).isZero();
            assertThat(ok.out()).contains(">>> Downloading '" + m.server.uri() + "/distfiles/layout.conf'")
                    .contains(">>> Downloading '" + m.server.uri() + "/distfiles/ce/hello-1.0.tar.gz'")
                    .containsPattern("hello-1\\.0\\.tar\\.gz BLAKE2B SHA512 size ;-\\) \\.\\.\\.");
            assertThat(Files.readAllBytes(distdir.resolve("hello-1.0.tar.gz"))).isEqualTo(good);
            assertThat(distdir.resolve(".layout.conf.127.0.0.1")).hasContent(Distfiles.LAYOUT_CONF.strip());

            Result refused = run(List.of(python.toString(), portage.resolve("bin/ebuild").toString(),
                    repo.resolve("app-misc/bad/bad-1.0.ebuild").toString(), "fetch"), env, work);
            assertThat(refused.rc()).as(refused.out()).isNotZero();
            assertThat(refused.out()).contains("/distfiles/" + Distfiles.path("bad-1.0.tar.gz") + "'")
                    .contains("Fetched file: bad-1.0.tar.gz VERIFY FAILED!");
            assertThat(distdir.resolve("bad-1.0.tar.gz")).doesNotExist();
        }
    }

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

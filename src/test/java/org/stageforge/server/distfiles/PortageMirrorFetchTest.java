package org.stageforge.server.distfiles;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.testutil.SourcePortage;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

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
        Assumptions.assumeTrue(SourcePortage.tool("curl") != null, "curl is not installed (the FETCHCOMMAND)");
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
        SourcePortage portage = SourcePortage.setUp(tmp, "test", repo, "");
        Path distdir = portage.work().resolve("distfiles");

        try (DistfilesServeTest.Mirror m = new DistfilesServeTest.Mirror(tmp.resolve("data"), 1 << 20)) {
            DistfilesPush.Result pushed = DistfilesPush.push(List.of(hello, bad), m.server.uri(), m.token("distfiles:write"));
            assertThat(pushed.failures()).isEmpty();
            Map<String, String> env = Map.of("GENTOO_MIRRORS", m.server.uri().toString(), "DISTDIR", distdir.toString(),
                    "FETCHCOMMAND", "curl -fsS -o \"${DISTDIR}/${FILE}\" \"${URI}\"",
                    "RESUMECOMMAND", "curl -fsS -C - -o \"${DISTDIR}/${FILE}\" \"${URI}\"");

            SourcePortage.Result ok = portage.run(List.of(portage.bin("ebuild").toString(),
                    repo.resolve("app-misc/hello/hello-1.0.ebuild").toString(), "fetch"), env);
            assertThat(ok.rc()).as(ok.out()).isZero();
            assertThat(ok.out()).contains(">>> Downloading '" + m.server.uri() + "/distfiles/layout.conf'")
                    .contains(">>> Downloading '" + m.server.uri() + "/distfiles/ce/hello-1.0.tar.gz'")
                    .containsPattern("hello-1\\.0\\.tar\\.gz BLAKE2B SHA512 size ;-\\) \\.\\.\\.");
            assertThat(Files.readAllBytes(distdir.resolve("hello-1.0.tar.gz"))).isEqualTo(good);
            assertThat(distdir.resolve(".layout.conf.127.0.0.1")).hasContent(Distfiles.LAYOUT_CONF.strip());

            SourcePortage.Result refused = portage.run(List.of(portage.bin("ebuild").toString(),
                    repo.resolve("app-misc/bad/bad-1.0.ebuild").toString(), "fetch"), env);
            assertThat(refused.rc()).as(refused.out()).isNotZero();
            assertThat(refused.out()).contains("/distfiles/" + Distfiles.path("bad-1.0.tar.gz") + "'")
                    .contains("Fetched file: bad-1.0.tar.gz VERIFY FAILED!");
            assertThat(distdir.resolve("bad-1.0.tar.gz")).doesNotExist();
        }
    }

    private static void write(Path p, String s) throws Exception {
        Files.createDirectories(p.getParent());
        Files.writeString(p, s);
    }
}

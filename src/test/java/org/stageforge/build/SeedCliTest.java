package org.stageforge.build;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.archive.Compression;
import org.stageforge.archive.SafeExtractor;
import org.stageforge.cli.Main;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code stageforge seed prepare}: in this JVM, and for real as a normal user (uid 65534) through setpriv. */
class SeedCliTest {
    private static final String SIDE_TABLE = """
            /dev/null\tc\t0666\t0\t0\t1,3\t-
            /home/note\t-\t0600\t1000\t100\t-\t-
            /usr/bin/ping\t-\t4711\t0\t0\t-\tsecurity.capability=0x0100000200200000000000000000000000000000
            /var/lib/portage\td\t2750\t250\t250\t-\t-
            /var/lib/portage/world\t-\t0640\t250\t250\t-\t-
            """;

    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {}

    static Run cli(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code = Main.commandLine(new PrintWriter(o, true), new PrintWriter(e, true)).execute(args);
        return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    private Path spec(byte[] data, String sha512) throws IOException {
        Files.write(tmp.resolve("stage3.tar.xz"), data);
        Path spec = tmp.resolve("spec.toml");
        Files.writeString(spec, """
                profile = "default/linux/amd64/23.0"
                [stage]
                name = "s"
                version = "1"
                [repo]
                path = "repo"
                [seed]
                path = "stage3.tar.xz"
                sha512 = "%s"
                """.formatted(sha512));
        return spec;
    }

    @Test
    void preparePrintsTheRootAndExitCodesFollowTheFailure() throws IOException {
        byte[] data = TestStageTarball.stage().compressed(Compression.XZ);
        Path spec = spec(data, TestStageTarball.sha512(data));
        Path cache = tmp.resolve("cache");
        Run r = cli("seed", "prepare", spec.toString(), "--cache-dir", cache.toString(), "-q");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).isEmpty();
        Path root = Path.of(r.out().strip());
        assertThat(root).isEqualTo(cache.toAbsolutePath().resolve("seeds").resolve(TestStageTarball.sha512(data).substring(0, 32)).resolve("root"));
        assertThat(root.resolve("etc/os-release")).hasContent("NAME=Test");

        Run again = cli("seed", "prepare", spec.toString(), "--cache-dir", cache.toString());
        assertThat(again.code()).isZero();
        assertThat(again.err()).isEqualTo("stageforge: seed: reusing " + root + "\n");

        String wrong = TestStageTarball.sha512(new byte[1]);
        Run bad = cli("seed", "prepare", spec(data, wrong).toString(), "--cache-dir", cache.toString(), "-q");
        assertThat(bad.code()).isEqualTo(4);
        assertThat(bad.err()).isEqualTo("stageforge: seed stage3.tar.xz: SHA512 mismatch (spec " + wrong + ", file "
                + TestStageTarball.sha512(data) + ")\n");

        Files.writeString(spec, Files.readString(spec).replaceAll("(?s)\\[seed].*", "[[binhost]]\nurl = \"b\"\n"));
        Run none = cli("seed", "prepare", spec.toString(), "--cache-dir", cache.toString());
        assertThat(none.code()).isEqualTo(3);
        assertThat(none.err()).isEqualTo("stageforge: " + spec + ": the spec has no [seed]\n");
    }

    @Test
    void aNormalUserGetsTheSideTable() throws Exception {
        Assumptions.assumeTrue(SafeExtractor.runningAsRoot(), "needs root to switch to uid 65534");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv");
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        byte[] data = TestStageTarball.stage().compressed(Compression.GZIP);
        Path spec = spec(data, TestStageTarball.sha512(data));
        String cp = TestSeed.readableClassPath(tmp.resolve("cp"));
        Path home = Files.createDirectories(tmp.resolve("home"));
        Files.setAttribute(home, "unix:uid", 65534);
        Files.setAttribute(home, "unix:gid", 65534);
        Path cache = home.resolve("cache");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                java.toString(), "-cp", cp, "org.stageforge.cli.Main", "seed", "prepare", spec.toString(),
                "--cache-dir", cache.toString(), "-q");
        pb.environment().clear();
        pb.environment().put("HOME", home.toString());
        pb.environment().put("LC_ALL", "C.UTF-8");
        pb.redirectErrorStream(false);
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] err = p.getErrorStream().readAllBytes();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(new String(err, StandardCharsets.UTF_8)).isZero();
        Path root = Path.of(out.strip());
        assertThat(root).startsWith(cache);
        assertThat(Files.readString(root.resolveSibling("owners.tsv"))).isEqualTo(SIDE_TABLE);
        assertThat(Files.readString(root.resolveSibling(".complete"))).contains("as-root false\n");
        assertThat(root.resolve("dev/null")).doesNotExist();
        assertThat((int) Files.getAttribute(root.resolve("usr/bin/ping"), "unix:mode") & 07777).isEqualTo(04711);
        assertThat(Files.readSymbolicLink(root.resolve("bin"))).isEqualTo(Path.of("usr/bin"));
        try (Stream<Path> s = Files.walk(root)) {
            // every file, whatever the archive says, belongs to the user who unpacked it
            assertThat(s.map(f -> {
                try {
                    return (int) Files.getAttribute(f, "unix:uid", LinkOption.NOFOLLOW_LINKS);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }).distinct()).containsExactly(65534);
        }
    }
}

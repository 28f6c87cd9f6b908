package org.stageforge.merge;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.archive.TarEntry;
import org.stageforge.cli.Main;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile packages through the CLI, as a user meets them: {@code merge}, {@code pkg extract} and {@code pkg verify}
 * give the same verdict with the documented exit code and a one-line message naming the package and the entry, and
 * nothing outside the target changes (nor the target, when refused).
 */
class HostileInputTest {
    @TempDir
    Path tmp;

    private Path root;

    private record Run(int code, String out, String err) {}

    private static Run cli(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private Path pkgs() {
        return tmp.resolve("pkgs");
    }

    @BeforeEach
    void baseRoot() throws IOException {
        root = Files.createDirectories(tmp.resolve("root"));
        Path base = TestPackages.xpak("app-misc", "base-1").dir("usr").dir("usr/bin").file("usr/bin/base", "base")
                .dir("etc").file("etc/passwd", "root:x:0:0::/root:/bin/sh\n").write(pkgs().resolve("base"));
        Run r = cli("merge", "--root", root.toString(), "--no-phases", "--unprivileged", base.toString());
        assertThat(r.code()).as(r.err()).isZero();
    }

    /** Everything under the test directory but the packages themselves. */
    private Map<String, String> world() throws IOException {
        Map<String, String> m = TreeSnapshot.of(tmp);
        m.keySet().removeIf(k -> k.startsWith("pkgs"));
        return m;
    }

    /** merge, extract and verify all refuse {@code pkg} with {@code code} and a message holding {@code parts}. */
    private void refusedEverywhere(Path pkg, int code, String... parts) throws IOException {
        Map<String, String> before = world();
        String name = pkg.getFileName().toString();
        for (List<String> cmd : List.of(
                List.of("merge", "--root", root.toString(), "--no-phases", "--unprivileged", pkg.toString()),
                List.of("pkg", "extract", pkg.toString(), "-C", tmp.resolve("extracted").toString()),
                List.of("pkg", "verify", pkg.toString()))) {
            Run r = cli(cmd.toArray(String[]::new));
            assertThat(r.code()).as(cmd + ": " + r.err()).isEqualTo(code);
            assertThat(r.err()).as(cmd.toString()).startsWith("stageforge: ").contains(name).contains(parts);
            assertThat(r.err().strip()).as("one line").doesNotContain("\n");
            assertThat(world()).as(cmd + " changed files").isEqualTo(before);
        }
    }

    @Test
    void controlCharactersInNamesAreRefusedAndForgeNothing() throws IOException {
        Path forged = TestPackages.xpak("app-misc", "forge-1").dir("usr").dir("usr/bin")
                .file("usr/bin/x\nobj /etc/passwd 00000000000000000000000000000000 1", "x").write(pkgs().resolve("nl"));
        refusedEverywhere(forged, 4, "control character in path", "usr/bin/x\\nobj /etc/passwd");
        Path esc = TestPackages.xpak("app-misc", "esc-1").dir("usr").file("usr/a\u001b[2Jb", "x").write(pkgs().resolve("esc"));
        refusedEverywhere(esc, 4, "control character in path", "usr/a\\x1b[2Jb");
        Path link = TestPackages.xpak("app-misc", "lnk-1").dir("usr").symlink("usr/l", "t\nobj /etc/shadow x 1")
                .write(pkgs().resolve("lnk"));
        refusedEverywhere(link, 4, "control character in symlink target", "./usr/l");
        assertThat(Files.readString(root.resolve("var/db/pkg/app-misc/base-1/CONTENTS"))).doesNotContain("shadow");
        // a later merge is not blocked by anything the refused packages tried
        Path next = TestPackages.xpak("app-misc", "next-1").dir("usr").dir("usr/bin").file("usr/bin/next", "n")
                .write(pkgs().resolve("next"));
        Run r = cli("merge", "--root", root.toString(), "--no-phases", "--unprivileged", next.toString());
        assertThat(r.code()).as(r.err()).isZero();
    }

    @Test
    void overLongNameComponentIsBadInputNamingTheEntry() throws IOException {
        String longName = "n".repeat(300);
        Path p = TestPackages.xpak("app-misc", "long-1").dir("usr").file("usr/" + longName, "x").write(pkgs().resolve("long"));
        refusedEverywhere(p, 3, "a component is longer than 255 bytes", "usr/nnnn");
    }

    @Test
    void hardLinkToASymlinkIsRefusedByExtractAndMergeAlike() throws IOException {
        Path p = TestPackages.xpak("app-misc", "hl-1").dir("usr").symlink("usr/s", "/etc/passwd").hardlink("usr/h", "usr/s")
                .write(pkgs().resolve("hl"));
        refusedEverywhere(p, 4, "hard link usr/h to usr/s which is not a regular file extracted before");
    }

    @Test
    void directoryReplacedBySymlinkIsRefusedWhenItHoldsMembersAndReplacedWhenEmpty() throws IOException {
        Path full = TestPackages.xpak("app-misc", "dir-1").dir("usr").dir("usr/lib").file("usr/lib/x", "x")
                .symlink("usr/lib", "lib64").write(pkgs().resolve("full"));
        refusedEverywhere(full, 4, "'usr/lib' would replace directory usr/lib, which holds earlier members");

        Path empty = TestPackages.xpak("app-misc", "dir-2").dir("usr").dir("usr/lib").symlink("usr/lib", "lib64")
                .write(pkgs().resolve("empty"));
        Run x = cli("pkg", "extract", empty.toString(), "-C", tmp.resolve("x").toString());
        assertThat(x.code()).as(x.err()).isZero();
        Run m = cli("merge", "--root", root.toString(), "--no-phases", "--unprivileged", empty.toString());
        assertThat(m.code()).as(m.err()).isZero();
        for (Path r : List.of(tmp.resolve("x"), root)) {
            assertThat(Files.readSymbolicLink(r.resolve("usr/lib"))).isEqualTo(Path.of("lib64"));
        }
        assertThat(Files.readString(root.resolve("var/db/pkg/app-misc/dir-2/CONTENTS"))).contains("sym /usr/lib -> lib64")
                .doesNotContain("dir /usr/lib\n");
    }

    @Test
    void duplicateEntriesFollowTarsRuleTheLaterOneWins() throws IOException {
        TarEntry first = TarEntry.of("./usr/bin/dup", TarEntry.Type.FILE, 0755, 0, 0, 5, 1_700_000_000L, "");
        Path p = TestPackages.xpak("app-misc", "dup-1").dir("usr").dir("usr/bin")
                .raw(first, "one\n\n".getBytes(StandardCharsets.UTF_8)).raw(first, "two\n\n".getBytes(StandardCharsets.UTF_8))
                .write(pkgs().resolve("dup"));
        Run v = cli("pkg", "verify", p.toString());
        assertThat(v.code()).as(v.err()).isZero();
        Run x = cli("pkg", "extract", p.toString(), "-C", tmp.resolve("x").toString());
        assertThat(x.code()).as(x.err()).isZero();
        Run m = cli("merge", "--root", root.toString(), "--no-phases", "--unprivileged", p.toString());
        assertThat(m.code()).as(m.err()).isZero();
        assertThat(Files.readString(tmp.resolve("x/usr/bin/dup"))).isEqualTo("two\n\n");
        assertThat(Files.readString(root.resolve("usr/bin/dup"))).isEqualTo("two\n\n");
        assertThat(Files.readString(root.resolve("var/db/pkg/app-misc/dup-1/CONTENTS")))
                .containsOnlyOnce("obj /usr/bin/dup " + TestHex.md5("two\n\n") + " 1700000000");
    }

    @Test
    void extractOnlyListsDeviceNodesSpecialModesAndCapabilities() throws IOException {
        byte[] cap = {1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        Path p = TestPackages.xpak("app-misc", "nodes-1").dir("dev").chardev("dev/mem", 0666, 1, 1).fifo("dev/fifo", 0600)
                .dir("usr").dir("usr/bin").file("usr/bin/su", "su".getBytes(StandardCharsets.UTF_8), 04755, 0, 0, null)
                .file("usr/bin/ping", "ping".getBytes(StandardCharsets.UTF_8), 0755, 0, 0, Map.of("security.capability", cap))
                .write(pkgs().resolve("nodes"));
        Map<String, String> before = world();
        Path into = tmp.resolve("x");
        Run x = cli("pkg", "extract", p.toString(), "-C", into.toString());
        assertThat(x.code()).as(x.err()).isZero();
        assertThat(x.out()).contains("recorded only: crw-rw-rw- 0/0        1,1 2023-11-14 22:13:20 dev/mem\n",
                "recorded only: prw------- 0/0          0 2023-11-14 22:13:20 dev/fifo\n",
                "recorded only: -rwsr-xr-x 0/0          2 2023-11-14 22:13:20 usr/bin/su\n",
                "recorded only: -rwxr-xr-x 0/0          4 2023-11-14 22:13:20 usr/bin/ping\n");
        assertThat(into.resolve("dev/mem")).doesNotExist();
        assertThat(Files.exists(into.resolve("dev/fifo"), LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(Files.getAttribute(into.resolve("usr/bin/su"), "unix:mode")).isEqualTo(0100755);
        assertThat(Files.readString(into.resolve("usr/bin/ping"))).isEqualTo("ping");
        Map<String, String> after = world();
        after.keySet().removeIf(k -> k.equals("x") || k.startsWith("x/"));
        assertThat(after).isEqualTo(before);
    }

    @Test
    void emptySourceDateEpochIsAUsageErrorForPack() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "org.stageforge.cli.Main", "pack", root.toString(),
                "-o", tmp.resolve("out.tar.zst").toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("SOURCE_DATE_EPOCH", "");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isEqualTo(2);
        assertThat(out).startsWith("stageforge: ").contains("SOURCE_DATE_EPOCH");
        assertThat(tmp.resolve("out.tar.zst")).doesNotExist();
    }

    /** MD5 of test content, as CONTENTS records it. */
    private static final class TestHex {
        static String md5(String s) {
            java.security.MessageDigest md = MergeEngine.md5();
            return java.util.HexFormat.of().formatHex(md.digest(s.getBytes(StandardCharsets.UTF_8)));
        }
    }
}

package org.stageforge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ExitCodes;
import org.stageforge.testutil.Fixtures;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ProfileCommandTest {
    @TempDir
    Path tmp;

    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.commandLine(new PrintWriter(out), new PrintWriter(err)).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void jsonMatchesPortageFixture() throws IOException {
        Path repo = Fixtures.require("gentoo-repo");
        Path expected = Fixtures.require("portage-expected/profiles/default_linux_arm64_23.0.json");
        Run r = run("profile", "show", "--repo", repo.toString(), "--json", "default/linux/arm64/23.0");
        assertThat(r.code()).isZero();
        ObjectMapper m = new ObjectMapper();
        JsonNode got = m.readTree(r.out());
        JsonNode want = m.readTree(expected.toFile());
        for (String f : new String[] {"profile", "profile_chain", "USE", "use_mask", "use_force", "system_set", "package_mask"}) {
            assertThat(got.get(f)).as(f).isEqualTo(want.get(f));
        }
        assertThat(got.get("vars").get("CHOST")).isEqualTo(want.get("vars").get("CHOST"));
    }

    @Test
    void textOutputFromConfigRootShowsOrigins() throws IOException {
        Path repo = tmp.resolve("repo");
        Files.createDirectories(repo.resolve("profiles/p"));
        Files.writeString(repo.resolve("profiles/repo_name"), "mini\n");
        Files.writeString(repo.resolve("profiles/p/make.defaults"), "ARCH=amd64\nUSE=\"x\"\n");
        Files.writeString(repo.resolve("profiles/p/packages"), "*sys-apps/base\n");
        Files.writeString(repo.resolve("profiles/p/package.mask"), "cat/bad\n");
        Files.writeString(repo.resolve("profiles/p/deprecated"), "other\n");
        Path etc = Files.createDirectories(tmp.resolve("root/etc/portage"));
        Files.createSymbolicLink(etc.resolve("make.profile"), repo.resolve("profiles/p"));
        Run r = run("profile", "show", "--config-root", tmp.resolve("root").toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).isEqualTo("stageforge: warning: profile p is deprecated and not supported anymore; upgrade to other\n");
        Run withEnv = run("profile", "show", "--config-root", tmp.resolve("root").toString(), "-e", "USE=-x extra");
        assertThat(withEnv.out()).contains("USE: amd64 extra\n");
        assertThat(r.out()).startsWith("profile: p\n").contains("chain:\n  p\n").contains("USE: amd64 x\n")
                .contains("sys-apps/base  (" + repo.toRealPath().resolve("profiles/p/packages") + ":1)")
                .contains("cat/bad  (" + repo.toRealPath().resolve("profiles/p/package.mask") + ":1)");
    }

    @Test
    void aStageRootIsReadAsEmergeSeesItAfterChroot() throws IOException {
        // an unpacked stage: absolute make.profile link and repos.conf location, both meant inside the root
        Path root = tmp.resolve("stage");
        Path repo = Files.createDirectories(root.resolve("var/db/repos/mini/profiles/p"));
        Files.writeString(root.resolve("var/db/repos/mini/profiles/repo_name"), "mini\n");
        Files.writeString(repo.resolve("make.defaults"), "ARCH=amd64\nUSE=\"inside\"\n");
        Path etc = Files.createDirectories(root.resolve("etc/portage/repos.conf"));
        Files.writeString(etc.resolve("mini.conf"), "[DEFAULT]\nmain-repo = mini\n[mini]\nlocation = /var/db/repos/mini\n");
        Files.createSymbolicLink(root.resolve("etc/portage/make.profile"), Path.of("/var/db/repos/mini/profiles/p"));
        Run r = run("profile", "show", "--root", root.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("profile: p\n").contains("USE: amd64 inside\n");
        // as a config root, the same absolute link points at the host, which has no such profile
        assertThat(run("profile", "show", "--config-root", root.toString()).code()).isEqualTo(ExitCodes.NOT_FOUND);
    }

    @Test
    void badInputGivesOneLineAndExitCode() throws IOException {
        Path repo = tmp.resolve("repo");
        Files.createDirectories(repo.resolve("profiles/p"));
        Files.writeString(repo.resolve("profiles/repo_name"), "mini\n");
        Files.writeString(repo.resolve("profiles/p/make.defaults"), "USE=\"unterminated\n");
        Run r = run("profile", "show", "--repo", repo.toString(), "p");
        assertThat(r.code()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(r.err()).startsWith("stageforge: ").contains("make.defaults:1").hasLineCount(1);

        Run missing = run("profile", "show", "--repo", repo.toString(), "nope");
        assertThat(missing.code()).isEqualTo(ExitCodes.NOT_FOUND);
        Run noRepo = run("profile", "show", "--repo", tmp.resolve("absent").toString(), "p");
        assertThat(noRepo.code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(noRepo.err()).contains("absent does not exist").hasLineCount(1);
        Run usage = run("profile", "show", "--repo", repo.toString());
        assertThat(usage.code()).isEqualTo(ExitCodes.USAGE);
    }
}

package org.stageforge.server.snapshots;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.server.core.ServerConfig;
import org.stageforge.server.core.ServerContext;
import org.stageforge.server.core.ViewManifest;
import org.stageforge.snapshot.Webrsync;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Snapshots the server makes from a git commit: same bytes every time, dated by the commit, verified like uploads. */
class SnapshotFromGitTest {
    @TempDir
    Path tmp;

    /** 2025-12-02 15:30:00 UTC */
    private static final long COMMITTED = 1764689400L;

    @Test
    void aCommitGivesTheSameBytesTwiceAndIsDatedByItsCommitterDate() throws Exception {
        Assumptions.assumeTrue(Webrsync.tool("git") != null, "git is not installed");
        Path git = tmp.resolve("git");
        write(git.resolve("profiles/repo_name"), "gentoo\n");
        write(git.resolve("app-misc/hello/hello-1.0.ebuild"), "EAPI=8\nSLOT=0\n");
        git(git, "init", "-q", "-b", "main");
        git(git, "add", "-A");
        git(git, "commit", "-q", "-m", "first");
        String first = git(git, "rev-parse", "HEAD").strip();
        Path keys = Webrsync.key(tmp.resolve("keys"), "Server <snap@example.org>");
        Path stranger = Webrsync.key(tmp.resolve("stranger"), "Stranger <s@example.org>");
        OpenPgp.SigningKey key = OpenPgp.SigningKey.load(keys.resolve("secret.asc"), null);

        SnapshotStore a = store(tmp.resolve("a"));
        assertThatThrownBy(() -> a.fromGit(git.toString(), first, null, "gentoo", key, m -> {}))
                .isInstanceOfSatisfying(StageforgeException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(ExitCodes.USAGE);
                    assertThat(e.getMessage()).startsWith("no snapshot keyring is configured");
                });
        a.configure(keys.resolve("public.asc"));
        SnapshotStore.FromGit made = a.fromGit(git.toString(), first, null, "gentoo", key, m -> {});
        assertThat(made.commit()).isEqualTo(first);
        assertThat(made.publication().file()).isEqualTo("gentoo-20251202.tar.xz");
        assertThat(made.publication().created()).isTrue();
        assertThat(made.publication().latest()).isTrue();
        assertThat(timestamp(a, "gentoo-20251202.tar.xz")).startsWith(COMMITTED + " ");

        String state = state(a);
        SnapshotStore.FromGit again = a.fromGit(git.toString(), "main", null, "gentoo", key, m -> {});
        assertThat(again.publication().created()).isFalse();
        assertThat(again.publication().sha256()).isEqualTo(made.publication().sha256());
        assertThat(state(a)).isEqualTo(state);

        // another server, the repository by URL: the same tarball and signature, byte for byte
        SnapshotStore b = store(tmp.resolve("b"));
        b.configure(keys.resolve("public.asc"));
        SnapshotStore.FromGit byUrl = b.fromGit(git.toUri().toString(), first, null, "gentoo", key, m -> {});
        for (String f : List.of("gentoo-20251202.tar.xz", "gentoo-20251202.tar.xz.gpgsig", "gentoo-20251202.tar.xz.md5sum",
                "gentoo-latest.tar.xz.md5sum")) {
            assertThat(served(b, f)).as(f).isEqualTo(served(a, f));
        }
        assertThat(byUrl.publication().sha256()).isEqualTo(made.publication().sha256());

        // a given date: timestamp.x is its midnight, and -latest moves to it
        SnapshotStore.FromGit dated = a.fromGit(git.toString(), first, "20251203", "gentoo", key, m -> {});
        assertThat(dated.publication().latest()).isTrue();
        assertThat(timestamp(a, "gentoo-20251203.tar.xz")).startsWith("1764720000 ");
        assertThat(served(a, "gentoo-latest.tar.xz")).isEqualTo(served(a, "gentoo-20251203.tar.xz"));

        // refusals leave everything as it was
        state = state(a);
        write(git.resolve("app-misc/hello/hello-1.1.ebuild"), "EAPI=8\nSLOT=0\n");
        git(git, "add", "-A");
        git(git, "commit", "-q", "-m", "second");
        record Case(String what, int exit, String message, SnapshotStoreCall call) {}
        OpenPgp.SigningKey strangerKey = OpenPgp.SigningKey.load(stranger.resolve("secret.asc"), null);
        List<Case> cases = List.of(
                new Case("a new commit for a published date", ExitCodes.FAILURE, "gentoo-20251202.tar.xz is published with other content",
                        () -> a.fromGit(git.toString(), "main", null, "gentoo", key, m -> {})),
                new Case("a key outside the keyring", ExitCodes.VERIFY, "snapshot refused: gentoo-20251204.tar.xz.gpgsig: ",
                        () -> a.fromGit(git.toString(), "main", "20251204", "gentoo", strangerKey, m -> {})),
                new Case("no such commit", ExitCodes.NOT_FOUND, "no commit 'deadbeef' in ",
                        () -> a.fromGit(git.toString(), "deadbeef", null, "gentoo", key, m -> {})),
                new Case("an option as commit", ExitCodes.USAGE, "bad commit '--output=x'",
                        () -> a.fromGit(git.toString(), "--output=x", null, "gentoo", key, m -> {})),
                new Case("a command-running transport", ExitCodes.NOT_FOUND, "ext::sh -c touch% /tmp/pwned: not a directory or URL",
                        () -> a.fromGit("ext::sh -c touch% /tmp/pwned", first, null, "gentoo", key, m -> {})),
                new Case("an unknown URL scheme", ExitCodes.USAGE, "only https, http, git, ssh and file URLs",
                        () -> a.fromGit("ftp://example.org/repo.git", first, null, "gentoo", key, m -> {})),
                new Case("a bad name", ExitCodes.USAGE, "snapshot name '../x' is not a repository name",
                        () -> a.fromGit(git.toString(), first, null, "../x", key, m -> {})));
        for (Case c : cases) {
            assertThatThrownBy(c.call()::run).as(c.what()).isInstanceOfSatisfying(StageforgeException.class, e -> {
                assertThat(e.exitCode()).as(c.what() + ": " + e.getMessage()).isEqualTo(c.exit());
                assertThat(e.getMessage()).as(c.what()).contains(c.message());
            });
            assertThat(state(a)).as(c.what() + ": nothing stored").isEqualTo(state);
        }
        assertThat(Files.readString(tmp.resolve("a/audit.log"))).contains("\"action\":\"snapshot.from-git\"")
                .contains("\"result\":\"201 gentoo-20251202.tar.xz commit " + first);
    }

    interface SnapshotStoreCall {
        void run() throws Exception;
    }

    private static SnapshotStore store(Path data) throws Exception {
        return new SnapshotStore(ServerContext.open(ServerConfig.of(data, "127.0.0.1", 0), Clock.systemUTC()));
    }

    private static byte[] served(SnapshotStore s, String file) throws Exception {
        SnapshotName n = SnapshotName.parse(file).orElseThrow();
        ServerContext ctx = s.context();
        ViewManifest.Entry e = ctx.views().manifest(ctx.views().current(SnapshotName.view(n.repo())).orElseThrow()).get(file);
        assertThat(e).as(file).isNotNull();
        return ctx.blobs().read(e.sha256());
    }

    /** metadata/timestamp.x of a served tarball, read by the host's tar. */
    private String timestamp(SnapshotStore s, String file) throws Exception {
        Path t = Files.write(tmp.resolve("t-" + file), served(s, file));
        Process p = new ProcessBuilder("tar", "--wildcards", "-xJOf", t.toString(), "*/metadata/timestamp.x").start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertThat(p.waitFor()).isZero();
        return out;
    }

    private static String state(SnapshotStore s) throws Exception {
        Path data = s.context().config().dataDir();
        List<String> out = new ArrayList<>();
        try (Stream<Path> st = Files.walk(data.resolve("blobs"))) {
            st.filter(Files::isRegularFile).map(p -> data.relativize(p).toString()).sorted().forEach(out::add);
        }
        try (Stream<Path> st = Files.list(data.resolve("tmp"))) {
            st.map(p -> "tmp: " + p.getFileName()).forEach(out::add);
        }
        out.addAll(s.context().db().query("SELECT name || ' ' || manifest || ' ' || generation FROM views ORDER BY name", rs -> rs.getString(1)));
        out.addAll(s.context().db().query("SELECT name FROM snapshot_repos ORDER BY name", rs -> rs.getString(1)));
        return String.join("\n", out);
    }

    private static void write(Path p, String s) throws Exception {
        Files.createDirectories(p.getParent());
        Files.writeString(p, s);
    }

    private static String git(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("git", "-C", dir.toString(), "-c", "user.name=T", "-c", "user.email=t@example.org",
                "-c", "commit.gpgsign=false"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        String when = "@" + COMMITTED + " +0000";
        pb.environment().putAll(Map.of("GIT_AUTHOR_DATE", when, "GIT_COMMITTER_DATE", when, "TZ", "UTC",
                "GIT_CONFIG_NOSYSTEM", "1", "HOME", dir.getParent().toString()));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", cmd) + ": " + out).isZero();
        return out;
    }
}

package org.stageforge.install;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.archive.Compression;
import org.stageforge.binhost.BinhostWriter;
import org.stageforge.binpkg.FileTable;
import org.stageforge.binpkg.GpkgWriter;
import org.stageforge.cli.Main;
import org.stageforge.merge.MergeEngine;
import org.stageforge.pack.Packer;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kills {@code stageforge install} (a separate JVM) with SIGKILL at several points of a six-package merge, reruns the
 * same command, and checks the root, its file table and its VDB (COUNTERs included) equal an uninterrupted run's, byte
 * for byte, and that their packed archives are identical.
 */
class InstallKillTest {
    private static final int PACKAGES = 6;
    private static final int FILES = 300;

    @TempDir
    Path tmp;

    private Path cfg;

    @BeforeEach
    void binhost() throws Exception {
        for (int i = 1; i <= PACKAGES; i++) {
            Path t = tmp.resolve("src/app-misc/p" + i + "-1");
            Path md = Files.createDirectories(t.resolve("metadata"));
            Map<String, String> m = Map.of("CATEGORY", "app-misc", "PF", "p" + i + "-1", "SLOT", "0", "EAPI", "8",
                    "KEYWORDS", "amd64", "repository", "example", "USE", "amd64", "BUILD_TIME", "1700000000",
                    "RDEPEND", i == 1 ? "" : "app-misc/p" + (i - 1));
            for (var e : m.entrySet()) if (!e.getValue().isEmpty()) Files.writeString(md.resolve(e.getKey()), e.getValue() + "\n");
            Path share = Files.createDirectories(t.resolve("image/usr/share/p" + i));
            for (int f = 0; f < FILES; f++) Files.writeString(share.resolve("f" + f), ("p" + i + " file " + f + "\n").repeat(20));
            Files.createDirectories(t.resolve("image/usr/bin"));
            Files.writeString(t.resolve("image/usr/bin/p" + i), "#!/bin/sh\n");
            Files.createSymbolicLink(t.resolve("image/usr/bin/p" + i + "-link"), Path.of("p" + i));
        }
        BinhostWriter.build(tmp.resolve("src"), tmp.resolve("bh"),
                new GpkgWriter.Options(Compression.ZSTD, 1_700_000_000L, null, FileTable.EMPTY), Map.of());
        Path etc = Files.createDirectories(tmp.resolve("cfg/etc/portage"));
        Path repo = Path.of("examples/repo").toAbsolutePath();
        Files.createDirectories(etc.resolve("repos.conf"));
        Files.writeString(etc.resolve("repos.conf/example.conf"), "[DEFAULT]\nmain-repo = example\n[example]\nlocation = " + repo + "\n");
        Files.writeString(etc.resolve("make.conf"), "ACCEPT_LICENSE=\"*\"\n");
        Files.createSymbolicLink(etc.resolve("make.profile"), repo.resolve("profiles/default/linux/amd64/example"));
        cfg = tmp.resolve("cfg");
    }

    private List<String> args(String name) {
        return List.of("install", "--root", tmp.resolve(name).toString(), "--config-root", cfg.toString(),
                "--binhost", tmp.resolve("bh").toString(), "--cache-dir", tmp.resolve("cache-" + name).toString(),
                "--build-dir", tmp.resolve("build-" + name).toString(), "--no-phases", "--unprivileged", "--noreplace",
                "--quiet", "app-misc/p" + PACKAGES);
    }

    private void installInProcess(String name) {
        StringWriter err = new StringWriter();
        int code = Main.commandLine(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true))
                .execute(args(name).toArray(String[]::new));
        assertThat(code).as(err.toString()).isZero();
    }

    @Test
    void aSecondInstallIntoTheSameRootIsRefusedNamingTheLockAndLeavesTheFirstAlone() throws Exception {
        installInProcess("ref");
        Path root = tmp.resolve("busy");
        Process first = start("busy");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (first.isAlive() && System.nanoTime() < deadline && !Files.exists(root.resolve("var/lib/stageforge/.journal/log"))) {
            Thread.sleep(2);
        }
        assertThat(first.isAlive()).as("the first install must still be merging").isTrue();

        StringWriter err = new StringWriter();
        int code = Main.commandLine(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true))
                .execute(args("busy").toArray(String[]::new));

        assertThat(code).isEqualTo(1);
        assertThat(err.toString().strip()).contains(root.resolve("var/lib/stageforge/lock") + " is held by another stageforge process (pid "
                + first.pid() + ")").doesNotContain("\n\tat ");
        assertThat(first.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(first.exitValue()).as(Files.readString(tmp.resolve("busy.log"))).isZero();
        assertThat(snapshot(root)).isEqualTo(snapshot(tmp.resolve("ref")));
        assertThat(Files.readString(root.resolve("var/lib/stageforge/files.tsv")))
                .isEqualTo(Files.readString(tmp.resolve("ref/var/lib/stageforge/files.tsv")));
    }

    private Process start(String name) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "org.stageforge.cli.Main"));
        cmd.addAll(args(name));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve(name + ".log").toFile()).start();
    }

    /** Starts an install, SIGKILLs it as soon as {@code when} holds for its root (or it ends), then reruns it. */
    private void killAndRerun(String name, Predicate<Path> when) throws Exception {
        Path root = tmp.resolve(name);
        Process p = start(name);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (p.isAlive() && System.nanoTime() < deadline && !when.test(root)) Thread.sleep(2);
        p.destroyForcibly();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        // the kill must have landed inside the merge, else this scenario tests nothing
        assertThat(MergeEngine.unfinished(root)).as(name + ": " + Files.readString(tmp.resolve(name + ".log"))).isTrue();
        installInProcess(name);
        assertThat(MergeEngine.unfinished(root)).isFalse();
    }

    private static long count(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        } catch (IOException e) {
            return 0; // not there yet
        }
    }

    private static long installed(Path root) {
        return count(root.resolve("var/db/pkg/app-misc"));
    }

    /** Every path of the root: type, mode, owner, content (and for package files their mtime); the lock's is empty. */
    static Map<String, String> snapshot(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String rel = root.relativize(p).toString();
                Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
                String what = "";
                if (Files.isSymbolicLink(p)) {
                    what = "-> " + Files.readSymbolicLink(p);
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    what = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
                    if (rel.startsWith("usr/")) what += " " + a.get("lastModifiedTime");
                }
                out.put(rel, Integer.toOctalString((Integer) a.get("mode")) + " " + a.get("uid") + ":" + a.get("gid") + " " + what);
            }
        } catch (Exception e) {
            throw new IOException(e);
        }
        return out;
    }

    private void assertSameAsReference(String name) throws Exception {
        Path root = tmp.resolve(name);
        Path ref = tmp.resolve("ref");
        assertThat(snapshot(root)).as(name).isEqualTo(snapshot(ref));
        assertThat(Files.readString(root.resolve("var/lib/stageforge/files.tsv")))
                .isEqualTo(Files.readString(ref.resolve("var/lib/stageforge/files.tsv")));
        for (int i = 1; i <= PACKAGES; i++) {
            String c = "var/db/pkg/app-misc/p" + i + "-1/COUNTER";
            assertThat(Files.readString(root.resolve(c))).as(name + " " + c).isEqualTo(Integer.toString(i - 1));
        }
        assertThat(Files.readString(root.resolve("var/cache/edb/counter"))).isEqualTo(Integer.toString(PACKAGES - 1));
        Packer.pack(root, tmp.resolve(name + ".tar.zst"), 1_700_000_000L);
        assertThat(Files.mismatch(tmp.resolve(name + ".tar.zst"), tmp.resolve("ref.tar.zst"))).as(name + " archive").isEqualTo(-1);
    }

    @Test
    void killedInstallsRerunToTheUninterruptedResult() throws Exception {
        installInProcess("ref");
        Packer.pack(tmp.resolve("ref"), tmp.resolve("ref.tar.zst"), 1_700_000_000L);
        assertThat(installed(tmp.resolve("ref"))).isEqualTo(PACKAGES);

        // after whole packages, in the middle of one, and right at the start of the merge
        killAndRerun("after-one", r -> installed(r) >= 1);
        assertSameAsReference("after-one");
        killAndRerun("after-four", r -> installed(r) >= 4);
        assertSameAsReference("after-four");
        killAndRerun("mid-third", r -> count(r.resolve("usr/share/p3")) >= FILES / 3);
        assertSameAsReference("mid-third");
        killAndRerun("mid-last", r -> count(r.resolve("usr/share/p" + PACKAGES)) >= FILES / 2);
        assertSameAsReference("mid-last");
        killAndRerun("journal-open", r -> Files.exists(r.resolve("var/lib/stageforge/.journal/log")));
        assertSameAsReference("journal-open");
        // VDB entry of the fifth written, its commit maybe not yet
        killAndRerun("fifth-recorded", r -> Files.exists(r.resolve("var/db/pkg/app-misc/p5-1")));
        assertSameAsReference("fifth-recorded");
    }
}

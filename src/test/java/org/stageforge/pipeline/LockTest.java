package org.stageforge.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ExitCodes;
import org.stageforge.cli.Main;
import org.stageforge.index.PackagesIndex;
import org.stageforge.server.StaticServer;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code stageforge lock} and {@code build --locked}: relative paths, the spec digest, per-binpkg pins, offline replay
 * from the shared cache. Each case checks the exit code, the message and that nothing outside its target changed.
 */
class LockTest {
    @TempDir
    Path tmp;

    record Run(int rc, String out, String err) {}

    private static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = Main.commandLine(new PrintWriter(out), new PrintWriter(err)).execute(args);
        return new Run(rc, out.toString(), err.toString());
    }

    private Run lock(TestStage t, Path lockFile, Path cache) {
        return cli("lock", t.spec.toString(), "--build-dir", tmp.resolve("lb").toString(), "-o", lockFile.toString(),
                "--cache-dir", cache.toString());
    }

    private Run replay(Path lockFile, String name, Path cache) {
        return cli("build", "--locked", lockFile.toString(), "--build-dir", tmp.resolve("b-" + name).toString(),
                "--output", tmp.resolve("out-" + name).toString(), "--cache-dir", cache.toString(), "--quiet");
    }

    /** A lock of a fresh stage, made with the cache {@code tmp/cache}. */
    private TestStage locked() throws IOException {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        Run r = lock(t, tmp.resolve("s/spec.lock"), tmp.resolve("cache"));
        assertThat(r.rc()).as(r.err()).isZero();
        return t;
    }

    @Test
    void lockAndReplayWithBareFileNamesInTheWorkingDirectory() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        Path s = tmp.resolve("s");
        Map<String, String> before = Trees.snapshot(s);
        // a separate JVM: only there can the working directory be the spec's
        assertThat(java(s, "lock", "spec.toml", "--build-dir", "bd", "--cache-dir", "../cache")).isEqualTo("spec.lock\n");
        assertThat(java(s, "lock", "spec.toml", "-o", "other.lock", "--build-dir", "bd", "--cache-dir", "../cache"))
                .isEqualTo("other.lock\n");
        assertThat(Files.readString(s.resolve("other.lock"))).isEqualTo(Files.readString(s.resolve("spec.lock")));
        Lock l = Lock.read(s.resolve("spec.lock"));
        assertThat(l.format()).isEqualTo(Lock.FORMAT);
        assertThat(l.spec()).isEqualTo("spec.toml");
        assertThat(l.packages()).extracting(Lock.Pkg::cpv).containsExactly("sys-apps/baselayout-2.0", "app-misc/hello-1.0");
        Lock.Pkg hello = l.packages().get(1);
        assertThat(hello.size()).isEqualTo(Files.size(s.resolve("binhost/app-misc/hello-1.0-1.gpkg.tar")));
        assertThat(hello.sha512()).isEqualTo(TestStage.hex("SHA-512", Files.readAllBytes(s.resolve("binhost/app-misc/hello-1.0-1.gpkg.tar"))));
        assertThat(hello.buildId()).isEqualTo(1);
        assertThat(l.sections()).containsOnlyKeys("binhost", "profile", "repo", "world");

        java(s, "build", "--locked", "spec.lock", "--build-dir", "bd", "--output", "out", "--cache-dir", "../cache", "--quiet");
        assertThat(s.resolve("out/tiny-1.0.tar.zst")).isRegularFile();
        // the spec directory gained only the locks, the build directory and the output
        assertThat(Trees.snapshot(s, s.resolve("spec.lock"), s.resolve("other.lock"), s.resolve("bd"), s.resolve("out")))
                .isEqualTo(before);
    }

    /** Runs the CLI in {@code dir} in a new JVM and returns its stdout; it must exit 0. */
    private String java(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "org.stageforge.cli.Main"));
        cmd.addAll(List.of(args));
        Path log = tmp.resolve("java.err");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectError(log.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", args) + ": " + Files.readString(log)).isZero();
        return out;
    }

    @Test
    void aSpecThatNoLongerMatchesItsLockIsRefusedNamingWhatChanged() throws Exception {
        TestStage t = locked();
        String spec = Files.readString(t.spec);
        Files.writeString(t.spec, spec.replace("world = [\"app-misc/hello\"]", "world = [\"app-misc/hello\", \"sys-apps/systemd\"]")
                + "\n[make_conf]\nFEATURES = \"-news\"\n");
        Map<String, String> before = Trees.snapshot(tmp);
        Run r = replay(tmp.resolve("s/spec.lock"), "changed", tmp.resolve("cache"));
        assertThat(r.rc()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(r.err()).isEqualTo("stageforge: spec.toml no longer matches its lock: 'make_conf' added, 'world' changed;"
                + " run 'stageforge lock' again\n");
        // refused before anything was written: not even the build directory exists
        assertThat(Trees.snapshot(tmp)).isEqualTo(before);

        // a key the lock does not pin may change
        Files.writeString(t.spec, spec + "\n[system]\nhostname = \"box\"\n");
        r = replay(tmp.resolve("s/spec.lock"), "system", tmp.resolve("cache"));
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(Files.readString(tmp.resolve("b-system/root/etc/conf.d/hostname"))).contains("hostname=\"box\"");
    }

    @Test
    void aLockOfAnotherFormatIsRefused() throws Exception {
        TestStage.create(tmp.resolve("s"), "");
        Path old = tmp.resolve("s/old.lock");
        Files.writeString(old, """
                {"stageforge":"0.1.0","spec":"spec.toml","sourceDateEpoch":1700000000,"repo":"tree:x","binhosts":[],"packages":[]}
                """);
        Map<String, String> before = Trees.snapshot(tmp);
        Run r = replay(old, "old", tmp.resolve("cache"));
        assertThat(r.rc()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(r.err()).isEqualTo("stageforge: " + old + ": lock format 1 is not supported (this stageforge reads format 2);"
                + " run 'stageforge lock' again\n");
        assertThat(Trees.snapshot(tmp)).isEqualTo(before);
    }

    @Test
    void anIndexChangedOnlyInTimestampOrUnrelatedEntriesStillReplays() throws Exception {
        TestStage t = locked();
        Run r = replay(tmp.resolve("s/spec.lock"), "first", tmp.resolve("cache"));
        assertThat(r.rc()).as(r.err()).isZero();
        Map<String, String> first = Trees.artifacts(tmp.resolve("out-first"));

        Path idx = tmp.resolve("s/binhost/Packages");
        PackagesIndex old = PackagesIndex.read(idx);
        Map<String, String> header = new LinkedHashMap<>(old.header());
        header.put("TIMESTAMP", "1800000000");
        List<Map<String, String>> entries = new ArrayList<>();
        for (var e : old.entries()) if (!e.cpv().startsWith("sys-apps/systemd")) entries.add(new LinkedHashMap<>(e.fields()));
        Map<String, String> other = new LinkedHashMap<>(entries.get(0));
        other.put("CPV", "app-misc/unrelated-1.0");
        other.put("PATH", "app-misc/unrelated-1.0-1.gpkg.tar");
        entries.add(other);
        header.put("PACKAGES", Integer.toString(entries.size()));
        PackagesIndex.of(header, entries).write(idx);

        Map<String, String> before = Trees.snapshot(tmp, tmp.resolve("b-again"), tmp.resolve("out-again"));
        r = replay(tmp.resolve("s/spec.lock"), "again", tmp.resolve("empty-cache"));
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).contains("fetch: done\n").contains("publish: done\n");
        // the same artifacts, manifest included: the replay's inputs are the lock's
        assertThat(Trees.artifacts(tmp.resolve("out-again"))).isEqualTo(first);
        assertThat(Trees.snapshot(tmp, tmp.resolve("b-again"), tmp.resolve("out-again"), tmp.resolve("empty-cache")))
                .isEqualTo(before);

        // in the first build directory, only fetch runs again: a replay does not depend on the index
        r = replay(tmp.resolve("s/spec.lock"), "first", tmp.resolve("cache"));
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).contains("fetch: done\n").contains("resolve: reused\n").contains("install: reused\n")
                .contains("publish: reused\n");
    }

    @Test
    void aLockWithAHostilePathIsRefused() throws Exception {
        TestStage t = locked();
        Path lockFile = tmp.resolve("s/spec.lock");
        Files.writeString(lockFile, Files.readString(lockFile).replace("\"path\" : \"app-misc/hello-1.0-1.gpkg.tar\"",
                "\"path\" : \"../../outside.gpkg.tar\""));
        Map<String, String> before = Trees.snapshot(tmp, tmp.resolve("b-hostile"));
        Run r = replay(lockFile, "hostile", tmp.resolve("cache"));
        assertThat(r.rc()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(r.err()).isEqualTo("stageforge: app-misc/hello-1.0 (build 1): unsafe PATH '../../outside.gpkg.tar' in the binhost index\n");
        assertThat(tmp.resolve("out-hostile")).doesNotExist();
        assertThat(Trees.snapshot(tmp, tmp.resolve("b-hostile"))).isEqualTo(before);
    }

    @Test
    void aPinnedBinpkgWithOtherBytesFailsWithExit4NamingThePackage() throws Exception {
        TestStage t = locked();
        // the binhost rebuilt hello: other bytes, and an index that agrees with them
        Path pkg = tmp.resolve("s/binhost/app-misc/hello-1.0-1.gpkg.tar");
        byte[] b = Files.readAllBytes(pkg);
        b[b.length / 2] ^= 1;
        Files.write(pkg, b);
        Path idx = tmp.resolve("s/binhost/Packages");
        PackagesIndex old = PackagesIndex.read(idx);
        List<Map<String, String>> entries = new ArrayList<>();
        for (var e : old.entries()) {
            Map<String, String> m = new LinkedHashMap<>(e.fields());
            if (e.cpv().equals("app-misc/hello-1.0")) m.put("SHA512", TestStage.hex("SHA-512", b));
            entries.add(m);
        }
        PackagesIndex.of(old.header(), entries).write(idx);

        Map<String, String> before = Trees.snapshot(tmp, tmp.resolve("b-other"), tmp.resolve("fresh-cache"));
        Run r = replay(tmp.resolve("s/spec.lock"), "other", tmp.resolve("fresh-cache"));
        assertThat(r.rc()).isEqualTo(ExitCodes.VERIFY);
        assertThat(r.err()).startsWith("stageforge: app-misc/hello-1.0 (build 1) (app-misc/hello-1.0-1.gpkg.tar from ")
                .contains("SHA512 mismatch: expected " + Lock.read(tmp.resolve("s/spec.lock")).packages().get(1).sha512())
                .doesNotContain("fresh-cache");
        assertThat(tmp.resolve("out-other")).doesNotExist();
        assertThat(Trees.snapshot(tmp, tmp.resolve("b-other"), tmp.resolve("fresh-cache"))).isEqualTo(before);
        // nothing unverified stays in the cache
        assertThat(Trees.contents(tmp.resolve("fresh-cache")).keySet()).noneMatch(f -> f.contains("hello") || f.endsWith(".part"));

        // the cache that holds the pinned bytes still replays
        r = replay(tmp.resolve("s/spec.lock"), "cached", tmp.resolve("cache"));
        assertThat(r.rc()).as(r.err()).isZero();
    }

    @Test
    void replayWorksOfflineWhenEveryPinnedFileIsCached() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        Path cache = tmp.resolve("cache");
        StaticServer server = StaticServer.start(tmp.resolve("s/binhost"), "127.0.0.1", 0, UnaryOperator.identity());
        String url = server.uri().toString();
        Files.writeString(t.spec, Files.readString(t.spec).replace("url = \"binhost\"", "url = \"" + url + "\""));
        Run r;
        try (server) {
            r = lock(t, tmp.resolve("s/spec.lock"), cache);
            assertThat(r.rc()).as(r.err()).isZero();
            r = replay(tmp.resolve("s/spec.lock"), "online", cache);
            assertThat(r.rc()).as(r.err()).isZero();
        }
        // the port is closed now: the binhost is unreachable
        Map<String, String> before = Trees.snapshot(tmp, tmp.resolve("b-offline"), tmp.resolve("out-offline"));
        r = replay(tmp.resolve("s/spec.lock"), "offline", cache);
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).contains("warning: binhost " + url + ": no index (fetching " + url + "/Packages failed:")
                .contains("replaying the lock's pinned packages\n");
        assertThat(Trees.artifacts(tmp.resolve("out-offline"))).isEqualTo(Trees.artifacts(tmp.resolve("out-online")));
        assertThat(Trees.snapshot(tmp, tmp.resolve("b-offline"), tmp.resolve("out-offline"))).isEqualTo(before);

        // without the files in the cache, the first missing package is named
        r = replay(tmp.resolve("s/spec.lock"), "nocache", tmp.resolve("empty-cache"));
        assertThat(r.rc()).isEqualTo(ExitCodes.FAILURE);
        assertThat(r.err()).startsWith("stageforge: sys-apps/baselayout-2.0 (build 1): download of " + url
                + "/sys-apps/baselayout-2.0-1.gpkg.tar incomplete after 3 attempt(s)");
        assertThat(tmp.resolve("out-nocache")).doesNotExist();
    }

    @Test
    void packagesAreFetchedFromWhereTheIndexUriHeaderPoints() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        // the index alone on one server, naming the other (which has the packages) in its URI header
        Path indexOnly = tmp.resolve("index-only");
        Files.createDirectories(indexOnly);
        try (StaticServer files = StaticServer.start(tmp.resolve("s/binhost"), "127.0.0.1", 0, UnaryOperator.identity());
             StaticServer index = StaticServer.start(indexOnly, "127.0.0.1", 0, UnaryOperator.identity())) {
            Files.writeString(indexOnly.resolve("Packages"),
                    "URI: " + files.uri() + "\n" + Files.readString(tmp.resolve("s/binhost/Packages")));
            Files.writeString(t.spec, Files.readString(t.spec).replace("url = \"binhost\"", "url = \"" + index.uri() + "\""));
            Run r = cli("build", t.spec.toString(), "--build-dir", tmp.resolve("b").toString(),
                    "--output", tmp.resolve("out").toString(), "--cache-dir", tmp.resolve("cache").toString(), "--quiet");
            assertThat(r.rc()).as(r.err()).isZero();
        }
    }

    @Test
    void twoBuildDirectoriesShareTheCacheAtTheSameTime() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        var spec = org.stageforge.spec.SpecParser.parse(t.spec);
        List<Thread> threads = new ArrayList<>();
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        for (String n : List.of("x", "y")) {
            BuildOptions o = BuildOptions.of(tmp.resolve("b-" + n), tmp.resolve("out-" + n)).withCacheDir(tmp.resolve("cache"));
            threads.add(new Thread(() -> {
                try {
                    Build.run(spec, o, Reporter.silent(o.buildDir().resolve("logs")));
                } catch (Throwable e) {
                    errors.add(e);
                }
            }));
        }
        for (Thread th : threads) th.start();
        for (Thread th : threads) th.join();
        assertThat(errors).isEmpty();
        assertThat(Trees.artifacts(tmp.resolve("out-x"))).isEqualTo(Trees.artifacts(tmp.resolve("out-y")));
        // one content-addressed copy of each binpkg, no leftovers, nothing per build directory
        assertThat(Trees.contents(tmp.resolve("cache/binpkgs")).keySet()).filteredOn(f -> f.endsWith(".gpkg.tar")).hasSize(2);
        assertThat(Trees.contents(tmp.resolve("cache")).keySet()).noneMatch(f -> f.endsWith(".part"));
        assertThat(tmp.resolve("b-x/cache")).doesNotExist();
    }

    @Test
    void theCacheIsTheUsersXdgCache() {
        Path bd = Path.of("/work/b");
        assertThat(BuildOptions.of(bd, bd).withEnv(Map.of("XDG_CACHE_HOME", "/x/cache", "HOME", "/home/u")).cache())
                .isEqualTo(Path.of("/x/cache/stageforge"));
        // a relative XDG_CACHE_HOME is ignored, as the XDG base directory spec says
        assertThat(BuildOptions.of(bd, bd).withEnv(Map.of("XDG_CACHE_HOME", "rel", "HOME", "/home/u")).cache())
                .isEqualTo(Path.of("/home/u/.cache/stageforge"));
        assertThat(BuildOptions.of(bd, bd).cache()).isEqualTo(Path.of("/work/b/cache"));
        assertThat(BuildOptions.of(bd, bd).withEnv(Map.of("HOME", "/home/u")).withCacheDir(Path.of("/c")).cache())
                .isEqualTo(Path.of("/c"));
    }
}

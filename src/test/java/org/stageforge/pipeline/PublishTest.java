package org.stageforge.pipeline;

import org.apache.commons.io.file.PathUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ExitCodes;
import org.stageforge.cli.Main;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Publishing cannot silently do nothing: a part whose files are gone runs again, a damaged cached binpkg is fetched
 * again (or named, exit 4), an unusable output directory stops the build before it starts. Each case checks the exit
 * code, the message and that nothing outside its target changed.
 */
class PublishTest {
    @TempDir
    Path tmp;

    record Run(int rc, String out, String err) {}

    private Run buildIn(TestStage t, String buildDir, String output, String... extra) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("build", t.spec.toString(), "--build-dir",
                tmp.resolve(buildDir).toString(), "--output", output, "--cache-dir", tmp.resolve("cache").toString(), "--quiet"));
        args.addAll(java.util.List.of(extra));
        int rc = Main.commandLine(new PrintWriter(out), new PrintWriter(err)).execute(args.toArray(String[]::new));
        return new Run(rc, out.toString(), err.toString());
    }

    private Run build(TestStage t, String... extra) {
        return buildIn(t, "b", tmp.resolve("out").toString(), extra);
    }

    private static void ok(Run r) {
        assertThat(r.rc()).as(r.err()).isZero();
    }

    @Test
    void aDeletedOrChangedOutputIsWrittenAgain() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        ok(build(t));
        Path out = tmp.resolve("out");
        Map<String, String> published = Trees.contents(out);
        assertThat(published).containsKeys("tiny-1.0.tar.zst", "tiny-1.0.json", "SHA256SUMS", "SHA256SUMS.gpg");
        Map<String, String> outside = Trees.snapshot(tmp, tmp.resolve("b"), out);

        // the output directory deleted: publish runs again (everything before it is reused)
        PathUtils.deleteDirectory(out);
        Run r = build(t);
        ok(r);
        assertThat(r.out()).contains("pack: reused\n").contains("sign: reused\n").contains("publish: done\n");
        assertThat(Trees.contents(out)).isEqualTo(published);
        assertThat(Trees.snapshot(tmp, tmp.resolve("b"), out)).isEqualTo(outside);

        // one published file changed: publish puts it back
        Files.writeString(out.resolve("SHA256SUMS"), "tampered\n");
        r = build(t);
        ok(r);
        assertThat(r.out()).contains("publish: done\n");
        assertThat(Trees.contents(out)).isEqualTo(published);
        assertThat(Files.readString(tmp.resolve("b/logs/publish.log"))).doesNotContain("not reused");
        assertThat(Files.readString(tmp.resolve("b/logs/sign.log"))).contains("sign: reused");

        // the build directory's artifacts deleted: pack, checksum and sign run again, with the same bytes
        PathUtils.deleteDirectory(tmp.resolve("b/out"));
        r = build(t);
        ok(r);
        assertThat(r.out()).contains("cleanup: reused\n").contains("pack: done\n").contains("checksum: done\n");
        assertThat(Trees.artifacts(out)).isEqualTo(Trees.artifacts(tmp.resolve("b/out")));

        // all there: nothing runs again
        r = build(t);
        ok(r);
        assertThat(r.out()).contains("pack: reused\n").contains("publish: reused\n");
        assertThat(Trees.snapshot(tmp, tmp.resolve("b"), out)).isEqualTo(outside);
    }

    /** The cached copy of hello (content-addressed by its SHA-512). */
    private Path cachedHello() throws IOException {
        String sha = TestStage.hex("SHA-512", Files.readAllBytes(tmp.resolve("s/binhost/app-misc/hello-1.0-1.gpkg.tar")));
        Path f = tmp.resolve("cache/binpkgs/sha512/" + sha.substring(0, 2) + "/" + sha + ".gpkg.tar");
        assertThat(f).isRegularFile();
        return f;
    }

    private static byte[] flipOneByte(Path f) throws IOException {
        byte[] good = Files.readAllBytes(f);
        byte[] bad = good.clone();
        bad[bad.length / 2] ^= 1;
        Files.write(f, bad);
        return good;
    }

    @Test
    void aDamagedCachedBinpkgIsDetectedAndFetchedAgain() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        ok(build(t));
        Map<String, String> artifacts = Trees.artifacts(tmp.resolve("out"));
        Path cached = cachedHello();
        byte[] good = flipOneByte(cached);
        Map<String, String> outside = Trees.snapshot(tmp, tmp.resolve("b"), tmp.resolve("out"), tmp.resolve("cache"));

        // install reads the cache again: the damage is found by digest and the package fetched again
        Run r = build(t, "--from", "install");
        ok(r);
        assertThat(r.out()).contains("warning: app-misc/hello-1.0 (build 1): the cached copy is damaged (SHA512 mismatch: ")
                .contains("); fetching it again\n").contains("install: done\n");
        assertThat(Files.readAllBytes(cached)).isEqualTo(good);
        assertThat(Trees.artifacts(tmp.resolve("out"))).isEqualTo(artifacts);

        // so does a fresh build directory's resolve, which shares the cache
        flipOneByte(cached);
        r = buildIn(t, "b2", tmp.resolve("out2").toString());
        ok(r);
        assertThat(r.out()).contains("warning: app-misc/hello-1.0 (build 1): the cached copy is damaged");
        assertThat(Files.readAllBytes(cached)).isEqualTo(good);
        assertThat(Trees.artifacts(tmp.resolve("out2"))).isEqualTo(artifacts);
        assertThat(Trees.snapshot(tmp, tmp.resolve("b"), tmp.resolve("out"), tmp.resolve("cache"), tmp.resolve("b2"),
                tmp.resolve("out2"))).isEqualTo(outside);
    }

    @Test
    void aBinpkgStillWrongAfterFetchingAgainFailsWithExit4NamingThePackage() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        ok(build(t));
        Path cached = cachedHello();
        flipOneByte(cached);
        // the binhost serves the same damaged bytes
        flipOneByte(tmp.resolve("s/binhost/app-misc/hello-1.0-1.gpkg.tar"));
        Map<String, String> outside = Trees.snapshot(tmp, tmp.resolve("b"), tmp.resolve("cache"));

        Run r = build(t, "--from", "install");
        assertThat(r.rc()).isEqualTo(ExitCodes.VERIFY);
        assertThat(r.err()).startsWith("stageforge: app-misc/hello-1.0 (build 1) (app-misc/hello-1.0-1.gpkg.tar from "
                + tmp.resolve("s/binhost") + "): SHA512 mismatch: expected ").doesNotContain(tmp.resolve("cache").toString());
        assertThat(r.out()).contains("install: failed\n").doesNotContain("publish");
        // the earlier artifacts are untouched and nothing damaged stays in the cache
        assertThat(Trees.snapshot(tmp, tmp.resolve("b"), tmp.resolve("cache"))).isEqualTo(outside);
        assertThat(cached).doesNotExist();
    }

    @Test
    void anOutputDirectoryThatCannotBeWrittenStopsTheBuildBeforeItStarts() throws Exception {
        TestStage t = TestStage.create(tmp.resolve("s"), "");
        // a regular file in the way stops root too, unlike permission bits
        Path file = tmp.resolve("file");
        Files.writeString(file, "x");
        Map<String, String> before = Trees.snapshot(tmp);

        Path below = file.resolve("out");
        Run r = buildIn(t, "b", below.toString());
        assertThat(r.rc()).isEqualTo(ExitCodes.FAILURE);
        assertThat(r.err()).isEqualTo("stageforge: output directory " + below + " cannot be created: " + file
                + " is not a directory\n");
        assertThat(r.out()).isEmpty();

        r = buildIn(t, "b", file.toString());
        assertThat(r.rc()).isEqualTo(ExitCodes.FAILURE);
        assertThat(r.err()).isEqualTo("stageforge: output directory " + file + " cannot be created: " + file
                + " is not a directory\n");
        // not even the build directory was made
        assertThat(Trees.snapshot(tmp)).isEqualTo(before);
    }
}

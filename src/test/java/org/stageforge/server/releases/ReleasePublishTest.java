package org.stageforge.server.releases;

import org.stageforge.server.TestHttp;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.StageforgeException;
import org.stageforge.server.core.HttpRefusal;
import org.stageforge.server.core.Tokens;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Publishing, serving, promoting and rolling back releases over HTTP, checked with curl, gpgv and sha256sum. */
class ReleasePublishTest {
    @TempDir
    Path tmp;
    TestReleases.Key key;

    @BeforeEach
    void setUp() throws IOException {
        key = TestReleases.key(tmp.resolve("key"), "release signer");
    }

    private Path build(String version, String content) throws IOException {
        return TestReleases.output(tmp.resolve("out-" + version + "-" + content.hashCode()), "stage", version,
                TestReleases.artifacts("stage-" + version + ".tar.zst", "root of " + version + " " + content,
                        "stage-" + version + ".oci.tar", "oci of " + version), key, null);
    }

    /** Downloads the channel's SHA256SUMS, its signature and every file it lists; checks them with gpgv and sha256sum. */
    private String fetchAndVerify(TestReleases s, String base, Path into) throws Exception {
        Files.createDirectories(into);
        TestHttp.Answer sums = TestHttp.curl(tmp, s.url(base + "SHA256SUMS"));
        assertThat(sums.status()).isEqualTo(200);
        Files.write(into.resolve("SHA256SUMS"), sums.body());
        TestHttp.Answer sig = TestHttp.curl(tmp, s.url(base + "SHA256SUMS.gpg"));
        assertThat(sig.status()).isEqualTo(200);
        Files.write(into.resolve("SHA256SUMS.gpg"), sig.body());
        for (String line : sums.text().split("\n")) {
            String name = line.substring(66);
            TestHttp.Answer f = TestHttp.curl(tmp, s.url(base + name));
            assertThat(f.status()).as(name).isEqualTo(200);
            assertThat(f.headers().get("etag")).isEqualTo("\"" + line.substring(0, 64) + "\"");
            Files.write(into.resolve(name), f.body());
        }
        if (new ProcessBuilder("which", "gpgv").start().waitFor() == 0) {
            var v = TestReleases.run(into, "gpgv", "--keyring", key.binary().toString(), "SHA256SUMS.gpg", "SHA256SUMS");
            assertThat(v.getKey()).as(v.getValue()).isZero();
        }
        var c = TestReleases.run(into, "sha256sum", "--strict", "-c", "SHA256SUMS");
        assertThat(c.getKey()).as(c.getValue()).isZero();
        return sums.text();
    }

    @Test
    void aPublishedReleaseIsServedAsTheChannelAndUnderItsVersionAndVerifiesWithGpgvAndSha256sum() throws Exception {
        assumeTrue(new ProcessBuilder("which", "gpgv").start().waitFor() == 0, "gpgv is not installed");
        try (TestReleases s = new TestReleases(tmp.resolve("data"), 1 << 24)) {
            s.releases.createChannel("testing", key.armored());
            ReleaseClient client = new ReleaseClient(s.server.uri(), s.token("channel:testing:write"));
            Path v1 = build("1.0", "a");
            Releases.Release r1 = client.publish(v1, "testing", null, null);
            assertThat(r1.version()).isEqualTo("1.0");
            assertThat(r1.files()).containsExactly("SHA256SUMS", "SHA256SUMS.gpg", "stage-1.0.json", "stage-1.0.oci.tar", "stage-1.0.tar.zst");
            String served1 = fetchAndVerify(s, "/releases/testing/", tmp.resolve("get1"));
            assertThat(served1).isEqualTo(Files.readString(v1.resolve("SHA256SUMS")));
            assertThat(Files.readAllBytes(tmp.resolve("get1/stage-1.0.tar.zst"))).isEqualTo(Files.readAllBytes(v1.resolve("stage-1.0.tar.zst")));

            Path v2 = build("2.0", "b");
            client.publish(v2, "testing", null, null);
            assertThat(fetchAndVerify(s, "/releases/testing/", tmp.resolve("get2"))).isEqualTo(Files.readString(v2.resolve("SHA256SUMS")));
            // the old release stays under its version; the old file is no longer in the channel
            assertThat(fetchAndVerify(s, "/releases/testing/1.0/", tmp.resolve("get1b"))).isEqualTo(served1);
            assertThat(TestHttp.curl(tmp, s.url("/releases/testing/stage-1.0.tar.zst")).status()).isEqualTo(404);

            // listings
            TestHttp.Answer idx = TestHttp.curl(tmp, s.url("/releases/testing/index.json"));
            assertThat(idx.headers().get("content-type")).isEqualTo("application/json");
            var state = ReleaseResource.JSON.readTree(idx.body());
            assertThat(state.path("current").asText()).isEqualTo("2.0");
            assertThat(state.path("history").findValuesAsText("version")).containsExactly("2.0", "1.0");
            var all = ReleaseResource.JSON.readTree(TestHttp.curl(tmp, s.url("/releases/index.json")).body());
            assertThat(all.path("channels").get(0).path("current").asText()).isEqualTo("2.0");
            var one = ReleaseResource.JSON.readTree(TestHttp.curl(tmp, s.url("/releases/testing/1.0/index.json")).body());
            assertThat(one.path("manifestSha256").asText()).isEqualTo(r1.manifestSha256());

            // the same release again: 200 and current again; other bytes under a published version: 409, nothing stored
            String token = s.token("channel:testing:write");
            assertThat(post(s, "/releases/testing/publish", token, TestReleases.tar(v1, null)).status()).isEqualTo(200);
            assertThat(s.releases.channel("testing").current()).contains("1.0");
            String before = s.state();
            TestHttp.Answer clash = post(s, "/releases/testing/publish", token, TestReleases.tar(build("1.0", "other"), null));
            assertThat(clash.status()).isEqualTo(409);
            assertThat(clash.text()).contains("release 1.0 of channel testing exists with other content");
            assertThat(s.state()).isEqualTo(before);
            // --version overrides the manifest's
            assertThat(client.publish(build("3.0", "c"), "testing", "3.0-rc1", null).version()).isEqualTo("3.0-rc1");
            assertThat(TestHttp.curl(tmp, s.url("/releases/testing/3.0-rc1/stage-3.0.tar.zst")).status()).isEqualTo(200);
        }
    }

    @Test
    void promoteAndRollbackChangeWhatTheChannelsSha256sumsServes() throws Exception {
        try (TestReleases s = new TestReleases(tmp.resolve("data"), 1 << 24)) {
            s.releases.createChannel("testing", key.armored());
            s.releases.createChannel("stable", key.armored());
            Path v1 = build("1.0", "a");
            Path v2 = build("2.0", "b");
            ReleaseClient testing = new ReleaseClient(s.server.uri(), s.token("channel:testing:write"));
            testing.publish(v1, "testing", null, null);
            testing.publish(v2, "testing", null, null);
            assertThat(TestHttp.curl(tmp, s.url("/releases/stable/SHA256SUMS")).status()).isEqualTo(404);

            // a token for testing only cannot promote into stable: 403, nothing changes
            String before = s.state();
            assertThatThrownBy(() -> testing.promote("testing", "stable", null))
                    .hasMessageContaining("HTTP 403").hasMessageContaining("lacks scope channel:stable:write");
            assertThat(s.state()).isEqualTo(before);

            ReleaseClient stable = new ReleaseClient(s.server.uri(), s.token("channel:stable:write"));
            assertThat(stable.promote("testing", "stable", null).version()).isEqualTo("2.0");
            assertThat(sums(s, "stable")).isEqualTo(Files.readString(v2.resolve("SHA256SUMS")));
            stable.promote("testing", "stable", "1.0");
            assertThat(sums(s, "stable")).isEqualTo(Files.readString(v1.resolve("SHA256SUMS")));
            assertThat(fetchAndVerify(s, "/releases/stable/", tmp.resolve("stable"))).isEqualTo(Files.readString(v1.resolve("SHA256SUMS")));

            // rollback without a version: the release stored before the current one
            assertThat(stable.rollback("stable", null).version()).isEqualTo("2.0");
            assertThat(sums(s, "stable")).isEqualTo(Files.readString(v2.resolve("SHA256SUMS")));
            testing.rollback("testing", "1.0");
            assertThat(sums(s, "testing")).isEqualTo(Files.readString(v1.resolve("SHA256SUMS")));
            assertThat(s.releases.channel("testing").current()).contains("1.0");
            assertThatThrownBy(() -> testing.rollback("testing", "9.9")).isInstanceOf(StageforgeException.class)
                    .hasMessageContaining("HTTP 404: no release 9.9 in channel testing");

            // the library API h-web uses: the same checks
            Tokens.Token web = s.ctx.tokens().verify(s.token("channel:stable:write")).orElseThrow();
            assertThat(s.releases.rollback("stable", "1.0", web).version()).isEqualTo("1.0");
            assertThat(sums(s, "stable")).isEqualTo(Files.readString(v1.resolve("SHA256SUMS")));
            assertThatThrownBy(() -> s.releases.rollback("testing", "2.0", web)).isInstanceOf(HttpRefusal.class)
                    .satisfies(e -> assertThat(((HttpRefusal) e).status()).isEqualTo(403));
            Releases.ChannelState st = s.releases.channel("stable");
            assertThat(st.current()).contains("1.0");
            assertThat(st.history()).extracting(Releases.Release::version).containsExactlyInAnyOrder("1.0", "2.0");
            assertThat(s.releases.channels()).containsExactly("stable", "testing");
            assertThatThrownBy(() -> s.releases.channel("nope")).isInstanceOf(HttpRefusal.class).hasMessage("no channel nope");

            // a channel trusting another key does not take the release
            TestReleases.Key other = TestReleases.key(tmp.resolve("other"), "other signer");
            s.releases.createChannel("vendor", other.armored());
            String before2 = s.state();
            assertThatThrownBy(() -> new ReleaseClient(s.server.uri(), s.token("admin")).promote("testing", "vendor", null))
                    .hasMessageContaining("HTTP 422").hasMessageContaining("SHA256SUMS.gpg (for channel vendor)");
            assertThat(s.state()).isEqualTo(before2);
            List<String> audit = Files.readAllLines(s.ctx.audit().file());
            assertThat(audit).anyMatch(l -> l.contains("\"release.rollback\"") && l.contains("\"stable/1.0\""));
        }
    }

    private String sums(TestReleases s, String channel) throws Exception {
        TestHttp.Answer a = TestHttp.curl(tmp, s.url("/releases/" + channel + "/SHA256SUMS"));
        assertThat(a.status()).isEqualTo(200);
        return a.text();
    }

    @Test
    void refusalsHaveTheirStatusAndStoreNothing() throws Exception {
        try (TestReleases s = new TestReleases(tmp.resolve("data"), 1 << 20)) {
            s.releases.createChannel("testing", key.armored());
            s.releases.createChannel("other", key.armored());
            String token = s.token("channel:testing:write");
            Path good = build("1.0", "a");
            assertThat(post(s, "/releases/testing/publish", token, TestReleases.tar(good, null)).status()).isEqualTo(201);
            String before = s.state();

            // signed by a key the channel does not trust
            TestReleases.Key stranger = TestReleases.key(tmp.resolve("stranger"), "stranger");
            Path badSig = TestReleases.output(tmp.resolve("badsig"), "stage", "2.0",
                    TestReleases.artifacts("stage-2.0.tar.zst", "x"), stranger, null);
            refused(s, token, TestReleases.tar(badSig, null), 422, "SHA256SUMS.gpg", before);
            // a signature over other bytes
            Path tampered = build("2.0", "t");
            Files.writeString(tampered.resolve("SHA256SUMS"), Files.readString(tampered.resolve("SHA256SUMS")) + "\n");
            refused(s, token, TestReleases.tar(tampered, null), 422, "bad signature", before);
            // a file whose bytes are not the listed ones
            Path mismatch = build("2.0", "m");
            Files.writeString(mismatch.resolve("stage-2.0.tar.zst"), "changed");
            refused(s, token, TestReleases.tar(mismatch, null), 422, "stage-2.0.tar.zst: checksum mismatch", before);
            // a file SHA256SUMS does not list
            Path extra = build("2.0", "e");
            Map<String, byte[]> plus = Map.of("evil.sh", "rm -rf /".getBytes(StandardCharsets.UTF_8));
            refused(s, token, TestReleases.tar(extra, plus), 422, "evil.sh is not listed in SHA256SUMS", before);
            // a listed file missing
            Path missing = build("2.0", "x");
            Files.delete(missing.resolve("stage-2.0.oci.tar"));
            refused(s, token, TestReleases.tar(missing, null), 422, "stage-2.0.oci.tar is listed in SHA256SUMS but not in the upload", before);
            // traversal: as a tar member and inside the signed SHA256SUMS
            refused(s, token, TestReleases.tar(good, Map.of("../escape", new byte[]{1})), 400, "bad file name '../escape'", before);
            Path trav = tmp.resolve("trav");
            Files.createDirectories(trav);
            byte[] sums = (TestReleases.sha256(new byte[]{1}) + "  ../escape\n").getBytes(StandardCharsets.UTF_8);
            Files.write(trav.resolve("SHA256SUMS"), sums);
            Files.write(trav.resolve("SHA256SUMS.gpg"), TestReleases.sign(key, sums));
            Map<String, byte[]> only = new LinkedHashMap<>();
            only.put("SHA256SUMS", sums);
            only.put("SHA256SUMS.gpg", TestReleases.sign(key, sums));
            refused(s, token, TestReleases.tarOf(only), 422, "file name '../escape' not allowed", before);
            assertThat(TestHttp.curl(tmp, s.url("/releases/testing/..%2fdata/x")).status()).isEqualTo(400);
            assertThat(TestHttp.curl(tmp, s.url("/releases/testing/%2e%2e/SHA256SUMS")).status()).isEqualTo(400);
            // tokens: none, unknown, another channel's
            Path next = build("2.0", "n");
            assertThat(post(s, "/releases/testing/publish", null, TestReleases.tar(next, null)).status()).isEqualTo(401);
            assertThat(post(s, "/releases/testing/publish", "sf_nope", TestReleases.tar(next, null)).status()).isEqualTo(401);
            TestHttp.Answer scope = post(s, "/releases/testing/publish", s.token("channel:other:write"), TestReleases.tar(next, null));
            assertThat(scope.status()).isEqualTo(403);
            assertThat(scope.text()).contains("lacks scope channel:testing:write");
            assertThat(post(s, "/releases/nope/publish", token, TestReleases.tar(next, null)).status()).isEqualTo(404);
            // too large (the limit is 1 MiB)
            Path big = TestReleases.output(tmp.resolve("big"), "stage", "2.0",
                    Map.of("stage-2.0.tar.zst", new byte[2 << 20]), key, null);
            refused(s, token, TestReleases.tar(big, null), 413, "limit", before);
            // not a tar
            refused(s, token, "hello".getBytes(StandardCharsets.UTF_8), 422, "no SHA256SUMS", before);
            assertThat(s.state()).isEqualTo(before);
            assertThat(s.releases.channel("testing").current()).contains("1.0");
            // the refusals are in the audit log
            assertThat(Files.readAllLines(s.ctx.audit().file())).anyMatch(l -> l.contains("\"release.publish\"") && l.contains("\"403 "));
            // the client refuses an unsigned directory before sending anything
            Files.delete(next.resolve("SHA256SUMS.gpg"));
            assertThatThrownBy(() -> new ReleaseClient(s.server.uri(), token).publish(next, "testing", null, null))
                    .hasMessageContaining("no SHA256SUMS.gpg or SHA256SUMS.asc");
        }
    }

    private void refused(TestReleases s, String token, byte[] body, int status, String reason, String before) throws Exception {
        TestHttp.Answer a = post(s, "/releases/testing/publish", token, body);
        assertThat(a.status()).as(a.text()).isEqualTo(status);
        assertThat(a.text()).contains(reason);
        assertThat(a.text().strip()).doesNotContain("\n");
        assertThat(s.state()).isEqualTo(before);
    }

    private TestHttp.Answer post(TestReleases s, String path, String token, byte[] body) throws Exception {
        Path f = Files.createTempFile(tmp, "body", ".tar");
        Files.write(f, body);
        List<String> args = new java.util.ArrayList<>(List.of("-X", "POST", "--data-binary", "@" + f, "-H", "Content-Type: application/x-tar"));
        if (token != null) args.addAll(List.of("-H", "Authorization: Bearer " + token));
        args.add(s.url(path));
        return TestHttp.curl(tmp, args.toArray(String[]::new));
    }

}

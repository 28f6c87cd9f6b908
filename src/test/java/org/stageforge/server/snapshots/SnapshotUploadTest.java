package org.stageforge.server.snapshots;

import org.stageforge.server.TestHttp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.server.Services;
import org.stageforge.server.core.Server;
import org.stageforge.server.core.ServerConfig;
import org.stageforge.snapshot.Snapshots;
import org.stageforge.snapshot.Webrsync;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.stageforge.server.TestHttp.curl;
import static org.assertj.core.api.Assertions.assertThat;

/** Uploads to /snapshots/: verified before publishing, refused with the right status and nothing stored; dates never rewritten. */
class SnapshotUploadTest {
    @TempDir
    Path tmp;

    @Test
    void refusalsStoreNothingAndADateIsNeverRewritten() throws Exception {
        Path keys = Webrsync.key(tmp.resolve("keys"), "Snapshots <snap@example.org>");
        Path stranger = Webrsync.key(tmp.resolve("stranger"), "Stranger <s@example.org>");
        OpenPgp.SigningKey key = OpenPgp.SigningKey.load(keys.resolve("secret.asc"), null);
        Path src = Webrsync.testRepo(tmp.resolve("src"));
        Snapshots.Created good = Snapshots.create(src, null, new Snapshots.Options("gentoo", "20251202", null, key), tmp.resolve("good"), m -> {});
        Snapshots.Created foreign = Snapshots.create(src, null, new Snapshots.Options("gentoo", "20251202", null,
                OpenPgp.SigningKey.load(stranger.resolve("secret.asc"), null)), tmp.resolve("foreign"), m -> {});
        Files.writeString(src.resolve("eclass/x.eclass"), "# changed\n");
        Snapshots.Created other = Snapshots.create(src, null, new Snapshots.Options("gentoo", "20251202", null, key), tmp.resolve("other"), m -> {});
        Snapshots.Created older = Snapshots.create(src, null, new Snapshots.Options("gentoo", "20251130", null, key), tmp.resolve("older"), m -> {});
        Snapshots.Created overlay = Snapshots.create(src, null, new Snapshots.Options("my-overlay", "20251201", null, key), tmp.resolve("ov"), m -> {});
        String goodSig = b64(good.signature());
        String goodMd5 = b64(good.md5sum());
        String md5 = Files.readString(good.md5sum()).split(" ")[0];
        String wrongMd5 = Base64.getEncoder().encodeToString(("0".repeat(32) + "  gentoo-20251202.tar.xz\n").getBytes(StandardCharsets.US_ASCII));
        String otherName = Base64.getEncoder().encodeToString((md5 + "  gentoo-20251203.tar.xz\n").getBytes(StandardCharsets.US_ASCII));
        Path big = Files.write(tmp.resolve("big"), new byte[300_000]);

        Path data = tmp.resolve("data");
        try (Server server = Services.start(ServerConfig.of(data, "127.0.0.1", 0).withMaxUploadBytes(200_000))) {
            SnapshotStore store = new SnapshotStore(server.context());
            String write = server.context().tokens().create("ci", List.of("snapshots:write")).secret();
            String binhostOnly = server.context().tokens().create("ci", List.of("binhost:main:write")).secret();
            String url = server.uri() + "/snapshots/";
            String tar = good.tarball().toString();
            String[] auth = {"-H", "Authorization: Bearer " + write};
            String[] sides = {"-H", "X-Snapshot-Gpgsig: " + goodSig, "-H", "X-Snapshot-Md5sum: " + goodMd5};

            // without a keyring nothing is published, however good the upload
            String empty = state(server, data);
            TestHttp.Answer noKeyring = curl(tmp, concat(auth, sides, "-T", tar, url + "gentoo-20251202.tar.xz"));
            assertThat(noKeyring.status()).isEqualTo(409);
            assertThat(noKeyring.text().strip()).startsWith("no snapshot keyring is configured on the server");
            assertThat(state(server, data)).isEqualTo(empty);

            store.configure(keys.resolve("public.asc"));
            String before = state(server, data);
            record Case(String what, int status, String line, String... curlArgs) {}
            List<Case> cases = List.of(
                    new Case("bad md5", 422, "snapshot refused: gentoo-20251202.tar.xz.md5sum: MD5 00000000000000000000000000000000"
                            + " does not match gentoo-20251202.tar.xz (" + md5 + ")",
                            concat(auth, new String[] {"-H", "X-Snapshot-Gpgsig: " + goodSig, "-H", "X-Snapshot-Md5sum: " + wrongMd5},
                                    "-T", tar, url + "gentoo-20251202.tar.xz")),
                    new Case("md5sum of another file", 422, "snapshot refused: gentoo-20251202.tar.xz.md5sum names another file (gentoo-20251203.tar.xz)",
                            concat(auth, new String[] {"-H", "X-Snapshot-Gpgsig: " + goodSig, "-H", "X-Snapshot-Md5sum: " + otherName},
                                    "-T", tar, url + "gentoo-20251202.tar.xz")),
                    new Case("signed by an unknown key", 422, null,
                            concat(auth, new String[] {"-H", "X-Snapshot-Gpgsig: " + b64(foreign.signature()), "-H", "X-Snapshot-Md5sum: " + goodMd5},
                                    "-T", tar, url + "gentoo-20251202.tar.xz")),
                    new Case("signature of other bytes", 422, "snapshot refused: gentoo-20251202.tar.xz.gpgsig: bad signature",
                            concat(auth, new String[] {"-H", "X-Snapshot-Gpgsig: " + b64(other.signature()), "-H", "X-Snapshot-Md5sum: " + goodMd5},
                                    "-T", tar, url + "gentoo-20251202.tar.xz")),
                    new Case("no signature", 400, "missing header X-Snapshot-Gpgsig (the base64 of the snapshot's .gpgsig)",
                            concat(auth, new String[] {"-H", "X-Snapshot-Md5sum: " + goodMd5}, "-T", tar, url + "gentoo-20251202.tar.xz")),
                    new Case("no token", 401, "authentication required: Authorization: Bearer TOKEN",
                            concat(sides, "-T", tar, url + "gentoo-20251202.tar.xz")),
                    new Case("unknown token", 401, "unknown token",
                            concat(new String[] {"-H", "Authorization: Bearer sf_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, sides,
                                    "-T", tar, url + "gentoo-20251202.tar.xz")),
                    new Case("token without snapshots:write", 403, null,
                            concat(new String[] {"-H", "Authorization: Bearer " + binhostOnly}, sides, "-T", tar, url + "gentoo-20251202.tar.xz")),
                    new Case("traversal", 400, "bad path: '..' segment",
                            concat(auth, sides, "--path-as-is", "-T", tar, url + "../../etc/gentoo-20251202.tar.xz")),
                    new Case("encoded separator", 400, "bad path: separator inside a segment",
                            concat(auth, sides, "-T", tar, url + "..%2Fgentoo-20251202.tar.xz")),
                    new Case("a subdirectory", 404, null, concat(auth, sides, "-T", tar, url + "x/gentoo-20251202.tar.xz")),
                    new Case("not a snapshot name", 400, "bad snapshot name 'run.sh': expected REPO-YYYYMMDD.tar.xz",
                            concat(auth, sides, "-T", tar, url + "run.sh")),
                    new Case("the -latest name", 400, null, concat(auth, sides, "-T", tar, url + "gentoo-latest.tar.xz")),
                    new Case("a side file", 400, null, concat(auth, sides, "-T", tar, url + "gentoo-20251202.tar.xz.gpgsig")),
                    new Case("no calendar date", 400, "snapshot date '20251302' is not a calendar date",
                            concat(auth, sides, "-T", tar, url + "gentoo-20251302.tar.xz")),
                    new Case("oversized", 413, null, concat(auth, sides, "-T", big.toString(), url + "gentoo-20251202.tar.xz")));
            for (Case c : cases) {
                TestHttp.Answer a = curl(tmp, c.curlArgs());
                assertThat(a.status()).as(c.what() + ": " + a.text().strip()).isEqualTo(c.status());
                assertThat(a.text().strip()).as(c.what()).doesNotContain("\n").isNotBlank();
                if (c.line() != null) assertThat(a.text().strip()).as(c.what()).isEqualTo(c.line());
                assertThat(state(server, data)).as(c.what() + ": nothing stored").isEqualTo(before);
            }

            TestHttp.Answer created = curl(tmp, concat(auth, sides, "-T", tar, url + "gentoo-20251202.tar.xz"));
            assertThat(created.status()).as(created.text().strip()).isEqualTo(201);
            String published = state(server, data);
            // the same files again: accepted, nothing changes
            TestHttp.Answer again = curl(tmp, concat(auth, sides, "-T", tar, url + "gentoo-20251202.tar.xz"));
            assertThat(again.status()).as(again.text().strip()).isEqualTo(200);
            assertThat(again.text().strip()).isEqualTo(created.text().strip());
            assertThat(state(server, data)).isEqualTo(published);
            // other bytes for the same date, or another signature of the same bytes: never
            TestHttp.Answer rewrite = curl(tmp, concat(auth, new String[] {"-H", "X-Snapshot-Gpgsig: " + b64(other.signature()),
                    "-H", "X-Snapshot-Md5sum: " + b64(other.md5sum())}, "-T", other.tarball().toString(), url + "gentoo-20251202.tar.xz"));
            assertThat(rewrite.status()).as(rewrite.text().strip()).isEqualTo(409);
            assertThat(rewrite.text().strip()).endsWith("a date is never rewritten");
            assertThat(state(server, data)).isEqualTo(published);

            // served as published, ranges and conditional requests by the core
            TestHttp.Answer whole = curl(tmp, url + "gentoo-20251202.tar.xz");
            assertThat(whole.body()).isEqualTo(Files.readAllBytes(good.tarball()));
            TestHttp.Answer range = curl(tmp, "-H", "Range: bytes=10-19", url + "gentoo-20251202.tar.xz");
            assertThat(range.status()).isEqualTo(206);
            assertThat(range.body()).isEqualTo(java.util.Arrays.copyOfRange(whole.body(), 10, 20));
            assertThat(curl(tmp, "-H", "If-None-Match: " + whole.header("etag"), url + "gentoo-20251202.tar.xz").status()).isEqualTo(304);
            assertThat(curl(tmp, url + "gentoo-latest.tar.xz").body()).isEqualTo(whole.body());

            // an older date is published beside it, but -latest stays at the newest
            SnapshotPush.Result back = SnapshotPush.push(older.tarball(), server.uri(), write);
            assertThat(back.failures()).isEmpty();
            assertThat(curl(tmp, url + "gentoo-20251130.tar.xz").body()).isEqualTo(Files.readAllBytes(older.tarball()));
            assertThat(curl(tmp, url + "gentoo-latest.tar.xz").body()).isEqualTo(whole.body());
            // an overlay under its own name, with its own -latest
            assertThat(SnapshotPush.push(tmp.resolve("ov"), server.uri(), write).exitCode()).isZero();
            assertThat(curl(tmp, url + "my-overlay-latest.tar.xz").body()).isEqualTo(Files.readAllBytes(overlay.tarball()));
            assertThat(store.repos()).containsExactly("gentoo", "my-overlay");
            assertThat(curl(tmp, url + "my-overlay-20251202.tar.xz").status()).isEqualTo(404);

            // the client reports a refusal with the server's reason and exit 4
            SnapshotPush.Result refused = SnapshotPush.push(tmp.resolve("foreign"), server.uri(), write);
            assertThat(refused.exitCode()).isEqualTo(4);
            assertThat(refused.failures().get(0).message()).startsWith("gentoo-20251202.tar.xz: HTTP 422: snapshot refused: ");
            assertThat(SnapshotPush.push(tmp.resolve("other"), server.uri(), write).exitCode()).isEqualTo(1);

            String audit = Files.readString(data.resolve("audit.log"));
            assertThat(audit).contains("\"action\":\"snapshot.upload\",\"object\":\"gentoo-20251202.tar.xz\",\"result\":\"201 sha256 ")
                    .contains("\"result\":\"409 gentoo-20251202.tar.xz is published with other content");
        }
    }

    private static String b64(Path p) throws Exception {
        return Base64.getEncoder().encodeToString(Files.readAllBytes(p));
    }

    private static String[] concat(String[] a, String... rest) {
        List<String> out = new ArrayList<>(List.of(a));
        out.addAll(List.of(rest));
        return out.toArray(String[]::new);
    }

    private static String[] concat(String[] a, String[] b, String... rest) {
        return concat(concat(a, b), rest);
    }

    /** What a refusal must leave unchanged: every blob, temporary file, view pointer and snapshot row. */
    private static String state(Server server, Path data) throws Exception {
        return TestHttp.storedState(server.context(), data, "SELECT name FROM snapshot_repos ORDER BY name",
                "SELECT keyring FROM snapshot_settings");
    }

}

package org.stageforge.build;

import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.archive.Compression;
import org.stageforge.archive.SafeExtractor;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.server.StaticServer;
import org.stageforge.spec.StageSpec;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SeedTest {
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
    private static final Date KEY_TIME = new Date(1_600_000_000_000L);
    /** What a normal user's unpack cannot hold on disk, for {@link TestStageTarball#stage()}. */
    private static final String USER_SIDE_TABLE = """
            /dev/null\tc\t0666\t0\t0\t1,3\t-
            /home/note\t-\t0600\t1000\t100\t-\t-
            /usr/bin/ping\t-\t4711\t0\t0\t-\tsecurity.capability=0x0100000200200000000000000000000000000000
            /var/lib/portage\td\t2750\t250\t250\t-\t-
            /var/lib/portage/world\t-\t0640\t250\t250\t-\t-
            """;

    @TempDir
    Path tmp;

    private final List<String> log = new CopyOnWriteArrayList<>();

    private Path write(String name, byte[] data) throws IOException {
        Path p = tmp.resolve("in").resolve(name);
        Files.createDirectories(p.getParent());
        Files.write(p, data);
        return p;
    }

    private static StageSpec.Seed bySha512(Path p, byte[] data) {
        return new StageSpec.Seed(p.toString(), p, null, TestStageTarball.sha512(data), null, null, null, null);
    }

    private Path cache() {
        return tmp.resolve("cache");
    }

    private static int exitOf(Runnable r) {
        try {
            r.run();
        } catch (StageforgeException e) {
            return e.exitCode();
        }
        return 0;
    }

    /** Everything under the seeds cache except lock files: what a failed prepare must not leave. */
    private List<String> leftovers() throws IOException {
        Path seeds = cache().resolve("seeds");
        if (!Files.isDirectory(seeds)) return List.of();
        try (Stream<Path> s = Files.list(seeds)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".lock")).sorted().toList();
        }
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"GZIP", "XZ", "ZSTD", "BZIP2"})
    void eachCompressionUnpacksTheStageAsANormalUserWould(Compression c) throws IOException {
        byte[] data = TestStageTarball.stage().compressed(c);
        Path tarball = write("stage3." + c.extension(), data);
        SeedRoot root = Seed.prepare(bySha512(tarball, data), cache(), log::add, false);

        Path dir = root.dir();
        assertThat(dir).isEqualTo(cache().resolve("seeds").resolve(TestStageTarball.sha512(data).substring(0, 32)).resolve("root").toAbsolutePath());
        assertThat(root.asRoot()).isFalse();
        assertThat(root.digest()).isEqualTo("sha512:" + TestStageTarball.sha512(data));
        assertThat(Files.readString(dir.resolve("etc/os-release"))).isEqualTo("NAME=Test\n");
        assertThat(Files.readSymbolicLink(dir.resolve("bin"))).isEqualTo(Path.of("usr/bin"));
        assertThat(Files.getAttribute(dir.resolve("usr/bin/ping6"), "unix:ino"))
                .isEqualTo(Files.getAttribute(dir.resolve("usr/bin/ping"), "unix:ino"));
        assertThat((int) Files.getAttribute(dir.resolve("usr/bin/ping"), "unix:mode") & 07777).isEqualTo(04711);
        // no device node on disk (bwrap provides /dev); the user's own files, whoever the archive names
        assertThat(dir.resolve("dev/null")).doesNotExist();
        int me = (int) Files.getAttribute(tmp, "unix:uid");
        assertThat(Files.getAttribute(dir.resolve("var/lib/portage/world"), "unix:uid", NOFOLLOW)).isEqualTo(me);
        assertThat(Files.readString(root.owners())).isEqualTo(USER_SIDE_TABLE);
        assertThat(root.owners()).isEqualTo(dir.resolveSibling("owners.tsv"));
    }

    @Test
    void asRootOwnersDeviceNodesAndCapabilitiesAreReal() throws Exception {
        Assumptions.assumeTrue(SafeExtractor.runningAsRoot(), "needs root");
        byte[] data = TestStageTarball.stage().compressed(Compression.XZ);
        Path tarball = write("stage3.tar.xz", data);
        SeedRoot root = Seed.prepare(bySha512(tarball, data), cache(), log::add);
        Path dir = root.dir();
        assertThat(root.asRoot()).isTrue();
        assertThat(Files.getAttribute(dir.resolve("var/lib/portage/world"), "unix:uid")).isEqualTo(250);
        assertThat(Files.getAttribute(dir.resolve("var/lib/portage"), "unix:gid")).isEqualTo(250);
        assertThat((int) Files.getAttribute(dir.resolve("var/lib/portage"), "unix:mode") & 07777).isEqualTo(02750);
        assertThat(Files.getAttribute(dir.resolve("home/note"), "unix:uid")).isEqualTo(1000);
        assertThat(Files.getAttribute(dir.resolve("home/note"), "unix:gid")).isEqualTo(100);
        int mode = (int) Files.getAttribute(dir.resolve("dev/null"), "unix:mode", NOFOLLOW);
        assertThat(mode & 0170000).isEqualTo(0020000);
        assertThat(Files.getAttribute(dir.resolve("dev/null"), "unix:rdev", NOFOLLOW)).isEqualTo((1L << 8) | 3);
        // chown clears capabilities and setuid bits: both must survive because they are applied after the owner
        assertThat((int) Files.getAttribute(dir.resolve("usr/bin/ping"), "unix:mode") & 07777).isEqualTo(04711);
        Process p = new ProcessBuilder("getcap", dir.resolve("usr/bin/ping").toString()).redirectErrorStream(true).start();
        assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).contains("cap_net_raw=ep");
        assertThat(Files.readString(root.owners())).isEmpty();
    }

    @Test
    void aWrongDigestIsRefusedBeforeUnpackingAndLeavesNothing() throws IOException {
        byte[] data = TestStageTarball.stage().compressed(Compression.GZIP);
        Path tarball = write("stage3-amd64.tar.gz", data);
        String wrong = TestStageTarball.sha512("other".getBytes(StandardCharsets.UTF_8));
        StageSpec.Seed seed = new StageSpec.Seed(tarball.toString(), tarball, null, wrong, null, null, null, null);
        assertThatThrownBy(() -> Seed.prepare(seed, cache(), log::add, false))
                .isInstanceOf(StageforgeException.class)
                .hasMessage("seed stage3-amd64.tar.gz: SHA512 mismatch (spec " + wrong + ", file " + TestStageTarball.sha512(data) + ")")
                .extracting(e -> ((StageforgeException) e).exitCode()).isEqualTo(ExitCodes.VERIFY);
        assertThat(leftovers()).isEmpty();
        assertThat(log).noneMatch(l -> l.contains("unpacking"));

        StageSpec.Seed blake = new StageSpec.Seed(tarball.toString(), tarball, null, null, wrong, null, null, null);
        assertThat(exitOf(() -> Seed.prepare(blake, cache(), log::add, false))).isEqualTo(ExitCodes.VERIFY);
        StageSpec.Seed good = new StageSpec.Seed(tarball.toString(), tarball, null, null, TestStageTarball.blake2b(data), null, null, null);
        assertThat(Seed.prepare(good, cache(), log::add, false).digest()).isEqualTo("blake2b:" + TestStageTarball.blake2b(data));
    }

    @Test
    void aSeedIsUnpackedOnceAndReused() throws Exception {
        byte[] data = TestStageTarball.stage().compressed(Compression.ZSTD);
        Path tarball = write("stage3.tar.zst", data);
        StageSpec.Seed seed = bySha512(tarball, data);
        // two concurrent preparers: one unpacks, the other waits and reuses
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<SeedRoot>> f = new ArrayList<>();
        for (int i = 0; i < 2; i++) f.add(pool.submit(() -> Seed.prepare(seed, cache(), log::add, false)));
        SeedRoot a = f.get(0).get();
        SeedRoot b = f.get(1).get();
        pool.shutdown();
        assertThat(a).isEqualTo(b);
        assertThat(log.stream().filter(l -> l.startsWith("seed: unpacking"))).hasSize(1);
        Path marker = a.dir().resolveSibling(Seed.MARKER);
        Object ino = Files.getAttribute(marker, "unix:ino");
        Object mtime = Files.getLastModifiedTime(marker);

        // a later preparer (another build directory) finds it without reading the tarball: even a vanished one
        Files.delete(tarball);
        log.clear();
        SeedRoot c = Seed.prepare(seed, cache(), log::add, false);
        assertThat(c).isEqualTo(a);
        assertThat(log).containsExactly("seed: reusing " + a.dir());
        assertThat(Files.getAttribute(marker, "unix:ino")).isEqualTo(ino);
        assertThat(Files.getLastModifiedTime(marker)).isEqualTo(mtime);
        assertThat(leftovers()).containsExactly(a.dir().getParent().getFileName().toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"dotdot", "absolute", "through-symlink", "hardlink-out"})
    void hostileMembersAreRefusedWithNothingLeft(String kind) throws IOException {
        TestStageTarball t = new TestStageTarball().dir("./", 0755, 0, 0).dir("./etc/", 0755, 0, 0);
        switch (kind) {
            case "dotdot" -> t.file("./etc/../../escaped", 0644, 0, 0, "x");
            case "absolute" -> t.file("/tmp/escaped", 0644, 0, 0, "x");
            case "through-symlink" -> t.symlink("./etc/out", "/tmp").file("./etc/out/escaped", 0644, 0, 0, "x");
            default -> t.hardlink("./etc/passwd", "../../../etc/passwd");
        }
        byte[] data = t.compressed(Compression.GZIP);
        Path tarball = write("hostile.tar.gz", data);
        assertThatThrownBy(() -> Seed.prepare(bySha512(tarball, data), cache(), log::add, false))
                .isInstanceOf(StageforgeException.class)
                .hasMessageStartingWith("hostile.tar.gz: refused")
                .extracting(e -> ((StageforgeException) e).exitCode()).isEqualTo(ExitCodes.VERIFY);
        assertThat(leftovers()).isEmpty();
        assertThat(tmp.resolve("escaped")).doesNotExist();
        assertThat(Path.of("/tmp/escaped")).doesNotExist();
    }

    // ---------------------------------------------------------------- signatures

    private record Key(Path keyring, OpenPgp.SigningKey signer) {}

    private Key key(String name) throws IOException {
        OpenPgp.GeneratedKey g = OpenPgp.generate(name + " <" + name + "@example.org>", null, KEY_TIME);
        Path sec = write(name + ".sec.asc", g.secretArmored());
        return new Key(write(name + ".pub.asc", g.publicArmored()), OpenPgp.SigningKey.load(sec, null));
    }

    /** A DIGESTS file as Gentoo's release tooling writes it: BLAKE2B and SHA512 sections per file. */
    private static String digests(String name, byte[] data) {
        return "# BLAKE2B HASH\n" + TestStageTarball.blake2b(data) + "  " + name + "\n"
                + "# SHA512 HASH\n" + TestStageTarball.sha512(data) + "  " + name + "\n"
                + "# BLAKE2B HASH\n" + TestStageTarball.blake2b(new byte[1]) + "  " + name + ".CONTENTS.gz\n"
                + "# SHA512 HASH\n" + TestStageTarball.sha512(new byte[1]) + "  " + name + ".CONTENTS.gz\n";
    }

    private StageSpec.Seed withDigests(Path tarball, byte[] data, Path digestsFile, Path keyring, boolean blake) {
        return new StageSpec.Seed(tarball.toString(), tarball, null, blake ? null : TestStageTarball.sha512(data),
                blake ? TestStageTarball.blake2b(data) : null, digestsFile.toUri(), null, keyring);
    }

    @Test
    void aClearSignedDigestsFileIsVerified() throws IOException {
        byte[] data = TestStageTarball.stage().compressed(Compression.XZ);
        String name = "stage3-amd64-openrc-20240101T000000Z.tar.xz";
        Path tarball = write(name, data);
        Key gentoo = key("releng");
        Path signed = write(name + ".DIGESTS", OpenPgp.clearSign(gentoo.signer(), digests(name, data), KEY_TIME));

        SeedRoot r = Seed.prepare(withDigests(tarball, data, signed, gentoo.keyring(), true), cache(), log::add, false);
        assertThat(r.dir().resolve("etc/os-release")).exists();
        assertThat(log).anyMatch(l -> l.equals("seed: " + name + " listed in DIGESTS signed by " + gentoo.signer().keyId()));
    }

    @Test
    void tamperedWrongKeyOrUnlistedDigestsAreRefused() throws IOException {
        byte[] data = TestStageTarball.stage().compressed(Compression.XZ);
        String name = "stage3.tar.xz";
        Path tarball = write(name, data);
        Key gentoo = key("releng");
        Key other = key("mallory");
        byte[] good = OpenPgp.clearSign(gentoo.signer(), digests(name, data), KEY_TIME);

        // a hash in the signed text changed after signing
        String sha = TestStageTarball.sha512(data);
        String flipped = (sha.charAt(0) == '0' ? "1" : "0") + sha.substring(1);
        Path tampered = write("tampered.DIGESTS", new String(good, StandardCharsets.UTF_8).replace(sha, flipped).getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> Seed.prepare(withDigests(tarball, data, tampered, gentoo.keyring(), false), cache(), log::add, false))
                .hasMessageEndingWith("tampered.DIGESTS: bad signature")
                .extracting(e -> ((StageforgeException) e).exitCode()).isEqualTo(ExitCodes.VERIFY);

        // signed by a key the keyring does not hold
        Path byOther = write("other.DIGESTS", OpenPgp.clearSign(other.signer(), digests(name, data), KEY_TIME));
        assertThatThrownBy(() -> Seed.prepare(withDigests(tarball, data, byOther, gentoo.keyring(), false), cache(), log::add, false))
                .hasMessageContaining("other.DIGESTS: signed by unknown key")
                .extracting(e -> ((StageforgeException) e).exitCode()).isEqualTo(ExitCodes.VERIFY);

        // validly signed, but for another tarball
        Path otherFile = write("unlisted.DIGESTS", OpenPgp.clearSign(gentoo.signer(), digests("stage3-other.tar.xz", data), KEY_TIME));
        assertThatThrownBy(() -> Seed.prepare(withDigests(tarball, data, otherFile, gentoo.keyring(), false), cache(), log::add, false))
                .hasMessageEndingWith("unlisted.DIGESTS: no SHA512 hash listed for stage3.tar.xz")
                .extracting(e -> ((StageforgeException) e).exitCode()).isEqualTo(ExitCodes.VERIFY);

        // validly signed, listing the name with another hash (the spec pins a different tarball)
        byte[] other2 = TestStageTarball.stage().file("./extra", 0644, 0, 0, "x").compressed(Compression.XZ);
        Path tarball2 = write("b/" + name, other2);
        Path listsOld = write("old.DIGESTS", good);
        assertThatThrownBy(() -> Seed.prepare(withDigests(tarball2, other2, listsOld, gentoo.keyring(), false), cache(), log::add, false))
                .hasMessageContaining("old.DIGESTS: lists stage3.tar.xz with SHA512 " + sha + ", not the spec's")
                .extracting(e -> ((StageforgeException) e).exitCode()).isEqualTo(ExitCodes.VERIFY);

        // not clear-signed at all
        Path plain = write("plain.DIGESTS", digests(name, data).getBytes(StandardCharsets.UTF_8));
        assertThat(exitOf(() -> Seed.prepare(withDigests(tarball, data, plain, gentoo.keyring(), false), cache(), log::add, false)))
                .isEqualTo(ExitCodes.VERIFY);
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aDetachedSignatureOverTheTarballIsVerified() throws IOException {
        byte[] data = TestStageTarball.stage().compressed(Compression.XZ);
        Path tarball = write("stage3.tar.xz", data);
        Key gentoo = key("releng");
        PGPSignatureGenerator gen = OpenPgp.detachedSigner(gentoo.signer(), KEY_TIME);
        gen.update(data);
        Path asc = write("stage3.tar.xz.asc", OpenPgp.armored(gen));
        StageSpec.Seed seed = new StageSpec.Seed(tarball.toString(), tarball, null, TestStageTarball.sha512(data), null, null,
                asc.toUri(), gentoo.keyring());
        Key other = key("mallory");
        StageSpec.Seed wrongKey = new StageSpec.Seed(tarball.toString(), tarball, null, TestStageTarball.sha512(data), null, null,
                asc.toUri(), other.keyring());
        assertThatThrownBy(() -> Seed.prepare(wrongKey, cache(), log::add, false)).hasMessageContaining("signed by unknown key")
                .extracting(e -> ((StageforgeException) e).exitCode()).isEqualTo(ExitCodes.VERIFY);
        // a signature over other bytes
        PGPSignatureGenerator g2 = OpenPgp.detachedSigner(gentoo.signer(), KEY_TIME);
        g2.update(new byte[] {1, 2, 3});
        Path bad = write("bad.asc", OpenPgp.armored(g2));
        StageSpec.Seed badSig = new StageSpec.Seed(tarball.toString(), tarball, null, TestStageTarball.sha512(data), null, null,
                bad.toUri(), gentoo.keyring());
        assertThatThrownBy(() -> Seed.prepare(badSig, cache(), log::add, false)).hasMessageEndingWith("bad.asc: bad signature")
                .extracting(e -> ((StageforgeException) e).exitCode()).isEqualTo(ExitCodes.VERIFY);
        assertThat(leftovers()).isEmpty();

        assertThat(Seed.prepare(seed, cache(), log::add, false).dir().resolve("etc/os-release")).exists();
        assertThat(log).anyMatch(l -> l.equals("seed: signature by " + gentoo.signer().keyId() + " verified"));
    }

    @Test
    void seedDigestsAndSignatureOverHttp() throws IOException {
        byte[] data = TestStageTarball.stage().compressed(Compression.BZIP2);
        String name = "stage3-amd64-systemd.tar.bz2";
        Path served = tmp.resolve("www/releases");
        Files.createDirectories(served);
        Files.write(served.resolve(name), data);
        Key gentoo = key("releng");
        Files.write(served.resolve(name + ".DIGESTS"), OpenPgp.clearSign(gentoo.signer(), digests(name, data), KEY_TIME));
        PGPSignatureGenerator gen = OpenPgp.detachedSigner(gentoo.signer(), KEY_TIME);
        gen.update(data);
        Files.write(served.resolve(name + ".asc"), OpenPgp.armored(gen));
        try (StaticServer server = StaticServer.start(tmp.resolve("www"), 0)) {
            URI base = URI.create(server.uri() + "/releases/");
            StageSpec.Seed seed = new StageSpec.Seed(base.resolve(name).toString(), null, base.resolve(name),
                    TestStageTarball.sha512(data), null, base.resolve(name + ".DIGESTS"), base.resolve(name + ".asc"), gentoo.keyring());
            SeedRoot r = Seed.prepare(seed, cache(), log::add, false);
            assertThat(Files.readString(r.dir().resolve("etc/os-release"))).isEqualTo("NAME=Test\n");
            assertThat(Files.readString(r.owners())).isEqualTo(USER_SIDE_TABLE);
            // the download is not kept beside the root: the unpacked tree is the cache
            try (Stream<Path> s = Files.list(r.dir().getParent())) {
                assertThat(s.map(p -> p.getFileName().toString()).sorted()).containsExactly(".complete", "owners.tsv", "root");
            }

            URI missing = base.resolve("gone.tar.xz");
            StageSpec.Seed gone = new StageSpec.Seed(missing.toString(), null, missing, TestStageTarball.sha512(new byte[2]),
                    null, null, null, null);
            assertThatThrownBy(() -> Seed.prepare(gone, cache(), log::add, false)).hasMessageEndingWith("gone.tar.xz: HTTP 404")
                    .extracting(e -> ((StageforgeException) e).exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
        }
        assertThat(leftovers()).hasSize(1);
    }

    @Test
    void aMissingTarballIsNotFound() {
        Path p = tmp.resolve("nope.tar.xz");
        StageSpec.Seed seed = new StageSpec.Seed(p.toString(), p, null, TestStageTarball.sha512(new byte[0]), null, null, null, null);
        assertThat(exitOf(() -> Seed.prepare(seed, cache(), log::add, false))).isEqualTo(ExitCodes.NOT_FOUND);
    }

    /** The unpacked tree must be usable by the user and removable (read-only directories included). */
    @Test
    void readOnlyDirectoriesStayRemovable() throws IOException {
        byte[] data = TestStageTarball.stage().dir("./ro/", 0555, 0, 0).file("./ro/f", 0444, 0, 0, "x").compressed(Compression.GZIP);
        Path tarball = write("ro.tar.gz", data);
        SeedRoot r = Seed.prepare(bySha512(tarball, data), cache(), log::add, false);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(r.dir().resolve("ro")))).isEqualTo("r-xr-xr-x");
        org.stageforge.util.Dirs.deleteTree(r.dir().getParent());
        assertThat(r.dir().getParent()).doesNotExist();
    }
}

package org.stageforge.binpkg;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.StageforgeException;
import org.stageforge.archive.TarEntry;
import org.stageforge.cli.Main;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** GPKGs written by {@code pkg create}: GNU tar agrees, Manifest and signatures verify (also with gpg), determinism. */
class GpkgWriterTest {
    private static final String CAP = "0100000200200000ff00000000c3280000000000"; // not valid UTF-8 on purpose

    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {}

    static Run cli(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code = Main.commandLine(new PrintWriter(o, true), new PrintWriter(e, true)).execute(args);
        return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    Path makeImage() throws IOException {
        Path img = tmp.resolve("image");
        Files.createDirectories(img.resolve("usr/bin"));
        Files.createDirectories(img.resolve("var/empty"));
        Files.createDirectories(img.resolve("etc"));
        Files.writeString(img.resolve("usr/bin/foo"), "#!/bin/sh\necho foo\n");
        byte[] big = new byte[300_000];
        new Random(7).nextBytes(big);
        Files.write(img.resolve("usr/bin/ping"), big);
        Files.writeString(img.resolve("usr/bin/su"), "setuid\n");
        Files.createSymbolicLink(img.resolve("usr/bin/bar"), Path.of("foo"));
        Files.createLink(img.resolve("usr/bin/foo2"), img.resolve("usr/bin/foo"));
        Files.writeString(img.resolve("etc/" + "a-very-long-name-".repeat(8) + ".conf"), "x=1\n");
        try (var s = Files.walk(img)) {
            for (Path p : s.toList()) {
                Files.getFileAttributeView(p, java.nio.file.attribute.BasicFileAttributeView.class,
                        java.nio.file.LinkOption.NOFOLLOW_LINKS).setTimes(FileTime.from(1_600_000_000L, TimeUnit.SECONDS), null, null);
            }
        }
        return img;
    }

    Path makeMetadata() throws IOException {
        Path md = tmp.resolve("meta");
        Files.createDirectories(md);
        Files.writeString(md.resolve("CATEGORY"), "app-misc\n");
        Files.writeString(md.resolve("PF"), "demo-1.0-r1\n");
        Files.writeString(md.resolve("SLOT"), "0\n");
        Files.writeString(md.resolve("BUILD_ID"), "3\n");
        Files.writeString(md.resolve("RDEPEND"), "sys-libs/glibc\n");
        byte[] env = new byte[2000];
        new Random(3).nextBytes(env);
        env[0] = 'B';
        env[1] = 'Z';
        env[2] = 'h';
        Files.write(md.resolve("environment.bz2"), env);
        return md;
    }

    Path fileTable() throws IOException {
        Path t = tmp.resolve("files.table");
        Files.writeString(t, "# capabilities a normal user cannot set\n"
                + "usr/bin/ping mode=0755 xattr.security.capability=hex:" + CAP + "\n"
                + "/usr/bin/su mode=4755 uid=0 gid=0\n"
                + "var/empty mode=0700 uid=250 gid=250\n");
        return t;
    }

    Path create(String out, String... extra) throws IOException {
        Path o = tmp.resolve(out);
        List<String> args = new java.util.ArrayList<>(List.of("pkg", "create", "--image", makeImageOnce().toString(),
                "--metadata", makeMetadataOnce().toString(), "--file-table", fileTable().toString(),
                "--source-date-epoch", "1700000000", "-o", o.toString()));
        args.addAll(List.of(extra));
        Run r = cli(args.toArray(String[]::new));
        assertThat(r.code()).as(r.err()).isZero();
        return o;
    }

    private Path image;
    private Path meta;

    Path makeImageOnce() throws IOException {
        if (image == null) image = makeImage();
        return image;
    }

    Path makeMetadataOnce() throws IOException {
        if (meta == null) meta = makeMetadata();
        return meta;
    }

    @Test
    void createdPackageListsLikeGnuTarAndVerifies() throws Exception {
        Path p = create("demo-1.0-r1-3.gpkg.tar");
        try (BinaryPackage bp = BinaryPackage.open(p)) {
            assertThat(bp.format()).isEqualTo(BinaryPackage.Format.GPKG);
            List<TarEntry> es = bp.entries();
            assertThat(es.stream().map(GnuTar::describe).toList()).isEqualTo(BinpkgFixturesTest.gnuTarListing(bp));
            TarEntry ping = es.stream().filter(e -> e.path().equals("./usr/bin/ping")).findFirst().orElseThrow();
            assertThat(GnuTar.hex(ping.xattrs().get("security.capability"))).isEqualTo(CAP);
            assertThat(es).anySatisfy(e -> {
                assertThat(e.path()).isEqualTo("./usr/bin/su");
                assertThat(e.modeString()).isEqualTo("-rwsr-xr-x");
            });
            assertThat(es).anySatisfy(e -> {
                assertThat(e.path()).isEqualTo("./var/empty");
                assertThat(e.type()).isEqualTo(TarEntry.Type.DIR);
                assertThat(e.uid()).isEqualTo(250);
            });
            assertThat(es).anySatisfy(e -> assertThat(e.linkTarget()).isEqualTo("foo"));
            assertThat(es).anySatisfy(e -> {
                assertThat(e.type()).isEqualTo(TarEntry.Type.HARDLINK);
                assertThat(e.linkTarget()).isIn("./usr/bin/foo", "./usr/bin/foo2");
            });
            assertThat(es).allSatisfy(e -> assertThat(e.mtime()).isEqualTo(1_600_000_000L));
            assertThat(bp.metadata().get("PF")).isEqualTo("demo-1.0-r1");
            assertThat(bp.metadata().raw("environment.bz2")).isEqualTo(Files.readAllBytes(meta.resolve("environment.bz2")));
            GpkgPackage g = (GpkgPackage) bp;
            assertThat(g.basename()).isEqualTo("demo-1.0-r1");
            assertThat(g.members()).extracting(GpkgPackage.Member::name)
                    .containsExactly("gpkg-1", "metadata.tar.zst", "image.tar.zst", "Manifest");
        }
        // a second, independent PAX reader (Python's tarfile) sees the same binary capability bytes
        Process py = new ProcessBuilder("bash", "-c", "tar -xOf '" + p + "' demo-1.0-r1/image.tar.zst | zstd -dcq | python3 -c '"
                + "import sys, tarfile\n"
                + "t = tarfile.open(fileobj=sys.stdin.buffer, mode=\"r|\")\n"
                + "for m in t:\n"
                + "    v = m.pax_headers.get(\"SCHILY.xattr.security.capability\")\n"
                + "    if v is not None: print(m.name, v.encode(\"utf-8\", \"surrogateescape\").hex())\n'").start();
        String pyOut = new String(py.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(py.waitFor()).isZero();
        assertThat(pyOut).isEqualTo("image/usr/bin/ping " + CAP);

        String manifest = outerMember(p, "demo-1.0-r1/Manifest");
        assertThat(manifest.split("\n")).hasSize(3).allMatch(l -> l.matches(
                "DATA (gpkg-1|metadata\\.tar\\.zst|image\\.tar\\.zst) \\d+ SHA512 [0-9a-f]{128} BLAKE2B [0-9a-f]{128}"));
        assertThat(manifest).startsWith("DATA gpkg-1 0 SHA512 cf83e1357eef");
        Run v = cli("pkg", "verify", p.toString());
        assertThat(v.code()).as(v.err()).isZero();
        assertThat(v.out()).contains("image.tar.zst: size, SHA512, BLAKE2B").contains(": OK");
        // the outer archive is a plain tar GNU tar lists with our member sizes
        String outer = GnuTar.list("cat '" + p + "'", s -> s).toString();
        assertThat(outer).contains("demo-1.0-r1/gpkg-1", "demo-1.0-r1/Manifest");
    }

    @Test
    void creatingTwiceGivesIdenticalBytes() throws Exception {
        Path a = create("a.gpkg.tar");
        Path b = create("b.gpkg.tar");
        assertThat(Files.readAllBytes(a)).isEqualTo(Files.readAllBytes(b));
        assertThat(Files.size(a) % 10240).isZero();
    }

    @Test
    void signedPackageVerifiesWithBouncyCastleAndGnuPG() throws Exception {
        Path key = tmp.resolve("key.asc");
        Path pub = tmp.resolve("pub.asc");
        Run g = cli("key", "generate", "--name", "Stageforge Test <test@example.org>", "-o", key.toString(),
                "--public-out", pub.toString());
        assertThat(g.code()).as(g.err()).isZero();
        Path p = create("signed.gpkg.tar", "--sign-key", key.toString());
        Path p2 = create("signed2.gpkg.tar", "--sign-key", key.toString());
        assertThat(Files.readAllBytes(p)).as("signed output is deterministic too").isEqualTo(Files.readAllBytes(p2));
        Run v = cli("pkg", "verify", p.toString(), "--keyring", pub.toString(), "--require-signature");
        assertThat(v.code()).as(v.err()).isZero();
        assertThat(v.out()).contains("Manifest: signature", "image.tar.zst: signature", "metadata.tar.zst: signature");

        // real GnuPG 2.2 accepts the legacy-EdDSA key and all three signatures
        Path home = Files.createDirectories(tmp.resolve("gnupg"));
        Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Path x = Files.createDirectories(tmp.resolve("x"));
        assertThat(sh(home, "tar -xf '" + p + "' -C '" + x + "'")).isZero();
        assertThat(sh(home, "gpg --batch --import '" + pub + "'")).isZero();
        Path d = x.resolve("demo-1.0-r1");
        assertThat(sh(home, "gpg --batch --verify '" + d.resolve("Manifest") + "'")).isZero();
        assertThat(sh(home, "gpg --batch --verify '" + d.resolve("image.tar.zst.sig") + "' '" + d.resolve("image.tar.zst") + "'")).isZero();
        assertThat(sh(home, "gpg --batch --verify '" + d.resolve("metadata.tar.zst.sig") + "' '" + d.resolve("metadata.tar.zst") + "'")).isZero();
        // and rejects a modified image
        flipByte(d.resolve("image.tar.zst"), 100);
        assertThat(sh(home, "gpg --batch --verify '" + d.resolve("image.tar.zst.sig") + "' '" + d.resolve("image.tar.zst") + "'")).isNotZero();

        // one flipped byte inside image.tar.zst of the package: verification names the member, exit 4
        long off;
        try (BinaryPackage bp = BinaryPackage.open(p)) {
            GpkgPackage gp = (GpkgPackage) bp;
            off = gp.members().stream().filter(m -> m.name().equals("image.tar.zst")).findFirst().orElseThrow().offset();
        }
        flipByte(p, off + 200);
        Run bad = cli("pkg", "verify", p.toString(), "--keyring", pub.toString());
        assertThat(bad.code()).isEqualTo(4);
        assertThat(bad.err()).startsWith("stageforge: ").contains("image.tar.zst: BLAKE2B mismatch");
        assertThat(cli("pkg", "verify", p.toString()).code()).isEqualTo(4);
    }

    @Test
    void passphraseProtectedKeySigns() throws Exception {
        Path key = tmp.resolve("k.asc");
        Path pass = tmp.resolve("pass");
        Files.writeString(pass, "correct horse\n");
        assertThat(cli("key", "generate", "--name", "T <t@example.org>", "--passphrase-file", pass.toString(),
                "-o", key.toString()).code()).isZero();
        assertThat(Files.readString(key)).contains("BEGIN PGP PRIVATE KEY BLOCK", "BEGIN PGP PUBLIC KEY BLOCK");
        Files.writeString(pass, "wrong\n");
        Path o = tmp.resolve("w.gpkg.tar");
        Run wrong = cli("pkg", "create", "--image", makeImageOnce().toString(), "--metadata", makeMetadataOnce().toString(),
                "--sign-key", key.toString(), "--passphrase-file", pass.toString(), "-o", o.toString());
        assertThat(wrong.code()).isEqualTo(3);
        assertThat(Files.exists(o)).isFalse();
        Files.writeString(pass, "correct horse\n");
        Path p = create("p.gpkg.tar", "--sign-key", key.toString(), "--passphrase-file", pass.toString());
        try (BinaryPackage bp = BinaryPackage.open(p)) {
            VerifyReport r = bp.verify(IndexEntryChecks.NONE, new VerifyOptions(OpenPgp.Keyring.load(key), true));
            assertThat(r.signers()).hasSize(3);
        }
        // a signed package whose image signature was removed fails even without --require-signature
        Path stripped = tmp.resolve("stripped.gpkg.tar");
        Path sx = Files.createDirectories(tmp.resolve("sx"));
        assertThat(sh(tmp, "tar -xf '" + p + "' -C '" + sx + "' && cd '" + sx + "' && rm demo-1.0-r1/image.tar.zst.sig"
                + " && tar --format=ustar -cf '" + stripped + "' demo-1.0-r1/gpkg-1 demo-1.0-r1/metadata.tar.zst"
                + " demo-1.0-r1/metadata.tar.zst.sig demo-1.0-r1/image.tar.zst demo-1.0-r1/Manifest")).isZero();
        try (BinaryPackage bp = BinaryPackage.open(stripped)) {
            assertThatThrownBy(() -> bp.verify(IndexEntryChecks.NONE, new VerifyOptions(OpenPgp.Keyring.load(key), false)))
                    .isInstanceOf(StageforgeException.class).hasMessageContaining("image.tar.zst: no detached signature");
        }
        // a different key does not verify it
        Path other = tmp.resolve("other.asc");
        assertThat(cli("key", "generate", "--name", "O <o@example.org>", "-o", other.toString()).code()).isZero();
        try (BinaryPackage bp = BinaryPackage.open(p)) {
            assertThatThrownBy(() -> bp.verify(IndexEntryChecks.NONE, new VerifyOptions(OpenPgp.Keyring.load(other), true)))
                    .isInstanceOf(StageforgeException.class).hasMessageContaining("unknown key");
        }
    }

    @Test
    void otherCompressionsRoundTrip() throws Exception {
        for (String c : List.of("xz", "gzip", "bzip2", "lz4", "none")) {
            Path p = create("c-" + c + ".gpkg.tar", "--compression", c);
            try (BinaryPackage bp = BinaryPackage.open(p)) {
                assertThat(bp.compression().name().toLowerCase()).isEqualTo(c);
                assertThat(bp.verify(IndexEntryChecks.NONE, VerifyOptions.CHECKSUMS_ONLY).checks()).hasSize(3);
                if (!c.equals("lz4")) {
                    assertThat(bp.entries().stream().map(GnuTar::describe).toList())
                            .isEqualTo(BinpkgFixturesTest.gnuTarListing(bp));
                }
                assertThat(bp.entries()).hasSize(11);
            }
        }
    }

    @Test
    void extractRecreatesTheImage() throws Exception {
        Path p = create("e.gpkg.tar");
        Path target = Files.createDirectories(tmp.resolve("root"));
        Run r = cli("pkg", "extract", p.toString(), "-C", target.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(Files.readString(target.resolve("usr/bin/foo"))).isEqualTo("#!/bin/sh\necho foo\n");
        assertThat(Files.readAllBytes(target.resolve("usr/bin/ping"))).isEqualTo(Files.readAllBytes(image.resolve("usr/bin/ping")));
        assertThat(Files.readSymbolicLink(target.resolve("usr/bin/bar"))).isEqualTo(Path.of("foo"));
        assertThat(Files.isDirectory(target.resolve("var/empty"))).isTrue();
        // setuid is only listed by default, applied with --same-permissions (a user may set it on its own file)
        assertThat(Files.getAttribute(target.resolve("usr/bin/su"), "unix:mode")).isEqualTo(0100755);
        assertThat(r.out()).contains("recorded only: -rwsr-xr-x");
        assertThat(Files.getAttribute(target.resolve("usr/bin/foo2"), "unix:nlink")).isEqualTo(2);
        Path same = tmp.resolve("same");
        Run p2 = cli("pkg", "extract", p.toString(), "-C", same.toString(), "--same-permissions");
        assertThat(p2.code()).as(p2.err()).isZero();
        assertThat(Files.getAttribute(same.resolve("usr/bin/su"), "unix:mode")).isEqualTo(0104755);
    }

    @Test
    void xpakCreationIsDeterministicAndListsLikeGnuTar() throws Exception {
        Path a = create("demo-1.0-r1-3.xpak", "--format", "xpak");
        Path b = create("again.xpak", "--format", "xpak");
        assertThat(Files.readAllBytes(a)).isEqualTo(Files.readAllBytes(b));
        try (BinaryPackage bp = BinaryPackage.open(a)) {
            assertThat(bp.format()).isEqualTo(BinaryPackage.Format.XPAK);
            assertThat(bp.metadata().get("CATEGORY")).isEqualTo("app-misc");
            assertThat(bp.metadata().raw("environment.bz2")).isEqualTo(Files.readAllBytes(meta.resolve("environment.bz2")));
            List<TarEntry> es = bp.entries();
            assertThat(es.get(0).path()).isEqualTo("./");
            assertThat(es).hasSize(12);
            assertThat(es.stream().map(GnuTar::describe).toList()).isEqualTo(BinpkgFixturesTest.gnuTarListing(bp));
        }
        Path key = tmp.resolve("key.asc");
        assertThat(cli("key", "generate", "--name", "K <k@example.org>", "-o", key.toString()).code()).isZero();
        Run signed = cli("pkg", "create", "--format", "xpak", "--image", image.toString(), "--metadata", meta.toString(),
                "--sign-key", key.toString(), "-o", tmp.resolve("s.xpak").toString());
        assertThat(signed.code()).isEqualTo(2);
        assertThat(signed.err()).contains("XPAK packages cannot be signed");
    }

    static void flipByte(Path f, long at) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, at);
            b.put(0, (byte) (b.get(0) ^ 0x01));
            b.rewind();
            ch.write(b, at);
        }
    }

    static int sh(Path gnupgHome, String cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("GNUPGHOME", gnupgHome.toString());
        return pb.start().waitFor();
    }

    static String outerMember(Path p, String member) throws IOException, InterruptedException {
        Process pr = new ProcessBuilder("tar", "-xOf", p.toString(), member).start();
        String s = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(pr.waitFor()).isZero();
        return s;
    }
}

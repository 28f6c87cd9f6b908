package org.stageforge.binpkg;

import org.stageforge.testutil.ZeroStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.archive.Compression;
import org.stageforge.archive.ExtractPolicy;
import org.stageforge.archive.TarEntry;
import org.stageforge.archive.TarLimits;
import org.stageforge.archive.TarTestSupport;
import org.stageforge.archive.TarTestSupport.Member;
import org.stageforge.archive.TarWriter;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.stageforge.archive.TarTestSupport.file;
import static org.stageforge.archive.TarTestSupport.symlink;

/** Hostile, truncated and mutated packages: only project exceptions, nothing written outside the target. */
class BinpkgHostileTest {
    @TempDir
    Path parent;
    Path target;
    Map<String, String> before;

    @BeforeEach
    void setUp() throws IOException {
        target = Files.createDirectories(parent.resolve("target"));
        Files.createDirectories(parent.resolve("outside"));
        Files.writeString(parent.resolve("outside/secret"), "keep");
        before = TarTestSupport.snapshot(parent, target);
    }

    static Map<String, byte[]> meta() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("CATEGORY", "app-misc\n".getBytes());
        m.put("PF", "evil-1\n".getBytes());
        m.put("environment.bz2", new byte[] {'B', 'Z', 'h', '9', 0, 1, 2});
        return m;
    }

    Path xpak(String name, List<Member> image) throws IOException {
        byte[] payload = TarTestSupport.compress(Compression.ZSTD, TarTestSupport.tar(image));
        Path p = parent.resolve("pkgs").resolve(name + ".xpak");
        Files.createDirectories(p.getParent());
        try (var out = Files.newOutputStream(p)) {
            XpakWriter.write(out, new ByteArrayInputStream(payload), meta());
        }
        return p;
    }

    /** A GPKG with a correct Manifest around an arbitrary image tar. */
    Path gpkg(String name, List<Member> image) throws IOException {
        ByteArrayOutputStream metaTar = new ByteArrayOutputStream();
        try (TarWriter w = new TarWriter(metaTar, -1)) {
            for (Map.Entry<String, byte[]> e : meta().entrySet()) {
                w.add(TarEntry.of("metadata/" + e.getKey(), TarEntry.Type.FILE, 0644, 0, 0, e.getValue().length, 1, ""),
                        new ByteArrayInputStream(e.getValue()));
            }
        }
        Map<String, byte[]> members = new LinkedHashMap<>();
        members.put("gpkg-1", new byte[0]);
        members.put("metadata.tar.zst", TarTestSupport.compress(Compression.ZSTD, metaTar.toByteArray()));
        members.put("image.tar.zst", TarTestSupport.compress(Compression.ZSTD, TarTestSupport.tar(image)));
        StringBuilder manifest = new StringBuilder();
        for (Map.Entry<String, byte[]> e : members.entrySet()) {
            Map<String, String> h = new Digests(GpkgManifest.HASHES).consume(new ByteArrayInputStream(e.getValue())).hex();
            manifest.append("DATA ").append(e.getKey()).append(' ').append(e.getValue().length)
                    .append(" SHA512 ").append(h.get("SHA512")).append(" BLAKE2B ").append(h.get("BLAKE2B")).append('\n');
        }
        members.put("Manifest", manifest.toString().getBytes(StandardCharsets.UTF_8));
        Path p = parent.resolve("pkgs").resolve(name + ".gpkg.tar");
        Files.createDirectories(p.getParent());
        try (TarWriter w = new TarWriter(Files.newOutputStream(p), -1)) {
            for (Map.Entry<String, byte[]> e : members.entrySet()) {
                w.add(TarEntry.of("evil-1/" + e.getKey(), TarEntry.Type.FILE, 0644, 0, 0, e.getValue().length, 1, ""),
                        new ByteArrayInputStream(e.getValue()));
            }
        }
        return p;
    }

    static List<Member> prefixed(String prefix, List<Member> ms) {
        List<Member> out = new ArrayList<>();
        for (Member m : ms) {
            TarEntry e = m.entry().withPath(prefix + m.entry().path());
            if (e.type() == TarEntry.Type.HARDLINK) e = e.withLinkTarget(prefix + e.linkTarget());
            out.add(new Member(e, m.content()));
        }
        return out;
    }

    void assertExtractRefused(Path pkg) throws IOException {
        try (BinaryPackage bp = BinaryPackage.open(pkg)) {
            bp.verify(IndexEntryChecks.NONE, VerifyOptions.CHECKSUMS_ONLY); // well-formed wrappers: the image is the attack
            assertThatThrownBy(() -> bp.extract(target, ExtractPolicy.SAME_PERMISSIONS))
                    .isInstanceOf(StageforgeException.class)
                    .extracting(e -> ((StageforgeException) e).exitCode()).isEqualTo(ExitCodes.VERIFY);
        }
        assertThat(Files.readString(parent.resolve("outside/secret"))).isEqualTo("keep");
        Map<String, String> now = TarTestSupport.snapshot(parent, target);
        now.keySet().removeIf(k -> k.startsWith("pkgs"));
        Map<String, String> was = new LinkedHashMap<>(before);
        was.keySet().removeIf(k -> k.startsWith("pkgs"));
        assertThat(now).isEqualTo(was);
    }

    @Test
    void hostileImagesAreRefusedForBothFormats() throws IOException {
        List<List<Member>> attacks = List.of(
                List.of(file("./../outside/evil", "x")),
                List.of(file("/etc/evil", "x")),
                List.of(symlink("./link", "../outside"), file("./link/secret", "overwritten")),
                List.of(symlink("./abs", parent.resolve("outside").toString()), file("./abs/evil", "x")),
                List.of(file("./a", "x"), TarTestSupport.hardlink("./b", "./../outside/secret")));
        int i = 0;
        for (List<Member> a : attacks) {
            i++;
            assertExtractRefused(xpak("x" + i, a));
            // "image//etc" is how Portage itself writes GPKG images: a leading slash after image/ is not an escape
            if (a.get(0).entry().path().startsWith("/")) continue;
            assertExtractRefused(gpkg("g" + i, prefixed("image/", a.stream()
                    .map(m -> new Member(m.entry().withPath(m.entry().path().replaceFirst("^\\./", "")), m.content())).toList())));
        }
        // GPKG members outside image/ are refused too
        assertExtractRefused(gpkg("outside-image", List.of(file("other/x", "x"))));
        assertExtractRefused(gpkg("dotdot-image", List.of(file("image/../x", "x"))));
    }

    @Test
    void decompressionBombAndMemberFloodAreRefused() throws IOException {
        long size = 300L << 20;
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (var z = Compression.ZSTD.compress(bos); TarWriter w = new TarWriter(z, -1)) {
            w.add(TarEntry.of("./zeros", TarEntry.Type.FILE, 0644, 0, 0, size, 1, ""), new ZeroStream(size));
        }
        Path bomb = parent.resolve("pkgs/bomb.xpak");
        Files.createDirectories(bomb.getParent());
        try (var out = Files.newOutputStream(bomb)) {
            XpakWriter.write(out, new ByteArrayInputStream(bos.toByteArray()), meta());
        }
        assertThat(Files.size(bomb)).isLessThan(100_000);
        try (BinaryPackage bp = BinaryPackage.open(bomb)) {
            assertThatThrownBy(() -> bp.extract(target, ExtractPolicy.SAME_PERMISSIONS)).isInstanceOf(StageforgeException.class)
                    .hasMessageContaining("decompression bomb")
                    .extracting(e -> ((StageforgeException) e).exitCode()).isEqualTo(ExitCodes.VERIFY);
        }

        List<Member> many = new ArrayList<>();
        for (int i = 0; i < 2000; i++) many.add(file("./f" + i, ""));
        Path flood = xpak("flood", many);
        TarLimits small = new TarLimits(1 << 20, 4096, 1000, 1L << 30, 1000, 1 << 20);
        try (BinaryPackage bp = BinaryPackage.open(flood, small)) {
            assertThatThrownBy(bp::entries).isInstanceOf(StageforgeException.class).hasMessageContaining("more than 1000 members");
        }
        try (BinaryPackage bp = BinaryPackage.open(flood)) {
            assertThat(bp.entries()).hasSize(2000);
        }
    }

    List<Member> sample() {
        List<Member> ms = new ArrayList<>();
        ms.add(TarTestSupport.dir("./usr"));
        ms.add(TarTestSupport.dir("./usr/bin"));
        for (int i = 0; i < 6; i++) ms.add(file("./usr/bin/f" + i, "content ".repeat(50 * i + 1)));
        ms.add(symlink("./usr/bin/l", "f1"));
        ms.add(TarTestSupport.hardlink("./usr/bin/h", "./usr/bin/f2"));
        return ms;
    }

    /** Runs every reading operation; anything but a project exception fails the test. */
    void exercise(Path pkg, Path into) {
        try (BinaryPackage bp = BinaryPackage.open(pkg)) {
            bp.metadata().strings();
            try {
                bp.verify(IndexEntryChecks.NONE, VerifyOptions.CHECKSUMS_ONLY);
            } catch (StageforgeException expected) {
                // a mutation may break verification; reading must still behave
            }
            bp.entries();
            bp.extract(into, ExtractPolicy.RECORD_ONLY);
        } catch (StageforgeException expected) {
            assertThat(expected.getMessage()).isNotBlank().doesNotContain("\n");
        } catch (Throwable t) {
            fail("non-project exception for " + pkg.getFileName(), t);
        }
    }

    @Test
    void truncationsAndMutationsOnlyRaiseProjectExceptions() throws IOException {
        Path[] originals = {xpak("ok", sample()), gpkg("ok", prefixed("image/", sample().stream()
                .map(m -> new Member(m.entry().withPath(m.entry().path().substring(2)),
                        m.content())).map(m -> m.entry().type() == TarEntry.Type.HARDLINK
                        ? new Member(m.entry().withLinkTarget(m.entry().linkTarget().substring(2)), m.content()) : m).toList()))};
        Random rnd = new Random(78);
        int n = 0;
        for (Path orig : originals) {
            byte[] data = Files.readAllBytes(orig);
            try (BinaryPackage bp = BinaryPackage.open(orig)) {
                assertThat(bp.entries()).hasSize(10);
                bp.verify(IndexEntryChecks.NONE, VerifyOptions.CHECKSUMS_ONLY);
            }
            Path m = parent.resolve("pkgs/mutant" + orig.getFileName().toString().substring(2));
            // every cut before the end-of-archive block (GPKG) or the trailer (XPAK) must be refused
            long mustFailBelow = data.length;
            try (BinaryPackage bp = BinaryPackage.open(orig)) {
                if (bp instanceof GpkgPackage g) {
                    GpkgPackage.Member last = g.members().get(g.members().size() - 1);
                    mustFailBelow = (last.offset() + last.size() + 511) / 512 * 512 + 512;
                }
            }
            for (int cut = 0; cut < mustFailBelow; cut += Math.max(1, data.length / 60)) {
                Files.write(m, Arrays.copyOf(data, cut));
                Path into = Files.createDirectories(target.resolve("t" + n++));
                assertThatThrownBy(() -> {
                    try (BinaryPackage bp = BinaryPackage.open(m)) {
                        bp.metadata();
                        bp.verify(IndexEntryChecks.NONE, VerifyOptions.CHECKSUMS_ONLY);
                        bp.extract(into, ExtractPolicy.RECORD_ONLY);
                    }
                }).as("cut at " + cut).isInstanceOf(StageforgeException.class);
            }
            List<byte[]> mutants = new ArrayList<>();
            for (int i = 0; i < 150; i++) {
                byte[] d = data.clone();
                int flips = 1 + rnd.nextInt(4);
                for (int f = 0; f < flips; f++) d[rnd.nextInt(d.length)] = (byte) rnd.nextInt(256);
                mutants.add(d);
            }
            for (byte[] d : mutants) {
                Files.write(m, d);
                Path into = Files.createDirectories(target.resolve("t" + n++));
                exercise(m, into);
            }
        }
        assertThat(Files.readString(parent.resolve("outside/secret"))).isEqualTo("keep");
        Map<String, String> now = TarTestSupport.snapshot(parent, target);
        now.keySet().removeIf(k -> k.startsWith("pkgs"));
        Map<String, String> was = new LinkedHashMap<>(before);
        was.keySet().removeIf(k -> k.startsWith("pkgs"));
        assertThat(now).isEqualTo(was);
    }
}

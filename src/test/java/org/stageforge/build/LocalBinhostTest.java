package org.stageforge.build;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.archive.Compression;
import org.stageforge.archive.TarEntry;
import org.stageforge.binpkg.BinaryPackage;
import org.stageforge.binpkg.FileTable;
import org.stageforge.binpkg.GpkgWriter;
import org.stageforge.binpkg.IndexEntryChecks;
import org.stageforge.binpkg.OpenPgp;
import org.stageforge.binpkg.VerifyOptions;
import org.stageforge.index.PackagesEntry;
import org.stageforge.index.PackagesIndex;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** Re-packing emerge's GPKGs into the build's own binhost: bytes, key records, signatures, differing output. */
class LocalBinhostTest {
    @TempDir
    Path tmp;
    static OpenPgp.SigningKey key;
    static OpenPgp.Keyring keyring;
    static final long SDE = 1_700_000_000L;

    @BeforeAll
    static void keys(@TempDir Path d) throws IOException {
        OpenPgp.GeneratedKey g = OpenPgp.generate("Build <b@example.org>", null, new Date(0));
        Files.write(d.resolve("sec.asc"), g.secretArmored());
        Files.write(d.resolve("pub.asc"), g.publicArmored());
        key = OpenPgp.SigningKey.load(d.resolve("sec.asc"), null);
        keyring = OpenPgp.Keyring.load(d.resolve("pub.asc"));
    }

    /**
     * A GPKG as emerge would leave it in PKGDIR: BUILD_TIME and mtimes from the clock ({@code buildTime}), xz
     * compression, a setuid file owned by 0:5 (recorded only: the test may not run as root).
     */
    private Path portageGpkg(Path pkgdir, String cat, String pf, long buildTime, String greeting) throws IOException {
        Path src = Files.createTempDirectory(tmp, "src");
        Path img = Files.createDirectories(src.resolve("image/usr/bin"));
        Files.writeString(img.resolve(pf.replaceAll("-[0-9].*", "")), greeting + "\n");
        Files.writeString(Files.createDirectories(src.resolve("image/usr/share/doc")).resolve("README"), "doc\n");
        try (var s = Files.walk(src.resolve("image"))) {
            for (Path p : s.toList()) Files.setLastModifiedTime(p, FileTime.fromMillis(buildTime * 1000));
        }
        Map<String, byte[]> md = new TreeMap<>();
        md.put("CATEGORY", (cat + "\n").getBytes(StandardCharsets.UTF_8));
        md.put("PF", (pf + "\n").getBytes(StandardCharsets.UTF_8));
        md.put("SLOT", "0\n".getBytes(StandardCharsets.UTF_8));
        md.put("USE", "amd64 loud\n".getBytes(StandardCharsets.UTF_8));
        md.put("EAPI", "8\n".getBytes(StandardCharsets.UTF_8));
        md.put("BUILD_TIME", (buildTime + "\n").getBytes(StandardCharsets.UTF_8));
        md.put("BUILD_ID", "7\n".getBytes(StandardCharsets.UTF_8));
        String name = pf.replaceAll("-[0-9].*", "");
        FileTable t = FileTable.parse("usr/bin/" + name + " mode=4755 uid=0 gid=5\n", "t");
        Path out = Files.createDirectories(pkgdir.resolve(cat).resolve(name)).resolve(pf + "-7.gpkg.tar");
        GpkgWriter.write(out, src.resolve("image"), md, new GpkgWriter.Options(Compression.XZ, buildTime, null, t));
        return out;
    }

    @Test
    void repacksDeterministicallySignsAndRecordsTheKey() throws IOException {
        Path s1 = tmp.resolve("s1");
        Path s2 = tmp.resolve("s2");
        portageGpkg(s1, "app-misc", "hello-1.0", 1_800_000_001L, "hi");
        portageGpkg(s2, "app-misc", "hello-1.0", 1_800_009_999L, "hi");
        Map<String, String> keys = Map.of("app-misc/hello-1.0", "k1");
        LocalBinhost a = new LocalBinhost(tmp.resolve("a/binpkgs"));
        LocalBinhost b = new LocalBinhost(tmp.resolve("b/binpkgs"));
        List<String> warnings = new ArrayList<>();
        List<LocalBinhost.Ingested> ia = a.ingest(s1, keys, key, SDE, warnings::add);
        List<LocalBinhost.Ingested> ib = b.ingest(s2, keys, key, SDE, warnings::add);
        assertThat(warnings).isEmpty();
        Path fa = a.dir().resolve("app-misc/hello/hello-1.0-1.gpkg.tar");
        assertThat(ia).singleElement().satisfies(i -> {
            assertThat(i.file()).isEqualTo(fa);
            assertThat(i.buildKey()).isEqualTo("k1");
            assertThat(i.sha512()).isEqualTo(org.stageforge.util.Hashes.ofFile(fa, "SHA-512"));
        });
        // built at different times, the same bytes and the same index
        assertThat(Files.readAllBytes(fa)).isEqualTo(Files.readAllBytes(ib.get(0).file()));
        assertThat(Files.readAllBytes(a.dir().resolve("Packages"))).isEqualTo(Files.readAllBytes(b.dir().resolve("Packages")));
        try (BinaryPackage bp = BinaryPackage.open(fa)) {
            assertThat(bp.compression()).isEqualTo(Compression.ZSTD);
            assertThat(bp.metadata().get("BUILD_TIME").strip()).isEqualTo(Long.toString(SDE));
            assertThat(bp.metadata().get("BUILD_ID").strip()).isEqualTo("1");
            assertThat(bp.metadata().get(LocalBinhost.KEY).strip()).isEqualTo("k1");
            assertThat(bp.verify(IndexEntryChecks.NONE, new VerifyOptions(keyring, true)).signers()).isNotEmpty();
            TarEntry bin = bp.entries().stream().filter(e -> e.path().equals("./usr/bin/hello")).findFirst().orElseThrow();
            assertThat(bin.mode()).isEqualTo(04755);
            assertThat(bin.gid()).isEqualTo(5);
            assertThat(bp.entries()).allSatisfy(e -> assertThat(e.mtime()).isLessThanOrEqualTo(SDE));
        }
        PackagesIndex idx = a.index();
        PackagesEntry e = idx.entries("app-misc/hello-1.0").get(0);
        assertThat(e.raw(LocalBinhost.KEY)).contains("k1");
        assertThat(e.path()).isEqualTo("app-misc/hello/hello-1.0-1.gpkg.tar");
        assertThat(a.keyOf("app-misc/hello-1.0")).contains("k1");
        assertThat(a.keyOf("app-misc/other-1.0")).isEmpty();
        // nothing left behind but the package, its listing and the index
        try (var s = Files.walk(a.dir())) {
            assertThat(s.filter(Files::isRegularFile).map(p -> a.dir().relativize(p).toString()).sorted().toList())
                    .containsExactly(".images/app-misc/hello-1.0.tsv", "Packages", "app-misc/hello/hello-1.0-1.gpkg.tar");
        }
    }

    @Test
    void namesTheFilesThatDifferBetweenBuildsOfTheSameInput() throws IOException {
        LocalBinhost lb = new LocalBinhost(tmp.resolve("b/binpkgs"));
        List<String> warnings = new ArrayList<>();
        portageGpkg(tmp.resolve("s1"), "app-misc", "hello-1.0", 1_800_000_001L, "hi");
        lb.ingest(tmp.resolve("s1"), Map.of("app-misc/hello-1.0", "k1"), null, SDE, warnings::add);
        portageGpkg(tmp.resolve("s2"), "app-misc", "hello-1.0", 1_800_000_002L, "hi at 12:00");
        List<LocalBinhost.Ingested> again = lb.ingest(tmp.resolve("s2"), Map.of("app-misc/hello-1.0", "k1"), null, SDE, warnings::add);
        assertThat(again.get(0).differing()).containsExactly("/usr/bin/hello");
        assertThat(warnings).containsExactly("app-misc/hello-1.0: built again with the same build key, its output differs in 1 file(s): /usr/bin/hello");
        // another key is another input: a different output is expected and not reported
        portageGpkg(tmp.resolve("s3"), "app-misc", "hello-1.0", 1_800_000_003L, "HI");
        assertThat(lb.ingest(tmp.resolve("s3"), Map.of("app-misc/hello-1.0", "k2"), null, SDE, warnings::add).get(0).differing()).isEmpty();
        assertThat(warnings).hasSize(1);
        assertThat(lb.keyOf("app-misc/hello-1.0")).contains("k2");
    }

    @Test
    void leavesWhatNobodyAskedForAlone() throws IOException {
        LocalBinhost lb = new LocalBinhost(tmp.resolve("c/binpkgs"));
        portageGpkg(tmp.resolve("s"), "app-misc", "hello-1.0", 1_800_000_001L, "hi");
        portageGpkg(tmp.resolve("s"), "app-misc", "dep-1.0", 1_800_000_001L, "dep");
        assertThat(lb.ingest(tmp.resolve("s"), Map.of("app-misc/dep-1.0", "k"), null, SDE, w -> { }))
                .extracting(LocalBinhost.Ingested::cpv).containsExactly("app-misc/dep-1.0");
        assertThat(lb.dir().resolve("app-misc/hello")).doesNotExist();
        assertThat(lb.index().entries()).extracting(PackagesEntry::cpv).containsExactly("app-misc/dep-1.0");
    }
}

package org.stageforge.binpkg;

import org.junit.jupiter.api.Test;
import org.stageforge.StageforgeException;
import org.stageforge.archive.Compression;
import org.stageforge.archive.TarEntry;
import org.stageforge.testutil.Fixtures;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every real binary package of the fixtures reads, verifies and lists exactly as GNU tar lists it. */
class BinpkgFixturesTest {

    private static final String[] REPOS = {"binhost-xpak-amd64", "binhost-gpkg-amd64", "binhost-synth-gpkg",
            "portage-made-gpkg/quickpkg", "portage-made-gpkg/signed", "portage-made-gpkg/extra",
            "portage-made-gpkg/extra-xpak", "portage-made-gpkg/extra-pkgmask"};

    @Test
    void everyFixturePackageVerifiesAndListsLikeGnuTar() throws Exception {
        Fixtures.require("binhost-xpak-amd64/Packages");
        List<Path[]> work = new ArrayList<>();
        for (String r : REPOS) {
            Path repo = Fixtures.require(r);
            try (Stream<Path> s = Files.walk(repo)) {
                s.filter(p -> p.toString().endsWith(".xpak") || p.toString().endsWith(".gpkg.tar"))
                        .sorted().forEach(p -> work.add(new Path[] {repo, p}));
            }
        }
        assertThat(work).hasSizeGreaterThan(230);
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()));
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (Path[] w : work) {
                fs.add(pool.submit(() -> {
                    try {
                        check(w[0], w[1]);
                    } catch (Throwable t) {
                        failures.add(w[1] + ": " + t);
                    }
                }));
            }
            for (Future<?> f : fs) f.get();
        } finally {
            pool.shutdown();
        }
        assertThat(failures).isEmpty();
    }

    private void check(Path repo, Path pkg) throws Exception {
        Map<String, Map<String, String>> index = GnuTar.packagesByPath(repo.resolve("Packages"));
        String rel = repo.relativize(pkg).toString();
        Map<String, String> entry = index.get(rel);
        assertThat(entry).as("index entry for " + rel).isNotNull();
        try (BinaryPackage bp = BinaryPackage.open(pkg)) {
            PackageMetadata md = bp.metadata();
            // Portage identifies the instance by BUILD_ID, not by the file name suffix
            assertThat(md.get("CATEGORY") + "/" + md.get("PF")).isEqualTo(entry.get("CPV"));
            if (entry.containsKey("BUILD_ID")) assertThat(md.get("BUILD_ID")).isEqualTo(entry.get("BUILD_ID"));
            assertThat(md.environmentBz2()).startsWith('B', 'Z', 'h');
            VerifyReport report = bp.verify(IndexEntryChecks.of(entry), VerifyOptions.CHECKSUMS_ONLY);
            assertThat(report.checks()).isNotEmpty();
            List<String> ours = bp.entries().stream().map(GnuTar::describe).toList();
            assertThat(ours).isEqualTo(gnuTarListing(bp));
        }
    }

    static List<String> gnuTarListing(BinaryPackage bp) throws IOException, InterruptedException {
        String f = "'" + bp.file() + "'";
        String dec = switch (bp.compression()) {
            case ZSTD -> "zstd -dcq";
            case BZIP2 -> "bzip2 -dc";
            case XZ -> "xz -dc";
            case GZIP -> "gzip -dc";
            case LZ4 -> "lz4 -dc";
            case NONE -> "cat";
        };
        if (bp instanceof XpakPackage x) {
            return GnuTar.list("head -c " + x.payloadLength() + " " + f + " | " + dec, GnuTar.normalizer(0));
        }
        GpkgPackage g = (GpkgPackage) bp;
        String member = g.basename() + "/" + g.members().stream().filter(m -> m.name().startsWith("image.tar")
                && !m.name().endsWith(".sig")).findFirst().orElseThrow().name();
        return GnuTar.list("tar -xOf " + f + " '" + member + "' | " + dec, GnuTar.normalizer(1));
    }

    @Test
    void signedPackagesVerifyWithPortagesTestKey() {
        Path dir = Fixtures.require("portage-made-gpkg/signed");
        OpenPgp.Keyring keyring = OpenPgp.Keyring.load(Fixtures.require("portage-made-gpkg/signed-pubkey.asc"));
        int n = 0;
        for (Path p : gpkgs(dir)) {
            try (BinaryPackage bp = BinaryPackage.open(p)) {
                VerifyReport r = bp.verify(IndexEntryChecks.NONE, new VerifyOptions(keyring, true));
                assertThat(r.signers()).hasSize(3); // Manifest, metadata.tar.sig, image.tar.sig
                assertThat(r.checks()).contains("Manifest: signature", "image.tar.zst: signature");
                n++;
            }
        }
        assertThat(n).isEqualTo(3);
    }

    @Test
    void unsignedPackageFailsWhenASignatureIsRequired() {
        OpenPgp.Keyring keyring = OpenPgp.Keyring.load(Fixtures.require("portage-made-gpkg/signed-pubkey.asc"));
        Path p = gpkgs(Fixtures.require("portage-made-gpkg/quickpkg")).get(0);
        try (BinaryPackage bp = BinaryPackage.open(p)) {
            assertThatThrownBy(() -> bp.verify(IndexEntryChecks.NONE, new VerifyOptions(keyring, true)))
                    .isInstanceOf(StageforgeException.class).hasMessageContaining("Manifest: not signed")
                    .extracting(e -> ((StageforgeException) e).exitCode()).isEqualTo(4);
        }
    }

    @Test
    void tamperedImageFailsNamingTheMember() {
        Path p = Fixtures.require("portage-made-gpkg/tampered/app-misc/mime-types/mime-types-2.1.53-1.gpkg.tar");
        OpenPgp.Keyring keyring = OpenPgp.Keyring.load(Fixtures.require("portage-made-gpkg/signed-pubkey.asc"));
        for (VerifyOptions o : List.of(VerifyOptions.CHECKSUMS_ONLY, new VerifyOptions(keyring, true))) {
            try (BinaryPackage bp = BinaryPackage.open(p)) {
                assertThatThrownBy(() -> bp.verify(IndexEntryChecks.NONE, o))
                        .isInstanceOf(StageforgeException.class)
                        .hasMessageContaining("image.tar.zst: BLAKE2B mismatch")
                        .extracting(e -> ((StageforgeException) e).exitCode()).isEqualTo(4);
            }
        }
    }

    @Test
    void specialFilesAreListedFromGpkgAndXpak() {
        for (String f : List.of("portage-made-gpkg/extra/oracle-extra/special-nodes/special-nodes-1-1.gpkg.tar",
                "portage-made-gpkg/extra-xpak/oracle-extra/special-nodes/special-nodes-1-1.xpak")) {
            try (BinaryPackage bp = BinaryPackage.open(Fixtures.require(f))) {
                List<TarEntry> es = bp.entries();
                assertThat(es).anySatisfy(e -> assertThat(e.type()).isEqualTo(TarEntry.Type.FIFO));
                assertThat(es).anySatisfy(e -> {
                    assertThat(e.type()).isEqualTo(TarEntry.Type.CHAR);
                    assertThat(e.devMajor() + e.devMinor()).isPositive();
                });
                assertThat(bp.compression()).isEqualTo(Compression.ZSTD);
            }
        }
    }

    static List<Path> gpkgs(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.toString().endsWith(".gpkg.tar")).sorted().toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}

package org.stageforge.binhost;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.stageforge.ExitCodes;
import org.stageforge.server.FaultHandler;
import org.stageforge.server.StaticServer;
import org.stageforge.testutil.Fixtures;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** Downloads the real fixture binhosts completely, over loopback HTTP and as local directories. */
@Timeout(120)
class BinhostFixtureTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @CsvSource({"binhost-gpkg-amd64, 83, 8, http", "binhost-xpak-amd64, 161, 10, http",
            "binhost-gpkg-amd64, 83, 8, local", "binhost-xpak-amd64, 161, 10, local",
            "binhost-synth-gpkg, 200, 0, http"})
    void wholeBinhostArrivesVerifiedAndMissingFilesAreNamed(String name, int entries, int missing, String mode)
            throws Exception {
        Path dir = Fixtures.require(name);
        FaultHandler seen = new FaultHandler(dir);
        try (StaticServer server = StaticServer.start(dir, "127.0.0.1", 0, seen::wrap);
             BinhostClient c = BinhostClient.open(mode.equals("http") ? server.uri().toString() : dir.toString(),
                     BinhostClient.Options.of(tmp.resolve("cache")).withJobs(4))) {
            List<IndexRef> refs = c.fetchIndex().refs();
            assertThat(refs).hasSize(entries);

            FetchResult r = c.fetchAll(refs, FetchListener.NONE);

            Set<String> absent = refs.stream().filter(e -> !Files.exists(dir.resolve(e.path())))
                    .map(IndexRef::path).collect(Collectors.toSet());
            assertThat(absent).hasSize(missing);
            assertThat(r.fetched()).hasSize(entries - missing);
            for (FetchedPackage p : r.fetched())
                assertThat(Files.mismatch(p.file(), dir.resolve(p.ref().path()))).as(p.ref().path()).isEqualTo(-1L);
            // entries with identical content share one cache file, so only the first of them is transferred
            long distinct = r.fetched().stream().map(p -> p.ref().sha1()).distinct().count();
            assertThat(r.fetched().stream().filter(p -> !p.fromCache()).count()).isEqualTo(distinct);
            assertThat(r.failures()).allMatch(f -> f.error().exitCode() == ExitCodes.NOT_FOUND);
            assertThat(r.failures()).extracting(f -> f.ref().path()).containsExactlyInAnyOrderElementsOf(absent);
            for (var f : r.failures())
                assertThat(f.error().getMessage()).contains(f.ref().cpv(), f.ref().path(), "is missing on binhost");
            assertThat(r.exitCode()).isEqualTo(missing == 0 ? ExitCodes.OK : ExitCodes.NOT_FOUND);
            if (mode.equals("http")) assertThat(seen.packageRequests()).isEqualTo(distinct + missing);
            else assertThat(seen.seen()).isEmpty();

            // a second run over the same cache asks the server only for the missing files again
            FetchResult again = c.fetchAll(refs, FetchListener.NONE);
            assertThat(again.fetched()).hasSize(entries - missing).allMatch(FetchedPackage::fromCache);
            assertThat(again.missing()).hasSize(missing);
            assertThat(seen.packageRequests()).isEqualTo(mode.equals("http") ? distinct + 2L * missing : 0);
        }
    }

    @ParameterizedTest
    @CsvSource({"portage-made-gpkg/signed, 0", "portage-made-gpkg/quickpkg, 8", "binhost-xpak-amd64, 8"})
    void requiredSignaturesRefuseUnsignedBinpkgs(String name, int refused) throws Exception {
        Path dir = Fixtures.require(name);
        try (BinhostClient c = BinhostClient.open(dir.toString(),
                BinhostClient.Options.of(tmp.resolve("cache")).withRequireSignatures(true))) {
            List<IndexRef> pkgs = c.fetchIndex().refs().stream()
                    .filter(e -> Files.exists(dir.resolve(e.path()))).limit(8).toList();
            FetchResult r = c.fetchAll(pkgs, FetchListener.NONE);
            assertThat(r.failures()).hasSize(Math.min(refused, pkgs.size()));
            assertThat(r.failures()).allSatisfy(f -> {
                assertThat(f.error().exitCode()).isEqualTo(ExitCodes.VERIFY);
                assertThat(f.error().getMessage()).contains(f.ref().cpv(), "is not signed but signatures are required");
            });
            for (var f : r.failures()) assertThat(c.cachePath(f.ref())).doesNotExist();
            assertThat(r.fetched()).hasSize(pkgs.size() - r.failures().size());
        }
    }

    @org.junit.jupiter.api.Test
    void gpkgManifestIsVerifiedByDefaultEvenWhenTheIndexHasNoDigests() throws Exception {
        Path dir = Fixtures.require("portage-made-gpkg/tampered");
        try (BinhostClient c = BinhostClient.open(dir.toString(), BinhostClient.Options.of(tmp.resolve("cache")))) {
            List<IndexRef> refs = c.fetchIndex().refs();
            IndexRef tampered = IndexRef.select(c.fetchIndex().index(), "app-misc/mime-types").get(0);
            assertThat(tampered.digests()).isEmpty();

            FetchResult r = c.fetchAll(refs, FetchListener.NONE);

            assertThat(r.failures()).singleElement().satisfies(f -> {
                assertThat(f.ref().cpv()).isEqualTo("app-misc/mime-types-2.1.53");
                assertThat(f.error().exitCode()).isEqualTo(ExitCodes.VERIFY);
                assertThat(f.error().getMessage()).startsWith("app-misc/mime-types-2.1.53 (build 1) (app-misc/mime-types/")
                        .contains("image.tar.zst");
            });
            assertThat(c.cachePath(tampered)).doesNotExist();
            assertThat(r.fetched()).hasSize(refs.size() - 1);
        }
    }
}

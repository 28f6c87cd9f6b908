package org.stageforge.build;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.archive.Compression;
import org.stageforge.binpkg.GpkgWriter;
import org.stageforge.profile.PortageConfig;
import org.stageforge.resolve.Binhost;
import org.stageforge.resolve.EbuildRepository;
import org.stageforge.resolve.PlannedPackage;
import org.stageforge.resolve.ResolvePlan;
import org.stageforge.resolve.ResolveRequest;
import org.stageforge.resolve.Resolver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The synthetic repository resolved from source, and the build-key filter over the local binhost: a package built
 * with this build's key is taken from it, one with another key is built again.
 */
class BuildKeysTest {
    @TempDir
    Path tmp;
    static final Map<String, String> TOOLS = Map.of("compiler", "gcc 12.2.0", "libc", "glibc 2.36", "binutils", "ld 2.40");

    private ResolvePlan resolve(PortageConfig config, List<Binhost> hosts, BuildKeys keys, Path repo, String target) {
        return Resolver.resolve(ResolveRequest.of(config, hosts, List.of(target), ResolveRequest.Options.DEFAULT)
                .withRepositories(List.of(EbuildRepository.at(repo, 0))).withBinaryFilter(keys.filter()));
    }

    /** What emerge would have left in PKGDIR for {@code p} (an empty program; the USE Portage records). */
    private void built(Path staging, PlannedPackage p) throws IOException {
        Path img = Files.createDirectories(tmp.resolve("img-" + p.cpv().name()).resolve("usr/bin"));
        Files.writeString(img.resolve(p.cpv().name()), "elf\n");
        Map<String, byte[]> md = new TreeMap<>();
        md.put("CATEGORY", (p.cpv().category() + "\n").getBytes(StandardCharsets.UTF_8));
        md.put("PF", (p.cpv().name() + "-" + p.cpv().version() + "\n").getBytes(StandardCharsets.UTF_8));
        md.put("SLOT", "0\n".getBytes(StandardCharsets.UTF_8));
        md.put("EAPI", "8\n".getBytes(StandardCharsets.UTF_8));
        md.put("IUSE", (String.join(" ", p.iuse()) + "\n").getBytes(StandardCharsets.UTF_8));
        md.put("KEYWORDS", "amd64\n".getBytes(StandardCharsets.UTF_8));
        md.put("LICENSE", "MIT\n".getBytes(StandardCharsets.UTF_8));
        md.put("RDEPEND", (p.entry().get("RDEPEND") + "\n").getBytes(StandardCharsets.UTF_8));
        // Portage records the implicit flags too
        md.put("USE", ("amd64 elibc_glibc kernel_linux " + String.join(" ", p.use()) + "\n").getBytes(StandardCharsets.UTF_8));
        md.put("repository", (TestRepo.NAME + "\n").getBytes(StandardCharsets.UTF_8));
        Path out = Files.createDirectories(staging.resolve(p.cpv().category()).resolve(p.cpv().name()))
                .resolve(p.cpv().name() + "-" + p.cpv().version() + "-1.gpkg.tar");
        GpkgWriter.write(out, img.getParent().getParent(), md, new GpkgWriter.Options(Compression.ZSTD, 5, null, null));
    }

    @Test
    void localBinhostPackagesAreReusedOnlyWithTheSameKey() throws IOException {
        Path repo = TestRepo.create(tmp.resolve("repo"));
        PortageConfig config = PortageConfig.forProfile(repo, "default", Map.of());
        BuildKeys keys = new BuildKeys(BuildKey.vars(config), TOOLS);
        assertThat(keys.vars()).containsEntry("CHOST", "x86_64-pc-linux-gnu").containsEntry("CFLAGS", "-O1");
        LocalBinhost local = new LocalBinhost(tmp.resolve("build/binpkgs"));

        ResolvePlan first = resolve(config, List.of(new Binhost("local", local.index(), local.dir())), keys, repo, TestRepo.pkg(3));
        assertThat(first.packages()).extracting(p -> p.cpv().toString()).containsExactlyElementsOf(TestRepo.chain(3));
        assertThat(first.packages()).allMatch(PlannedPackage::fromSource);

        // p01 and p02 built with this key: only p03 remains
        Path staging = tmp.resolve("staging");
        Map<String, String> byCpv = new TreeMap<>();
        for (PlannedPackage p : first.packages().subList(0, 2)) {
            built(staging, p);
            byCpv.put(p.cpv().toString(), keys.of(p));
        }
        local.ingest(staging, byCpv, null, 5, w -> { });
        ResolvePlan second = resolve(config, List.of(new Binhost("local", local.index(), local.dir())), keys, repo, TestRepo.pkg(3));
        assertThat(second.packages()).extracting(p -> p.cpv() + (p.fromSource() ? " source" : " " + p.binhost()))
                .containsExactly("sf-test/p01-1.0 local", "sf-test/p02-1.0 local", "sf-test/p03-1.0 source");
        for (PlannedPackage p : second.packages().subList(0, 2)) assertThat(keys.of(p.entry())).isEqualTo(byCpv.get(p.cpv().toString()));

        // other CFLAGS: another key, so everything is built again
        Map<String, String> v = new TreeMap<>(keys.vars());
        v.put("CFLAGS", "-O2");
        ResolvePlan third = resolve(config, List.of(new Binhost("local", local.index(), local.dir())),
                new BuildKeys(v, TOOLS), repo, TestRepo.pkg(3));
        assertThat(third.packages()).allMatch(PlannedPackage::fromSource);
    }
}

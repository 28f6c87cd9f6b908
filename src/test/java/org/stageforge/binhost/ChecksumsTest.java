package org.stageforge.binhost;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.testutil.Fixtures;

import java.io.BufferedInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ChecksumsTest {
    @TempDir
    Path tmp;

    private static final LinkedHashSet<String> ALL = new LinkedHashSet<>(List.of("MD5", "SHA1", "SHA512", "BLAKE2B"));

    @Test
    void publishedVectorsForEmptyAndAbc() throws Exception {
        Path empty = Files.write(tmp.resolve("empty"), new byte[0]);
        Map<String, String> e = Checksums.compute(empty, ALL);
        assertThat(e.get("MD5")).isEqualTo("d41d8cd98f00b204e9800998ecf8427e");
        assertThat(e.get("SHA1")).isEqualTo("da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assertThat(e.get("BLAKE2B")).isEqualTo("786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419"
                + "d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce");
        Path abc = Files.writeString(tmp.resolve("abc"), "abc");
        Map<String, String> a = Checksums.compute(abc, ALL);
        assertThat(a.get("SHA512")).isEqualTo("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
        assertThat(a.get("BLAKE2B")).isEqualTo("ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
                + "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923");
    }

    /** Portage's own GPKG Manifest lines are digests of the members: ours must agree. */
    @Test
    void agreesWithPortageGpkgManifests() throws Exception {
        Path pkg = Fixtures.require("portage-made-gpkg/quickpkg/sys-libs/zlib/zlib-1.2.13-r1-1.gpkg.tar");
        String manifest = null;
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new BufferedInputStream(Files.newInputStream(pkg)))) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                String base = e.getName().substring(e.getName().lastIndexOf('/') + 1);
                Path out = tmp.resolve(base);
                Files.write(out, tar.readAllBytes());
                if (base.equals("Manifest")) manifest = Files.readString(out, StandardCharsets.UTF_8);
            }
        }
        assertThat(manifest).isNotNull();
        int checked = 0;
        for (String line : manifest.split("\n")) {
            String[] f = line.split(" ");
            if (!f[0].equals("DATA")) continue;
            Map<String, String> got = Checksums.compute(tmp.resolve(f[1]), new LinkedHashSet<>(List.of("SHA512", "BLAKE2B")));
            for (int i = 3; i + 1 < f.length; i += 2) {
                assertThat(got.get(f[i])).as(f[1] + " " + f[i]).isEqualTo(f[i + 1]);
                checked++;
            }
        }
        assertThat(checked).isGreaterThanOrEqualTo(6);
    }
}

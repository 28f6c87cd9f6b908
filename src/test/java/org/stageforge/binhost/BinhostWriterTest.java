package org.stageforge.binhost;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.StageforgeException;
import org.stageforge.archive.Compression;
import org.stageforge.archive.TarEntry;
import org.stageforge.binpkg.BinaryPackage;
import org.stageforge.binpkg.FileTable;
import org.stageforge.binpkg.GpkgWriter;
import org.stageforge.binpkg.IndexEntryChecks;
import org.stageforge.binpkg.VerifyOptions;
import org.stageforge.index.PackagesEntry;
import org.stageforge.index.PackagesIndex;
import org.stageforge.merge.DeclareDump;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BinhostWriterTest {
    private static final GpkgWriter.Options OPTS = new GpkgWriter.Options(Compression.ZSTD, 1_700_000_000L, null, FileTable.EMPTY);

    private static Path sourceTree(Path sources, String cat, String pf, String extraMetadata) throws Exception {
        Path t = sources.resolve(cat).resolve(pf);
        Path md = Files.createDirectories(t.resolve("metadata"));
        Files.writeString(md.resolve("CATEGORY"), cat + "\n");
        Files.writeString(md.resolve("PF"), pf + "\n");
        Files.writeString(md.resolve("SLOT"), "0\n");
        Files.writeString(md.resolve("EAPI"), "8\n");
        Files.writeString(md.resolve("USE"), "amd64\n");
        if (extraMetadata != null) Files.writeString(md.resolve("RDEPEND"), extraMetadata + "\n");
        Path bin = Files.createDirectories(t.resolve("image/usr/bin"));
        Files.writeString(bin.resolve(pf), "#!/bin/sh\necho " + pf + "\n");
        return t;
    }

    @Test
    void buildsVerifiableDeterministicBinhost(@TempDir Path tmp) throws Exception {
        Path src = tmp.resolve("src");
        sourceTree(src, "app-misc", "a-1.0", "app-misc/b");
        Path b = sourceTree(src, "app-misc", "b-2", null);
        Files.writeString(b.resolve("files.tsv"), "usr/bin/b-2 mode=4711 uid=0 gid=0\n");
        // a checkout made with a loose umask must not change the bytes
        Files.setPosixFilePermissions(b.resolve("image/usr/bin"), PosixFilePermissions.fromString("rwxrwxr-x"));
        Files.writeString(b.resolve("metadata/environment"), "declare -x ACCT_GROUP_ID=\"7\"\n");

        PackagesIndex one = BinhostWriter.build(src, tmp.resolve("one"), OPTS, Map.of("ARCH", "amd64"));
        Files.setPosixFilePermissions(b.resolve("image/usr/bin"), PosixFilePermissions.fromString("rwxr-xr-x"));
        BinhostWriter.build(src, tmp.resolve("two"), OPTS, Map.of("ARCH", "amd64"));

        assertThat(Files.readAllBytes(tmp.resolve("two/Packages"))).isEqualTo(Files.readAllBytes(tmp.resolve("one/Packages")));
        assertThat(one.header()).containsEntry("ARCH", "amd64").containsEntry("PACKAGES", "2").containsEntry("TIMESTAMP", "1700000000");
        assertThat(one.entries()).extracting(PackagesEntry::cpv).containsExactly("app-misc/a-1.0", "app-misc/b-2");
        PackagesEntry a = one.entries().get(0);
        assertThat(a.path()).isEqualTo("app-misc/a/a-1.0-1.gpkg.tar");
        assertThat(a.fields()).containsEntry("RDEPEND", "app-misc/b").containsEntry("MTIME", "1700000000");

        for (PackagesEntry e : one.entries()) {
            Path file = tmp.resolve("one").resolve(e.path());
            assertThat(Files.readAllBytes(tmp.resolve("two").resolve(e.path()))).isEqualTo(Files.readAllBytes(file));
            try (BinaryPackage bp = BinaryPackage.open(file)) {
                bp.verify(IndexEntryChecks.of(e.fields()), VerifyOptions.CHECKSUMS_ONLY);
            }
        }
        try (BinaryPackage bp = BinaryPackage.open(tmp.resolve("one").resolve(one.entries().get(1).path()))) {
            TarEntry bin = bp.entries().stream().filter(t -> t.path().equals("./usr/bin")).findFirst().orElseThrow();
            TarEntry exe = bp.entries().stream().filter(t -> t.path().equals("./usr/bin/b-2")).findFirst().orElseThrow();
            assertThat(bin.mode()).isEqualTo(0755);
            assertThat(exe.mode()).isEqualTo(04711);
            assertThat(bp.metadata().keys()).contains("environment.bz2").doesNotContain("environment");
            DeclareDump env = DeclareDump.parseBzip2("env", new ByteArrayInputStream(bp.metadata().environmentBz2()));
            assertThat(env.scalar("ACCT_GROUP_ID")).contains("7");
        }
    }

    @Test
    void refusesTreesWithoutPackages(@TempDir Path tmp) throws Exception {
        Files.createDirectories(tmp.resolve("src/app-misc/empty"));
        assertThatThrownBy(() -> BinhostWriter.build(tmp.resolve("src"), tmp.resolve("out"), OPTS, Map.of()))
                .isInstanceOf(StageforgeException.class).hasMessageContaining("no package source trees");
        assertThat(tmp.resolve("out/Packages")).doesNotExist();
    }

    @Test
    void missingCategoryIsNamed(@TempDir Path tmp) throws Exception {
        Path t = sourceTree(tmp.resolve("src"), "app-misc", "c-1", null);
        Files.delete(t.resolve("metadata/CATEGORY"));
        assertThatThrownBy(() -> BinhostWriter.build(tmp.resolve("src"), tmp.resolve("out"), OPTS, Map.of()))
                .hasMessageContaining("c-1/metadata: missing CATEGORY");
    }
}

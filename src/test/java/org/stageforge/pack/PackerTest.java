package org.stageforge.pack;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.archive.Compression;
import org.stageforge.archive.TarEntry;
import org.stageforge.archive.TarLimits;
import org.stageforge.archive.TarReader;
import org.stageforge.merge.FileTable;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PackerTest {
    @TempDir
    Path tmp;

    static final byte[] CAP = HexFormat.of().parseHex("0100000200200000000000000000000000000000");

    Path sampleRoot(String name) throws IOException {
        Path r = Files.createDirectories(tmp.resolve(name));
        Files.createDirectories(r.resolve("usr/bin"));
        Files.writeString(r.resolve("usr/bin/ping"), "elf");
        Files.createLink(r.resolve("usr/bin/ping6"), r.resolve("usr/bin/ping"));
        Files.createSymbolicLink(r.resolve("usr/bin/escape"), Path.of("../../../../etc/passwd"));
        Files.createDirectories(r.resolve("dev"));
        Files.writeString(r.resolve("dev/null"), "");
        Files.createDirectories(r.resolve("var/lib/stageforge"));
        Files.writeString(r.resolve("usr/bin/zz"), "z");
        FileTable t = FileTable.empty();
        t.put("usr/bin/ping", new FileTable.Entry('f', 04711, 0, 0, 0, 0, Map.of("security.capability", CAP)));
        t.put("dev/null", new FileTable.Entry('c', 0666, 0, 0, 1, 3, null));
        t.put("usr/bin/zz", new FileTable.Entry('f', 0750, 0, 101, 0, 0, null));
        t.save(r);
        for (Path p : List.of(r.resolve("usr/bin/ping"), r.resolve("usr/bin/zz"))) {
            Files.setLastModifiedTime(p, java.nio.file.attribute.FileTime.fromMillis(1_600_000_000_000L));
        }
        return r;
    }

    List<TarEntry> list(Path archive) throws IOException {
        List<TarEntry> out = new ArrayList<>();
        try (InputStream in = Compression.ZSTD.decompress(Files.newInputStream(archive));
             TarReader tar = new TarReader(in, archive.toString(), TarLimits.DEFAULT)) {
            TarEntry e;
            while ((e = tar.next()) != null) out.add(e);
        }
        return out;
    }

    @Test
    void archiveUsesTheFileTableSortsAndIsDeterministic() throws IOException {
        Path r = sampleRoot("root");
        Packer.Result a = Packer.pack(r, tmp.resolve("out/a.tar.zst"), 1_650_000_000L);
        List<TarEntry> entries = list(a.archive());
        List<String> names = entries.stream().map(TarEntry::path).toList();
        assertThat(names).containsExactly("./", "./dev/", "./dev/null", "./usr/", "./usr/bin/", "./usr/bin/escape",
                "./usr/bin/ping", "./usr/bin/ping6", "./usr/bin/zz", "./var/", "./var/lib/");
        Map<String, TarEntry> by = new TreeMap<>();
        entries.forEach(e -> by.put(e.path(), e));
        assertThat(by.get("./usr/bin/ping").mode()).isEqualTo(04711);
        assertThat(by.get("./usr/bin/ping").xattrs().get("security.capability")).containsExactly(CAP);
        assertThat(by.get("./usr/bin/ping").mtime()).isEqualTo(1_600_000_000L);
        assertThat(by.get("./usr/bin/ping6").type()).isEqualTo(TarEntry.Type.HARDLINK);
        assertThat(by.get("./usr/bin/ping6").linkTarget()).isEqualTo("./usr/bin/ping");
        assertThat(by.get("./usr/bin/ping6").mode()).isEqualTo(04711);
        assertThat(by.get("./dev/null").type()).isEqualTo(TarEntry.Type.CHAR);
        assertThat(by.get("./dev/null").devMinor()).isEqualTo(3);
        assertThat(by.get("./usr/bin/zz").gid()).isEqualTo(101);
        assertThat(by.get("./usr/bin/escape").linkTarget()).isEqualTo("../../../../etc/passwd");
        assertThat(by.get("./usr/").mtime()).isEqualTo(1_650_000_000L);

        String sums = Files.readString(tmp.resolve("out/SHA512SUMS"));
        assertThat(sums).isEqualTo(a.sha512() + "  a.tar.zst\n");
        Packer.Result b = Packer.pack(r, tmp.resolve("out/b.tar.zst"), 1_650_000_000L);
        assertThat(Files.readAllBytes(b.archive())).isEqualTo(Files.readAllBytes(a.archive()));
        assertThat(Files.readString(tmp.resolve("out/SHA512SUMS"))).contains("  a.tar.zst\n", "  b.tar.zst\n");
        try (var s = Files.list(tmp.resolve("out"))) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("a.tar.zst", "b.tar.zst", "SHA512SUMS");
        }
        // release artifacts are world-readable, not the 0600 of a temporary file
        assertThat(Files.getPosixFilePermissions(a.archive())).isEqualTo(PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(Files.getPosixFilePermissions(tmp.resolve("out/SHA512SUMS"))).isEqualTo(PosixFilePermissions.fromString("rw-r--r--"));
    }

    @Test
    void gnuTarSeesSetuidCapabilityAndDevice() throws Exception {
        Path r = sampleRoot("root");
        Path out = Packer.pack(r, tmp.resolve("s.tar.gz"), 1_650_000_000L).archive();
        Process p = new ProcessBuilder("tar", "--xattrs", "--xattrs-include=*", "--numeric-owner", "-tvvzf", out.toString())
                .redirectErrorStream(true).start();
        String listing = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(listing).isZero();
        assertThat(listing).containsPattern("-rws--x--x\\*? 0/0 +3 [-0-9: ]+\\./usr/bin/ping\\n")
                .containsPattern("crw-rw-rw- +0/0 +1,3 ")
                .contains("x: 20 security.capability");
    }

    @Test
    void xzAndPlainTarWorkAndUnknownSuffixIsRefused() throws IOException {
        Path r = sampleRoot("root");
        assertThat(Packer.pack(r, tmp.resolve("x.tar.xz"), 0).entries()).isEqualTo(11);
        assertThat(Packer.pack(r, tmp.resolve("x.tar"), 0).entries()).isEqualTo(11);
        assertThatThrownBy(() -> Packer.pack(r, tmp.resolve("x.zip"), 0)).hasMessageContaining("unknown archive type");
    }

    @Test
    void aRootThatCannotBePackedLeavesNothingBehind() throws Exception {
        Path r = sampleRoot("root");
        // a socket sorts after the paths already written when the root is read
        try (var server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            server.bind(java.net.UnixDomainSocketAddress.of(r.resolve("var/zz.sock")));
            assertThatThrownBy(() -> Packer.pack(r, tmp.resolve("new/dirs/x.tar.zst"), 0))
                    .isInstanceOf(org.stageforge.StageforgeException.class)
                    .hasMessage("cannot read " + r.toAbsolutePath().normalize() + ": " + r.toAbsolutePath().normalize().resolve("var/zz.sock")
                            + ": sockets and unknown file types cannot be packed");
        }
        assertThat(tmp.resolve("new")).doesNotExist();
    }

    @Test
    void sourceDateEpochDefaults() throws IOException {
        Path r = sampleRoot("root");
        assertThat(Packer.sourceDateEpoch(r, java.util.OptionalLong.of(5), Map.of("SOURCE_DATE_EPOCH", "7"))).isEqualTo(5);
        assertThat(Packer.sourceDateEpoch(r, java.util.OptionalLong.empty(), Map.of("SOURCE_DATE_EPOCH", "7"))).isEqualTo(7);
        assertThat(Packer.sourceDateEpoch(r, java.util.OptionalLong.empty(), Map.of())).isZero();
    }
}

package org.stageforge.index;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.stageforge.ParseException;
import org.stageforge.testutil.Fixtures;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PackagesIndexTest {

    private static final String SMALL = """
            CHOST: x86_64-pc-linux-gnu
            PACKAGES: 3
            TIMESTAMP: 100
            VERSION: 0

            BUILD_ID: 2
            CPV: sys-libs/zlib-1.3
            EAPI: 8
            MD5: 0123
            PATH: sys-libs/zlib/zlib-1.3-2.gpkg.tar
            SIZE: 1234
            SLOT: 0/1
            USE: abi_x86_64 amd64 minizip
            MTIME: 99
            REPO: gentoo

            CPV: app-misc/foo-1
            DESC: A foo

            BUILD_ID: 1
            CPV: sys-libs/zlib-1.3
            CHOST: aarch64-unknown-linux-gnu
            MTIME: 98
            REPO: gentoo

            """;

    private static PackagesIndex small() {
        return PackagesIndex.parse("Packages", SMALL.getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @ValueSource(strings = {"binhost-xpak-amd64/Packages", "binhost-gpkg-amd64/Packages", "binhost-synth-gpkg/Packages"})
    void fixtureIndexesRoundTripByteIdentical(String rel) throws Exception {
        Path p = Fixtures.require(rel);
        byte[] original = Files.readAllBytes(p);
        PackagesIndex idx = PackagesIndex.read(p);
        assertThat(idx.entries()).hasSize(Integer.parseInt(idx.header().get("PACKAGES")));
        assertThat(idx.toBytes()).isEqualTo(original);
        // these indexes were written by Portage, so the canonical writer reproduces them too
        assertThat(new String(idx.toCanonicalBytes(OptionalLong.empty()), StandardCharsets.UTF_8))
                .isEqualTo(new String(original, StandardCharsets.UTF_8));
    }

    @Test
    void fixtureGzipAndDirectoryReadTheSame() {
        Path dir = Fixtures.require("binhost-synth-gpkg");
        PackagesIndex plain = PackagesIndex.read(dir.resolve("Packages"));
        PackagesIndex gz = PackagesIndex.read(dir.resolve("Packages.gz"));
        assertThat(gz.toBytes()).isEqualTo(plain.toBytes());
        assertThat(PackagesIndex.read(dir).entries()).hasSize(200);
    }

    @Test
    void fixtureXpakTypedAccessors() {
        PackagesIndex idx = PackagesIndex.read(Fixtures.require("binhost-xpak-amd64/Packages"));
        PackagesEntry adm = idx.entries("acct-group/adm-0-r2").get(0);
        assertThat(adm.buildId()).hasValue(1);
        assertThat(adm.path()).isEqualTo("acct-group/adm/adm-0-r2-1.xpak");
        assertThat(adm.size()).hasValue(9839);
        assertThat(adm.md5()).hasValue("e28c66a1b80813f7a918260b3a3e94b8");
        assertThat(adm.eapi()).isEqualTo("7");
        assertThat(adm.slot()).isEqualTo("0");
        assertThat(adm.repo()).hasValue("gentoo");
        assertThat(adm.chost()).hasValue("x86_64-pc-linux-gnu");
        assertThat(adm.raw("CHOST")).isEmpty();
        assertThat(adm.use()).containsExactly("abi_x86_64", "amd64", "elibc_glibc", "kernel_linux");
        assertThat(adm.definedPhases()).containsExactly("install", "preinst", "pretend");
        // multi-instance: systemd has two builds
        assertThat(idx.entries().stream().filter(e -> e.cpv().startsWith("sys-apps/systemd-")).count()).isEqualTo(2);
    }

    @Test
    void typedAccessorsInheritanceAndDefaults() {
        PackagesIndex idx = small();
        List<PackagesEntry> zlib = idx.entries("sys-libs/zlib-1.3");
        assertThat(zlib).hasSize(2);
        PackagesEntry z2 = zlib.get(0);
        assertThat(z2.category()).isEqualTo("sys-libs");
        assertThat(z2.pf()).isEqualTo("zlib-1.3");
        assertThat(z2.slot()).isEqualTo("0/1");
        assertThat(z2.slotName()).isEqualTo("0");
        assertThat(z2.subSlot()).isEqualTo("1");
        assertThat(z2.chost()).hasValue("x86_64-pc-linux-gnu");
        assertThat(z2.value("repository")).hasValue("gentoo");
        assertThat(z2.mtime()).hasValue(99);
        PackagesEntry foo = idx.entries("app-misc/foo-1").get(0);
        assertThat(foo.path()).isEqualTo("app-misc/foo-1.tbz2");
        assertThat(foo.buildId()).isEmpty();
        assertThat(foo.eapi()).isEqualTo("0");
        assertThat(foo.slot()).isEqualTo("0");
        assertThat(foo.description()).isEqualTo("A foo");
        assertThat(foo.repo()).isEmpty();
        assertThat(zlib.get(1).chost()).hasValue("aarch64-unknown-linux-gnu");
        assertThat(foo.line()).isEqualTo(17);
    }

    @Test
    void canonicalWriterFollowsPortage() {
        Map<String, String> header = new LinkedHashMap<>();
        header.put("VERSION", "0");
        header.put("CHOST", "x86_64-pc-linux-gnu");
        header.put("EMPTY", "");
        Map<String, String> b = new LinkedHashMap<>();
        b.put("REPO", "gentoo");
        b.put("MTIME", "5");
        b.put("CPV", "b/b-1");
        b.put("SLOT", "0");
        b.put("EAPI", "0");
        b.put("CHOST", "x86_64-pc-linux-gnu");
        b.put("USE", "");
        b.put("DESC", "d");
        b.put("BUILD_ID", "1");
        Map<String, String> a = new LinkedHashMap<>();
        a.put("CPV", "a/a-1");
        a.put("CHOST", "i686-pc-linux-gnu");
        a.put("SLOT", "1");
        PackagesIndex idx = PackagesIndex.of(header, List.of(b, a));
        String out = new String(idx.toCanonicalBytes(OptionalLong.of(1700000000L)), StandardCharsets.UTF_8);
        assertThat(out).isEqualTo("""
                CHOST: x86_64-pc-linux-gnu
                PACKAGES: 2
                TIMESTAMP: 1700000000
                VERSION: 0

                CHOST: i686-pc-linux-gnu
                CPV: a/a-1
                SLOT: 1

                BUILD_ID: 1
                CPV: b/b-1
                DESC: d
                MTIME: 5
                REPO: gentoo

                """);
        // the exact writer keeps what was given
        assertThat(new String(idx.toBytes(), StandardCharsets.UTF_8)).startsWith("VERSION: 0\nCHOST: x86_64-pc-linux-gnu\nEMPTY: \n\nREPO: gentoo\n");
    }

    @Test
    void readsGzipAndDirectory(@TempDir Path tmp) throws Exception {
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(tmp.resolve("Packages.gz")))) {
            o.write(SMALL.getBytes(StandardCharsets.UTF_8));
        }
        assertThat(PackagesIndex.read(tmp).toBytes()).isEqualTo(SMALL.getBytes(StandardCharsets.UTF_8));
        small().write(tmp.resolve("sub/Packages"));
        assertThat(Files.readString(tmp.resolve("sub/Packages"))).isEqualTo(SMALL);
        assertThat(PackagesIndex.read(tmp.resolve("sub")).entries()).hasSize(3);
        small().writeCanonical(tmp.resolve("canon/Packages"), OptionalLong.of(5));
        PackagesIndex canon = PackagesIndex.read(tmp.resolve("canon/Packages"));
        assertThat(canon.header()).containsEntry("TIMESTAMP", "5").containsEntry("PACKAGES", "3");
        // sorted by CPV, stable for the two zlib builds; the own CHOST equal to the header's is dropped
        assertThat(canon.entries()).extracting(PackagesEntry::cpv).containsExactly("app-misc/foo-1", "sys-libs/zlib-1.3", "sys-libs/zlib-1.3");
        assertThat(canon.entries().get(1).buildId()).hasValue(2);
        assertThat(canon.entries().get(2).raw("CHOST")).hasValue("aarch64-unknown-linux-gnu");
    }

    @Test
    void errorsNameFileAndLine() {
        assertError("A: 1\n\nCPV: a/b-1\nbogus line\n\n", "Packages:4: expected 'KEY: value', got 'bogus line'");
        assertError("A: 1\n\nCPV: a/b-1\nSIZE: 1\nSIZE: 2\n\n", "Packages:5: duplicate key SIZE in package block starting at line 3");
        assertError("A: 1\nA: 2\n\n", "Packages:2: duplicate key A in header");
        assertError("A: 1\n\nSIZE: 1\n\n", "Packages:3: package block has no CPV");
        assertError("A: 1\n\nCPV: nocategory-1\n\n", "Packages:3: invalid CPV 'nocategory-1'");
        assertError("A: 1\n\nCPV: ../x-1\n\n", "Packages:3: invalid CPV '../x-1'");
        assertError("A: 1\n\nCPV: a/b-1\nSIZE: 12k\n\n", "Packages:4: SIZE of a/b-1 is not a number: '12k'");
        assertError("A: 1\n\nCPV: a/b-1\nPATH: ../../etc/passwd\n\n", "Packages:4: unsafe PATH of a/b-1: '../../etc/passwd'");
        assertError("A: 1\n\nCPV: a/b-1\nPATH: /abs\n\n", "Packages:4: unsafe PATH of a/b-1: '/abs'");
        assertError("A: 1\n\nCPV: a/b-1\n", "Packages:3: package block is not ended by a blank line");
        assertError("A: 1\n", "Packages:1: header block is not ended by a blank line");
        assertError("", "Packages: header block is not ended by a blank line");
        assertError("A: 1\n\nCPV: a/b-1\n\n\n", "Packages:5: empty package block (two blank lines in a row)");
        assertError("A: 1\n\nCPV: a/b-1", "Packages:3: last line has no newline");
        assertError("A: 1\r\n\n", "Packages:1: carriage return in line");
        assertError("A B: 1\n\n", "Packages:1: invalid key 'A B'");
    }

    @Test
    void invalidUtf8NamesLine() {
        byte[] data = "A: 1\n\nCPV: a/b-1\nDESC: x\n\n".getBytes(StandardCharsets.UTF_8);
        data[data.length - 3] = (byte) 0xff;
        assertThatThrownBy(() -> PackagesIndex.parse("Packages", data))
                .isInstanceOf(ParseException.class).hasMessage("Packages:4: not valid UTF-8");
    }

    @Test
    void emptyHeaderAndKeyWithEmptyValueRoundTrip() {
        String text = "\nCPV: a/b-1\nUSE: \n\n";
        PackagesIndex idx = PackagesIndex.parse("P", text.getBytes(StandardCharsets.UTF_8));
        assertThat(idx.header()).isEmpty();
        assertThat(idx.entries().get(0).use()).isEmpty();
        assertThat(new String(idx.toBytes(), StandardCharsets.UTF_8)).isEqualTo(text);
    }

    private static void assertError(String text, String message) {
        assertThatThrownBy(() -> PackagesIndex.parse("Packages", text.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(ParseException.class).hasMessage(message);
    }
}

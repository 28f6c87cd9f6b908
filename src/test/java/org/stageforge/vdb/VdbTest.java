package org.stageforge.vdb;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ParseException;
import org.stageforge.StageforgeException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VdbTest {

    private static VdbEntry zlib(long counter) {
        return VdbEntry.builder("sys-libs", "zlib-1.3-r1")
                .field("SLOT", "0/1")
                .field("EAPI", "8")
                .field("USE", "abi_x86_64  amd64")
                .field("IUSE", "")
                .field("repository", "gentoo")
                .field("BUILD_ID", "3")
                .field("FEATURES", "sandbox")
                .field("RDEPEND", ">=sys-libs/glibc-2.38")
                .counter(counter)
                .contents(List.of(ContentsEntry.dir("/usr"), ContentsEntry.dir("/usr/lib64"),
                        ContentsEntry.obj("/usr/lib64/libz.so.1.3", "0123456789abcdef0123456789abcdef", 1700000000L),
                        ContentsEntry.sym("/usr/lib64/libz.so.1", "libz.so.1.3", 1700000001L)))
                .environment("declare -x FOO=\"bar\"\n")
                .file("zlib-1.3-r1.ebuild", "EAPI=8\n".getBytes(StandardCharsets.UTF_8))
                .build();
    }

    @Test
    void builderWritesPortageFileFormats() {
        VdbEntry e = zlib(7);
        assertThat(e.text("SLOT")).hasValue("0/1\n");
        assertThat(e.text("IUSE")).hasValue("\n");
        assertThat(e.text("COUNTER")).hasValue("7");
        assertThat(e.text("BUILD_ID")).hasValue("3");
        assertThat(e.text("CATEGORY")).hasValue("sys-libs\n");
        assertThat(e.text("PF")).hasValue("zlib-1.3-r1\n");
        assertThat(e.text("CONTENTS")).hasValue("dir /usr\ndir /usr/lib64\n"
                + "obj /usr/lib64/libz.so.1.3 0123456789abcdef0123456789abcdef 1700000000\n"
                + "sym /usr/lib64/libz.so.1 -> libz.so.1.3 1700000001\n");
        assertThat(e.environment()).hasValue("declare -x FOO=\"bar\"\n");
        assertThat(e.file("environment.bz2").orElseThrow()).startsWith((byte) 'B', (byte) 'Z', (byte) 'h');
        assertThat(e.ebuild()).hasValue("EAPI=8\n");
        assertThat(e.use()).containsExactly("abi_x86_64", "amd64");
        assertThat(e.get("USE")).isEqualTo("abi_x86_64 amd64");
        assertThat(e.subSlot()).isEqualTo("1");
        assertThat(e.repo()).hasValue("gentoo");
        assertThat(e.rdepend()).isEqualTo(">=sys-libs/glibc-2.38");
        // only cached fields, sorted (lower-case "repository" last), empty values kept
        assertThat(e.metadataBody()).isEqualTo("#format=1\nBUILD_ID=3\nCOUNTER=7\nEAPI=8\nIUSE=\n"
                + "RDEPEND=>=sys-libs/glibc-2.38\nSLOT=0/1\nUSE=abi_x86_64 amd64\nrepository=gentoo\n");
        assertThat(VdbEntry.builder("a", "b-1").file("CONTENTS", new byte[0]).build().metadataBody()).isEmpty();
        // Portage normalizes with Python's str.split(): a no-break space or U+0085 separates words too
        VdbEntry desc = VdbEntry.builder("a", "b-1").file("DESCRIPTION", " A\u00a0tool\u0085for\t x \n".getBytes(StandardCharsets.UTF_8)).build();
        assertThat(desc.description()).isEqualTo("A tool for x");
        assertThat(desc.metadataBody()).isEqualTo("#format=1\nDESCRIPTION=A tool for x\n");
        assertThatThrownBy(() -> VdbEntry.builder("a", "b-1").field("SLOT", "0\n1")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void writeReadRemoveAndReplace(@TempDir Path root) throws Exception {
        Vdb vdb = Vdb.open(root);
        assertThat(vdb.cpvs()).isEmpty();
        Vdb.write(root, zlib(0));
        Path dir = root.resolve("var/db/pkg/sys-libs/zlib-1.3-r1");
        String meta = Files.readString(dir.resolve("metadata"));
        assertThat(meta).isEqualTo(zlib(0).metadataBody() + "#dir_mtime=" + Files.getLastModifiedTime(dir).to(TimeUnit.NANOSECONDS) + "\n");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwxr-xr-x");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("SLOT")))).isEqualTo("rw-r--r--");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("metadata")))).isEqualTo("rw-r--r--");
        VdbEntry back = vdb.get("sys-libs/zlib-1.3-r1").orElseThrow();
        assertThat(back.files().keySet()).contains("metadata", "CONTENTS", "environment.bz2");
        assertThat(back.contents()).isEqualTo(zlib(0).contents());
        assertThat(back.counter()).hasValue(0);
        // replacing an entry of the same PF leaves exactly the new one, and no temporary directory
        Vdb.write(root, zlib(5));
        assertThat(vdb.get("sys-libs/zlib-1.3-r1").orElseThrow().counter()).hasValue(5);
        try (var s = Files.list(root.resolve("var/db/pkg/sys-libs"))) {
            assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("zlib-1.3-r1");
        }
        Vdb.write(root, VdbEntry.builder("sys-libs", "zlib-1.2").counter(1).build());
        Vdb.write(root, VdbEntry.builder("sys-libs", "zlib-ng-2.1").counter(2).build());
        Vdb.write(root, VdbEntry.builder("app-misc", "foo-1.0_rc1-r2").counter(3).build());
        assertThat(vdb.cpvs()).containsExactly("app-misc/foo-1.0_rc1-r2", "sys-libs/zlib-1.2", "sys-libs/zlib-1.3-r1", "sys-libs/zlib-ng-2.1");
        assertThat(vdb.findByCp("sys-libs/zlib")).extracting(VdbEntry::pf).containsExactly("zlib-1.2", "zlib-1.3-r1");
        assertThat(vdb.findByCp("app-misc/foo")).hasSize(1);
        assertThat(vdb.installed()).hasSize(4);
        assertThat(Vdb.remove(root, "sys-libs/zlib-1.2")).isTrue();
        assertThat(Vdb.remove(root, "sys-libs/zlib-1.2")).isFalse();
        assertThat(vdb.findByCp("sys-libs/zlib")).extracting(VdbEntry::pf).containsExactly("zlib-1.3-r1");
        // half-written (hidden) directories are not entries
        Files.createDirectories(root.resolve("var/db/pkg/sys-libs/.new-x-1-123"));
        Files.createDirectories(root.resolve("var/db/pkg/sys-libs/-MERGING-y-1"));
        Files.createDirectories(root.resolve("var/db/pkg/lost+found/z-1"));
        assertThat(vdb.cpvs()).hasSize(3);
    }

    @Test
    void packageNameOfPf() {
        assertThat(Vdb.packageName("foo-bar-1.2.3b_alpha1_p2-r3")).isEqualTo("foo-bar");
        assertThat(Vdb.packageName("gtk+-3.24")).isEqualTo("gtk+");
        assertThat(Vdb.packageName("font-4-2")).isEqualTo("font-4");
        assertThat(Vdb.packageName("noversion")).isEqualTo("noversion");
    }

    @Test
    void counterAllocationFollowsPortage(@TempDir Path root) throws Exception {
        Vdb vdb = Vdb.open(root);
        assertThat(vdb.nextCounter()).isEqualTo(0);
        assertThat(Files.readString(root.resolve("var/cache/edb/counter"))).isEqualTo("0");
        assertThat(vdb.nextCounter()).isEqualTo(1);
        // an installed COUNTER above the counter file wins
        Vdb.write(root, VdbEntry.builder("a", "b-1").counter(41).build());
        assertThat(vdb.nextCounter()).isEqualTo(42);
        // a counter file above every package wins
        Files.writeString(root.resolve("var/cache/edb/counter"), "99\n");
        assertThat(vdb.nextCounter()).isEqualTo(100);
        // a corrupt counter file counts as missing
        Files.writeString(root.resolve("var/cache/edb/counter"), "garbage");
        assertThat(vdb.nextCounter()).isEqualTo(42);
        assertThat(Files.readString(root.resolve("var/cache/edb/counter"))).isEqualTo("42");
    }

    @Test
    void hostileNamesAreRefused(@TempDir Path root) throws Exception {
        assertThatThrownBy(() -> Vdb.open(root).get("../etc")).isInstanceOf(StageforgeException.class).hasMessageContaining("unsafe category name '..'");
        assertThatThrownBy(() -> Vdb.open(root).get("sys-libs/..")).isInstanceOf(StageforgeException.class).hasMessageContaining("unsafe package name '..'");
        assertThatThrownBy(() -> Vdb.remove(root, "a/../../x")).isInstanceOf(StageforgeException.class);
        assertThatThrownBy(() -> VdbEntry.builder("..", "x-1").build()).isInstanceOf(StageforgeException.class);
        assertThatThrownBy(() -> VdbEntry.builder("a", "x-1").file("../../etc/passwd", new byte[0]).build())
                .isInstanceOf(StageforgeException.class).hasMessageContaining("unsafe VDB file name");
        assertThatThrownBy(() -> Vdb.open(root).get("nocategory")).isInstanceOf(ParseException.class);
        // a symlink inside an entry is not followed
        Path d = root.resolve("var/db/pkg/a/b-1");
        Files.createDirectories(d);
        Files.writeString(root.resolve("secret"), "x");
        Files.createSymbolicLink(d.resolve("CONTENTS"), root.resolve("secret"));
        assertThatThrownBy(() -> Vdb.open(root).get("a/b-1")).isInstanceOf(ParseException.class).hasMessageContaining("symbolic link");
        assertThat(Files.exists(root.resolve("etc"))).isFalse();
    }

    @Test
    void symlinksInTheRootAreNotFollowedWhenWriting(@TempDir Path tmp) throws Exception {
        Path root = tmp.resolve("root");
        Path elsewhere = tmp.resolve("elsewhere");
        Files.createDirectories(root.resolve("var"));
        Files.createDirectories(elsewhere);
        Files.createSymbolicLink(root.resolve("var/db"), elsewhere);
        Files.createSymbolicLink(root.resolve("var/lib"), elsewhere);
        Files.createSymbolicLink(root.resolve("var/cache"), elsewhere);
        assertThatThrownBy(() -> Vdb.write(root, zlib(1))).isInstanceOf(StageforgeException.class)
                .hasMessage("refusing to write through symbolic link " + root.resolve("var/db"));
        assertThatThrownBy(() -> new WorldFile(List.of("a/b"), List.of()).write(root)).isInstanceOf(StageforgeException.class);
        assertThatThrownBy(() -> Vdb.open(root).nextCounter()).isInstanceOf(StageforgeException.class);
        try (var s = Files.list(elsewhere)) {
            assertThat(s.toList()).isEmpty();
        }
        Files.createDirectories(elsewhere.resolve("pkg/sys-libs/zlib-1"));
        assertThatThrownBy(() -> Vdb.remove(root, "sys-libs/zlib-1")).isInstanceOf(StageforgeException.class)
                .hasMessage("refusing to remove through symbolic link " + root.resolve("var/db"));
        assertThat(elsewhere.resolve("pkg/sys-libs/zlib-1")).isDirectory();
    }

    @Test
    void badNumbersNameTheFile() {
        VdbEntry e = VdbEntry.builder("a", "b-1").field("COUNTER", "x1").build();
        assertThatThrownBy(e::counter).isInstanceOf(ParseException.class).hasMessage("var/db/pkg/a/b-1/COUNTER:1: not a number: 'x1'");
        VdbEntry bad = VdbEntry.builder("a", "b-1").file("environment.bz2", new byte[] {1, 2, 3}).build();
        assertThatThrownBy(bad::environment).isInstanceOf(ParseException.class).hasMessageStartingWith("var/db/pkg/a/b-1/environment.bz2: not valid bzip2 data");
    }

    @Test
    void worldFileSortedOneLineEach(@TempDir Path root) throws Exception {
        new WorldFile(List.of("sys-libs/zlib", "app-misc/foo", "sys-libs/zlib"), List.of()).write(root);
        assertThat(Files.readString(root.resolve(WorldFile.WORLD))).isEqualTo("app-misc/foo\nsys-libs/zlib\n");
        assertThat(Files.readString(root.resolve(WorldFile.WORLD_SETS))).isEmpty();
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve(WorldFile.WORLD)))).isEqualTo("rw-r--r--");
        Files.writeString(root.resolve(WorldFile.WORLD), "# comment\n  sys-apps/b  \n\na/a\n");
        WorldFile w = WorldFile.read(root).withAtom("c/c:1");
        assertThat(w.atoms()).containsExactly("a/a", "c/c:1", "sys-apps/b");
        assertThat(WorldFile.read(root.resolve("nothing")).atoms()).isEmpty();
        assertThat(new String(WorldFile.render(List.of("@b", "@a")), StandardCharsets.UTF_8)).isEqualTo("@a\n@b\n");
        assertThatThrownBy(() -> new WorldFile(List.of("a b"), List.of())).isInstanceOf(IllegalArgumentException.class);
    }
}

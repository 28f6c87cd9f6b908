package org.stageforge.vdb;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.testutil.Fixtures;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Every VDB entry Portage wrote in the fixtures reads and writes back byte for byte. */
class VdbFixtureTest {

    private static List<Path> cases() throws Exception {
        Path install = Fixtures.require("portage-expected/install");
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(install)) {
            s.filter(p -> Files.isDirectory(p.resolve("vdb"))).sorted().forEach(out::add);
        }
        return out;
    }

    @Test
    void everyFixtureEntryRoundTrips(@TempDir Path tmp) throws Exception {
        int entries = 0;
        for (Path c : cases()) {
            // the fixture keeps var/db/pkg as "vdb": copy it into a root to read it through Vdb
            Path in = tmp.resolve("in").resolve(c.getFileName().toString());
            copyTree(c.resolve("vdb"), in.resolve(Vdb.VDB_PATH));
            Path root = tmp.resolve("out").resolve(c.getFileName().toString());
            List<VdbEntry> installed = Vdb.open(in).installed();
            assertThat(installed).extracting(VdbEntry::cpv).isEqualTo(Vdb.open(in).cpvs());
            for (VdbEntry e : installed) {
                String cpv = e.cpv();
                Path pkgDir = c.resolve("vdb").resolve(cpv);
                entries++;
                assertThat(e.contents()).as(cpv).isNotEmpty();
                assertThat(e.counter()).as(cpv).isPresent();
                // the consolidated metadata Portage wrote, minus its stamp, is what we derive
                String meta = e.text("metadata").orElseThrow();
                assertThat(meta.substring(0, meta.lastIndexOf("#dir_mtime="))).as(cpv).isEqualTo(e.metadataBody());
                Vdb.write(root, e);
                Path out = root.resolve(Vdb.VDB_PATH).resolve(cpv);
                assertThat(names(out)).as(cpv).isEqualTo(names(pkgDir));
                for (Path f : list(pkgDir)) {
                    byte[] written = Files.readAllBytes(out.resolve(f.getFileName().toString()));
                    if (f.getFileName().toString().equals("metadata")) {
                        // only the stamp differs: it is the new directory's mtime
                        String w = new String(written, StandardCharsets.UTF_8);
                        assertThat(w).as(cpv).isEqualTo(e.metadataBody() + "#dir_mtime="
                                + Files.getLastModifiedTime(out).to(TimeUnit.NANOSECONDS) + "\n");
                    } else {
                        assertThat(written).as(cpv + "/" + f.getFileName()).isEqualTo(Files.readAllBytes(f));
                    }
                }
                assertThat(Vdb.open(root).get(cpv).orElseThrow().contents()).isEqualTo(e.contents());
            }
            assertThat(Vdb.open(root).cpvs()).isEqualTo(Vdb.open(in).cpvs());
        }
        assertThat(entries).isEqualTo(12);
    }

    private static void copyTree(Path from, Path to) throws Exception {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
    }

    @Test
    void fixtureCountersFollowInstallOrderFromZero() throws Exception {
        Path nodeps = Fixtures.require("portage-expected/install/nodeps/vdb");
        VdbEntry baselayout = readFixtureEntry(nodeps.resolve("sys-apps/baselayout-2.13-r1"), "sys-apps/baselayout-2.13-r1");
        assertThat(baselayout.counter()).hasValue(0);
        assertThat(baselayout.text("COUNTER")).hasValue("0");
        assertThat(baselayout.slot()).isEqualTo("0");
        assertThat(baselayout.repo()).hasValue("gentoo");
        assertThat(baselayout.buildId()).isPresent();
        VdbEntry adm = readFixtureEntry(nodeps.resolve("acct-group/adm-0-r2"), "acct-group/adm-0-r2");
        assertThat(adm.inherited()).containsExactly("user-info", "acct-group");
        VdbEntry zlib = readFixtureEntry(nodeps.resolve("sys-libs/zlib-1.2.13-r1"), "sys-libs/zlib-1.2.13-r1");
        assertThat(zlib.provides()).isEqualTo("x86_32: libz.so.1 x86_64: libz.so.1");
        assertThat(zlib.neededElf2()).hasSize(2).allMatch(l -> l.contains("libz.so.1"));
        assertThat(zlib.size()).hasValue(534403);
    }

    @Test
    void installedEntriesAgreeWithTheBinhostIndexTheyCameFrom(@TempDir Path tmp) throws Exception {
        org.stageforge.index.PackagesIndex idx = org.stageforge.index.PackagesIndex.read(Fixtures.require("binhost-xpak-amd64"));
        int checked = 0;
        for (Path c : cases()) {
            Path in = tmp.resolve(c.getFileName().toString());
            copyTree(c.resolve("vdb"), in.resolve(Vdb.VDB_PATH));
            for (VdbEntry e : Vdb.open(in).installed()) {
                var binpkg = idx.entries(e.cpv()).stream()
                        .filter(p -> p.buildId().equals(e.buildId())).findFirst().orElseThrow();
                assertThat(e.binpkgMd5()).as(e.cpv()).isEqualTo(binpkg.md5());
                assertThat(e.buildTime()).as(e.cpv()).isEqualTo(binpkg.buildTime());
                assertThat(e.eapi()).as(e.cpv()).isEqualTo(binpkg.eapi());
                assertThat(e.slot()).as(e.cpv()).isEqualTo(binpkg.slot());
                assertThat(e.repo()).as(e.cpv()).isEqualTo(binpkg.repo());
                assertThat(e.get("CHOST")).as(e.cpv()).isEqualTo(binpkg.chost().orElseThrow());
                assertThat(e.keywords()).as(e.cpv()).isEqualTo(binpkg.keywords());
                assertThat(e.rdepend()).as(e.cpv()).isEqualTo(binpkg.rdepend());
                assertThat(e.provides()).as(e.cpv()).isEqualTo(binpkg.provides());
                checked++;
            }
        }
        assertThat(checked).isEqualTo(12);
    }

    @Test
    void fixtureWorldFilesAreWhatWeWrite(@TempDir Path tmp) throws Exception {
        int n = 0;
        for (Path c : cases()) {
            Path world = c.resolve(WorldFile.WORLD);
            if (!Files.exists(world)) continue;
            WorldFile w = WorldFile.read(c);
            Path out = tmp.resolve(c.getFileName().toString());
            w.write(out);
            assertThat(Files.readAllBytes(out.resolve(WorldFile.WORLD))).isEqualTo(Files.readAllBytes(world));
            assertThat(Files.readAllBytes(out.resolve(WorldFile.WORLD_SETS))).isEqualTo(Files.readAllBytes(c.resolve(WorldFile.WORLD_SETS)));
            n++;
        }
        assertThat(n).isEqualTo(4);
    }

    @Test
    void specialNodeContentsFixturesParse() throws Exception {
        Path dir = Fixtures.require("portage-expected/install/config-protect");
        for (String name : List.of("special-nodes-2.CONTENTS", "special-nodes.INSTALL_MASK.CONTENTS")) {
            String text = Files.readString(dir.resolve(name));
            List<ContentsEntry> parsed = Contents.parse(name, text);
            assertThat(Contents.format(parsed)).isEqualTo(text);
            assertThat(parsed).extracting(ContentsEntry::type).contains(ContentsEntry.Type.OBJ, ContentsEntry.Type.DIR, ContentsEntry.Type.SYM);
        }
        List<ContentsEntry> two = Contents.parse("x", Files.readString(dir.resolve("special-nodes-2.CONTENTS")));
        assertThat(two).contains(ContentsEntry.fif("/var/spool/oracle/fifo"),
                ContentsEntry.obj("/usr/share/oracle/file with spaces.txt", "c1f10cfd640618484a2a475c11410fd3", 1795363637L),
                ContentsEntry.sym("/usr/lib/oracle-dirlink", "../share/oracle", 1795363637L));
    }

    /** Reads a fixture entry directory (laid out like var/db/pkg/CAT/PF) through a temporary root. */
    static VdbEntry readFixtureEntry(Path pkgDir, String cpv) throws Exception {
        VdbEntry.Builder b = VdbEntry.builder(cpv.substring(0, cpv.indexOf('/')), cpv.substring(cpv.indexOf('/') + 1));
        for (Path f : list(pkgDir)) b.file(f.getFileName().toString(), Files.readAllBytes(f));
        return b.build();
    }

    private static List<Path> list(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.sorted().toList();
        }
    }

    private static List<String> names(Path d) throws Exception {
        return list(d).stream().map(p -> p.getFileName().toString()).toList();
    }
}

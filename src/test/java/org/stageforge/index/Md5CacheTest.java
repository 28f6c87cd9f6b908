package org.stageforge.index;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stageforge.ParseException;
import org.stageforge.testutil.Fixtures;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class Md5CacheTest {

    @Test
    void readsAllFixtureEntriesAndWritesThemBack() throws Exception {
        Path repo = Fixtures.require("gentoo-repo");
        Md5Cache cache = Md5Cache.ofRepository(repo);
        List<Md5CacheEntry> all = cache.entries();
        assertThat(all).hasSize(63);
        for (Md5CacheEntry e : all) {
            byte[] original = Files.readAllBytes(cache.dir().resolve(e.cpv()));
            assertThat(e.toBytes()).as(e.cpv()).isEqualTo(original);
            // Portage wrote them: sorted keys, so the canonical form is the same bytes
            assertThat(e.toCanonicalBytes()).as(e.cpv()).isEqualTo(original);
            assertThat(e.ebuildMd5()).as(e.cpv()).get().asString().hasSize(32);
            assertThat(e.eclasses().keySet()).as(e.cpv()).containsAll(e.inherit());
        }
        Md5CacheEntry jobserver = cache.get("acct-group/jobserver-0").orElseThrow();
        assertThat(jobserver.eapi()).isEqualTo("8");
        assertThat(jobserver.slot()).isEqualTo("0");
        assertThat(jobserver.inherit()).containsExactly("acct-group");
        assertThat(jobserver.inherited()).containsExactly("user-info", "acct-group");
        assertThat(jobserver.eclasses()).containsEntry("user-info", "563da40a1a20ea1e55bbf4d149fc190d")
                .containsEntry("acct-group", "ce4b09b8b2c837854f75610036589bc1");
        assertThat(jobserver.definedPhases()).containsExactly("install", "preinst", "pretend");
        assertThat(cache.get("acct-group/nonexistent-1")).isEmpty();
    }

    @Test
    void parsesSelfMadeEntry(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("metadata/md5-cache/dev-libs/foo-1.2-r1");
        Files.createDirectories(f.getParent());
        Files.writeString(f, "SLOT=2/2.1\nEAPI=8\nIUSE=+ssl test\nRDEPEND=ssl? ( dev-libs/openssl:= )\nDESCRIPTION=a=b\n"
                + "_eclasses_=toolchain-funcs\taaaa\tmultilib\tbbbb\n_md5_=cccc\nEMPTY=\n");
        Files.createDirectories(tmp.resolve("metadata/md5-cache/.tmp"));
        Md5Cache cache = Md5Cache.ofRepository(tmp);
        Md5CacheEntry e = cache.entries().get(0);
        assertThat(cache.entries()).hasSize(1);
        assertThat(e.cpv()).isEqualTo("dev-libs/foo-1.2-r1");
        assertThat(e.slotName()).isEqualTo("2");
        assertThat(e.subSlot()).isEqualTo("2.1");
        assertThat(e.iuse()).containsExactly("+ssl", "test");
        assertThat(e.rdepend()).isEqualTo("ssl? ( dev-libs/openssl:= )");
        assertThat(e.description()).isEqualTo("a=b");
        assertThat(e.eclasses()).containsExactly(java.util.Map.entry("toolchain-funcs", "aaaa"), java.util.Map.entry("multilib", "bbbb"));
        assertThat(e.keywords()).isEmpty();
        assertThat(new String(e.toCanonicalBytes(), StandardCharsets.UTF_8)).isEqualTo(
                "DESCRIPTION=a=b\nEAPI=8\nIUSE=+ssl test\nRDEPEND=ssl? ( dev-libs/openssl:= )\nSLOT=2/2.1\n"
                        + "_eclasses_=toolchain-funcs\taaaa\tmultilib\tbbbb\n_md5_=cccc\n");
        assertThat(Md5CacheEntry.parse("x", "a/b-1", "SLOT=0").slot()).isEqualTo("0");
        assertThat(Md5CacheEntry.parse("x", "a/b-1", "").eapi()).isEqualTo("0");
    }

    @Test
    void errors() {
        assertThatThrownBy(() -> Md5CacheEntry.parse("cache/a/b-1", "a/b-1", "EAPI=8\nnonsense\n"))
                .isInstanceOf(ParseException.class).hasMessage("cache/a/b-1:2: expected 'KEY=value', got 'nonsense'");
        assertThatThrownBy(() -> Md5CacheEntry.parse("cache/a/b-1", "a/b-1", "EAPI=8\nEAPI=7\n"))
                .isInstanceOf(ParseException.class).hasMessage("cache/a/b-1:2: duplicate key EAPI");
        assertThatThrownBy(() -> Md5CacheEntry.parse("cache/a/b-1", "a/b-1", "=8\n"))
                .isInstanceOf(ParseException.class).hasMessage("cache/a/b-1:1: expected 'KEY=value', got '=8'");
        assertThatThrownBy(() -> Md5CacheEntry.parse("cache/a/b-1", "a/b-1", "SLOT=0\n_eclasses_=a\tb\tc\n"))
                .isInstanceOf(ParseException.class).hasMessage("cache/a/b-1:2: _eclasses_ must be tab-separated name/checksum pairs");
        assertThatThrownBy(() -> Md5CacheEntry.parse("c", "a/b-1", "A B=1\n"))
                .isInstanceOf(ParseException.class).hasMessage("c:1: invalid key 'A B'");
        assertThatThrownBy(() -> new Md5Cache(Path.of("/nonexistent")).get("../etc-1"))
                .isInstanceOf(ParseException.class);
    }
}

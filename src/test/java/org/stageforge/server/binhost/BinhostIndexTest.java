package org.stageforge.server.binhost;

import org.junit.jupiter.api.Test;
import org.stageforge.index.PackagesIndex;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The kept index renders what PackagesIndex's canonical writer does, whatever the order its entries came in. */
class BinhostIndexTest {
    @Test
    void rendersTheCanonicalIndexAndAGzipOfItThatDependsOnlyOnTheEntries() throws Exception {
        List<Map<String, String>> all = entries(300);
        BinhostIndex inOrder = new BinhostIndex();
        all.forEach(inOrder::put);
        List<Map<String, String>> shuffled = new ArrayList<>(all);
        Collections.shuffle(shuffled, new Random(7));
        BinhostIndex incremental = new BinhostIndex();
        for (Map<String, String> e : shuffled) {
            incremental.put(e);
            if (incremental.size() % 50 == 0) incremental.render(1); // members cached along the way
        }
        BinhostIndex.Files a = inOrder.render(1_700_000_000L);
        BinhostIndex.Files b = incremental.render(1_700_000_000L);
        assertThat(a.packages()).isEqualTo(expected(all, 1_700_000_000L));
        assertThat(b.packages()).isEqualTo(a.packages());
        assertThat(b.packagesGz()).isEqualTo(a.packagesGz());
        // several gzip members, read back as one stream
        assertThat(gunzip(a.packagesGz())).isEqualTo(a.packages());
        assertThat(PackagesIndex.parse("Packages", a.packages()).entries()).hasSize(300);
    }

    @Test
    void oneMoreAndOneLessEntryGiveTheSameBytesAsAnIndexMadeFromScratch() throws Exception {
        List<Map<String, String>> all = entries(120);
        BinhostIndex first = new BinhostIndex();
        all.forEach(first::put);
        BinhostIndex idx = BinhostIndex.parse(first.render(5).packages()); // as after a restart: read back from the blob
        idx.render(5);
        Map<String, String> more = entry("app-misc/zz-1.0", 3);
        idx.put(more);
        Map<String, String> gone = all.get(17);
        assertThat(idx.remove(gone)).isTrue();
        assertThat(idx.remove(gone)).isFalse();
        List<Map<String, String>> now = new ArrayList<>(all);
        now.remove(gone);
        now.add(more);
        BinhostIndex scratch = new BinhostIndex();
        now.forEach(scratch::put);
        BinhostIndex.Files f = idx.render(6);
        assertThat(f.packages()).isEqualTo(expected(now, 6)).isEqualTo(scratch.render(6).packages());
        assertThat(f.packagesGz()).isEqualTo(scratch.render(6).packagesGz());
        assertThat(gunzip(f.packagesGz())).isEqualTo(f.packages());
        assertThat(idx.builds("app-misc/p3-1.0")).extracting(m -> m.get("BUILD_ID")).containsExactly("1", "2", "10");
    }

    private static byte[] expected(List<Map<String, String>> entries, long timestamp) {
        List<Map<String, String>> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparing((Map<String, String> m) -> m.get("CPV"))
                .thenComparingLong(m -> Long.parseLong(m.get("BUILD_ID"))));
        return PackagesIndex.of(new TreeMap<>(Map.of("VERSION", "0")), sorted).toCanonicalBytes(OptionalLong.of(timestamp));
    }

    /** {@code n} entries over fewer CPVs, several builds each (BUILD_ID 10 sorts after 2, as a number). */
    private static List<Map<String, String>> entries(int n) {
        List<Map<String, String>> out = new ArrayList<>();
        int[] builds = {1, 2, 10};
        for (int i = 0; out.size() < n; i++) {
            for (int b : builds) if (out.size() < n) out.add(entry("app-misc/p" + i + "-1.0", b));
        }
        return out;
    }

    private static Map<String, String> entry(String cpv, int build) {
        String pf = cpv.substring(cpv.indexOf('/') + 1);
        String pn = pf.substring(0, pf.lastIndexOf('-'));
        Map<String, String> m = new TreeMap<>();
        m.put("CPV", cpv);
        m.put("BUILD_ID", Integer.toString(build));
        m.put("PATH", "app-misc/" + pn + "/" + pf + "-" + build + ".gpkg.tar");
        m.put("SIZE", Integer.toString(1000 + build));
        m.put("MD5", "0123456789abcdef0123456789abcdef");
        m.put("SLOT", build == 10 ? "1" : "0");
        m.put("EAPI", "8");
        m.put("DESCRIPTION", "package " + pn);
        m.put("CHOST", "x86_64-pc-linux-gnu");
        m.put("repository", "gentoo");
        m.put("MTIME", "1700000000");
        return m;
    }

    private static byte[] gunzip(byte[] gz) throws Exception {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
            return in.readAllBytes();
        }
    }
}

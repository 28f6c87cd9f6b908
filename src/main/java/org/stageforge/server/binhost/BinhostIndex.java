package org.stageforge.server.binhost;

import org.stageforge.index.PackagesEntry;
import org.stageforge.index.PackagesIndex;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPOutputStream;

/**
 * A served binhost's index as the server keeps it between generations, so that one more package costs about one
 * entry, not the whole index: each entry's canonical text is made once, when it is added (or once per process when
 * the index is read back from its blob), and {@code Packages.gz} is a series of gzip members, one per run of about
 * {@value #RUN} entries (RFC 1952 allows members back to back; gzip, Python's and Java's readers take them as one
 * stream), so only the header's member and the member of the changed run are compressed again. Runs end after
 * entries chosen by a hash of their path, so the same set of entries always gives the same bytes, whatever order
 * they came in. The text is what {@link PackagesIndex#toCanonicalBytes} writes for the same entries, ordered by
 * CPV, then BUILD_ID, then path. What still grows with the binhost is copying the entries' text into the new blob
 * (and hashing and writing it): bytes, no parsing, no compression. Not thread-safe: used under the view's lock.
 */
final class BinhostIndex {
    /** Entries per gzip member, on average. */
    static final int RUN = 32;
    private static final AtomicLong IDS = new AtomicLong();

    private record Key(String cpv, long buildId, String path) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            int c = cpv.compareTo(o.cpv);
            if (c == 0) c = Long.compare(buildId, o.buildId);
            return c != 0 ? c : path.compareTo(o.path);
        }
    }

    /** One package: its fields, its canonical text, and an id naming this very text in the member cache. */
    private record Entry(Map<String, String> fields, byte[] text, long id) {}

    /** The ids of a run of entries: equal ids, equal text. */
    private record Run(long[] ids) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Run r && Arrays.equals(ids, r.ids);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(ids);
        }
    }

    /** The two files of one generation. */
    record Files(byte[] packages, byte[] packagesGz) {}

    private final TreeMap<Key, Entry> entries = new TreeMap<>();
    private Map<Run, byte[]> members = new HashMap<>();

    /** An index holding the entries of a {@code Packages} text. */
    static BinhostIndex parse(byte[] packages) {
        BinhostIndex idx = new BinhostIndex();
        for (PackagesEntry e : PackagesIndex.parse("Packages", packages).entries()) idx.put(new LinkedHashMap<>(e.fields()));
        return idx;
    }

    int size() {
        return entries.size();
    }

    /** Adds (or replaces) the entry with these fields, which must hold CPV and PATH. */
    void put(Map<String, String> fields) {
        entries.put(key(fields), new Entry(Map.copyOf(fields), canonical(fields), IDS.incrementAndGet()));
    }

    /** Removes the entry with these CPV, BUILD_ID and PATH; false when there is none. */
    boolean remove(Map<String, String> fields) {
        return entries.remove(key(fields)) != null;
    }

    /** The fields of every build of one CPV, by BUILD_ID. */
    List<Map<String, String>> builds(String cpv) {
        List<Map<String, String>> out = new ArrayList<>();
        for (Entry e : entries.subMap(new Key(cpv, Long.MIN_VALUE, ""), true, new Key(cpv, Long.MAX_VALUE, ""), true).values()) {
            out.add(e.fields());
        }
        return out;
    }

    /** The index text and its gzip form, with {@code TIMESTAMP} = {@code seconds} and {@code PACKAGES} = the count. */
    Files render(long seconds) {
        byte[] header = ("PACKAGES: " + entries.size() + "\nTIMESTAMP: " + seconds + "\nVERSION: 0\n\n").getBytes(StandardCharsets.UTF_8);
        int size = header.length;
        for (Entry e : entries.values()) size += e.text().length;
        byte[] text = new byte[size];
        System.arraycopy(header, 0, text, 0, header.length);
        ByteArrayOutputStream gz = new ByteArrayOutputStream(size / 6 + 64);
        gz.writeBytes(gzip(header, 0, header.length));
        Map<Run, byte[]> used = new HashMap<>();
        int at = header.length;
        int runStart = at;
        List<Long> ids = new ArrayList<>();
        int left = entries.size();
        for (Map.Entry<Key, Entry> me : entries.entrySet()) {
            Entry e = me.getValue();
            System.arraycopy(e.text(), 0, text, at, e.text().length);
            at += e.text().length;
            ids.add(e.id());
            left--;
            if (left == 0 || endsRun(me.getKey().path())) {
                Run run = new Run(ids.stream().mapToLong(Long::longValue).toArray());
                byte[] member = members.get(run);
                if (member == null) member = gzip(text, runStart, at - runStart);
                used.put(run, member);
                gz.writeBytes(member);
                runStart = at;
                ids.clear();
            }
        }
        members = used;
        return new Files(text, gz.toByteArray());
    }

    private static boolean endsRun(String path) {
        int h = path.hashCode();
        h ^= h >>> 16; // spread the string hash's bits (murmur3's finaliser)
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        return Integer.remainderUnsigned(h, RUN) == 0;
    }

    private static Key key(Map<String, String> fields) {
        return new Key(fields.get("CPV"), Long.parseLong(fields.getOrDefault("BUILD_ID", "0")), fields.get("PATH"));
    }

    /** One entry's block exactly as {@link PackagesIndex#toCanonicalBytes} writes it under a header of VERSION only. */
    private static byte[] canonical(Map<String, String> fields) {
        byte[] all = PackagesIndex.of(Map.of("VERSION", "0"), List.of(fields)).toCanonicalBytes(OptionalLong.empty());
        int skip = "VERSION: 0\n\n".length();
        return Arrays.copyOfRange(all, skip, all.length);
    }

    private static byte[] gzip(byte[] data, int offset, int length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(length / 4 + 32);
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(data, offset, length);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in memory: cannot happen
        }
        return out.toByteArray();
    }
}

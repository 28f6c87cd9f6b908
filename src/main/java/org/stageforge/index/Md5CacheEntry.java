package org.stageforge.index;

import org.stageforge.ParseException;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One {@code metadata/md5-cache/CAT/PF} entry: {@code KEY=value} lines (EAPI, SLOT, IUSE, *DEPEND,
 * DEFINED_PHASES, INHERIT, {@code _eclasses_}, {@code _md5_}, ...).
 *
 * @param cpv    "category/PF"
 * @param fields the keys in file order
 */
public record Md5CacheEntry(String cpv, Map<String, String> fields) implements PackageMetadata {

    public Md5CacheEntry {
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    /** Parses one entry's text; {@code source} names the file in error messages. */
    public static Md5CacheEntry parse(String source, String cpv, String text) {
        Map<String, String> fields = new LinkedHashMap<>();
        int lineNo = 0;
        int pos = 0;
        while (pos < text.length()) {
            lineNo++;
            int nl = text.indexOf('\n', pos);
            String line = nl < 0 ? text.substring(pos) : text.substring(pos, nl);
            pos = nl < 0 ? text.length() : nl + 1;
            if (line.isEmpty()) continue;
            int eq = line.indexOf('=');
            if (eq <= 0) throw new ParseException(source, lineNo, 0, "expected 'KEY=value', got '" + PackagesIndex.abbreviate(line) + "'");
            String key = line.substring(0, eq);
            if (!key.chars().allMatch(c -> c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9')) {
                throw new ParseException(source, lineNo, 0, "invalid key '" + PackagesIndex.abbreviate(key) + "'");
            }
            if (fields.put(key, line.substring(eq + 1)) != null) {
                throw new ParseException(source, lineNo, 0, "duplicate key " + key);
            }
        }
        String ecl = fields.get("_eclasses_");
        if (ecl != null && !ecl.isEmpty() && ecl.split("\t", -1).length % 2 != 0) {
            throw new ParseException(source, lineNumberOf(text, "_eclasses_="), 0,
                    "_eclasses_ must be tab-separated name/checksum pairs");
        }
        return new Md5CacheEntry(cpv, fields);
    }

    private static int lineNumberOf(String text, String prefix) {
        int line = 1;
        for (String l : text.split("\n", -1)) {
            if (l.startsWith(prefix)) return line;
            line++;
        }
        return 0;
    }

    @Override
    public Optional<String> value(String key) {
        return Optional.ofNullable(fields.get(key));
    }

    /** The eclasses the ebuild inherited directly (INHERIT). */
    public java.util.List<String> inherit() { return words("INHERIT"); }

    /** Every eclass the ebuild inherited: the names of {@code _eclasses_}. */
    @Override
    public java.util.List<String> inherited() { return java.util.List.copyOf(eclasses().keySet()); }

    /** Every eclass of the ebuild with its checksum, in file order ({@code _eclasses_}). */
    public Map<String, String> eclasses() {
        Map<String, String> m = new LinkedHashMap<>();
        String v = fields.getOrDefault("_eclasses_", "");
        if (v.isEmpty()) return m;
        String[] parts = v.split("\t", -1);
        for (int i = 0; i + 1 < parts.length; i += 2) m.put(parts[i], parts[i + 1]);
        return m;
    }

    /** The ebuild's checksum ({@code _md5_}). */
    public Optional<String> ebuildMd5() { return value("_md5_"); }

    public String srcUri() { return get("SRC_URI"); }

    /** The entry as read (key order kept). */
    public byte[] toBytes() {
        return render(fields);
    }

    /** What Portage's md5-dict cache writes: keys sorted, empty values left out. */
    public byte[] toCanonicalBytes() {
        Map<String, String> sorted = new TreeMap<>();
        fields.forEach((k, v) -> {
            if (!v.isEmpty()) sorted.put(k, v);
        });
        return render(sorted);
    }

    private static byte[] render(Map<String, String> m) {
        StringBuilder sb = new StringBuilder();
        m.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
}

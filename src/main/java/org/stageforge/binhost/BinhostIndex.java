package org.stageforge.binhost;

import org.stageforge.ExitCodes;
import org.stageforge.ParseException;
import org.stageforge.StageforgeException;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The few parts of a binhost {@code Packages} index the fetcher needs: the header and, per package,
 * CPV, BUILD_ID, PATH, SIZE and digests (all other keys are kept verbatim in {@link Entry#fields()}).
 * Like Portage, stanzas are separated by blank lines, the first is the header, and lines without
 * a colon are ignored.
 */
public final class BinhostIndex {
    /** PMS version syntax, used to tell {@code cat/pn} from {@code cat/pn-ver} when selecting. */
    private static final Pattern VERSION = Pattern.compile(
            "[0-9]+(\\.[0-9]+)*[a-z]?((_alpha|_beta|_pre|_rc|_p)[0-9]*)*(-r[0-9]+)?");

    /** One package stanza. Digests are lower-case hex or null; size is -1 when the index has none. */
    public record Entry(String cpv, long buildId, String path, long size, String md5, String sha1,
                        String blake2b, String sha512, Map<String, String> fields) implements BinpkgRef {}

    private final String source;
    private final Map<String, String> header;
    private final List<Entry> packages;

    private BinhostIndex(String source, Map<String, String> header, List<Entry> packages) {
        this.source = source;
        this.header = Collections.unmodifiableMap(header);
        this.packages = Collections.unmodifiableList(packages);
    }

    public static BinhostIndex parse(Path file) {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return parse(file.toString(), r);
        } catch (NoSuchFileException e) {
            throw new StageforgeException("binhost index " + file + " does not exist", ExitCodes.NOT_FOUND, e);
        } catch (IOException e) {
            throw new StageforgeException("cannot read binhost index " + file + ": " + e.getMessage(), e);
        }
    }

    public static BinhostIndex parse(String source, BufferedReader r) throws IOException {
        List<Map<String, String>> stanzas = new ArrayList<>();
        List<Integer> starts = new ArrayList<>();
        Map<String, String> stanza = new LinkedHashMap<>();
        int lineNo = 0;
        for (String line = r.readLine(); line != null; line = r.readLine()) {
            lineNo++;
            if (line.isEmpty()) {
                if (!stanza.isEmpty()) stanzas.add(stanza);
                stanza = new LinkedHashMap<>();
                continue;
            }
            int colon = line.indexOf(':');
            if (colon < 0) continue;
            if (stanza.isEmpty()) starts.add(lineNo);
            String value = line.substring(colon + 1);
            stanza.put(line.substring(0, colon), value.startsWith(" ") ? value.substring(1) : value);
        }
        if (!stanza.isEmpty()) stanzas.add(stanza);
        Map<String, String> header = stanzas.isEmpty() ? new LinkedHashMap<>() : stanzas.get(0);
        List<Entry> packages = new ArrayList<>();
        for (int i = 1; i < stanzas.size(); i++) packages.add(entry(source, starts.get(i), stanzas.get(i)));
        return new BinhostIndex(source, header, packages);
    }

    private static Entry entry(String source, int line, Map<String, String> f) {
        String cpv = f.get("CPV");
        if (cpv == null || cpv.isEmpty()) throw new ParseException(source, line, 0, "package entry has no CPV");
        String path = f.get("PATH");
        if (path == null || path.isEmpty()) path = cpv + ".tbz2";
        return new Entry(cpv, number(source, line, f, "BUILD_ID", 0), path, number(source, line, f, "SIZE", -1),
                hex(source, line, f, "MD5", 32), hex(source, line, f, "SHA1", 40),
                hex(source, line, f, "BLAKE2B", 128), hex(source, line, f, "SHA512", 128),
                Collections.unmodifiableMap(new LinkedHashMap<>(f)));
    }

    private static long number(String source, int line, Map<String, String> f, String key, long dflt) {
        String v = f.get(key);
        if (v == null || v.isEmpty()) return dflt;
        try {
            long n = Long.parseLong(v.trim());
            if (n >= 0) return n;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new ParseException(source, line, 0, f.get("CPV") + ": " + key + " is not a non-negative number: '" + v + "'");
    }

    private static String hex(String source, int line, Map<String, String> f, String key, int length) {
        String v = f.get(key);
        if (v == null || v.isEmpty()) return null;
        String h = v.trim().toLowerCase(Locale.ROOT);
        if (h.length() != length || !h.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            throw new ParseException(source, line, 0, f.get("CPV") + ": " + key + " is not a " + length + "-digit hex digest: '" + v + "'");
        return h;
    }

    public String source() { return source; }

    public Map<String, String> header() { return header; }

    public List<Entry> packages() { return packages; }

    /**
     * Entries matching a CPV ({@code cat/pkg-1.0}, optionally {@code =}-prefixed) or every version of
     * a package name ({@code cat/pkg}). Empty when nothing matches.
     */
    public List<Entry> select(String atomOrCpv) {
        String q = atomOrCpv.startsWith("=") ? atomOrCpv.substring(1) : atomOrCpv;
        List<Entry> out = new ArrayList<>();
        for (Entry e : packages) {
            String cpv = e.cpv();
            if (cpv.equals(q)) {
                out.add(e);
            } else if (!atomOrCpv.startsWith("=") && cpv.startsWith(q + "-")
                    && VERSION.matcher(cpv.substring(q.length() + 1)).matches()) {
                out.add(e);
            }
        }
        return out;
    }
}

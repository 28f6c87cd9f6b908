package org.stageforge.index;

import org.stageforge.ParseException;
import org.stageforge.StageforgeException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * A binhost {@code Packages} index: a header block, a blank line, then package blocks each ended
 * by a blank line; every line is {@code KEY: value}.
 *
 * <p>{@link #toBytes()} writes back exactly what was read (the parser accepts only the layout
 * Portage writes, so nothing is lost). {@link #toCanonicalBytes} writes what Portage's
 * {@code PackageIndex.write} produces for the same data.
 *
 * @param source  the file name used in error messages
 * @param header  header keys in file order
 * @param entries package blocks in file order
 */
public record PackagesIndex(String source, Map<String, String> header, List<PackagesEntry> entries) {

    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.+-]*");
    private static final Set<String> NUMERIC = Set.of("BUILD_ID", "SIZE", "BUILD_TIME", "MTIME");
    /** Portage keeps these under other names in memory and sorts by those names on write. */
    private static final Map<String, String> FILE_TO_INTERNAL =
            Map.of("DESC", "DESCRIPTION", "MTIME", "_mtime_", "REPO", "repository");
    private static final Map<String, String> INTERNAL_TO_FILE =
            Map.of("DESCRIPTION", "DESC", "_mtime_", "MTIME", "repository", "REPO");

    public PackagesIndex {
        header = Collections.unmodifiableMap(new LinkedHashMap<>(header));
        entries = List.copyOf(entries);
    }

    /** The index key for a metadata key name (DESCRIPTION -> DESC, repository -> REPO, _mtime_ -> MTIME). */
    static String fileKey(String key) {
        return INTERNAL_TO_FILE.getOrDefault(key, key);
    }

    /**
     * Reads a {@code Packages} file, a gzip-compressed {@code Packages.gz}, or a binhost directory
     * (its {@code Packages}, else its {@code Packages.gz}).
     */
    public static PackagesIndex read(Path path) {
        Path file = path;
        if (Files.isDirectory(path)) {
            file = path.resolve("Packages");
            if (!Files.exists(file) && Files.exists(path.resolve("Packages.gz"))) file = path.resolve("Packages.gz");
        }
        byte[] data;
        try {
            data = Files.readAllBytes(file);
            if (file.getFileName().toString().endsWith(".gz")) {
                try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(data))) {
                    data = in.readAllBytes();
                } catch (IOException e) {
                    throw new ParseException(file.toString(), 0, 0, "not a valid gzip file: " + e.getMessage(), e);
                }
            }
        } catch (java.nio.file.NoSuchFileException e) {
            throw new StageforgeException("no such file: " + file, org.stageforge.ExitCodes.NOT_FOUND, e);
        } catch (IOException e) {
            throw new StageforgeException("cannot read " + file + ": " + org.stageforge.util.IoErrors.reason(file, e), e);
        }
        return parse(file.toString(), data);
    }

    /** Parses index bytes (UTF-8); {@code source} names the input in error messages. */
    public static PackagesIndex parse(String source, byte[] data) {
        String text = decode(source, data);
        Map<String, String> header = null;
        List<PackagesEntry> entries = new ArrayList<>();
        Map<String, String> block = new LinkedHashMap<>();
        Map<String, Integer> lines = new HashMap<>();
        int blockLine = 0;
        int lineNo = 0;
        int pos = 0;
        while (pos < text.length()) {
            lineNo++;
            int nl = text.indexOf('\n', pos);
            if (nl < 0) throw new ParseException(source, lineNo, 0, "last line has no newline");
            String line = text.substring(pos, nl);
            pos = nl + 1;
            if (line.isEmpty()) {
                if (header == null) {
                    header = block;
                } else if (block.isEmpty()) {
                    throw new ParseException(source, lineNo, 0, "empty package block (two blank lines in a row)");
                } else {
                    entries.add(entry(source, block, lines, blockLine, header));
                }
                block = new LinkedHashMap<>();
                lines = new HashMap<>();
                continue;
            }
            if (line.indexOf('\r') >= 0) throw new ParseException(source, lineNo, 0, "carriage return in line");
            int sep = line.indexOf(": ");
            if (sep < 0) throw new ParseException(source, lineNo, 0, "expected 'KEY: value', got '" + abbreviate(line) + "'");
            String key = line.substring(0, sep);
            if (!KEY.matcher(key).matches()) {
                throw new ParseException(source, lineNo, 0, "invalid key '" + abbreviate(key) + "'");
            }
            if (block.isEmpty()) blockLine = lineNo;
            if (block.put(key, line.substring(sep + 2)) != null) {
                throw new ParseException(source, lineNo, 0, "duplicate key " + key + " in "
                        + (header == null ? "header" : "package block starting at line " + blockLine));
            }
            lines.put(key, lineNo);
        }
        if (header == null) throw new ParseException(source, lineNo, 0, "header block is not ended by a blank line");
        if (!block.isEmpty()) throw new ParseException(source, lineNo, 0, "package block is not ended by a blank line");
        return new PackagesIndex(source, header, entries);
    }

    private static PackagesEntry entry(String source, Map<String, String> block, Map<String, Integer> lines,
                                       int blockLine, Map<String, String> header) {
        String cpv = block.get("CPV");
        if (cpv == null) throw new ParseException(source, blockLine, 0, "package block has no CPV");
        int cpvLine = lines.get("CPV");
        int slash = cpv.indexOf('/');
        if (slash <= 0 || slash == cpv.length() - 1 || cpv.indexOf('/', slash + 1) >= 0
                || !safeName(cpv.substring(0, slash)) || !safeName(cpv.substring(slash + 1))) {
            throw new ParseException(source, cpvLine, 0, "invalid CPV '" + abbreviate(cpv) + "'");
        }
        for (String k : NUMERIC) {
            String v = block.get(k);
            if (v != null && !v.isEmpty() && !(v.length() <= 18 && v.chars().allMatch(c -> c >= '0' && c <= '9'))) {
                throw new ParseException(source, lines.get(k), 0, k + " of " + cpv + " is not a number: '" + abbreviate(v) + "'");
            }
        }
        String path = block.get("PATH");
        if (path != null && !safeRelativePath(path)) {
            throw new ParseException(source, lines.get("PATH"), 0, "unsafe PATH of " + cpv + ": '" + abbreviate(path) + "'");
        }
        Map<String, String> inherited = new HashMap<>();
        for (String k : PackagesEntry.INHERITED_KEYS) {
            String v = header.get(k);
            if (v != null) inherited.put(k, v);
        }
        return new PackagesEntry(block, inherited, blockLine);
    }

    /** A category or package file name: no path separators, not "." or "..", no control characters. */
    static boolean safeName(String s) {
        if (s.isEmpty() || s.equals(".") || s.equals("..") || s.startsWith("-")) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '/' || c == '\\' || c < 0x20 || c == 0x7f || Character.isWhitespace(c)) return false;
        }
        return true;
    }

    /** A relative path with no empty, "." or ".." component and no control characters. */
    static boolean safeRelativePath(String p) {
        if (p.isEmpty() || p.startsWith("/")) return false;
        for (String part : p.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) return false;
        }
        return p.chars().noneMatch(c -> c < 0x20 || c == 0x7f || c == '\\');
    }

    /** Strict UTF-8: a bad byte would not survive the exact write back. */
    private static String decode(String source, byte[] data) {
        ByteBuffer in = ByteBuffer.wrap(data);
        CharBuffer out = CharBuffer.allocate(data.length);
        CoderResult r = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(in, out, true);
        if (r.isError()) {
            int line = 1;
            for (int i = 0; i < in.position(); i++) if (data[i] == '\n') line++;
            throw new ParseException(source, line, 0, "not valid UTF-8");
        }
        return out.flip().toString();
    }

    static String abbreviate(String s) {
        String t = s.replaceAll("[\\p{Cntrl}]", "?");
        return t.length() > 60 ? t.substring(0, 57) + "..." : t;
    }

    /** The entries for a CPV (several with BUILD_ID in a multi-instance binhost), in file order. */
    public List<PackagesEntry> entries(String cpv) {
        return entries.stream().filter(e -> e.cpv().equals(cpv)).toList();
    }

    public Optional<String> header(String key) {
        return Optional.ofNullable(header.get(key));
    }

    /** Exactly the index as read: header and blocks with their key order and values. */
    public byte[] toBytes() {
        StringBuilder sb = new StringBuilder(64 * 1024);
        block(sb, header.entrySet());
        for (PackagesEntry e : entries) block(sb, e.fields().entrySet());
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void block(StringBuilder sb, Iterable<Map.Entry<String, String>> kv) {
        for (Map.Entry<String, String> e : kv) sb.append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        sb.append('\n');
    }

    /**
     * What Portage's {@code PackageIndex.write} writes for this data: header keys sorted, empty
     * values left out; entries sorted by CPV (stable); in each entry the keys inherited with the
     * header's value and the keys at Portage's default (EAPI 0, SLOT 0, empty values) left out,
     * keys sorted by Portage's internal names (so MTIME and REPO come last).
     *
     * @param timestamp when present, the index counts as modified: TIMESTAMP is set to it and
     *                  PACKAGES to the number of entries, as Portage does on every rewrite
     */
    public byte[] toCanonicalBytes(java.util.OptionalLong timestamp) {
        Map<String, String> head = new LinkedHashMap<>(header);
        if (timestamp.isPresent()) {
            head.put("TIMESTAMP", Long.toString(timestamp.getAsLong()));
            head.put("PACKAGES", Integer.toString(entries.size()));
        }
        StringBuilder sb = new StringBuilder(64 * 1024);
        block(sb, sortedNonEmpty(head).entrySet());
        List<PackagesEntry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparing(PackagesEntry::cpv));
        for (PackagesEntry e : sorted) {
            Map<String, String> m = new LinkedHashMap<>(e.fields());
            for (String k : PackagesEntry.INHERITED_KEYS) {
                String hv = head.get(k);
                if (hv != null && hv.equals(m.get(k))) m.remove(k);
            }
            PackagesEntry.DEFAULTS.forEach((k, v) -> m.remove(k, v));
            block(sb, sortedNonEmpty(m).entrySet());
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static Map<String, String> sortedNonEmpty(Map<String, String> m) {
        Map<String, String> byInternal = new TreeMap<>();
        m.forEach((k, v) -> {
            if (!v.isEmpty()) byInternal.put(FILE_TO_INTERNAL.getOrDefault(k, k), v);
        });
        Map<String, String> out = new LinkedHashMap<>();
        byInternal.forEach((k, v) -> out.put(fileKey(k), v));
        return out;
    }

    /** Writes {@link #toBytes()} to a file atomically (temporary file beside it, then rename). */
    public void write(Path file) {
        AtomicFiles.write(file, toBytes());
    }

    /** Writes {@link #toCanonicalBytes} to a file atomically. */
    public void writeCanonical(Path file, java.util.OptionalLong timestamp) {
        AtomicFiles.write(file, toCanonicalBytes(timestamp));
    }

    /** Builds an index in memory (entries get the header's inherited values). */
    public static PackagesIndex of(Map<String, String> header, List<Map<String, String>> entries) {
        StringBuilder sb = new StringBuilder();
        block(sb, header.entrySet());
        for (Map<String, String> e : entries) block(sb, e.entrySet());
        return parse("<in memory index>", sb.toString().getBytes(StandardCharsets.UTF_8));
    }
}

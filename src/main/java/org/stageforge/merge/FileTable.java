package org.stageforge.merge;

import org.stageforge.ParseException;
import org.stageforge.StageforgeException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The truth about merged paths that the disk may not hold when stageforge runs as a normal user: type (fifos and
 * devices may be placeholder files on disk), full mode (setuid/setgid/sticky, bits a user cannot keep), numeric owner,
 * device numbers and binary xattrs such as {@code security.capability}. {@code stageforge pack} prefers it over the
 * disk. Stored in the root at {@value #PATH}, one line per path, sorted by path (Java string order, which equals
 * byte order for the BMP paths packages use), tab-separated:
 * <pre>path  type  mode  uid  gid  dev  xattrs</pre>
 * path: relative to the root without leading {@code /}, with {@code \\}, TAB and newline escaped as
 * {@code \\\\ \\t \\n}; type: {@code f d l p c b}; mode: 4 octal digits; dev: {@code major,minor} or {@code -};
 * xattrs: {@code name=hex;name=hex} sorted by name, or {@code -}. The first line is the header
 * {@code #stageforge-files v1}.
 *
 * <p>A merge does not rewrite the whole table for each package (that grows with the root): it appends each package's
 * changes to {@value #DELTA} ({@code +line} for a path set, {@code -path} for a path removed; a last line without its
 * newline was cut short by a kill and is ignored), and writes the table once at the end of the batch. {@link #load}
 * applies a delta left beside the table, so readers always see the whole truth; {@link #save} folds it in.
 */
public final class FileTable {
    public static final String PATH = "var/lib/stageforge/files.tsv";
    /** Changes appended since the table was last written whole (see the class comment). */
    public static final String DELTA = "var/lib/stageforge/files.tsv.delta";
    private static final String HEADER = "#stageforge-files v1";
    private static final java.util.SortedMap<String, byte[]> NO_XATTRS = Collections.unmodifiableSortedMap(new TreeMap<>());

    /** One path's attributes; {@code xattrs} is kept sorted by name. */
    public record Entry(char type, int mode, long uid, long gid, int major, int minor, Map<String, byte[]> xattrs) {
        public Entry {
            if ("fdlpcb".indexOf(type) < 0) throw new IllegalArgumentException("bad file type " + type);
            if (xattrs == null || xattrs.isEmpty()) {
                xattrs = NO_XATTRS;
            } else {
                TreeMap<String, byte[]> copy = new TreeMap<>();
                xattrs.forEach((k, v) -> copy.put(k, v.clone()));
                xattrs = Collections.unmodifiableSortedMap(copy);
            }
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Entry e)) return false;
            if (type != e.type || mode != e.mode || uid != e.uid || gid != e.gid || major != e.major || minor != e.minor
                    || !xattrs.keySet().equals(e.xattrs.keySet())) return false;
            for (var x : xattrs.entrySet()) if (!Arrays.equals(x.getValue(), e.xattrs.get(x.getKey()))) return false;
            return true;
        }

        @Override
        public int hashCode() {
            return type * 31 + mode * 17 + Long.hashCode(uid) + Long.hashCode(gid);
        }
    }

    /** One change since the last {@link #commitChanges}: {@code before}/{@code after} null when absent. */
    private record Change(String path, Entry before, Entry after) {}

    private final TreeMap<String, Entry> entries;
    private final List<Change> changes = new ArrayList<>();
    /** How many of {@link #changes} are already in the delta file. */
    private int appended;

    private FileTable(TreeMap<String, Entry> entries) {
        this.entries = entries;
    }

    public static FileTable empty() {
        return new FileTable(new TreeMap<>());
    }

    /** Reads the table of {@code root}; empty when it has none. */
    public static FileTable load(Path root) {
        Path f = root.resolve(PATH);
        String text;
        try {
            if (Files.isSymbolicLink(f)) throw new StageforgeException(f + ": refusing a symlinked file table");
            text = Files.readString(f, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            text = ""; // a merge killed before the end of its first batch leaves only the delta
        } catch (IOException e) {
            throw new StageforgeException("cannot read " + f + ": " + e.getMessage(), e);
        }
        FileTable t = parse(f.toString(), text);
        t.applyDelta(root.resolve(DELTA));
        return t;
    }

    private void applyDelta(Path d) {
        byte[] data;
        try {
            if (Files.isSymbolicLink(d)) throw new StageforgeException(d + ": refusing a symlinked file table delta");
            data = Files.readAllBytes(d);
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            throw new StageforgeException("cannot read " + d + ": " + e.getMessage(), e);
        }
        String text = new String(data, StandardCharsets.UTF_8);
        String[] lines = text.substring(0, text.lastIndexOf('\n') + 1).split("\n");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty()) continue;
            if (line.charAt(0) == '-') {
                entries.remove(unescape(line.substring(1)));
            } else if (line.charAt(0) == '+') {
                entries.putAll(parse(d.toString(), line.substring(1)).entries);
            } else {
                throw new ParseException(d.toString(), i + 1, 1, "malformed file table delta line");
            }
        }
    }

    static FileTable parse(String source, String text) {
        TreeMap<String, Entry> m = new TreeMap<>();
        int n = text.length();
        int lineNo = 0;
        for (int pos = 0; pos <= n; ) {
            int nl = text.indexOf('\n', pos);
            if (nl < 0) nl = n;
            lineNo++;
            // pack reads the whole table at every start: plain lines (no device, no xattrs) are cut by hand; anything
            // else, including every malformed line, goes through parseLine and its messages
            if (nl > pos && text.charAt(pos) != '#' && !parsePlainLine(text, pos, nl, m)) {
                parseLine(source, lineNo, text.substring(pos, nl), m);
            }
            pos = nl + 1;
        }
        return new FileTable(m);
    }

    /** {@code path type mode uid gid - -} with a valid type and plain digits; false (nothing added) for any other line. */
    private static boolean parsePlainLine(String text, int start, int end, TreeMap<String, Entry> m) {
        int t1 = text.indexOf('\t', start);
        if (t1 < 0 || t1 + 2 >= end || text.charAt(t1 + 2) != '\t') return false;
        char type = text.charAt(t1 + 1);
        if ("fdlpcb".indexOf(type) < 0) return false;
        int t3 = text.indexOf('\t', t1 + 3);
        if (t3 < 0 || t3 >= end) return false;
        int t4 = text.indexOf('\t', t3 + 1);
        if (t4 < 0 || t4 >= end) return false;
        int t5 = text.indexOf('\t', t4 + 1);
        // the rest must be exactly "\t-\t-"
        if (t5 < 0 || t5 + 4 != end || text.charAt(t5 + 1) != '-' || text.charAt(t5 + 2) != '\t'
                || text.charAt(t5 + 3) != '-') return false;
        long mode = digits(text, t1 + 3, t3, 8, 10);
        long uid = digits(text, t3 + 1, t4, 10, 18);
        long gid = digits(text, t4 + 1, t5, 10, 18);
        if (mode < 0 || uid < 0 || gid < 0) return false;
        m.put(unescape(text.substring(start, t1)), new Entry(type, (int) mode, uid, gid, 0, 0, null));
        return true;
    }

    /** The value of 1 to {@code max} digits below {@code radix} in {@code [from, to)}, else -1. */
    private static long digits(String s, int from, int to, int radix, int max) {
        if (to <= from || to - from > max) return -1;
        long v = 0;
        for (int i = from; i < to; i++) {
            int d = s.charAt(i) - '0';
            if (d < 0 || d >= radix) return -1;
            v = v * radix + d;
        }
        return v;
    }

    private static void parseLine(String source, int lineNo, String line, TreeMap<String, Entry> m) {
        String[] f = line.split("\t", -1);
        if (f.length != 7) throw new ParseException(source, lineNo, 1, "expected 7 tab-separated fields");
        try {
            int major = 0, minor = 0;
            if (!f[5].equals("-")) {
                String[] d = f[5].split(",");
                major = Integer.parseInt(d[0]);
                minor = Integer.parseInt(d[1]);
            }
            TreeMap<String, byte[]> x = new TreeMap<>();
            if (!f[6].equals("-")) {
                for (String kv : f[6].split(";")) {
                    int eq = kv.indexOf('=');
                    x.put(kv.substring(0, eq), HexFormat.of().parseHex(kv.substring(eq + 1)));
                }
            }
            if (f[1].length() != 1) throw new IllegalArgumentException("bad type");
            m.put(unescape(f[0]), new Entry(f[1].charAt(0), Integer.parseInt(f[2], 8), Long.parseLong(f[3]),
                    Long.parseLong(f[4]), major, minor, x));
        } catch (RuntimeException e) {
            throw new ParseException(source, lineNo, 1, "malformed file table line: " + e.getMessage());
        }
    }

    public Entry get(String rel) {
        return entries.get(rel);
    }

    public void put(String rel, Entry e) {
        changes.add(new Change(rel, entries.put(rel, e), e));
    }

    public void remove(String rel) {
        Entry before = entries.remove(rel);
        if (before != null) changes.add(new Change(rel, before, null));
    }

    /**
     * Appends the changes made since the last append to {@value #DELTA} in {@code root}, in one write (a merge step
     * journals the file's length first, so a rollback cuts them off again).
     */
    public void appendChanges(Path root) {
        if (appended == changes.size()) return;
        StringBuilder sb = new StringBuilder();
        for (Change c : changes.subList(appended, changes.size())) {
            if (c.after() == null) sb.append('-').append(escape(c.path())).append('\n');
            else renderLine(sb.append('+'), c.path(), c.after());
        }
        Path d = root.resolve(DELTA);
        try {
            checkDir(root);
            RootFiles.ensureDir(d.getParent());
            try (var ch = java.nio.channels.FileChannel.open(d, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND, LinkOption.NOFOLLOW_LINKS)) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
                while (b.hasRemaining()) ch.write(b);
            }
        } catch (IOException e) {
            throw new StageforgeException("cannot write " + d + ": " + e.getMessage(), e);
        }
        appended = changes.size();
    }

    /** The changes made so far are final: {@link #rollbackChanges} will not undo them. */
    public void commitChanges() {
        changes.clear();
        appended = 0;
    }

    /** Undoes the changes made since the last {@link #commitChanges} (the delta file is the journal's business). */
    public void rollbackChanges() {
        for (int i = changes.size() - 1; i >= 0; i--) {
            Change c = changes.get(i);
            if (c.before() == null) entries.remove(c.path());
            else entries.put(c.path(), c.before());
        }
        commitChanges();
    }

    /** Cuts a last delta line left without its newline by a kill, so later appends start on a line of their own. */
    static void repairDelta(Path root) throws IOException {
        Path d = root.resolve(DELTA);
        if (!Files.isRegularFile(d, LinkOption.NOFOLLOW_LINKS)) return;
        byte[] data = Files.readAllBytes(d);
        int end = data.length;
        while (end > 0 && data[end - 1] != '\n') end--;
        if (end == data.length) return;
        try (var ch = java.nio.channels.FileChannel.open(d, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            ch.truncate(end);
        }
    }

    /** All entries, sorted by path. */
    public SortedMap<String, Entry> entries() {
        return Collections.unmodifiableSortedMap(entries);
    }

    public String render() {
        StringBuilder sb = new StringBuilder(64 * entries.size() + 32).append(HEADER).append('\n');
        for (var e : entries.entrySet()) renderLine(sb, e.getKey(), e.getValue());
        return sb.toString();
    }

    private static void renderLine(StringBuilder sb, String path, Entry v) {
        sb.append(escape(path)).append('\t').append(v.type()).append('\t');
        int m = v.mode();
        for (int shift = 9; shift >= 0; shift -= 3) sb.append((char) ('0' + ((m >> shift) & 7))); // %04o of 12 bits
        sb.append('\t').append(v.uid()).append('\t').append(v.gid()).append('\t');
        if (v.type() == 'c' || v.type() == 'b') sb.append(v.major()).append(',').append(v.minor());
        else sb.append('-');
        sb.append('\t');
        if (v.xattrs().isEmpty()) {
            sb.append('-');
        } else {
            String sep = "";
            for (var x : v.xattrs().entrySet()) {
                sb.append(sep).append(x.getKey()).append('=').append(HexFormat.of().formatHex(x.getValue()));
                sep = ";";
            }
        }
        sb.append('\n');
    }

    /** Writes the table into {@code root} atomically (mode 0644). */
    public void save(Path root) {
        Path f = root.resolve(PATH);
        try {
            Path dir = f.getParent();
            checkDir(root);
            RootFiles.ensureDir(dir);
            Path tmp = Files.createTempFile(dir, ".files.tsv.", ".tmp");
            Files.writeString(tmp, render(), StandardCharsets.UTF_8);
            RootFiles.setMode(tmp, 0644);
            Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            // the table now holds what the delta said; a kill before this delete re-applies it, to the same result
            Files.deleteIfExists(root.resolve(DELTA));
            commitChanges();
        } catch (IOException e) {
            throw new StageforgeException("cannot write " + f + ": " + e.getMessage(), e);
        }
    }

    private static void checkDir(Path root) {
        for (String d : List.of("var", "var/lib", "var/lib/stageforge")) {
            if (Files.isSymbolicLink(root.resolve(d)))
                throw new StageforgeException(root.resolve(d) + ": refusing a symlink on the file table's path");
        }
    }

    /** Whether {@code root} has a saved table. */
    public static boolean exists(Path root) {
        return Files.isRegularFile(root.resolve(PATH), LinkOption.NOFOLLOW_LINKS)
                || Files.isRegularFile(root.resolve(DELTA), LinkOption.NOFOLLOW_LINKS);
    }

    static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n");
    }

    static String unescape(String s) {
        if (s.indexOf('\\') < 0) return s;
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                sb.append(n == 't' ? '\t' : n == 'n' ? '\n' : n);
            } else {
                sb.append(ch);
            }
        }
        return sb.toString();
    }
}

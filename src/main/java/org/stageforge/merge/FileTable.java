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
 */
public final class FileTable {
    public static final String PATH = "var/lib/stageforge/files.tsv";
    private static final String HEADER = "#stageforge-files v1";

    /** One path's attributes; {@code xattrs} is kept sorted by name. */
    public record Entry(char type, int mode, long uid, long gid, int major, int minor, Map<String, byte[]> xattrs) {
        public Entry {
            if ("fdlpcb".indexOf(type) < 0) throw new IllegalArgumentException("bad file type " + type);
            TreeMap<String, byte[]> copy = new TreeMap<>();
            if (xattrs != null) xattrs.forEach((k, v) -> copy.put(k, v.clone()));
            xattrs = Collections.unmodifiableSortedMap(copy);
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

    private final TreeMap<String, Entry> entries;

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
            return empty();
        } catch (IOException e) {
            throw new StageforgeException("cannot read " + f + ": " + e.getMessage(), e);
        }
        return parse(f.toString(), text);
    }

    static FileTable parse(String source, String text) {
        TreeMap<String, Entry> m = new TreeMap<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty() || line.startsWith("#")) continue;
            String[] f = line.split("\t", -1);
            if (f.length != 7) throw new ParseException(source, i + 1, 1, "expected 7 tab-separated fields");
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
                throw new ParseException(source, i + 1, 1, "malformed file table line: " + e.getMessage());
            }
        }
        return new FileTable(m);
    }

    public Entry get(String rel) {
        return entries.get(rel);
    }

    public void put(String rel, Entry e) {
        entries.put(rel, e);
    }

    public void remove(String rel) {
        entries.remove(rel);
    }

    /** All entries, sorted by path. */
    public SortedMap<String, Entry> entries() {
        return Collections.unmodifiableSortedMap(entries);
    }

    /** Makes this table equal to {@code other}. */
    public void restore(FileTable other) {
        entries.clear();
        entries.putAll(other.entries);
    }

    public FileTable copy() {
        return new FileTable(new TreeMap<>(entries));
    }

    public String render() {
        StringBuilder sb = new StringBuilder(HEADER).append('\n');
        for (var e : entries.entrySet()) {
            Entry v = e.getValue();
            sb.append(escape(e.getKey())).append('\t').append(v.type()).append('\t')
                    .append(String.format("%04o", v.mode())).append('\t').append(v.uid()).append('\t').append(v.gid())
                    .append('\t').append(v.type() == 'c' || v.type() == 'b' ? v.major() + "," + v.minor() : "-")
                    .append('\t');
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
        return sb.toString();
    }

    /** Writes the table into {@code root} atomically (mode 0644). */
    public void save(Path root) {
        Path f = root.resolve(PATH);
        try {
            Path dir = f.getParent();
            for (String d : List.of("var", "var/lib", "var/lib/stageforge")) {
                if (Files.isSymbolicLink(root.resolve(d)))
                    throw new StageforgeException(root.resolve(d) + ": refusing a symlink on the file table's path");
            }
            RootFiles.ensureDir(dir);
            Path tmp = Files.createTempFile(dir, ".files.tsv.", ".tmp");
            Files.writeString(tmp, render(), StandardCharsets.UTF_8);
            RootFiles.setMode(tmp, 0644);
            Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new StageforgeException("cannot write " + f + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@code root} has a saved table. */
    public static boolean exists(Path root) {
        return Files.isRegularFile(root.resolve(PATH), LinkOption.NOFOLLOW_LINKS);
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

package org.stageforge.binpkg;

import org.stageforge.ParseException;
import org.stageforge.archive.PathSanitizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Attributes to record for image files that an unprivileged build cannot put on disk: owners,
 * setuid modes, {@code security.*} extended attributes. One line per path:
 * {@code usr/bin/ping mode=4711 uid=0 gid=0 xattr.security.capability=hex:0100000200200000...};
 * {@code #} starts a comment.
 */
public record FileTable(Map<String, Attributes> byPath) {
    /** Overrides for one path; null fields keep what the file system says. */
    public record Attributes(Integer mode, Long uid, Long gid, Map<String, byte[]> xattrs) {}

    public FileTable {
        byPath = Map.copyOf(byPath);
    }

    public static final FileTable EMPTY = new FileTable(Map.of());

    public Attributes get(String normalizedPath) {
        return byPath.get(normalizedPath);
    }

    public static FileTable load(Path file) {
        try {
            return parse(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new org.stageforge.StageforgeException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    public static FileTable parse(String text, String source) {
        Map<String, Attributes> out = new LinkedHashMap<>();
        String[] lines = text.split("\n");
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i].strip();
            if (l.isEmpty() || l.startsWith("#")) continue;
            String[] f = l.split("\\s+");
            String path;
            try {
                path = PathSanitizer.normalize(f[0].startsWith("/") ? "." + f[0] : f[0], source);
            } catch (RuntimeException e) {
                throw new ParseException(source, i + 1, 0, "bad path '" + f[0] + "'");
            }
            Integer mode = null;
            Long uid = null;
            Long gid = null;
            Map<String, byte[]> x = new TreeMap<>();
            for (int j = 1; j < f.length; j++) {
                int eq = f[j].indexOf('=');
                if (eq <= 0) throw new ParseException(source, i + 1, 0, "expected key=value, got '" + f[j] + "'");
                String k = f[j].substring(0, eq);
                String v = f[j].substring(eq + 1);
                try {
                    if (k.equals("mode")) mode = Integer.parseInt(v, 8) & 07777;
                    else if (k.equals("uid")) uid = Long.parseLong(v);
                    else if (k.equals("gid")) gid = Long.parseLong(v);
                    else if (k.startsWith("xattr.") && k.length() > 6) {
                        x.put(k.substring(6), v.startsWith("hex:") ? HexFormat.of().parseHex(v.substring(4))
                                : v.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    } else {
                        throw new ParseException(source, i + 1, 0, "unknown attribute '" + k + "'");
                    }
                } catch (IllegalArgumentException e) {
                    throw new ParseException(source, i + 1, 0, "bad value for " + k + ": '" + v + "'");
                }
            }
            out.put(path, new Attributes(mode, uid, gid, x));
        }
        return new FileTable(out);
    }
}

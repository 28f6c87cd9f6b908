package org.stageforge.binpkg;

import org.stageforge.ParseException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Manifest of a GPKG (GLEP 78): one {@code DATA <member> <size> <HASH> <hex> ...} line per
 * member other than the Manifest itself.
 */
public record GpkgManifest(List<Line> lines) {
    /** Checksums Portage writes, in its order. */
    public static final List<String> HASHES = List.of("SHA512", "BLAKE2B");

    public record Line(String member, long size, Map<String, String> hashes) {
        public Line {
            hashes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(hashes));
        }
    }

    public GpkgManifest {
        lines = List.copyOf(lines);
    }

    public Line line(String member) {
        for (Line l : lines) if (l.member.equals(member)) return l;
        return null;
    }

    public static GpkgManifest parse(String text, String source) {
        List<Line> out = new ArrayList<>();
        String[] rows = text.split("\n", -1);
        for (int i = 0; i < rows.length; i++) {
            String row = rows[i].strip();
            if (row.isEmpty()) continue;
            String[] f = row.split("\\s+");
            if (!f[0].equals("DATA")) throw new ParseException(source, i + 1, 0, "unknown Manifest line type '" + f[0] + "'");
            if (f.length < 5 || f.length % 2 == 0) throw new ParseException(source, i + 1, 0, "malformed DATA line");
            long size;
            try {
                size = Long.parseLong(f[2]);
                if (size < 0) throw new NumberFormatException();
            } catch (NumberFormatException e) {
                throw new ParseException(source, i + 1, 0, "bad size '" + f[2] + "'");
            }
            Map<String, String> hashes = new LinkedHashMap<>();
            for (int j = 3; j < f.length; j += 2) {
                if (!f[j + 1].matches("[0-9a-fA-F]+")) throw new ParseException(source, i + 1, 0, "bad " + f[j] + " value");
                if (hashes.put(f[j], f[j + 1].toLowerCase(java.util.Locale.ROOT)) != null) {
                    throw new ParseException(source, i + 1, 0, "duplicate " + f[j]);
                }
            }
            for (Line l : out) {
                if (l.member.equals(f[1])) throw new ParseException(source, i + 1, 0, "duplicate entry for " + f[1]);
            }
            out.add(new Line(f[1], size, hashes));
        }
        return new GpkgManifest(out);
    }

    /** The Manifest text as Portage writes it (lines in the given order, trailing newline). */
    public String format() {
        StringBuilder sb = new StringBuilder();
        for (Line l : lines) {
            sb.append("DATA ").append(l.member).append(' ').append(l.size);
            l.hashes.forEach((k, v) -> sb.append(' ').append(k).append(' ').append(v));
            sb.append('\n');
        }
        return sb.toString();
    }
}

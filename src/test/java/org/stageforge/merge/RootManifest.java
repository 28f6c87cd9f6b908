package org.stageforge.merge;

import org.stageforge.archive.TarEntry;
import org.stageforge.pack.RootScanner;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A root's logical view (file table + disk) in the layout of the fixtures' manifest.tsv. */
final class RootManifest {
    private RootManifest() {}

    /** path → "type mode uid gid detail xattrs" (tab-separated, as in manifest.tsv without the path). */
    static Map<String, String> of(Path root, List<String> excludes) throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (RootScanner.Item it : RootScanner.scan(root, excludes)) {
            if (it.rel().isEmpty()) continue;
            TarEntry e = it.entry();
            String type = switch (e.type()) {
                case FILE -> "f";
                case DIR -> "d";
                case SYMLINK -> "l";
                case HARDLINK -> "h";
                case FIFO -> "p";
                case CHAR -> "c";
                case BLOCK -> "b";
            };
            String detail = switch (e.type()) {
                case FILE, HARDLINK -> sizeSha(root.resolve(it.rel()));
                case SYMLINK -> e.linkTarget();
                case CHAR, BLOCK -> e.devMajor() + "," + e.devMinor();
                default -> "-";
            };
            StringBuilder x = new StringBuilder();
            for (var kv : e.xattrs().entrySet()) {
                if (x.length() > 0) x.append(';');
                x.append(kv.getKey()).append('=').append(HexFormat.of().formatHex(kv.getValue()));
            }
            out.put(it.rel(), String.join("\t", type, String.format("%04o", e.mode()), Long.toString(e.uid()),
                    Long.toString(e.gid()), detail, x.length() == 0 ? "-" : x.toString()));
        }
        return out;
    }

    static Map<String, String> read(Path manifest) throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (String line : Files.readAllLines(manifest)) {
            int tab = line.indexOf('\t');
            if (tab > 0) out.put(line.substring(0, tab), line.substring(tab + 1));
        }
        return out;
    }

    static String sizeSha(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            long size = 0;
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
                size += n;
            }
            return size + ":" + HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}

package org.stageforge.binpkg;

import org.stageforge.archive.PathSanitizer;
import org.stageforge.archive.TarEntry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Test oracle: what GNU tar lists for an archive, in a form comparable with our entries. */
final class GnuTar {
    private static final Pattern LINE = Pattern.compile(
            "^(\\S{10})\\S?\\s+(\\d+)/(\\d+)\\s+(\\S+) (\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d)(?:\\.(\\d+))? +(.*)$");
    private static final Pattern XATTR = Pattern.compile("^\\s+x:\\s+(\\d+) (.*)$");

    private GnuTar() {}

    /** One listed member in a normalized, comparable text form. */
    static String describe(TarEntry e) {
        String detail = switch (e.type()) {
            case CHAR, BLOCK -> e.devMajor() + "," + e.devMinor();
            case FILE -> Long.toString(e.size());
            default -> "0";
        };
        String link = switch (e.type()) {
            case SYMLINK -> " -> " + e.linkTarget();
            case HARDLINK -> " link to " + e.linkTarget();
            default -> "";
        };
        StringBuilder x = new StringBuilder();
        e.xattrs().forEach((k, v) -> x.append(" x:").append(k).append('=').append(v.length));
        String mode = e.modeString();
        if (e.type() == TarEntry.Type.HARDLINK) mode = "h" + mode.substring(1);
        return mode + " " + e.uid() + "/" + e.gid() + " " + detail + " " + e.mtime() + "." + e.mtimeNanos()
                + " " + e.path() + link + x;
    }

    /**
     * Runs {@code shellPipeline | tar --xattrs --xattrs-include=* -tvv --numeric-owner --full-time}
     * and describes each member like {@link #describe}, mapping names through {@code pathMap}.
     */
    static List<String> list(String shellPipeline, UnaryOperator<String> pathMap) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("bash", "-o", "pipefail", "-c", shellPipeline
                + " | tar --xattrs --xattrs-include='*' --quoting-style=literal -tvv --numeric-owner --full-time -f -");
        pb.environment().put("TZ", "UTC");
        pb.environment().put("LC_ALL", "C");
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (p.waitFor() != 0) throw new IOException("tar failed (" + p.exitValue() + ") for: " + shellPipeline);
        List<String> result = new ArrayList<>();
        StringBuilder pendingX = null;
        String pending = null;
        for (String line : new String(out, StandardCharsets.UTF_8).split("\n")) {
            if (line.isEmpty()) continue;
            Matcher xm = XATTR.matcher(line);
            if (xm.matches() && pending != null) {
                pendingX.append(" x:").append(xm.group(2)).append('=').append(xm.group(1));
                continue;
            }
            if (pending != null) result.add(pending + pendingX);
            Matcher m = LINE.matcher(line);
            if (!m.matches()) throw new IOException("unparsed tar line: " + line);
            String mode = m.group(1);
            long mtime = LocalDateTime.parse(m.group(5).replace(' ', 'T')).toEpochSecond(ZoneOffset.UTC);
            int nanos = m.group(6) == null ? 0 : Integer.parseInt((m.group(6) + "000000000").substring(0, 9));
            String rest = m.group(7);
            String link = "";
            if (mode.charAt(0) == 'l') {
                int i = rest.indexOf(" -> ");
                link = " -> " + rest.substring(i + 4);
                rest = rest.substring(0, i);
            } else if (mode.charAt(0) == 'h') {
                int i = rest.indexOf(" link to ");
                link = " link to " + pathMap.apply(rest.substring(i + 9));
                rest = rest.substring(0, i);
            }
            String detail = m.group(4);
            if (mode.charAt(0) != '-' && mode.charAt(0) != 'c' && mode.charAt(0) != 'b') detail = "0";
            pending = mode + " " + m.group(2) + "/" + m.group(3) + " " + detail + " " + mtime + "." + nanos + " "
                    + pathMap.apply(rest) + link;
            pendingX = new StringBuilder();
        }
        if (pending != null) result.add(pending + pendingX);
        return result;
    }

    /** Maps a raw member name to our normalized listing path, dropping {@code prefix} components first. */
    static UnaryOperator<String> normalizer(int dropComponents) {
        return raw -> {
            List<String> c = PathSanitizer.components(raw, "tar");
            return PathSanitizer.display(String.join("/", c.subList(dropComponents, c.size())));
        };
    }

    /** The stanzas of a Packages index keyed by PATH (entries without PATH are skipped). */
    static Map<String, Map<String, String>> packagesByPath(Path packages) throws IOException {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        String[] stanzas = Files.readString(packages).split("\n\n");
        for (int s = 1; s < stanzas.length; s++) {
            Map<String, String> m = new LinkedHashMap<>();
            for (String l : stanzas[s].split("\n")) {
                int i = l.indexOf(": ");
                if (i > 0) m.put(l.substring(0, i), l.substring(i + 2));
            }
            if (m.containsKey("PATH")) out.put(m.get("PATH"), m);
        }
        return out;
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}

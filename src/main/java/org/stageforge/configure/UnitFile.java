package org.stageforge.configure;

import org.stageforge.ParseException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code [Install]} section of a systemd unit file, read as systemd's config parser reads it: {@code [Section]}
 * headers, {@code KEY=VALUE} lines, {@code #}/{@code ;} comment lines (also inside a continuation), a trailing
 * backslash continuing the line (replaced by a space). List settings accumulate over repeated lines; an empty
 * assignment resets the list. Words are whitespace-separated, surrounding quotes removed.
 */
record UnitFile(Map<String, List<String>> install) {
    static final List<String> INSTALL_KEYS =
            List.of("WantedBy", "RequiredBy", "UpheldBy", "Alias", "Also", "DefaultInstance");

    List<String> get(String key) {
        return install.getOrDefault(key, List.of());
    }

    boolean hasInstallInfo() {
        return !get("WantedBy").isEmpty() || !get("RequiredBy").isEmpty() || !get("UpheldBy").isEmpty()
                || !get("Alias").isEmpty() || !get("Also").isEmpty();
    }

    static UnitFile parse(String source, String text) {
        Map<String, List<String>> install = new LinkedHashMap<>();
        String section = null;
        String[] lines = text.split("\r?\n", -1);
        StringBuilder cont = null;
        int contStart = 0;
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i].strip();
            if (cont != null && (l.startsWith("#") || l.startsWith(";"))) continue;
            if (cont == null && (l.isEmpty() || l.startsWith("#") || l.startsWith(";"))) continue;
            if (l.endsWith("\\")) {
                if (cont == null) {
                    cont = new StringBuilder();
                    contStart = i + 1;
                }
                cont.append(l, 0, l.length() - 1).append(' ');
                continue;
            }
            int lineNo = i + 1;
            if (cont != null) {
                l = cont.append(l).toString().strip();
                lineNo = contStart;
                cont = null;
            }
            if (l.startsWith("[")) {
                if (!l.endsWith("]") || l.length() < 3)
                    throw new ParseException(source, lineNo, 1, "invalid section header '" + l + "'");
                section = l.substring(1, l.length() - 1);
                continue;
            }
            if (!"Install".equals(section)) continue;
            int eq = l.indexOf('=');
            if (eq <= 0) throw new ParseException(source, lineNo, 1, "expected KEY=VALUE in [Install]");
            String key = l.substring(0, eq).strip();
            String value = l.substring(eq + 1).strip();
            if (!INSTALL_KEYS.contains(key)) continue;
            List<String> words = words(source, lineNo, value);
            if (key.equals("DefaultInstance")) {
                install.put(key, value.isEmpty() ? List.of() : List.of(value));
            } else if (words.isEmpty()) {
                install.remove(key);
            } else {
                install.computeIfAbsent(key, k -> new ArrayList<>()).addAll(words);
            }
        }
        if (cont != null) throw new ParseException(source, contStart, 1, "line continuation at the end of the file");
        install.replaceAll((k, v) -> List.copyOf(v));
        return new UnitFile(Map.copyOf(install));
    }

    private static List<String> words(String source, int line, String value) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < value.length()) {
            char c = value.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
                continue;
            }
            StringBuilder w = new StringBuilder();
            while (i < value.length() && !Character.isWhitespace(value.charAt(i))) {
                char q = value.charAt(i);
                if (q == '"' || q == '\'') {
                    int end = value.indexOf(q, i + 1);
                    if (end < 0) throw new ParseException(source, line, i + 1, "unbalanced quote");
                    w.append(value, i + 1, end);
                    i = end + 1;
                } else {
                    w.append(q);
                    i++;
                }
            }
            out.add(w.toString());
        }
        return out;
    }
}

package org.stageforge.config;

import org.stageforge.ParseException;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code repos.conf} (a file or a directory of files, read in Portage's order): an INI file whose
 * sections are repositories. {@code [DEFAULT]} supplies defaults, notably {@code main-repo}.
 */
public final class ReposConf {
    private final Map<String, Map<String, String>> sections;

    private ReposConf(Map<String, Map<String, String>> sections) {
        this.sections = sections;
    }

    /** Reads {@code path}; a missing path gives an empty configuration. */
    public static ReposConf load(Path path) {
        Map<String, Map<String, String>> sections = new LinkedHashMap<>();
        for (Path f : ConfigFiles.fileList(path)) {
            String text = ConfigFiles.read(f);
            if (text != null) parseInto(text, f.toString(), sections);
        }
        return new ReposConf(sections);
    }

    /** Parses INI text named {@code source} (for messages). */
    public static ReposConf parse(String text, String source) {
        Map<String, Map<String, String>> sections = new LinkedHashMap<>();
        parseInto(text, source, sections);
        return new ReposConf(sections);
    }

    private static void parseInto(String text, String source, Map<String, Map<String, String>> sections) {
        List<String> lines = text.lines().toList();
        Map<String, String> current = null;
        String lastKey = null;
        for (int i = 0; i < lines.size(); i++) {
            String raw = lines.get(i);
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) continue;
            if (Character.isWhitespace(raw.charAt(0)) && current != null && lastKey != null) {
                current.merge(lastKey, line, (a, b) -> a + "\n" + b); // continuation line
                continue;
            }
            if (line.startsWith("[")) {
                if (!line.endsWith("]") || line.length() < 3) {
                    throw new ParseException(source, i + 1, 0, "bad section header '" + line + "'");
                }
                String name = line.substring(1, line.length() - 1).strip();
                current = sections.computeIfAbsent(name, k -> new LinkedHashMap<>());
                lastKey = null;
                continue;
            }
            int eq = indexOfSeparator(line);
            if (eq <= 0) throw new ParseException(source, i + 1, 0, "expected 'key = value', got '" + line + "'");
            if (current == null) throw new ParseException(source, i + 1, 0, "option outside of a section");
            lastKey = line.substring(0, eq).strip().toLowerCase(java.util.Locale.ROOT);
            current.put(lastKey, line.substring(eq + 1).strip());
        }
    }

    private static int indexOfSeparator(String line) {
        int eq = line.indexOf('=');
        int colon = line.indexOf(':');
        if (eq < 0) return colon;
        if (colon < 0) return eq;
        return Math.min(eq, colon);
    }

    /** Repository name to its location (repositories without {@code location} are left out). */
    public Map<String, Path> locations() {
        Map<String, Path> out = new LinkedHashMap<>();
        for (var e : sections.entrySet()) {
            if (e.getKey().equals("DEFAULT")) continue;
            String loc = option(e.getKey(), "location");
            if (loc != null && !loc.isEmpty()) out.put(e.getKey(), Path.of(loc));
        }
        return out;
    }

    /** {@code main-repo} from {@code [DEFAULT]}, or null. */
    public String mainRepo() {
        Map<String, String> d = sections.get("DEFAULT");
        return d == null ? null : d.get("main-repo");
    }

    /** An option of a section, falling back to {@code [DEFAULT]}; null when unset. */
    public String option(String section, String key) {
        Map<String, String> s = sections.get(section);
        if (s != null && s.containsKey(key)) return s.get(key);
        Map<String, String> d = sections.get("DEFAULT");
        return d == null ? null : d.get(key);
    }

    public Map<String, Map<String, String>> sections() {
        return Collections.unmodifiableMap(sections);
    }

    /** One repository section: its name, location and priority (null: none written, Portage's default). */
    public record Section(String name, String location, Integer priority) {
        /** The section's text. */
        public String format() {
            return "[" + name + "]\nlocation = " + location + "\n" + (priority == null ? "" : "priority = " + priority + "\n");
        }
    }

    /** repos.conf text naming {@code mainRepo} and the sections in order. */
    public static String format(String mainRepo, List<Section> sections) {
        StringBuilder sb = new StringBuilder("[DEFAULT]\nmain-repo = " + mainRepo + "\n");
        for (Section s : sections) sb.append('\n').append(s.format());
        return sb.toString();
    }
}

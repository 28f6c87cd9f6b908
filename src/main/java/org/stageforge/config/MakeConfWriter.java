package org.stageforge.config;

import java.util.Map;
import java.util.TreeMap;

/** {@code make.conf} text as stageforge writes it: one {@code KEY="value"} line per variable, sorted by name. */
public final class MakeConfWriter {
    private MakeConfWriter() {}

    /** The assignments of {@code vars}, sorted, values double-quoted. */
    public static String assignments(Map<String, String> vars) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> e : new TreeMap<>(vars).entrySet()) sb.append(assignment(e.getKey(), e.getValue()));
        return sb.toString();
    }

    /** {@code KEY="value"\n}, with backslashes and double quotes escaped. */
    public static String assignment(String key, String value) {
        return key + "=\"" + quote(value) + "\"\n";
    }

    /** {@code value} escaped for a double-quoted make.conf string. */
    public static String quote(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}

package org.stageforge.profile;

import java.nio.file.Path;
import java.util.List;

/**
 * One entry of a profile or user configuration file, with where it came from.
 *
 * @param value  the atom or flag as written (with any leading {@code -} or {@code *})
 * @param values the words after it (flags, keywords, licenses), empty for list files
 * @param file   the file it was read from
 * @param line   its 1-based line
 */
public record Entry(String value, List<String> values, Path file, int line) {
    public Entry {
        values = List.copyOf(values);
    }

    /** {@code file:line}. */
    public String origin() {
        return file + ":" + line;
    }
}
